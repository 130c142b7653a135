/* The launcher after its options are read: the merged settings checked exactly
 * as the preload will read them, the preload checked, the notices, --dry-run,
 * the cgroup layer, then exec. Nothing that makes the program run unprotected
 * passes silently. */
#ifndef UW_LAUNCH_H
#define UW_LAUNCH_H

#include <stdbool.h>

#include "../src/config.h"
#include "cgroup/cgroup_cli.h"
#include "launch_options.h"

struct uw_launch {
	struct uw_config flags_cfg;	  /* the flags alone, to validate each as given */
	const char *values[UW_OPT_COUNT]; /* the settings' flags, as given */
	const char *preload;		  /* --preload, or NULL */
	bool on[UW_L_COUNT];		  /* the launcher's switches given */
	bool cgroup_flags;		  /* --at-connect or --override */
	struct uw_cg_settings cg;
	int cmd;       /* argv index of COMMAND */
	bool dashdash; /* "--" came before COMMAND */
};

/* The UNWEDGE_* variables of the flags are set. Returns an exit status, or
 * does not return (exec). */
int uw_launch_run(struct uw_launch *L, char **argv);

#endif
