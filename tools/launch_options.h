/* The launcher's own options (those that are not settings: src/config.c's
 * uw_options[] has those), described once: getopt_long's table, --help and the
 * option sections of unwedge(1) and the README (tools/gen_docs.c) come from here. */
#ifndef UW_LAUNCH_OPTIONS_H
#define UW_LAUNCH_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>

enum uw_launch_opt {
	UW_L_PRELOAD,
	UW_L_NO_PRELOAD,
	UW_L_DRY_RUN,
	UW_L_STRICT,
	UW_L_CGROUP,
	UW_L_AT_CONNECT,
	UW_L_OVERRIDE,
	UW_L_REQUIRE,
	UW_L_HELP,
	UW_L_VERSION,
	UW_L_COUNT
};

struct uw_launch_option {
	const char *flag;    /* --preload */
	const char *metavar; /* PATH, or NULL when it takes no value */
	bool cgroup;	     /* one of the cgroup layer's */
	const char *help;
};

extern const struct uw_launch_option uw_launch_options[UW_L_COUNT];

/* getopt_long's values: a setting i gives UW_LONG_SETTING + i, a launcher
 * option j UW_LONG_LAUNCH + j. */
#define UW_LONG_SETTING 1000
#define UW_LONG_LAUNCH	2000

/* Fills out (UW_OPT_COUNT + UW_L_COUNT + 1 entries, the last all zero) from the
 * two tables. */
void uw_launch_long_options(struct option *out);
#define UW_LONG_OPTIONS_N (UW_OPT_COUNT + UW_L_COUNT + 1)

/* Is arg ("--name" or "--name=value") exactly one of the long options? getopt_long
 * also takes unambiguous abbreviations, which would make an entrypoint depend on
 * the options that exist today. */
bool uw_launch_is_long_option(const char *arg);

#endif
