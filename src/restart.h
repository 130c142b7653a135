/* Emulating SA_RESTART around poll(), which the kernel never restarts. */
#ifndef UW_RESTART_H
#define UW_RESTART_H

#include <stdbool.h>

/* After poll() failed with EINTR: would the kernel have restarted a blocking
 * send interrupted by the handler that just ran? We cannot tell which signal it
 * was, so we read the truth from the kernel: every signal that this thread does
 * not block and that has a handler (fault signals such as SIGSEGV excepted:
 * they cannot interrupt a sleeping call). If all of those handlers have SA_RESTART,
 * restart; if any lacks it, report EINTR as that handler would have seen.
 * Costs about 65 system calls, only on this rare path. */
bool uw_restart_after_signal(void);

#endif
