/* `unwedge watch`: reports the stuck TCP connections of a network namespace,
 * from sock_diag, as they become stuck, recover or go (tools/live/watch*.c). */
#ifndef UW_TOOLS_WATCH_H
#define UW_TOOLS_WATCH_H

/* argv[0] is "watch". Returns the exit status: with --once 0 (nothing stuck)
 * or 1 (something stuck); otherwise 0 when stopped by SIGINT or SIGTERM; 2 bad
 * input; 3 sock_diag unusable. */
int uw_watch_command(int argc, char **argv);

#endif
