/* The engine's view of time and of poll(), through one table so that unit
 * tests can script them (tests/unit/test_engine.c). The preload never changes
 * it: the defaults are the vDSO clock and libc's poll. Hidden, like every
 * symbol of the preload. */
#ifndef UW_SEAMS_H
#define UW_SEAMS_H

#include <poll.h>
#include <stdint.h>

struct uw_seams {
	int64_t (*now)(void);
	int (*poll)(struct pollfd *fds, nfds_t n, int timeout_ms);
};

extern struct uw_seams uw_seams __attribute__((visibility("hidden")));

#endif
