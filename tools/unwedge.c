/* unwedge: run a program with libunwedge.so preloaded and configured.
 * Usable as a container ENTRYPOINT: it validates its flags, sets the UNWEDGE_*
 * variables, adds the preload to LD_PRELOAD and execs the command. With
 * --cgroup it first moves itself into a new cgroup whose TCP sockets get a
 * TCP_USER_TIMEOUT from a BPF program (tools/cgroup/): the layer that also
 * reaches Go and static programs. `unwedge cgroup ...` manages that program on
 * existing cgroups; `unwedge check` (tools/check/) says whether the preload can
 * reach a program; `unwedge config` shows and validates the UNWEDGE_* settings. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/config.h"
#include "binary_check.h"
#include "check/check_cmd.h"
#include "check/program.h"
#include "config_cmd.h"
#include "stat.h"
#include "live/rescue.h"
#include "live/watch.h"
#include "cgroup/cgroup_cli.h"

#define PRELOAD_NAME "libunwedge.so"

static void usage(FILE *f)
{
	fprintf(f, "usage: unwedge [options] [--] COMMAND [ARGS...]\n\n"
		   "Runs COMMAND with deadlines on its writes to blocking sockets.\n\n"
		   "options:\n");
	for (int i = 0; i < UW_OPT_COUNT; i++)
		fprintf(f, "  %-27s %s (default %s; sets %s)\n", uw_options[i].flag, uw_options[i].values,
			uw_options[i].fallback, uw_options[i].env);
	fprintf(f, "  %-27s %s\n", "--preload PATH",
		"the libunwedge.so to use (default: next to this program, or ../lib/unwedge/)");
	fprintf(f, "  %-27s %s\n", "--no-preload",
		"do not add the preload (with --cgroup: the kernel layer only)");
	fprintf(f, "\nthe cgroup layer (root, cgroup v2, Linux 5.9+; TCP only; also reaches Go and static "
		   "programs):\n");
	fprintf(f, "  %-27s %s\n", "--cgroup",
		"run COMMAND in a new cgroup whose TCP sockets get the TCP user timeout "
		"(--tcp-user-timeout)");
	fprintf(f, "  %-27s %s\n", "--at-connect", "with --cgroup: bound the handshake too");
	fprintf(f, "  %-27s %s\n", "--override", "with --cgroup: replace values the application set");
	fprintf(f, "  %-27s %s\n", "--require",
		"with --cgroup: do not run COMMAND if the layer cannot be set up (default: warn and run)");
	fprintf(f, "  %-27s %s\n", "unwedge cgroup --help",
		"attach, detach and inspect the program on any cgroup");
	fprintf(f, "\ncommands:\n");
	fprintf(f, "  %-27s %s\n", "unwedge check CMD|PATH|PID",
		"can the preload protect that program? if not, what can (exit 0 yes, 1 no)");
	fprintf(f, "  %-27s %s\n", "unwedge config",
		"the settings the UNWEDGE_* variables here give; exit 2 if one is invalid");
	fprintf(f, "  %-27s %s\n", "unwedge stat PID|--all",
		"live statistics of processes run with --stats 1 (--prom: Prometheus format)");
	fprintf(f, "  %-27s %s\n", "unwedge rescue PID",
		"make a running process's blocked writes fail now (--help)");
	fprintf(f, "  %-27s %s\n", "unwedge watch",
		"report stuck TCP connections of running processes (--help)");
	fprintf(f, "\n  %-27s %s\n", "-h, --help", "show this help");
	fprintf(f, "  %-27s %s\n", "--version", "show the version");
	fprintf(f, "\nUNWEDGE_* variables already in the environment apply unless a flag overrides them.\n"
		   "Go and statically linked programs cannot be reached by any preload; --cgroup covers\n"
		   "their TCP sockets.\n");
}

static int bad_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "unwedge: %s%s\nTry 'unwedge --help'.\n", msg, arg ? arg : "");
	return 2;
}

static int readable(const char *p)
{
	return p && access(p, R_OK) == 0;
}

/* Next to the launcher (the build tree), or in ../lib/unwedge (an installed tree). */
static int find_preload(char *out, size_t outlen)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = 0;
	const char *rel[] = {"/" PRELOAD_NAME, "/../lib/unwedge/" PRELOAD_NAME};
	for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		char cand[PATH_MAX + 64];
		snprintf(cand, sizeof cand, "%s%s", exe, rel[i]);
		if (readable(cand) && realpath(cand, out) && strlen(out) < outlen)
			return 0;
	}
	return -1;
}

/* Whether LD_PRELOAD (entries split by ':' or ' ') names lib already. */
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

static int add_preload(const char *lib)
{
	const char *cur = getenv("LD_PRELOAD");
	if (cur && *cur) {
		if (preload_has(cur, lib))
			return 0;
		size_t n = strlen(lib) + strlen(cur) + 2;
		char *v = malloc(n);
		if (!v)
			return -1;
		/* First, so that our wrappers see the application's calls before any other preload's. */
		snprintf(v, n, "%s:%s", lib, cur);
		return setenv("LD_PRELOAD", v, 1);
	}
	return setenv("LD_PRELOAD", lib, 1);
}

static const char *env_value(const char *name)
{
	return getenv(name);
}

