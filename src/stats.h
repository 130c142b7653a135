/* Live statistics (UNWEDGE_STATS=1): per-process counters in a shared-memory
 * file that `unwedge stat PID` reads (layout and location: stats_file.h).
 *
 * Off (the default), no file exists and every hook costs one load and one
 * predictable branch. On, counting is a relaxed atomic add or two: no lock, no
 * system call, safe in a signal handler. After fork() the child gets its own
 * file, mapped at the same address over the parent's (pthread_atfork), so a
 * child never counts into its parent's file; a program started by exec gets a
 * fresh file from the constructor. */
#ifndef UW_STATS_H
#define UW_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stats_file.h"

/* NULL unless statistics are on in this process. Set at start-up; after fork
 * the same address holds the child's own file. Hidden here, not only in the
 * definition, so that the test is one direct load, without the GOT. */
extern struct uw_stats_file *uw_stats __attribute__((visibility("hidden")));

/* Creates this process's file and starts counting (from the constructor, when
 * UNWEDGE_STATS=1). A failure is one log line; unwedge itself stays on. */
void uw_stats_start(void);

static inline void uw_stats_add(struct uw_stats_file *s, enum uw_stat i, uint64_t n)
{
	__atomic_fetch_add(&s->counter[i], n, __ATOMIC_RELAXED);
}

/* A guarded socket write call returned r (bytes, or -1): counts it and its
 * bytes, and returns r, so that a wrapper can end with `return uw_stats_wrote(x);`. */
static inline ssize_t uw_stats_wrote(ssize_t r)
{
	struct uw_stats_file *s = __atomic_load_n(&uw_stats, __ATOMIC_RELAXED);
	if (__builtin_expect(s != NULL, 0)) {
		uw_stats_add(s, UW_STAT_WRITES, 1);
		if (r > 0)
			uw_stats_add(s, UW_STAT_BYTES, (uint64_t)r);
	}
	return r;
}

/* Are live statistics on? For a caller with counting work of its own (the
 * bytes of a sendmmsg batch). */
static inline bool uw_stats_on(void)
{
	return __builtin_expect(__atomic_load_n(&uw_stats, __ATOMIC_RELAXED) != NULL, 0);
}

/* One event of the given kind (UW_STAT_BLOCKED, UW_STAT_TLS_WRITES, ...). */
static inline void uw_stats_count(enum uw_stat i)
{
	struct uw_stats_file *s = __atomic_load_n(&uw_stats, __ATOMIC_RELAXED);
	if (__builtin_expect(s != NULL, 0))
		uw_stats_add(s, i, 1);
}

/* A guarded write had to wait for room in the send buffer. */
static inline void uw_stats_blocked(void)
{
	uw_stats_count(UW_STAT_BLOCKED);
}

/* Every event that uw_event_log reports: a timeout (ours or the kernel's) or
 * a deadline crossed in observe mode is counted with its peer, a slow write
 * as slow. Called by uw_event_log itself, before its rate limit. errno kept. */
struct uw_event;
void uw_stats_event(const struct uw_event *ev);

#endif
