/* The cgroup layer's part of the command line: `unwedge cgroup attach|detach|status|check` and
 * the settings flags shared with `unwedge --cgroup`. */
#ifndef UW_CGROUP_CLI_H
#define UW_CGROUP_CLI_H

#include <stdbool.h>

#include "cgroup_settings.h"

/* `unwedge cgroup ...`, argv[0] being "cgroup". Returns the exit status: 0, 1 for a failed
 * action, 2 for a bad flag. */
int uw_cgroup_command(int argc, char **argv);

/* One settings flag of `--cgroup` mode (--keepalive V, --at-connect, --override). Returns 1 if a
 * is one (*used_value set when it took value), 0 if not, -1 after a message on stderr for a bad
 * value. */
struct uw_config;
/* Copies the keepalive settings of a preload configuration into s. */
void uw_cgroup_keepalive_from(const struct uw_config *c, struct uw_cg_settings *s);

int uw_cgroup_flag(const char *a, const char *value, struct uw_cg_settings *s, bool *used_value);

/* `--cgroup` mode, before the exec: a new child cgroup with the program, entered. 0, or -1 after a
 * warning on stderr (then, unless required, the command runs without this layer). */
int uw_cgroup_enter(struct uw_cg_settings *s, const char *cmd, bool required);

#endif
