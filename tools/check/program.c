#include "program.h"

#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "elf_file.h"
#include "go_info.h"
#include "libdeps.h"
#include "tls_libs.h"

/* exec_binprm() gives up after this many nested interpreters. */
#define MAX_DEPTH 5

#if defined(__x86_64__)
#define OWN_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define OWN_MACHINE EM_AARCH64
#elif defined(__riscv)
#define OWN_MACHINE EM_RISCV
#else
#define OWN_MACHINE (-1) /* not compared */
#endif

#define SECURE_EXEC                                                                                          \
	"the process is then in secure-execution mode (AT_SECURE), where the loader preloads only "          \
	"libraries from its standard directories that are themselves set-user-ID: libunwedge.so is not "     \
	"loaded (and a preload installed that way ignores UNWEDGE_* and applies the defaults)"

int uw_check_resolve(const char *cmd, char *out, size_t outlen)
{
	if (strchr(cmd, '/'))
		return snprintf(out, outlen, "%s", cmd) < (int)outlen ? 0 : -1;
	const char *path = getenv("PATH");
	char buf[8192];
	snprintf(buf, sizeof buf, "%s", path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		struct stat st;
		if (snprintf(out, outlen, "%s/%s", *d ? d : ".", cmd) >= (int)outlen)
			continue;
		if (access(out, X_OK) == 0 && stat(out, &st) == 0 && S_ISREG(st.st_mode))
			return 0;
	}
	return -1;
}

