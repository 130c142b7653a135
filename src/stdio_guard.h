/* Deadlines for stdio on sockets.
 *
 * glibc's stdio writes with its internal write(), which no wrapper sees, and
 * retries short writes itself. So the deadline is put in the kernel: a
 * blocking stream socket used through stdio gets our SO_SNDTIMEO (the backstop,
 * shared with sendfile; getsockopt still shows the application its own value).
 * The kernel then ends a blocked write with a short count or EAGAIN once it
 * waited T without moving a byte; glibc retries a short count once more, so a
 * stdio call fails between T and 2T after the peer stopped reading. The stdio
 * entry points map that EAGAIN to ETIMEDOUT and mark the socket, so the
 * application gets a clear error and never retries for ever. */
#ifndef UW_STDIO_GUARD_H
#define UW_STDIO_GUARD_H

#include <stdbool.h>
#include <stdint.h>

/* Before a stdio call writing to fd: 0 to go on, -1 if the socket already
 * timed out (errno ETIMEDOUT). Puts the backstop on a blocking socket. */
int uw_stdio_before(int fd);

/* After a stdio call on fd that began at start_ns failed, with errno as glibc
 * left it: true if it failed because of a deadline (ours, or the kernel's user
 * timeout that we added); then errno is ETIMEDOUT and the socket is marked and
 * logged. */
bool uw_stdio_after_failure(int fd, const char *call, int64_t start_ns);

/* After a stdio call on a socket stream that began at start_ns: in observe
 * mode, a call that took longer than the deadline is logged ("completed": the
 * crossing itself cannot be seen inside glibc); with UNWEDGE_WARN_AFTER, a slow
 * one. */
void uw_stdio_timed(int fd, const char *call, int64_t start_ns, bool failed);

#endif
