#ifndef UW_CLOCK_H
#define UW_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC through the vDSO: no system call, async-signal-safe. */
static inline int64_t uw_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#endif
