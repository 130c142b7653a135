#include "launch.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/config_env.h"
#include "binary_check.h"
#include "check/program.h"
#include "one_value.h"
#include "preload_path.h"

#define PRELOAD_NAME UW_PRELOAD_NAME

extern char **environ;

/* Notices: said once per process tree (UNWEDGE_WARNED), errors under --strict. */
struct notes {
	bool strict, quiet, said;
	int errors;
};

static void notice(struct notes *n, const char *msg)
{
	n->said = true;
	if (n->strict) {
		fprintf(stderr, "unwedge: error: %s (--strict)\n", msg);
		n->errors++;
	} else if (!n->quiet) {
		fprintf(stderr, "unwedge: warning: %s\n", msg);
	}
}

static void config_note(void *ctx, const char *msg, bool preload_too)
{
	(void)preload_too;
	notice(ctx, msg);
}

static void unknown_variable(void *ctx, const char *name)
{
	char msg[300], shown[200];
	uw_config_printable(shown, sizeof shown, name);
	snprintf(msg, sizeof msg, "unknown variable %s ignored (check its spelling)", shown);
	notice(ctx, msg);
}

/* lib: the preload to add, "" when none was found. 2 when the one given or
 * found cannot work. */
static int choose_preload(const struct uw_launch *L, char *lib, size_t len)
{
	char why[400], shown[PATH_MAX];
	lib[0] = 0;
	if (L->on[UW_L_NO_PRELOAD])
		return -1;
	if (L->preload && (access(L->preload, R_OK) != 0 || !realpath(L->preload, lib))) {
		uw_config_printable(shown, sizeof shown, L->preload);
		fprintf(stderr, "unwedge: cannot read --preload %s\nTry 'unwedge --help'.\n", shown);
		return 2;
	}
	if (!L->preload && uw_find_preload(lib, len) != 0)
		return -1;
	if (uw_preload_unusable(lib, why, sizeof why) == 0)
		return -1;
	uw_config_printable(shown, sizeof shown, lib);
	fprintf(stderr, "unwedge: cannot use the preload %s%s: it %s; not running the command unprotected\n",
		L->preload ? "(--preload) " : "", shown, why);
	return 2;
}

/* Whether LD_PRELOAD (entries split by ':' or ' ') names lib already (as it
 * is, or through a link). */
static int preload_has(const char *list, const char *lib)
{
	char buf[8192];
	snprintf(buf, sizeof buf, "%s", list);
	for (char *save = NULL, *t = strtok_r(buf, ": ", &save); t; t = strtok_r(NULL, ": ", &save)) {
		char real[PATH_MAX];
		if (strcmp(t, lib) == 0 || (realpath(t, real) && strcmp(real, lib) == 0))
			return 1;
	}
	return 0;
}

/* LD_PRELOAD with lib (the one value, or found itself) first, so that our
 * wrappers see the application's calls before any other preload's; nothing
 * added when found is there already. */
