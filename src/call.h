/* One guarded write call on its way through the engine: what it is (fd, word,
 * name, bytes), how to move more bytes, and its clock. A wrapper fills the
 * first part when its first attempt did not move everything; the engine
 * (blocking_send.c, ticked.c, stdio_guard.c) keeps the clock. */
#ifndef UW_CALL_H
#define UW_CALL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "deadline.h"

struct uw_call {
	int fd;
	uint64_t e;	  /* the fd's table word when the call began */
	int app_flags;	  /* the caller's MSG_* flags: MSG_NOSIGNAL decides SIGPIPE */
	int saved_errno;  /* errno at entry, restored on success */
	size_t want;	  /* bytes asked for (0: unknown, stdio) */
	size_t done;	  /* bytes moved so far */
	const char *name; /* the libc call, for the log */
	int64_t start_ns; /* when the call began (0: now); sendmmsg shares one across messages */
	/* Moves bytes [done, want) without blocking: bytes moved, or -1 and errno.
	 * Must pass MSG_DONTWAIT | MSG_NOSIGNAL. */
	ssize_t (*attempt)(struct uw_call *c);
	/* The plain libc call, for an fd that turned out not to be a socket after
	 * all (ENOTSOCK: closed and reused behind our back). */
	ssize_t (*pass)(struct uw_call *c);
	void *ctx;
	/* Set by the engine at the first wait: the deadlines, decided once. */
	struct uw_deadline dl;
};

/* What a write wrapper gives the engine: its name, and how to move bytes. */
struct uw_call_ops {
	const char *name;
	ssize_t (*attempt)(struct uw_call *c);
	ssize_t (*pass)(struct uw_call *c);
};

/* The call's first wait (its clock started with uw_deadline_start): decides
 * our deadline (the rule for the fd's peer) and reads the application's
 * SO_SNDTIMEO, once per call. */
void uw_call_wait_begins(struct uw_call *c);

/* Does an expiry end the call at now? 0: no, wait *left_ns more; else the
 * errno the call ends with: EAGAIN (the application's SO_SNDTIMEO, as the
 * kernel gives it) or ETIMEDOUT (ours, fired here: the socket marked, logged,
 * shut down if so configured). Observe mode's crossing is logged here and the
 * wait goes on. */
int uw_call_due(struct uw_call *c, int64_t now, int64_t *left_ns);

/* The call ended and returned out (errno err): the one event for a call that
 * waited, unless it timed out (already logged): observe mode's "completed", or
 * a slow call (UNWEDGE_WARN_AFTER). Keeps errno. */
void uw_call_ended(const struct uw_call *c, ssize_t out, int err, int64_t now);

#endif
