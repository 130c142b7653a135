#include "cli_args.h"

#include <stdio.h>

#include "../src/config.h"

int uw_cli_bad(const char *cmd, const char *what, const char *arg)
{
	char shown[400];
	if (arg) {
		uw_config_printable(shown, sizeof shown, arg);
		fprintf(stderr, "unwedge: %s: %s '%s'\n", cmd, what, shown);
	} else {
		fprintf(stderr, "unwedge: %s: %s\n", cmd, what);
	}
	fprintf(stderr, "Try 'unwedge %s --help'.\n", cmd);
	return 2;
}

int uw_cli_operand(const char *cmd, const char *noun, const char *arg, const char **operand)
{
	char what[128];
	if (arg[0] == '-' && arg[1])
		return uw_cli_bad(cmd, "unknown option", arg);
	if (!arg[0]) {
		snprintf(what, sizeof what, "an empty argument ('') where the %s belongs", noun);
		return uw_cli_bad(cmd, what, NULL);
	}
	if (*operand) {
		snprintf(what, sizeof what, "one %s at a time: extra argument", noun);
		return uw_cli_bad(cmd, what, arg);
	}
	*operand = arg;
	return -1;
}
