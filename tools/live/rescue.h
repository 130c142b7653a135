/* `unwedge rescue PID`: makes the blocked writes of a running process fail
 * now, from outside it (tools/rescue.c). */
#ifndef UW_TOOLS_RESCUE_H
#define UW_TOOLS_RESCUE_H

/* argv[0] is "rescue". Returns the exit status: 0 (every action done, or
 * nothing to do), 1 (an action failed, or no right over the process), 2 (bad input). */
int uw_rescue_command(int argc, char **argv);

#endif
