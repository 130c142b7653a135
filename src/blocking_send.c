#include "blocking_send.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "backstop.h"
#include "clock.h"
#include "event.h"
#include "fdtable.h"
#include "policy.h"
#include "restart.h"
#include "runtime.h"
#include "sockinfo.h"
#include "stats.h"
#include "tcp_uto.h"
#include "tls_call.h"

int uw_fd_is_blocking(int fd)
{
	int saved = errno;
	long fl = syscall(SYS_fcntl, fd, F_GETFL);
	errno = saved;
	return fl >= 0 && !(fl & O_NONBLOCK);
}

uint64_t uw_app_sndtimeo_us(int fd, uint64_t e)
{
	if (e & UW_E_BACKSTOP)
		return uw_fd_aux_load(fd);
	int saved = errno;
	uint64_t us = uw_backstop_app_us(fd);
	errno = saved;
	return us;
}

static bool is_dead(int fd, uint64_t e)
{
	uint64_t now = uw_fd_load(fd);
	if ((now & UW_E_GEN_MASK) == (e & UW_E_GEN_MASK) && (now & UW_E_TIMED_OUT))
		return true;
	return uw_dead_inode_has(uw_e_inode(e));
}

bool uw_fd_replaced(int fd, uint64_t e)
{
	uint64_t now = uw_fd_load(fd);
	if ((now & UW_E_GEN_MASK) != (e & UW_E_GEN_MASK))
		return true;
	/* A close and reuse behind our back (raw system calls, glibc's own). */
	int saved = errno;
	bool other = uw_socket_inode(fd) != uw_e_inode(e);
	errno = saved;
	return other;
}

int uw_call_refuse_dead(int fd, uint64_t e)
{
	uint32_t ino = uw_socket_inode(fd);
	if (ino != 0 && ino == uw_e_inode(e)) {
		errno = ETIMEDOUT;
		return -1;
	}
	/* Closed and reused behind our back: the mark belonged to another socket. */
	uw_fd_replace(fd, 0);
	return 0;
}

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
	syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGPIPE);
}

/* How a call that had to wait went, for the events logged when it ends. */
struct watch {
	int64_t start;
	bool waited;  /* it polled at least once */
	bool fired;   /* our deadline failed it */
	bool crossed; /* observe mode: it blocked past the deadline */
	uint32_t deadline_ms;
};

static ssize_t finish(struct uw_call *c, ssize_t r, struct watch *w);

ssize_t uw_call_finish(struct uw_call *c, ssize_t r)
{
	struct watch w = {.start = c->start_ns ? c->start_ns : uw_now_ns()};
	ssize_t out = finish(c, r, &w);
	if (!w.waited || w.fired || (!w.crossed && !uw_cfg.warn_after_ms))
		return out;
	int saved = errno;
	int64_t blocked_ms = (uw_now_ns() - w.start) / 1000000;
	if (w.crossed || blocked_ms >= (int64_t)uw_cfg.warn_after_ms) {
		struct uw_event ev = {.kind = w.crossed ? UW_EV_COMPLETED : UW_EV_SLOW,
				      .fd = c->fd,
				      .e = c->e,
				      .call = c->name,
				      .moved = c->done,
				      .want = c->want,
				      .waited_ms = blocked_ms,
				      .deadline_ms = w.deadline_ms,
				      .result = out,
				      .result_errno = saved};
		uw_event_log(&ev);
	}
	errno = saved;
	return out;
}

