/* unwedge: run a program with libunwedge.so preloaded and configured.
 * Usable as a container ENTRYPOINT: it validates its flags and the settings the
 * program will read (the environment merged with the flags, by the preload's
 * own reader), sets the UNWEDGE_* variables, adds the preload to LD_PRELOAD and
 * execs the command. With --cgroup it first moves itself into a new cgroup
 * whose TCP sockets get a TCP_USER_TIMEOUT from a BPF program (tools/cgroup/):
 * the layer that also reaches Go and static programs. The subcommands are in
 * commands[] below. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/config.h"
#include "../src/config_env.h"
#include "binary_check.h"
#include "cgroup/cgroup_cli.h"
#include "check/check_cmd.h"
#include "check/program.h"
#include "version.h"
#include "config_cmd.h"
#include "launch.h"
#include "launch_options.h"
#include "stat.h"
#include "live/rescue.h"
#include "live/watch.h"

extern char **environ;

/* The subcommands, by their first word. A new one is one line here. */
static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{"cgroup", uw_cgroup_command}, {"check", uw_check_command},   {"config", uw_config_command},
	{"stat", uw_stat_command},     {"rescue", uw_rescue_command}, {"watch", uw_watch_command},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static int find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return (int)i;
	return -1;
}

/* "  FLAG METAVAR   help", the help folded to 100 columns under itself. */
static void usage_line(FILE *f, const char *flag, const char *metavar, const char *help)
{
	enum { INDENT = 33, WIDTH = 100 };
	char left[64];
	snprintf(left, sizeof left, "%s%s%s", flag, metavar ? " " : "", metavar ? metavar : "");
	/* A long flag: its help starts on the next line. */
	int col = strlen(left) > INDENT - 3
			  ? fprintf(f, "  %s\n%*s", left, INDENT - 1, "") - (int)strlen(left) - 4
			  : fprintf(f, "  %-30s", left);
	bool first = true;
	for (const char *p = help; *p;) {
		size_t n = strcspn(p, " ");
		if (!first && col + 1 + (int)n > WIDTH) {
			col = fprintf(f, "\n%*s", INDENT - 1, "") - 1;
		}
		fputc(' ', f);
		col++;
		first = false;
		col += fprintf(f, "%.*s", (int)n, p);
		p += n;
		p += *p == ' ';
	}
	fputc('\n', f);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: unwedge [options] [--] COMMAND [ARGS...]\n\n"
		   "Runs COMMAND with deadlines on its writes to blocking sockets.\n\n"
		   "settings (each sets its UNWEDGE_* variable for COMMAND):\n");
	for (int i = 0; i < UW_OPT_COUNT; i++) {
		char help[400];
		snprintf(help, sizeof help, "%s (default %s; %s)", uw_options[i].help, uw_options[i].fallback,
			 uw_options[i].env);
		usage_line(f, uw_options[i].flag, uw_options[i].metavar, help);
	}
	fprintf(f, "\nthe launcher:\n");
	for (int j = 0; j < UW_L_COUNT; j++)
		if (!uw_launch_options[j].cgroup)
			usage_line(f, uw_launch_options[j].flag, uw_launch_options[j].metavar,
				   uw_launch_options[j].help);
	fprintf(f, "\nthe cgroup layer (root, cgroup v2, Linux 5.9+; TCP only; also reaches Go and static "
		   "programs):\n");
	for (int j = 0; j < UW_L_COUNT; j++)
		if (uw_launch_options[j].cgroup)
			usage_line(f, uw_launch_options[j].flag, NULL, uw_launch_options[j].help);
	usage_line(f, "unwedge cgroup --help", NULL, "attach, detach and inspect the program on any cgroup");
	fprintf(f, "\ncommands:\n");
	usage_line(f, "unwedge check CMD|PATH|PID", NULL,
		   "can the preload protect that program? if not, what can (exit 0 yes, for a PID protected "
		   "now; 1 no; 2 bad usage; 3 a PID protectable, not protected now)");
	usage_line(f, "unwedge config [--env|--json]", NULL,
		   "the settings a program started here gets (settings flags before it count); exit 2 if one "
		   "is invalid");
	usage_line(f, "unwedge stat PID|--all", NULL,
		   "live statistics of processes run with --stats 1 (--prom: Prometheus format); exit 1 "
		   "when it has none, 2 for a bad PID");
	usage_line(f, "unwedge rescue PID", NULL,
		   "make a running process's blocked writes fail now (--help)");
	usage_line(f, "unwedge watch", NULL, "report stuck TCP connections of running processes (--help)");
	fprintf(f,
		"\nValues: words unwedge defines (off, json, observe, units...) in any letter case; paths "
		"and\n"
		"program names exactly. UNWEDGE_* variables already in the environment apply unless a flag\n"
		"overrides them. Go and statically linked programs cannot be reached by any preload;\n"
		"--cgroup covers their TCP sockets.\n"
		"\nexit status: COMMAND's own; 2 for bad usage, an invalid setting or an unusable preload\n"
		"(and any notice under --strict), before COMMAND runs; 1 when --require finds no cgroup\n"
		"layer; 126 or 127 when COMMAND cannot be run or is not found.\n");
}

