#include "check_cmd.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_env.h"
#include "../one_value.h"
#include "proc_info.h"
#include "program.h"
#include "tls_libs.h"

#define PRELOAD_NAME "libunwedge.so"
#define CGROUP_NEEDS "root, cgroup v2 and Linux 5.9+; TCP sockets only, through TCP_USER_TIMEOUT"

static int usage(void)
{
	fprintf(stderr, "usage: unwedge check [--json] COMMAND|PATH|PID\n");
	return 2;
}

static int help(void)
{
	printf("usage: unwedge check [--json] COMMAND|PATH|PID\n"
	       "\n"
	       "Says whether the preload can protect that program (exit 0), or why not\n"
	       "and what can (exit 1): static, Go, musl, set-user-ID or file capabilities,\n"
	       "another architecture. Also the TLS libraries it links and, for a running\n"
	       "process, whether libunwedge.so is loaded and its UNWEDGE_* settings.\n"
	       "Exit 2: no such program or process. A bare number is a PID: write ./123\n"
	       "for a file of that name.\n");
	return 0;
}

/* "go, static": the keys of the blocking findings. */
static void blocker_keys(const struct uw_report *r, char *out, size_t len)
{
	size_t o = 0;
	out[0] = 0;
	for (int i = 0; i < r->n && o < len; i++)
		if (r->f[i].blocks)
			o += (size_t)snprintf(out + o, len - o, "%s%s", o ? ", " : "", r->f[i].key);
}

/* Whether a ':'- or ' '-separated LD_PRELOAD list has libunwedge.so; its entry in out. */
static int preload_listed(const char *list, char *out, size_t outlen)
{
	char buf[8192];
	snprintf(buf, sizeof buf, "%s", list ? list : "");
	for (char *save = NULL, *t = strtok_r(buf, ": ", &save); t; t = strtok_r(NULL, ": ", &save)) {
		const char *base = strrchr(t, '/') ? strrchr(t, '/') + 1 : t;
		if (strcmp(base, PRELOAD_NAME) == 0) {
			snprintf(out, outlen, "%s", t);
			return 1;
		}
	}
	return 0;
}

/* The UNWEDGE_* settings of a running process, checked as its preload read them at start.
 * Returns whether they leave unwedge active there. */
static bool process_settings(struct uw_report *r, const struct uw_proc *p, bool preloaded)
{
	struct uw_config c;
	char err[700], shown[1024];
	size_t o = 0;
	bool valid = true;
	if (!p->environ) {
		uw_report_add(r, "environ", false, "/proc/%d/environ is not readable by this user", p->pid);
		return true;
	}
	uw_config_defaults(&c);
	const char *ld = uw_proc_getenv(p, "LD_PRELOAD");
	o += (size_t)snprintf(shown, sizeof shown, "LD_PRELOAD=%s", ld ? ld : "(unset)");
	for (size_t off = 0; off < p->environ_len; off += strlen(p->environ + off) + 1) {
		const char *v = p->environ + off;
		if (strncmp(v, "UNWEDGE_", 8) != 0)
			continue;
		if (o < sizeof shown)
			o += (size_t)snprintf(shown + o, sizeof shown - o, " %s", v);
		int opt = uw_config_find_env(v);
		if (uw_config_env_internal(v)) /* UNWEDGE_CGROUP, UNWEDGE_WARNED */
			continue;
		if (opt < 0) {
			uw_report_add(r, "config", false, "unknown variable %.*s, which the preload ignores",
				      (int)strcspn(v, "="), v);
			continue;
		}
		if (p->at_secure != 1 && uw_config_set(&c, (enum uw_opt)opt, strchr(v, '=') + 1,
						       uw_options[opt].env, err, sizeof err)) {
			uw_report_add(r, "config", false, "%s: the preload disabled itself in this process",
				      err);
			valid = false;
		}
	}
	uw_report_add(r, "environ", false, "%s%s", shown,
		      p->at_secure == 1 ? " (ignored: secure execution, the defaults apply)" : "");
	uw_config_finish(&c);
	if (valid && preloaded && c.timeout_ms == 0 && c.uto_ms == 0) {
		uw_report_add(r, "config", false, "the write deadline and the TCP user timeout are both off");
		return false;
	}
	return valid;
}