static void file_modes(struct uw_report *r, const char *path, bool block)
{
	struct stat st;
	char caps[64];
	if (stat(path, &st) != 0)
		return;
	if (st.st_mode & S_ISUID)
		uw_report_add(r, "setuid", block, "set-user-ID (owner uid %u): run by any other user, %s",
			      (unsigned)st.st_uid, SECURE_EXEC);
	/* Without group execute permission the bit means mandatory locking, not set-group-ID. */
	if ((st.st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
		uw_report_add(r, "setgid", block,
			      "set-group-ID (group %u): run by a user of another group, %s",
			      (unsigned)st.st_gid, SECURE_EXEC);
	if (getxattr(path, "security.capability", caps, sizeof caps) > 0)
		uw_report_add(r, "capabilities", block,
			      "file capabilities (security.capability): run by any user but root, %s",
			      SECURE_EXEC);
}

static void go_finding(struct uw_report *r, const struct uw_go_info *g)
{
	char what[700] = "build information older than Go 1.18, not decoded";
	if (g->decoded) {
		const char *module = g->module[0] ? g->module : g->path[0] ? g->path : "unknown";
		bool other_main = g->path[0] && strcmp(g->path, module) != 0;
		snprintf(what, sizeof what, "%s; module %s%s%s%s", g->version, module,
			 other_main ? "; main package " : "", other_main ? g->path : "",
			 g->cgo == 1   ? "; cgo enabled"
			 : g->cgo == 0 ? "; cgo disabled"
				       : "");
	}
	uw_report_add(r, "go", true,
		      "a Go program (%s): Go makes its system calls itself, not through libc, even with cgo, "
		      "so no preload sees its writes",
		      what);
}

static const char *via(const struct uw_deps *d, int i, char *buf, size_t len)
{
	if (d->d[i].via < 0)
		return "needed directly";
	snprintf(buf, len, "through %s", d->d[d->d[i].via].name);
	return buf;
}

static void missing(struct uw_report *r, const struct uw_deps *d, int i, const struct uw_check_opts *o)
{
	char how[200];
	if (o->missing_blocks)
		uw_report_add(r, "deps", true, "%s (%s) not found: the loader would refuse to start it",
			      d->d[i].name, via(d, i, how, sizeof how));
	else
		uw_report_add(r, "deps", false,
			      "%s (%s) not found from here, though the process runs (it has its own mount "
			      "namespace or library path)",
			      d->d[i].name, via(d, i, how, sizeof how));
}

/* libc, missing libraries, and TLS libraries among the dependencies of a glibc
 * program, opened at open_path and shown as path. */
static void dependencies(struct uw_report *r, const struct uw_elf *e, const char *open_path, const char *path,
			 const struct uw_check_opts *o)
{
	struct uw_deps *d = calloc(1, sizeof *d);
	char how[200], real[PATH_MAX];
	int tls = 0;
	if (!d)
		return;
	/* The loader takes the program's $ORIGIN from /proc/self/exe: its real path,
	 * symbolic links resolved (Debian's alternatives: /usr/bin/java ->
	 * /etc/alternatives/java -> /usr/lib/jvm/.../bin/java, RUNPATH $ORIGIN/../lib). */
	uw_deps_walk(e, realpath(open_path, real) ? real : path, o->ld_library_path, d);
	int libc = -1;
	for (int i = 0; i < d->n && libc < 0; i++)
		if (strcmp(d->d[i].name, "libc.so.6") == 0)
			libc = i;
	if (libc >= 0 && d->d[libc].path[0])
		uw_report_add(r, "libc", false, "libc.so.6 (%s): %s", via(d, libc, how, sizeof how),
			      d->d[libc].path);
	else if (libc < 0 && !d->truncated && !d->missing)
		uw_report_add(r, "libc", true,
			      "it does not link libc.so.6, so its system calls do not go through the libc "
			      "functions the preload wraps");
	for (int i = 0; i < d->n; i++) {
		if (!d->d[i].path[0]) {
			missing(r, d, i, o);
			continue;
		}
		const struct uw_tls_lib *t = uw_tls_lib_of(d->d[i].name);
		if (t && o->tls_from_deps) {
			tls++;
			uw_report_add(r, "tls", false, "%s (%s, %s): %s", d->d[i].name, t->name,
				      via(d, i, how, sizeof how), uw_tls_coverage(t));
		}
	}
	if (o->tls_from_deps && !tls)
		uw_report_add(r, "tls", false,
			      "no TLS library among its dependencies (one loaded later with dlopen, as "
			      "Python's ssl module does, shows in a check of the running process's PID)");
	free(d);
}

static int analyze(struct uw_report *r, const char *open_path, const char *path, const char *script,
		   const struct uw_check_opts *o, int depth, char *err, size_t errlen);

/* "#!INTERP [ARG]": Linux passes the rest of the line as one argument. */
static int follow_script(struct uw_report *r, const struct uw_elf *e, const char *path,
			 const struct uw_check_opts *o, int depth, char *err, size_t errlen)
{
	char line[257], target[PATH_MAX];
	size_t n = e->size < 256 ? e->size : 256;
	memcpy(line, e->m, n);
	line[n] = 0;
	line[strcspn(line, "\n")] = 0;
	char *interp = line + 2 + strspn(line + 2, " \t");
	char *arg = interp + strcspn(interp, " \t");
	if (*arg)
		*arg++ = 0;
	arg += strspn(arg, " \t");
	if (!*interp) {
		snprintf(err, errlen, "%s: its #! line names no interpreter", path);
		return -1;
	}
	if (depth + 1 >= MAX_DEPTH) {
		snprintf(err, errlen, "%s: too many nested #! interpreters", path);
		return -1;
	}
	const char *base = strrchr(interp, '/') ? strrchr(interp, '/') + 1 : interp;
	const char *cmd = NULL;
	if (strcmp(base, "env") == 0) {
		/* env [-S] [-i] [NAME=VALUE...] COMMAND: the command is what runs. */
		for (char *save = NULL, *w = strtok_r(arg, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
			if (w[0] != '-' && !strchr(w, '=')) {
				cmd = w;
				break;
			}
	}
	if (cmd && uw_check_resolve(cmd, target, sizeof target) != 0) {
		snprintf(err, errlen, "%s: its interpreter, %s through env, is not found in PATH", path, cmd);
		return -1;
	}
	if (!cmd)
		snprintf(target, sizeof target, "%s", interp);
	uw_report_add(r, "script", false, "%s is a #! script run by %s%s%s; what follows is about %s", path,
		      interp, cmd ? " " : "", cmd ? cmd : "", target);
	return analyze(r, target, target, path, o, depth + 1, err, errlen);
}

/* An ELF file that is no program: a message in err, -1; else 0. */
static int not_a_program(const struct uw_elf *e, const char *path, const char *who, char *err, size_t errlen)
{
	if (e->type >= 0 && e->type != ET_EXEC && e->type != ET_DYN) {
		snprintf(err, errlen, "%s%s is an ELF file but not a program (an object file or a core dump)",
			 path, who);
		return -1;
	}
	if (e->cls == ELFCLASS64 && e->type >= 0 && !e->parsed) {
		snprintf(err, errlen, "%s%s is a damaged ELF file (its program headers are out of bounds)",
			 path, who);
		return -1;
	}
	if (e->parsed && !e->interp && e->type == ET_DYN && e->soname && !(e->flags_1 & DF_1_PIE)) {
		snprintf(err, errlen,
			 "%s%s is a shared library, not a program: check the program that loads it", path,
			 who);
		return -1;
	}
	return 0;
}

/* Another class, machine or byte order: reported, true. */
static bool other_arch(struct uw_report *r, const struct uw_elf *e)
{
	if (e->cls == ELFCLASS64 && (OWN_MACHINE < 0 || e->machine == OWN_MACHINE) && e->parsed)
		return false;
	uw_report_add(r, "arch", true,
		      "a %s-bit %s program%s: libunwedge.so is a 64-bit %s library, which the loader "
		      "skips there",
		      e->cls == ELFCLASS32 ? "32" : "64", uw_elf_machine_name(e->machine),
		      e->cls == ELFCLASS64 && !e->parsed ? " of foreign byte order" : "",
		      uw_elf_machine_name(OWN_MACHINE));
	return true;
}

/* How it is linked, from its program interpreter. Returns whether that is glibc's loader. */
static bool linking(struct uw_report *r, const struct uw_elf *e, const struct uw_check_opts *o)
{
	const char *ib =
		e->interp ? (strrchr(e->interp, '/') ? strrchr(e->interp, '/') + 1 : e->interp) : NULL;
	if (!e->interp)
		uw_report_add(r, "static", true,
			      "statically linked (no program interpreter): the dynamic loader never runs in "
			      "it, so nothing can be preloaded");
	else if (strncmp(ib, "ld-musl-", 8) == 0 && o->musl_served)
		uw_report_add(
			r, "linking", false,
			"dynamic, musl (interpreter %s): the musl build of libunwedge.so serves it (the "
			"one LD_PRELOAD value, .../$LIB/libunwedge.so)",
			e->interp);
	else if (strncmp(ib, "ld-musl-", 8) == 0)
		uw_report_add(
			r, "musl", true,
			"linked against musl (interpreter %s): libunwedge.so is built against glibc; musl's "
			"loader cannot relocate it, and with it in LD_PRELOAD the program does not start",
			e->interp);
	else if (strncmp(ib, "ld-linux", 8) == 0 && o->glibc_unserved)
		uw_report_add(
			r, "glibc", true,
			"linked against glibc (interpreter %s): the libunwedge.so here is the musl build, "
			"which glibc's loader cannot load, and with it in LD_PRELOAD the program does not "
			"start",
			e->interp);
	else if (strncmp(ib, "ld-linux", 8) == 0) {
		uw_report_add(r, "linking", false, "dynamic, glibc (interpreter %s)", e->interp);
		return true;
	} else
		uw_report_add(r, "loader", true,
			      "interpreter %s is not glibc's dynamic loader: libunwedge.so is built against "
			      "glibc and may stop it from starting",
			      e->interp);
	return false;
}

/* A file that could not be opened, or that is no ELF file: a #! script is followed, else -1. */
static int not_elf(struct uw_report *r, const struct uw_elf *e, const char *path, const char *who,
		   const struct uw_check_opts *o, int depth, char *err, size_t errlen)
{
	if (e->size > 2 && e->m[0] == '#' && e->m[1] == '!')
		return follow_script(r, e, path, o, depth, err, errlen);
	snprintf(err, errlen, "%s%s is neither an ELF program nor a #! script", path, who);
	return -1;
}

/* The findings on a 64-bit program of this machine. */
static void program_findings(struct uw_report *r, const struct uw_elf *e, const char *open_path,
			     const char *path, const struct uw_check_opts *o)
{
	struct uw_go_info g;
	uw_go_info_read(e, &g);
	if (g.is_go)
		go_finding(r, &g);
	bool glibc = linking(r, e, o);
	file_modes(r, open_path, o->modes_block);
	/* Other C libraries find their libraries their own way. */
	if (!o->quick && glibc && !g.is_go)
		dependencies(r, e, open_path, path, o);
	const char *builtin = o->quick ? NULL : uw_tls_builtin_marker(e->m, e->size);
	if (builtin && !g.is_go) {
		static const struct uw_tls_lib socket_only = {"", "", 0};
		uw_report_add(r, "tls", false, "%s is built into the program (its version text is there): %s",
			      builtin, uw_tls_coverage(&socket_only));
	}
}

static int analyze(struct uw_report *r, const char *open_path, const char *path, const char *script,
		   const struct uw_check_opts *o, int depth, char *err, size_t errlen)
{
	struct uw_elf e;
	char who[PATH_MAX + 64] = "";
	if (script)
		snprintf(who, sizeof who, " (the interpreter of %s)", script);
	if (uw_elf_open(&e, open_path) != 0) {
		int en = errno;
		snprintf(err, errlen, "%s%s: %s", path, who,
			 en == ENOENT	 ? "not found"
			 : en == EISDIR	 ? "is a directory"
			 : en == ENOEXEC ? "not a regular file"
					 : strerror(en));
		return -1;
	}
	int rc = 0;
	if (!e.is_elf)
		rc = not_elf(r, &e, path, who, o, depth, err, errlen);
	else if (not_a_program(&e, path, who, err, errlen) != 0)
		rc = -1;
	else {
		if (!o->quick && access(open_path, X_OK) != 0)
			uw_report_add(r, "exec", false, "%s is not executable by this user", path);
		if (!other_arch(r, &e))
			program_findings(r, &e, open_path, path, o);
	}
	uw_elf_close(&e);
	return rc;
}

int uw_check_program(struct uw_report *r, const char *open_path, const char *path,
		     const struct uw_check_opts *o, char *err, size_t errlen)
{
	return analyze(r, open_path, path, NULL, o, 0, err, errlen);
}
