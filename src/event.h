/* unwedge's log events: a write that timed out, one that blocked past its
 * deadline in observe mode (and how it ended), and a slow one. Each becomes one
 * line, text or JSON, rate-limited, to the configured destination. Everything
 * here is async-signal-safe: events are logged from inside write wrappers. */
#ifndef UW_EVENT_H
#define UW_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum uw_event_kind {
	UW_EV_TIMEOUT,	      /* our deadline expired: the write failed */
	UW_EV_KERNEL_TIMEOUT, /* the TCP_USER_TIMEOUT we added ended the connection */
	UW_EV_CROSSED,	      /* observe mode: blocked past the deadline, left alone */
	UW_EV_COMPLETED,      /* observe mode: that write finally returned */
	UW_EV_SLOW,	      /* blocked longer than UNWEDGE_WARN_AFTER, then returned */
};

struct uw_event {
	enum uw_event_kind kind;
	int fd;
	uint64_t e; /* the fd's word */
	const char *call;
	size_t moved, want; /* want 0: unknown (stdio) */
	int64_t waited_ms;  /* blocked time: at the deadline, or in total */
	uint32_t deadline_ms;
	const char *action; /* timeouts: what was done */
	ssize_t result;	    /* completed, slow: what the call returned */
	int result_errno;
};

/* Gathers the facts of ev, formats and logs it (subject to UNWEDGE_LOG_RATE).
 * Keeps errno. */
void uw_event_log(const struct uw_event *ev);

#endif