int main(int argc, char **argv)
{
	struct uw_config cfg;
	const char *values[UW_OPT_COUNT] = {0};
	const char *preload = NULL;
	char err[700];
	int i = 1;
	bool cgroup = false, require = false, no_preload = false, cgroup_flags = false;
	struct uw_cg_settings cg = {0};

	if (argc > 1 && !strcmp(argv[1], "cgroup"))
		return uw_cgroup_command(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "check"))
		return uw_check_command(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "config"))
		return uw_config_command(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "stat"))
		return uw_stat_command(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "rescue"))
		return uw_rescue_command(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "watch"))
		return uw_watch_command(argc - 1, argv + 1);
	uw_config_defaults(&cfg);
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-')
			break;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "--version")) {
			printf("unwedge %s\n", UNWEDGE_VERSION);
			return 0;
		}
		if (!strcmp(a, "--cgroup") || !strcmp(a, "--require") || !strcmp(a, "--no-preload")) {
			*(a[2] == 'c' ? &cgroup : a[2] == 'r' ? &require : &no_preload) = true;
			continue;
		}
		bool used = false;
		/* --keepalive is a setting of both layers: UNWEDGE_KEEPALIVE below. */
		int cgf = strncmp(a, "--keepalive", 11) == 0
				  ? 0
				  : uw_cgroup_flag(a, i + 1 < argc ? argv[i + 1] : NULL, &cg, &used);
		if (cgf < 0)
			return 2;
		if (cgf > 0) {
			i += used;
			cgroup_flags = true;
			continue;
		}
		const char *eq = strchr(a, '=');
		size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
		const char *value = eq ? eq + 1 : NULL;
		int opt = -1;
		for (int k = 0; k < UW_OPT_COUNT; k++)
			if (strlen(uw_options[k].flag) == name_len &&
			    !strncmp(uw_options[k].flag, a, name_len))
				opt = k;
		int is_preload = name_len == 9 && !strncmp(a, "--preload", 9);
		if (opt < 0 && !is_preload)
			return bad_usage("unknown option ", a);
		if (!value) {
			if (i + 1 >= argc)
				return bad_usage("missing value for ", a);
			value = argv[++i];
		}
		if (is_preload) {
			preload = value;
			continue;
		}
		if (uw_config_set(&cfg, (enum uw_opt)opt, value, uw_options[opt].flag, err, sizeof err) !=
		    0) {
			fprintf(stderr, "unwedge: %s\n", err);
			return 2;
		}
		values[opt] = value;
	}
	if (i >= argc)
		return bad_usage("no command given", NULL);
	if ((cgroup_flags || require) && !cgroup)
		return bad_usage("--at-connect, --override and --require need --cgroup", NULL);

	char lib[PATH_MAX];
	if (preload) {
		if (!readable(preload) || !realpath(preload, lib))
			return bad_usage("cannot read --preload ", preload);
	} else if (find_preload(lib, sizeof lib) != 0) {
		lib[0] = 0;
	}
	for (int k = 0; k < UW_OPT_COUNT; k++)
		if (values[k] && setenv(uw_options[k].env, values[k], 1) != 0)
			return bad_usage("cannot set ", uw_options[k].env);

	bool cgroup_on = false;
	if (cgroup) {
		/* The user timeout the preload would add, from the flags and the
		 * environment alike: the two layers agree. */
		struct uw_config eff;
		if (uw_config_from_env(&eff, env_value, err, sizeof err) != 0) {
			/* The preload will say the same and stay off; the cgroup layer
			 * still gets the value the flags gave. */
			fprintf(stderr, "unwedge: warning: %s\n", err);
			eff = cfg;
			uw_config_finish(&eff);
		}
		cg.user_timeout_ms = eff.uto_ms;
		uw_cgroup_keepalive_from(&eff, &cg);
		if (eff.uto_ms)
			cg.flags |= UW_CG_F_USER_TIMEOUT;
		cgroup_on = uw_cgroup_enter(&cg, argv[i], require) == 0;
		if (!cgroup_on && require)
			return 1;
	}

	/* From here on, the command runs whatever happens: an entrypoint that
	 * refuses to start the service is worse than an unprotected service. */
	char path[PATH_MAX], why[PATH_MAX + 700];
	int unreachable = no_preload || uw_check_resolve(argv[i], path, sizeof path) != 0
				  ? 0
				  : uw_binary_unreachable(path, why, sizeof why);
	if (unreachable)
		fprintf(stderr, "unwedge: %s: %s; %s%s\n", cgroup_on ? "note" : "warning", why,
			unreachable == UW_UNREACHABLE_HARMFUL ? "so it runs without the preload"
							      : "it runs unprotected",
			cgroup_on ? "; the cgroup layer covers its TCP sockets"
				  : " (--cgroup covers its TCP sockets)");
	if (no_preload || unreachable == UW_UNREACHABLE_HARMFUL)
		;
	else if (!lib[0])
		fprintf(stderr,
			"unwedge: warning: %s not found next to this program or in ../lib/unwedge; "
			"running %s unprotected\n",
			PRELOAD_NAME, argv[i]);
	else if (add_preload(lib) != 0)
		fprintf(stderr, "unwedge: warning: cannot set LD_PRELOAD; running %s unprotected\n", argv[i]);

	execvp(argv[i], &argv[i]);
	int e = errno;
	fprintf(stderr, "unwedge: cannot run %s: %s\n", argv[i], strerror(e));
	return e == ENOENT ? 127 : 126;
}
