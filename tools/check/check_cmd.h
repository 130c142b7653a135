/* `unwedge check [--json] COMMAND|PATH|PID`: whether the preload can protect a
 * program, and what to do where it cannot. */
#ifndef UW_CHECK_CMD_H
#define UW_CHECK_CMD_H

/* Its exit statuses (documented in its --help, unwedge --help and unwedge(1)). */
enum uw_check_status {
	UW_CHECK_OK = 0,      /* the preload can protect it; a process: it is protected now */
	UW_CHECK_CANNOT = 1,  /* it cannot (the verdict names what can), or it would not start */
	UW_CHECK_BAD = 2,     /* bad input: no such program or process, or one this user may not inspect */
	UW_CHECK_NOT_NOW = 3, /* a process the preload could protect, not protected now */
};

/* argv[0] is "check". */
int uw_check_command(int argc, char **argv);

#endif
