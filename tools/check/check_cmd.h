/* `unwedge check [--json] COMMAND|PATH|PID`: whether the preload can protect a
 * program, and what to do where it cannot. Exit status: 0 it can, 1 it cannot
 * (the verdict names what can), 2 bad input. */
#ifndef UW_CHECK_CMD_H
#define UW_CHECK_CMD_H

/* argv[0] is "check". */
int uw_check_command(int argc, char **argv);

#endif