static ssize_t finish(struct uw_call *c, ssize_t r, struct watch *w)
{
	const int64_t start = w->start;
	int64_t ours_ns = 0;
	int64_t progress = start, app_ns = 0;
	/* Inside SSL_write the total deadline began with SSL_write; the
	 * application's own SO_SNDTIMEO stays per system call, as in the kernel. */
	int64_t ours_start = start;
	struct uw_tls_call *tls = uw_tls_current ? uw_tls_call_for(c->fd) : NULL;
	if (tls) {
		c->name = tls->name;
		if (tls->start_ns && tls->start_ns < ours_start)
			ours_start = tls->start_ns;
	}
	bool waited_before = false;
	if (r < 0 && errno == ENOTSOCK && c->done == 0) {
		uw_fd_replace(c->fd, 0);
		errno = c->saved_errno;
		return c->pass(c);
	}
	for (;;) {
		if (r > 0) {
			c->done += (size_t)r;
			if (c->done >= c->want)
				return result(c, 0);
			progress = uw_now_ns();
		} else if (r == 0) {
			return result(c, 0);
		} else if (errno == EPIPE) {
			if (is_dead(c->fd, c->e))
				return result(c, ETIMEDOUT);
			if (c->done == 0 && !(c->app_flags & MSG_NOSIGNAL))
				raise_sigpipe();
			return result(c, EPIPE);
		} else if (errno == ETIMEDOUT) {
			uw_timeout_kernel(c->fd, c->e, c->name, c->done, c->want);
			return result(c, ETIMEDOUT);
		} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
			return result(c, errno);
		}
		/* It would block (EAGAIN, or a partial move that filled the buffer). */
		if (!waited_before) {
			/* The first time: is it really a blocking socket? */
			if (!uw_fd_is_blocking(c->fd))
				return result(c, EAGAIN);
			uw_uto_decide(c->fd, c->e, 1);
			uint64_t app_us = uw_app_sndtimeo_us(c->fd, c->e);
			app_ns = (int64_t)app_us * 1000;
			waited_before = w->waited = true;
			uw_stats_blocked();
			/* No deadline (a rule says off, or only UNWEDGE_WARN_AFTER is
			 * on): wait as the kernel would, for ever. */
			w->deadline_ms = uw_policy_timeout_ms(c->fd, &c->e);
			ours_ns = w->deadline_ms ? (int64_t)w->deadline_ms * 1000000 : INT64_MAX / 2;
		}

		/* Wait for room, or for a deadline: ours, or the application's own. */
		for (;;) {
			int64_t now = uw_now_ns();
			int64_t ours = (uw_cfg.deadline_total ? ours_start : progress) + ours_ns;
			int64_t app = app_ns ? start + app_ns : INT64_MAX;
			if (now >= app && app <= ours)
				return result(c, EAGAIN);
			if (now >= ours) {
				uint64_t waited =
					(uint64_t)(now - (uw_cfg.deadline_total ? ours_start : progress)) /
					1000000;
				if (uw_cfg.observe) {
					/* Say so once, then wait on as the kernel would. */
					struct uw_event ev = {.kind = UW_EV_CROSSED,
							      .fd = c->fd,
							      .e = c->e,
							      .call = c->name,
							      .moved = c->done,
							      .want = c->want,
							      .waited_ms = (int64_t)waited,
							      .deadline_ms = w->deadline_ms};
					uw_event_log(&ev);
					w->crossed = true;
					ours_ns = INT64_MAX / 2;
					continue;
				}
				w->fired = true;
				uw_timeout_fire(c->fd, c->e, c->name, c->done, c->want, waited);
				return result(c, ETIMEDOUT);
			}
			int64_t until = app < ours ? app : ours;
			/* No deadline at all: wait as the kernel would, for ever. */
			int64_t left_ms = (until - now + 999999) / 1000000;
			int ms = until >= INT64_MAX / 4 ? -1 : left_ms > INT_MAX ? INT_MAX : (int)left_ms;
			struct pollfd p = {.fd = c->fd, .events = POLLOUT};
			int pr = poll(&p, 1, ms);
			if (pr > 0)
				break;
			if (pr == 0)
				continue;
			if (errno != EINTR)
				return result(c, errno);
			/* A handler ran. With bytes moved, the kernel returns the count; with
			 * SO_SNDTIMEO set it never restarts; otherwise as SA_RESTART says. */
			if (c->done > 0)
				return result(c, 0);
			if (app_ns || !uw_restart_after_signal())
				return result(c, EINTR);
			if (is_dead(c->fd, c->e))
				return result(c, ETIMEDOUT);
		}
		/* Another thread may have timed this socket out while we slept. */
		if (is_dead(c->fd, c->e))
			return result(c, ETIMEDOUT);
		/* ... or closed the fd and put another object at its number: the
		 * kernel's blocked write would go on with the old socket, which we no
		 * longer hold; the rest must never go to the new one. */
		if (uw_fd_replaced(c->fd, c->e))
			return result(c, EBADF);
		r = c->attempt(c);
	}
}
