/* A blocking write, emulated with non-blocking attempts and poll() so that it can
 * have a deadline. The wrappers make the first attempt themselves (the hot path:
 * the one system call the application asked for, with MSG_DONTWAIT added) and
 * come here only when it did not move everything. */
#ifndef UW_BLOCKING_SEND_H
#define UW_BLOCKING_SEND_H

#include <sys/types.h>

#include "call.h"

/* Finishes the call after the wrapper's first attempt returned first. Returns
 * what the blocking call would: the full count, a partial count, or -1 with
 * errno (ETIMEDOUT when our deadline expired, EAGAIN when the application's own
 * SO_SNDTIMEO did, EINTR as the kernel would give it). */
ssize_t uw_call_finish(struct uw_call *c, ssize_t first);

/* The slow end of every write wrapper (preload/wrap.h): its first attempt
 * returned first without moving all of want. Builds the call, finishes it,
 * counts it. Out of line, so that the wrappers' hot path stays small. */
ssize_t uw_call_finish_wrapped(const struct uw_call_ops *ops, int fd, uint64_t e, int flags, size_t want,
			       void *ctx, int saved_errno, ssize_t first);

#endif
