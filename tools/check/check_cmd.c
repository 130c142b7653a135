#include "check_cmd.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli_args.h"
#include "config.h"
#include "config_env.h"
#include "../one_value.h"
#include "proc_info.h"
#include "program.h"
#include "tls_libs.h"

#define PRELOAD_NAME "libunwedge.so"
#define CGROUP_NEEDS "root, cgroup v2 and Linux 5.9+; TCP sockets only, through TCP_USER_TIMEOUT"

static int help(void)
{
	printf("usage: unwedge check [--json] COMMAND|PATH|PID\n"
	       "\n"
	       "Says whether the preload can protect that program, or why not and what\n"
	       "can: static, Go, musl, set-user-ID or file capabilities, another\n"
	       "architecture, a library the loader would not find. Also the TLS libraries\n"
	       "it links and, for a running process, whether libunwedge.so is loaded and\n"
	       "its UNWEDGE_* settings. A bare number is a PID: write ./123 for a file of\n"
	       "that name.\n"
	       "\n"
	       "exit status:\n"
	       "  0  the preload can protect it; for a PID: it is protected now\n"
	       "  1  the preload cannot protect it (the verdict says what can), or it would\n"
	       "     not start (a library it needs is not found)\n"
	       "  2  bad usage, no such program or process, or a process this user may not\n"
	       "     inspect (the message says which right is missing)\n"
	       "  3  for a PID: the preload could protect it, but it is not protected now\n"
	       "     (not loaded, or turned off by its settings)\n");
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

/* What a running process shows: its program, secure execution, TLS libraries
 * loaded, the preload. 0, or -1 with a message in err. */
static int pid_findings(struct uw_report *r, const struct uw_proc *p, char *err, size_t errlen)
{
	uw_report_add(r, "process", false, "%d runs %s", p->pid, p->exe);
	struct uw_check_opts o = {.ld_library_path = uw_proc_getenv(p, "LD_LIBRARY_PATH"),
				  .musl_served = uw_served().musl,
				  .glibc_unserved = !uw_served().glibc};
	if (uw_check_program(r, p->exe_link, p->exe, &o, err, errlen) != 0)
		return -1;
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
	if (preloaded)
		uw_report_add(r, "preload", false, "libunwedge.so is loaded: %s (already preloaded)",
			      p->preload);
	else
		uw_report_add(r, "preload", false,
			      "libunwedge.so is not loaded (a preload only enters a program when it starts)");
	return 0;
}

/* The verdict on a running process; the exit status. */
static int pid_verdict(const struct uw_report *r, const struct uw_proc *p, bool active, char *verdict,
		       size_t len)
{
	char cmd[PATH_MAX], keys[200];
	/* A program replaced on disk since it started (an upgrade): restart the new one. */
	size_t n = strlen(p->exe);
	snprintf(cmd, sizeof cmd, "%.*s",
		 (int)(n > 10 && !strcmp(p->exe + n - 10, " (deleted)") ? n - 10 : n), p->exe);
	if (r->blockers) {
		blocker_keys(r, keys, sizeof keys);
		int k = snprintf(verdict, len, "the preload cannot protect it (%s); ", keys);
		if (p->cgroup[0] && strcmp(p->cgroup, "/") != 0)
			snprintf(verdict + k, len - (size_t)k,
				 "the cgroup layer can bound the TCP sockets it opens from now on: unwedge "
				 "cgroup attach --path %s --tcp-user-timeout 30s (%s)",
				 p->cgroup, CGROUP_NEEDS);
		else
			snprintf(verdict + k, len - (size_t)k,
				 "the cgroup layer can bound its TCP sockets: restart it with unwedge "
				 "--cgroup --tcp-user-timeout 30s -- %s (%s)",
				 cmd, CGROUP_NEEDS);
		return UW_CHECK_CANNOT;
	}
	if (p->preload[0] && active) {
		snprintf(verdict, len, "protected: libunwedge.so is loaded and active in process %d", p->pid);
		return UW_CHECK_OK;
	}
	if (p->preload[0])
		snprintf(verdict, len,
			 "protectable, but not protected now: libunwedge.so is loaded but its settings turn "
			 "it off (see config above); fix them and restart it");
	else
		snprintf(verdict, len,
			 "protectable, but not protected now: restart it under unwedge: unwedge --timeout %s "
			 "-- %s",
			 uw_options[UW_OPT_TIMEOUT].fallback, cmd);
	return UW_CHECK_NOT_NOW;
}

static int check_pid(const char *arg, bool json)
{
	struct uw_report *r = calloc(1, sizeof *r);
	struct uw_proc *p = calloc(1, sizeof *p);
	char err[PATH_MAX + 600], verdict[PATH_MAX + 600];
	int rc = UW_CHECK_BAD;
	if (!r || !p)
		goto out;
	if (uw_proc_read(p, arg, err, sizeof err) != 0 || pid_findings(r, p, err, sizeof err) != 0) {
		fprintf(stderr, "unwedge: check: %s\n", err);
		goto out;
	}
	bool active = process_settings(r, p, p->preload[0] != 0);
	rc = pid_verdict(r, p, active, verdict, sizeof verdict);
	uw_report_print(stdout, r, arg, rc != UW_CHECK_CANNOT, verdict, json);
out:
	if (p)
		uw_proc_free(p);
	free(p);
	free(r);
	return rc;
}

static bool has_blocker(const struct uw_report *r, const char *key)
{
	for (int i = 0; i < r->n; i++)
		if (r->f[i].blocks && !strcmp(r->f[i].key, key))
			return true;
	return false;
}

/* The verdict on a program file; the exit status. */
static int file_verdict(const struct uw_report *r, const char *arg, char *verdict, size_t len)
{
	char keys[200];
	if (has_blocker(r, "deps")) {
		snprintf(verdict, len,
			 "it would not start: the loader does not find a library it needs (deps above), so "
			 "nothing can protect it; install the library or fix LD_LIBRARY_PATH, then check "
			 "again");
		return UW_CHECK_CANNOT;
	}
	if (r->blockers) {
		blocker_keys(r, keys, sizeof keys);
		snprintf(verdict, len,
			 "the preload cannot protect it (%s); the cgroup layer can bound its TCP sockets: "
			 "unwedge --cgroup --tcp-user-timeout 30s -- %s (%s)",
			 keys, arg, CGROUP_NEEDS);
		return UW_CHECK_CANNOT;
	}
	snprintf(verdict, len, "the preload can protect it: unwedge --timeout %s -- %s",
		 uw_options[UW_OPT_TIMEOUT].fallback, arg);
	return UW_CHECK_OK;
}

static int check_file(const char *arg, bool json)
{
	struct uw_report *r = calloc(1, sizeof *r);
	char path[PATH_MAX], err[PATH_MAX + 200], verdict[2 * PATH_MAX + 600], entry[PATH_MAX];
	int rc = UW_CHECK_BAD;
	if (!r)
		return UW_CHECK_BAD;
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
				  .glibc_unserved = !uw_served().glibc,
				  .missing_blocks = true};
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
	rc = file_verdict(r, arg, verdict, sizeof verdict);
	uw_report_print(stdout, r, arg, rc == UW_CHECK_OK, verdict, json);
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
		} else {
			int r = uw_cli_operand("check", "COMMAND, PATH or PID", argv[i], &what);
			if (r >= 0)
				return r;
		}
	}
	if (!what)
		return uw_cli_bad("check", "no COMMAND, PATH or PID given", NULL);
	if (strspn(what, "0123456789") == strlen(what))
		return check_pid(what, json);
	return check_file(what, json);
}
