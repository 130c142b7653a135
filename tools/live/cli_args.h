/* Flag values shared by the `rescue` and `watch` commands. */
#ifndef UW_TOOLS_CLI_ARGS_H
#define UW_TOOLS_CLI_ARGS_H

#include <stdint.h>
#include <sys/types.h>

/* A duration with its unit ("500ms", "5s"), "off" giving 0. Prints one line
 * naming the command, flag and value and returns -1 when it is invalid. */
int uw_cli_duration(const char *cmd, const char *flag, const char *v, uint64_t *ms);

/* A positive decimal number that fits an int (a pid, a descriptor). */
int uw_cli_int(const char *cmd, const char *flag, const char *v, int min, int *out);

/* The value of flag argv[*i] (the next argument); advances *i. Prints one line
 * and returns NULL when it is missing. */
const char *uw_cli_value(const char *cmd, int argc, char **argv, int *i);

#endif
