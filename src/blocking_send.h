/* A blocking write, emulated with non-blocking attempts and poll() so that it can
 * have a deadline. The wrappers make the first attempt themselves (the hot path:
 * the one system call the application asked for, with MSG_DONTWAIT added) and
 * come here only when it did not move everything. */
#ifndef UW_BLOCKING_SEND_H
#define UW_BLOCKING_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct uw_call {
	int fd;
	uint64_t e;	  /* the fd's table word when the call began */
	int app_flags;	  /* the caller's MSG_* flags: MSG_NOSIGNAL decides SIGPIPE */
	int saved_errno;  /* errno at entry, restored on success */
	size_t want;	  /* bytes asked for */
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
};

/* Finishes the call after the wrapper's first attempt returned first. Returns
 * what the blocking call would: the full count, a partial count, or -1 with
 * errno (ETIMEDOUT when our deadline expired, EAGAIN when the application's own
 * SO_SNDTIMEO did, EINTR as the kernel would give it). */
ssize_t uw_call_finish(struct uw_call *c, ssize_t first);

/* The socket behind fd already timed out (its word says so): returns -1 and
 * ETIMEDOUT if that is still the same socket; otherwise forgets the stale mark
 * and returns 0, and the caller looks again. */
int uw_call_refuse_dead(int fd, uint64_t e);

/* Did fd stop being the socket of word e (closed and reused by another thread,
 * or behind our back) while a call waited? Then no byte more may go to it. */
bool uw_fd_replaced(int fd, uint64_t e);

/* The application's own SO_SNDTIMEO in microseconds (0: none). */
uint64_t uw_app_sndtimeo_us(int fd, uint64_t e);

/* Is fd in blocking mode now? Asked of the kernel: O_NONBLOCK can change behind us. */
int uw_fd_is_blocking(int fd);

/* Called when our deadline expired on fd after moving `moved` of `want` bytes:
 * marks the socket, logs, and shuts it down if so configured. */
void uw_timeout_fire(int fd, uint64_t e, const char *call, size_t moved, size_t want, uint64_t waited_ms);

/* The kernel ended the connection with ETIMEDOUT: the TCP_USER_TIMEOUT that
 * unwedge added fired first. Marks and logs it like our own timeout, so that
 * later writes fail with ETIMEDOUT rather than EPIPE and SIGPIPE. */
void uw_timeout_kernel(int fd, uint64_t e, const char *call, size_t moved, size_t want);

#endif
