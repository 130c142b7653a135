/* See cli_args.h. The durations are the preload's own parser (src/duration.c),
 * so every unwedge command accepts the same words. */
#include "cli_args.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../src/duration.h"

int uw_cli_duration(const char *cmd, const char *flag, const char *v, uint64_t *ms)
{
	const char *why = "";
	enum uw_duration_result r = uw_duration_parse(v, ms, &why);
	if (r == UW_DURATION_BAD) {
		fprintf(stderr, "unwedge %s: %s '%s' is invalid: %s\n", cmd, flag, v, why);
		return -1;
	}
	if (r == UW_DURATION_OFF)
		*ms = 0;
	return 0;
}

int uw_cli_int(const char *cmd, const char *flag, const char *v, int min, int *out)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min || n > INT_MAX) {
		fprintf(stderr, "unwedge %s: %s '%s' is invalid: want a whole number from %d\n", cmd, flag, v,
			min);
		return -1;
	}
	*out = (int)n;
	return 0;
}

const char *uw_cli_value(const char *cmd, int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "unwedge %s: %s needs a value\n", cmd, argv[*i]);
		return NULL;
	}
	return argv[++*i];
}