static int add_preload(const char *lib, const char *found)
{
	const char *cur = getenv("LD_PRELOAD");
	if (!cur || !*cur)
		return setenv("LD_PRELOAD", lib, 1);
	if (preload_has(cur, lib) || preload_has(cur, found))
		return 0;
	size_t n = strlen(lib) + strlen(cur) + 2;
	char *v = malloc(n);
	if (!v)
		return -1;
	snprintf(v, n, "%s:%s", lib, cur);
	return setenv("LD_PRELOAD", v, 1);
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* The settings that leave COMMAND itself without unwedge, and what the
 * preload cannot reach. */
static void command_notes(struct notes *n, const struct uw_config *c, const char *cmd, const char *path,
			  const char *why, bool cgroup)
{
	char msg[PATH_MAX + 800], real[PATH_MAX];
	const char *exe = path[0] && realpath(path, real) ? base(real) : NULL;
	if ((c->only_cmds[0] || c->skip_cmds[0]) && !uw_config_cmd_in_scope(c, base(cmd), exe)) {
		snprintf(msg, sizeof msg,
			 "%s is out of scope (%s): unwedge stays off in it (the programs it starts decide "
			 "for themselves)",
			 base(cmd), c->only_cmds[0] ? "UNWEDGE_ONLY_CMDS" : "UNWEDGE_SKIP_CMDS");
		notice(n, msg);
	}
	if (why[0] && n->strict && !cgroup) {
		snprintf(msg, sizeof msg, "%s; it would run unprotected", why);
		notice(n, msg);
	}
}

/* The merged settings (the environment with the flags), read as the preload
 * will read them. 2 when invalid, else -1. */
static int merged_settings(struct uw_config *c, struct notes *n, const char *cmd)
{
	char err[700];
	n->quiet = uw_config_env_warned(environ);
	if (uw_config_read_environ(c, environ, NULL, unknown_variable, n, err, sizeof err) != 0) {
		fprintf(stderr,
			"unwedge: %s (from the environment); not running %s, which would start "
			"with unwedge disabled\n",
			err, cmd);
		return 2;
	}
	uw_config_notes(c, config_note, n);
	if (uw_config_log_problem(c, err, sizeof err))
		notice(n, err);
	return -1;
}

/* --dry-run: what the program would get. */
static int dry_run(const struct uw_launch *L, const char *lib, const char *found, const char *cmd,
		   const char *path, const char *why)
{
	if (lib[0] && add_preload(lib, found) != 0)
		return 2;
	const char *pre = getenv("LD_PRELOAD");
	printf("LD_PRELOAD=%s\n", pre ? pre : "");
	for (char **e = environ; *e; e++)
		if (!strncmp(*e, "UNWEDGE_", 8) && !uw_config_env_internal(*e))
			printf("%s\n", *e);
	if (L->on[UW_L_CGROUP])
		printf("cgroup: a new cgroup with the TCP user timeout (not set up by a dry run)\n");
	if (L->on[UW_L_NO_PRELOAD])
		printf("check: %s: no preload (--no-preload)\n", cmd);
	else if (!lib[0])
		printf("check: %s: no %s found: it would run unprotected\n", cmd, PRELOAD_NAME);
	else if (why[0])
		printf("check: %s\n", why);
	else
		printf("check: %s: the preload can reach it\n", path[0] ? path : cmd);
	printf("dry run: %s not started\n", cmd);
	return 0;
}

static bool enter_cgroup(struct uw_launch *L, const struct uw_config *eff, const char *cmd)
{
	/* The user timeout the preload would add, from the flags and the
	 * environment alike: the two layers agree. */
	L->cg.user_timeout_ms = eff->uto_ms;
	uw_cgroup_keepalive_from(eff, &L->cg);
	if (eff->uto_ms)
		L->cg.flags |= UW_CG_F_USER_TIMEOUT;
	return uw_cgroup_enter(&L->cg, cmd, L->on[UW_L_REQUIRE]) == 0;
}

static void say_unreachable(const char *why, int unreachable, bool cgroup_on)
{
	fprintf(stderr, "unwedge: %s: %s; %s%s\n", cgroup_on ? "note" : "warning", why,
		unreachable == UW_UNREACHABLE_HARMFUL ? "so it runs without the preload"
						      : "it runs unprotected",
		cgroup_on ? "; the cgroup layer covers its TCP sockets"
			  : " (--cgroup covers its TCP sockets)");
}

static int exec_command(char **argv, int i)
{
	execvp(argv[i], &argv[i]);
	int e = errno;
	fprintf(stderr, "unwedge: cannot run %s: %s\n", argv[i][0] ? argv[i] : "'' (an empty command name)",
		strerror(e));
	return e == ENOENT ? 127 : 126;
}

/* Marks the environment once something was said: the preload in COMMAND and
 * its children stay quiet about the same settings. */
static void mark_warned(const struct notes *n)
{
	char digest[17];
	if (n->said && !n->quiet) {
		uw_config_env_digest(environ, digest);
		setenv(UW_ENV_WARNED, digest, 1);
	}
}

/* lib (the value for LD_PRELOAD) into the environment the command gets, or
 * why it runs without. */
static void preload_for_exec(const char *lib, const char *found, const char *cmd)
{
	if (!lib[0])
		fprintf(stderr,
			"unwedge: warning: %s not found next to this program or in ../lib/unwedge; "
			"running %s unprotected\n",
			PRELOAD_NAME, cmd);
	else if (add_preload(lib, found) != 0)
		fprintf(stderr, "unwedge: warning: cannot set LD_PRELOAD; running %s unprotected\n", cmd);
}

int uw_launch_run(struct uw_launch *L, char **argv)
{
	const char *cmd = argv[L->cmd];
	struct uw_config eff;
	struct notes n = {.strict = L->on[UW_L_STRICT]};
	char found[PATH_MAX], lib[PATH_MAX + 64], path[PATH_MAX] = "", why[PATH_MAX + 700] = "";
	int r = merged_settings(&eff, &n, cmd);
	if (r < 0)
		r = choose_preload(L, found, sizeof found);
	if (r >= 0)
		return r;
	/* The one value for glibc and musl programs when the layout is there. */
	bool layout = found[0] && uw_one_value(found, lib, sizeof lib);
	if (!layout)
		snprintf(lib, sizeof lib, "%s", found);
	int unreachable = L->on[UW_L_NO_PRELOAD] || uw_check_resolve(cmd, path, sizeof path) != 0
				  ? 0
				  : uw_binary_unreachable(path, uw_served_with(layout), why, sizeof why);
	command_notes(&n, &eff, cmd, path, why, L->on[UW_L_CGROUP]);
	if (!lib[0] && !L->on[UW_L_NO_PRELOAD] && n.strict)
		notice(&n, PRELOAD_NAME " not found next to this program or in ../lib/unwedge");
	if (n.errors)
		return 2;
	if (L->on[UW_L_DRY_RUN])
		return dry_run(L, lib, found, cmd, path, why);
	bool cgroup_on = L->on[UW_L_CGROUP] && enter_cgroup(L, &eff, cmd);
	if (L->on[UW_L_CGROUP] && !cgroup_on && L->on[UW_L_REQUIRE])
		return 1;
	/* From here on, the command runs: what could not be checked before is
	 * said, and the command runs unprotected rather than not at all. */
	if (unreachable)
		say_unreachable(why, unreachable, cgroup_on);
	if (!L->on[UW_L_NO_PRELOAD] && unreachable != UW_UNREACHABLE_HARMFUL)
		preload_for_exec(lib, found, cmd);
	mark_warned(&n);
	return exec_command(argv, L->cmd);
}