/* A flag given as the launcher saw it, made harmless for one line. */
static int bad_usage(const char *msg, const char *arg)
{
	char shown[400] = "";
	if (arg)
		uw_config_printable(shown, sizeof shown, arg);
	fprintf(stderr, "unwedge: %s%s\nTry 'unwedge --help'.\n", msg, shown);
	return 2;
}

static int take_setting(struct uw_launch *L, int i, const char *value)
{
	char err[700];
	if (uw_config_set(&L->flags_cfg, (enum uw_opt)i, value, uw_options[i].flag, err, sizeof err) != 0) {
		fprintf(stderr, "unwedge: %s\n", err);
		return 2;
	}
	L->values[i] = value;
	return -1;
}

static int take_launch_option(struct uw_launch *L, int j)
{
	bool used;
	switch (j) {
	case UW_L_HELP:
		usage(stdout);
		return 0;
	case UW_L_VERSION:
		printf("unwedge %s\n", uw_version);
		return 0;
	case UW_L_PRELOAD:
		L->preload = optarg;
		break;
	case UW_L_AT_CONNECT:
	case UW_L_OVERRIDE:
		uw_cgroup_flag(uw_launch_options[j].flag, NULL, &L->cg, &used);
		L->cgroup_flags = true;
		break;
	default:
		L->on[j] = true;
	}
	return -1;
}

/* One getopt_long result; -1 to go on, else the exit status. */
static int take(struct uw_launch *L, int ch, const char *tok)
{
	if (ch == 'h')
		return take_launch_option(L, UW_L_HELP);
	if (ch == ':')
		return bad_usage("missing value for ", tok);
	if (ch >= UW_LONG_SETTING && ch < UW_LONG_SETTING + UW_OPT_COUNT)
		return take_setting(L, ch - UW_LONG_SETTING, optarg);
	if (ch >= UW_LONG_LAUNCH && ch < UW_LONG_LAUNCH + UW_L_COUNT)
		return take_launch_option(L, ch - UW_LONG_LAUNCH);
	if (tok && strchr(tok, '=') && uw_launch_is_long_option(tok))
		return bad_usage("this option takes no value: ", tok);
	return bad_usage("unknown option ", tok);
}

/* The options, up to the first word that is not one (or "--"). Returns -1 with
 * L->cmd set, or an exit status. */
static int parse_options(int argc, char **argv, struct uw_launch *L)
{
	struct option longopts[UW_LONG_OPTIONS_N];
	uw_launch_long_options(longopts);
	uw_config_defaults(&L->flags_cfg);
	optind = 1;
	opterr = 0;
	for (;;) {
		const char *tok = optind < argc ? argv[optind] : NULL;
		if (tok && !strncmp(tok, "--", 2) && tok[2] && !uw_launch_is_long_option(tok))
			return bad_usage("unknown option ", tok);
		int ch = getopt_long(argc, argv, "+:h", longopts, NULL);
		if (ch == -1)
			break;
		int r = take(L, ch, tok);
		if (r >= 0)
			return r;
	}
	L->cmd = optind;
	L->dashdash = optind > 1 && !strcmp(argv[optind - 1], "--");
	if (L->cmd >= argc)
		return bad_usage("no command given", NULL);
	if ((L->cgroup_flags || L->on[UW_L_REQUIRE]) && !L->on[UW_L_CGROUP])
		return bad_usage("--at-connect, --override and --require need --cgroup", NULL);
	return -1;
}

static int set_variables(const struct uw_launch *L)
{
	for (int k = 0; k < UW_OPT_COUNT; k++)
		if (L->values[k] && setenv(uw_options[k].env, L->values[k], 1) != 0)
			return bad_usage("cannot set ", uw_options[k].env);
	return -1;
}

/* A word after the flags that names a subcommand: `unwedge --timeout 5s config`
 * reports those settings; the others are pointed to. `--` first runs a program
 * of that name. */
static int subcommand_after_flags(int argc, char **argv, const struct uw_launch *L)
{
	const char *w = argv[L->cmd];
	if (L->dashdash)
		return -1;
	if (!strcmp(w, "config")) {
		int r = set_variables(L);
		return r >= 0 ? r : uw_config_command(argc - L->cmd, argv + L->cmd);
	}
	if (!strcmp(w, "help"))
		return bad_usage("'help' is not a command: for the options, run 'unwedge --help'", NULL);
	if (find_command(w) >= 0) {
		fprintf(stderr,
			"unwedge: '%s' is a command of unwedge: write it first ('unwedge %s ...'), or '-- "
			"%s' to "
			"run a program of that name\n",
			w, w, w);
		return 2;
	}
	return -1;
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		int c = find_command(argv[1]);
		if (c >= 0)
			return commands[c].run(argc - 1, argv + 1);
	}
	struct uw_launch L = {0};
	int r = parse_options(argc, argv, &L);
	if (r < 0)
		r = subcommand_after_flags(argc, argv, &L);
	if (r < 0)
		r = set_variables(&L);
	if (r < 0)
		r = uw_launch_run(&L, argv);
	return r;
}