static int check_pid(const char *arg, bool json)
{
	struct uw_report *r = calloc(1, sizeof *r);
	struct uw_proc *p = calloc(1, sizeof *p);
	char err[PATH_MAX + 200], keys[200], verdict[PATH_MAX + 600];
	int rc = 2;
	if (!r || !p)
		goto out;
	if (uw_proc_read(p, arg, err, sizeof err) != 0) {
		fprintf(stderr, "unwedge: check: %s\n", err);
		goto out;
	}
	uw_report_add(r, "process", false, "%d runs %s", p->pid, p->exe);
	struct uw_check_opts o = {.ld_library_path = uw_proc_getenv(p, "LD_LIBRARY_PATH"),
				  .musl_served = uw_served().musl,
				  .glibc_unserved = !uw_served().glibc};
	if (uw_check_program(r, p->exe_link, p->exe, &o, err, sizeof err) != 0) {
		fprintf(stderr, "unwedge: check: %s\n", err);
		goto out;
	}
	bool preloaded = p->preload[0] != 0;
	if (p->at_secure == 1)
		uw_report_add(
			r, "secure", !preloaded,
			"the process runs in secure-execution mode (AT_SECURE: set-user-ID, set-group-ID or "
			"file capabilities): the loader preloads only set-user-ID libraries from its "
			"standard directories, and unwedge there ignores UNWEDGE_* and applies the defaults");
	for (int i = 0; i < p->n_tls; i++)
		uw_report_add(r, "tls", false, "%s is loaded (%s): %s", p->tls[i],
			      uw_tls_lib_of(p->tls[i])->name, uw_tls_coverage(uw_tls_lib_of(p->tls[i])));
	if (!p->maps_read)
		uw_report_add(r, "preload", false,
			      "/proc/%d/maps is not readable by this user: whether libunwedge.so is loaded "
			      "is unknown",
			      p->pid);
	else if (preloaded)
		uw_report_add(r, "preload", false, "libunwedge.so is loaded: %s (already preloaded)",
			      p->preload);
	else
		uw_report_add(r, "preload", false,
			      "libunwedge.so is not loaded (a preload only enters a program when it starts)");
	bool active = process_settings(r, p, preloaded);
	/* A program replaced on disk since it started (an upgrade): restart the new one. */
	char cmd[PATH_MAX];
	size_t len = strlen(p->exe);
	snprintf(cmd, sizeof cmd, "%.*s",
		 (int)(len > 10 && !strcmp(p->exe + len - 10, " (deleted)") ? len - 10 : len), p->exe);
	if (r->blockers) {
		blocker_keys(r, keys, sizeof keys);
		int n = snprintf(verdict, sizeof verdict, "the preload cannot protect it (%s); ", keys);
		if (p->cgroup[0] && strcmp(p->cgroup, "/") != 0)
			snprintf(verdict + n, sizeof verdict - (size_t)n,
				 "the cgroup layer can bound the TCP sockets it opens from now on: unwedge "
				 "cgroup attach --path %s --tcp-user-timeout 30s (%s)",
				 p->cgroup, CGROUP_NEEDS);
		else
			snprintf(verdict + n, sizeof verdict - (size_t)n,
				 "the cgroup layer can bound its TCP sockets: restart it with unwedge "
				 "--cgroup --tcp-user-timeout 30s -- %s (%s)",
				 cmd, CGROUP_NEEDS);
		rc = 1;
	} else {
		if (!p->maps_read)
			snprintf(verdict, sizeof verdict,
				 "protectable; whether it is protected now is unknown");
		else if (preloaded && active)
			snprintf(verdict, sizeof verdict,
				 "protected: libunwedge.so is loaded and active in process %d", p->pid);
		else if (preloaded)
			snprintf(verdict, sizeof verdict,
				 "protectable, but not protected now: libunwedge.so is loaded but its "
				 "settings turn it off (see config above); fix them and restart it");
		else
			snprintf(verdict, sizeof verdict,
				 "protectable, but not protected now: restart it under unwedge: unwedge "
				 "--timeout %s -- %s",
				 uw_options[UW_OPT_TIMEOUT].fallback, cmd);
		rc = 0;
	}
	uw_report_print(stdout, r, arg, rc == 0, verdict, json);
out:
	if (p)
		uw_proc_free(p);
	free(p);
	free(r);
	return rc;
}

static int check_file(const char *arg, bool json)
{
	struct uw_report *r = calloc(1, sizeof *r);
	char path[PATH_MAX], err[PATH_MAX + 200], keys[200], verdict[2 * PATH_MAX + 600], entry[PATH_MAX];
	int rc = 2;
	if (!r)
		return 2;
	if (uw_check_resolve(arg, path, sizeof path) != 0) {
		fprintf(stderr,
			"unwedge: check: %s: not found (no such file, and no command of that name in PATH)\n",
			arg);
		goto out;
	}
	struct uw_check_opts o = {.ld_library_path = getenv("LD_LIBRARY_PATH"),
				  .modes_block = true,
				  .tls_from_deps = true,
				  .musl_served = uw_served().musl,
				  .glibc_unserved = !uw_served().glibc};
	if (uw_check_program(r, path, path, &o, err, sizeof err) != 0) {
		fprintf(stderr, "unwedge: check: %s\n", err);
		goto out;
	}
	if (preload_listed(getenv("LD_PRELOAD"), entry, sizeof entry))
		uw_report_add(r, "preload", false,
			      "LD_PRELOAD here already has %s: programs started from this environment get it",
			      entry);
	else
		uw_report_add(r, "preload", false, "not in this environment's LD_PRELOAD");
	if (r->blockers) {
		blocker_keys(r, keys, sizeof keys);
		snprintf(verdict, sizeof verdict,
			 "the preload cannot protect it (%s); the cgroup layer can bound its TCP sockets: "
			 "unwedge --cgroup --tcp-user-timeout 30s -- %s (%s)",
			 keys, arg, CGROUP_NEEDS);
		rc = 1;
	} else {
		snprintf(verdict, sizeof verdict, "the preload can protect it: unwedge --timeout %s -- %s",
			 uw_options[UW_OPT_TIMEOUT].fallback, arg);
		rc = 0;
	}
	uw_report_print(stdout, r, arg, rc == 0, verdict, json);
out:
	free(r);
	return rc;
}

int uw_check_command(int argc, char **argv)
{
	bool json = false;
	const char *what = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			return help();
		} else if (argv[i][0] == '-' || !argv[i][0] || what) {
			return usage();
		} else {
			what = argv[i];
		}
	}
	if (!what)
		return usage();
	if (strspn(what, "0123456789") == strlen(what))
		return check_pid(what, json);
	return check_file(what, json);
}
