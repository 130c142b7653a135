#include "sys.h"
#include "blocking_send.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdtable.h"
#include "restart.h"
#include "seams.h"
#include "sockstate.h"
#include "stats.h"
#include "timeout.h"
#include "tls_call.h"

/* A call's outcome, decided: the engine returns it. */
#define GOING_ON (-2)

static ssize_t result(struct uw_call *c, int err)
{
	if (c->done > 0 || err == 0) {
		errno = c->saved_errno;
		return (ssize_t)c->done;
	}
	errno = err;
	return -1;
}

static void raise_sigpipe(void)
{
	/* The kernel sends SIGPIPE to the writing thread; so do we. */
	syscall(SYS_tgkill, uw_sys_getpid(), (pid_t)syscall(SYS_gettid), SIGPIPE);
}

/* What an attempt's r (and errno) means: the call's result, or GOING_ON when
 * it would block (EAGAIN, or a partial move that filled the buffer). */
static ssize_t settle(struct uw_call *c, ssize_t r)
{
	if (r > 0) {
		c->done += (size_t)r;
		if (c->done >= c->want)
			return result(c, 0);
		uw_deadline_moved(&c->dl, uw_seams.now());
		return GOING_ON;
	}
	if (r == 0)
		return result(c, 0);
	int err = errno;
	if (err == EAGAIN || err == EWOULDBLOCK)
		return GOING_ON;
	if (err == EPIPE) {
		if (uw_fd_timed_out(c->fd, c->e))
			return result(c, ETIMEDOUT);
		if (c->done == 0 && !(c->app_flags & MSG_NOSIGNAL))
			raise_sigpipe();
	} else if (err == ETIMEDOUT) {
		uw_timeout_kernel(c);
	}
	return result(c, err);
}

/* A handler ran during poll(). With bytes moved, the kernel returns the count;
 * with SO_SNDTIMEO set it never restarts; otherwise as SA_RESTART says. */
static ssize_t interrupted(struct uw_call *c)
{
	if (c->done > 0)
		return result(c, 0);
	if (c->dl.app_ns || !uw_restart_after_signal())
		return result(c, EINTR);
	if (uw_fd_timed_out(c->fd, c->e))
		return result(c, ETIMEDOUT);
	return GOING_ON;
}

/* Waits for room, or for a deadline: ours, or the application's own. */
static ssize_t wait_room(struct uw_call *c)
{
	for (;;) {
		int64_t left = 0;
		int expired = uw_call_due(c, uw_seams.now(), &left);
		if (expired)
			return result(c, expired);
		struct pollfd p = {.fd = c->fd, .events = POLLOUT};
		int pr = uw_seams.poll(&p, 1, uw_deadline_poll_ms(left));
		if (pr > 0)
			return GOING_ON;
		if (pr == 0)
			continue;
		if (errno != EINTR)
			return result(c, errno);
		ssize_t out = interrupted(c);
		if (out != GOING_ON)
			return out;
	}
}

/* The first wait: is it really a blocking socket? Then the clock starts. */
static bool first_wait(struct uw_call *c)
{
	if (!uw_fd_is_blocking(c->fd))
		return false;
	uw_call_wait_begins(c);
	uw_stats_blocked();
	return true;
}

static ssize_t finish(struct uw_call *c, ssize_t r)
{
	for (;;) {
		ssize_t out = settle(c, r);
		if (out != GOING_ON)
			return out;
		if (!c->dl.waited && !first_wait(c))
			return result(c, EAGAIN);
		out = wait_room(c);
		if (out != GOING_ON)
			return out;
		/* Another thread may have timed this socket out while we slept ... */
		if (uw_fd_timed_out(c->fd, c->e))
			return result(c, ETIMEDOUT);
		/* ... or closed the fd and put another object at its number: the
		 * kernel's blocked write would go on with the old socket, which we no
		 * longer hold; the rest must never go to the new one. */
		if (uw_fd_replaced(c->fd, c->e))
			return result(c, EBADF);
		r = c->attempt(c);
	}
}

/* The clock starts when the call began; inside SSL_write a total deadline
 * began with SSL_write, while the application's own SO_SNDTIMEO stays per
 * system call, as in the kernel. */
static void start_clock(struct uw_call *c)
{
	int64_t start = c->start_ns ? c->start_ns : uw_seams.now();
	int64_t ours_start = start;
	struct uw_tls_call *tls = uw_tls_current ? uw_tls_call_for(c->fd) : NULL;
	if (tls) {
		c->name = tls->name;
		if (tls->start_ns && tls->start_ns < ours_start)
			ours_start = tls->start_ns;
	}
	uw_deadline_start(&c->dl, start, ours_start);
}

ssize_t uw_call_finish(struct uw_call *c, ssize_t r)
{
	start_clock(c);
	if (r < 0 && errno == ENOTSOCK && c->done == 0) {
		uw_fd_replace(c->fd, 0);
		errno = c->saved_errno;
		return c->pass(c);
	}
	ssize_t out = finish(c, r);
	int err = errno;
	uw_call_ended(c, out, err, uw_seams.now());
	errno = err;
	return out;
}

ssize_t uw_call_finish_wrapped(const struct uw_call_ops *ops, int fd, uint64_t e, int flags, size_t want,
			       void *ctx, int saved_errno, ssize_t first)
{
	struct uw_call c = {.fd = fd,
			    .e = e,
			    .app_flags = flags,
			    .saved_errno = saved_errno,
			    .want = want,
			    .name = ops->name,
			    .attempt = ops->attempt,
			    .pass = ops->pass,
			    .ctx = ctx};
	return uw_stats_wrote(uw_call_finish(&c, first));
}
