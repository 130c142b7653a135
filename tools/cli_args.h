/* The arguments of a subcommand that takes a few flags and one operand (check,
 * stat): a bad one is named in one line, with the hint to the command's help. */
#ifndef UW_CLI_ARGS_H
#define UW_CLI_ARGS_H

/* "unwedge: CMD: WHAT 'ARG'" (ARG made printable; none when NULL), then
 * "Try 'unwedge CMD --help'." Returns 2, the status of bad usage. */
int uw_cli_bad(const char *cmd, const char *what, const char *arg);

/* arg, which is none of CMD's flags: an unknown option, an empty word, or the
 * operand (kept in *operand; a second one is an error). -1 to go on, or 2
 * after the message. noun names the operand ("PID"). */
int uw_cli_operand(const char *cmd, const char *noun, const char *arg, const char **operand);

#endif
