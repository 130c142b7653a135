#include "launch_options.h"

#include <string.h>

#include "../src/config.h"

const struct uw_launch_option uw_launch_options[UW_L_COUNT] = {
	[UW_L_PRELOAD] =
		{"--preload", "PATH", false,
		 "the libunwedge.so to use (default: next to this program, or ../lib/unwedge/); it must be "
		 "libunwedge.so built for this machine, at a path with no space or colon (LD_PRELOAD "
		 "splits there), or unwedge exits with status 2"},
	[UW_L_NO_PRELOAD] = {"--no-preload", NULL, false,
			     "do not add the preload (with --cgroup: the kernel layer only)"},
	[UW_L_DRY_RUN] = {"--dry-run", NULL, false,
			  "check everything, print the LD_PRELOAD, the UNWEDGE_* settings and the verdict of "
			  "check for COMMAND, and stop without running it"},
	[UW_L_STRICT] =
		{"--strict", NULL, false,
		 "make every notice an error (exit 2 before running COMMAND): settings that leave unwedge "
		 "doing nothing, unknown UNWEDGE_* variables, an unusable log file, a COMMAND the preload "
		 "cannot reach; for systemd units and containers"},
	[UW_L_CGROUP] = {"--cgroup", NULL, true,
			 "run COMMAND in a new cgroup whose TCP sockets get the TCP user timeout "
			 "(--tcp-user-timeout)"},
	[UW_L_AT_CONNECT] = {"--at-connect", NULL, true, "with --cgroup: bound the handshake too"},
	[UW_L_OVERRIDE] = {"--override", NULL, true, "with --cgroup: replace values the application set"},
	[UW_L_REQUIRE] =
		{"--require", NULL, true,
		 "with --cgroup: do not run COMMAND if the layer cannot be set up (default: warn and "
		 "run)"},
	[UW_L_HELP] = {"--help", NULL, false, "show this help (also -h)"},
	[UW_L_VERSION] = {"--version", NULL, false, "show the version"},
};

void uw_launch_long_options(struct option *out)
{
	int n = 0;
	for (int i = 0; i < UW_OPT_COUNT; i++)
		out[n++] =
			(struct option){uw_options[i].flag + 2, required_argument, NULL, UW_LONG_SETTING + i};
	for (int j = 0; j < UW_L_COUNT; j++)
		out[n++] = (struct option){uw_launch_options[j].flag + 2,
					   uw_launch_options[j].metavar ? required_argument : no_argument,
					   NULL, UW_LONG_LAUNCH + j};
	out[n] = (struct option){0};
}

bool uw_launch_is_long_option(const char *arg)
{
	size_t n = strcspn(arg, "=");
	if (uw_config_find_flag(arg) >= 0)
		return true;
	for (int j = 0; j < UW_L_COUNT; j++)
		if (strlen(uw_launch_options[j].flag) == n && strncmp(uw_launch_options[j].flag, arg, n) == 0)
			return true;
	return false;
}
