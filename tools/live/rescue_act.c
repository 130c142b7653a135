/* The actions of `unwedge rescue` on one socket of another process. Every
 * action goes through a pidfd_getfd duplicate, which shares the process's
 * socket (options set on it are the socket's own) but never its file status
 * flags, which are left untouched. No action here makes the kernel raise
 * SIGPIPE: SOCK_DESTROY and an expired user timeout both wake the blocked
 * writer with a pending socket error (ECONNABORTED, ETIMEDOUT), which is
 * reported instead of EPIPE. */
#include "rescue_target.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* Linux 6.9: a pidfd for one thread */
#endif

int rescue_grab(struct rescue *r, struct rescue_sock *s)
{
	int pidfd = r->pidfd, own = -1;
	if (s->ps.tid != r->o.pid) {
		/* A thread with a descriptor table of its own (unshare(CLONE_FILES)). */
		own = (int)syscall(SYS_pidfd_open, s->ps.tid, PIDFD_THREAD);
		if (own < 0)
			return -errno;
		pidfd = own;
	}
	s->dup = (int)syscall(SYS_pidfd_getfd, pidfd, s->ps.fd, 0);
	int e = s->dup < 0 ? -errno : 0;
	if (own >= 0)
		close(own);
	return e;
}

void rescue_inspect(struct rescue_sock *s)
{
	socklen_t l = sizeof(int);
	if (getsockopt(s->dup, SOL_SOCKET, SO_DOMAIN, &s->domain, &l) != 0 ||
	    getsockopt(s->dup, SOL_SOCKET, SO_TYPE, &s->type, &l) != 0)
		s->domain = s->type = -1;
	int proto = 0;
	l = sizeof proto;
	getsockopt(s->dup, SOL_SOCKET, SO_PROTOCOL, &proto, &l);
	bool tcp = (s->domain == AF_INET || s->domain == AF_INET6) && s->type == SOCK_STREAM &&
		   proto == IPPROTO_TCP;
	if (!tcp || uw_diag_from_fd(s->dup, &s->d) != 0) {
		s->d.family = 0;
		return;
	}
	uw_tcp_stall(&s->d, &s->st);
}

static bool is_stuck(const struct rescue *r, const struct rescue_sock *s)
{
	return s->d.family && s->d.state != UW_TCP_LISTEN && s->st.pending &&
	       s->st.stalled_ms >= r->o.older_ms;
}

static const char *destroy_error(int e)
{
	switch (e) {
	case -EOPNOTSUPP:
		return "this kernel cannot destroy sockets (CONFIG_INET_DIAG_DESTROY)";
	case -EPERM:
		return "no CAP_NET_ADMIN in its network namespace";
	case -ENOENT:
		return "the connection is gone";
	default:
		return strerror(-e);
	}
}

/* The fallback: the kernel aborts the connection when its next probe or
 * retransmission timer fires, up to two minutes on a long backed-off one. */
static void abort_by_user_timeout(struct rescue_sock *s, const char *why)
{
	int one = 1;
	s->action = RA_ABORT_UTO;
	if (setsockopt(s->dup, IPPROTO_TCP, TCP_USER_TIMEOUT, &one, sizeof one) != 0) {
		s->failed = true;
		snprintf(s->result, sizeof s->result, "failed: SOCK_DESTROY: %s; TCP_USER_TIMEOUT: %s", why,
			 strerror(errno));
		return;
	}
	snprintf(s->result, sizeof s->result,
		 "1ms user timeout set (SOCK_DESTROY: %s): the write fails with ETIMEDOUT at the next probe "
		 "or retransmission",
		 why);
}

static void abort_stuck(struct rescue *r, struct rescue_sock *s)
{
	s->action = RA_DESTROY;
	if (r->o.dry) {
		snprintf(s->result, sizeof s->result, "would abort it (dry run)");
		return;
	}
	if (!r->nl_tried) {
		r->nl = uw_diag_open_for(r->o.pid);
		r->nl_tried = true;
	}
	int e = r->nl < 0 ? r->nl : uw_diag_destroy(r->nl, &s->d);
	if (e != 0) {
		abort_by_user_timeout(s, r->nl < 0 ? "cannot enter its network namespace" : destroy_error(e));
		return;
	}
	struct tcp_info ti;
	socklen_t l = sizeof ti;
	bool closed =
		getsockopt(s->dup, IPPROTO_TCP, TCP_INFO, &ti, &l) == 0 && ti.tcpi_state == UW_TCP_CLOSE;
	s->failed = !closed;
	snprintf(s->result, sizeof s->result, "%s",
		 closed ? "aborted (SOCK_DESTROY): the write fails with ECONNABORTED"
			: "SOCK_DESTROY answered but the connection is still open");
}

/* --tcp-user-timeout on a socket that is not stuck: it is protected from now
 * on; a value the program set itself is kept, as the preload keeps it. */
static void protect(struct rescue *r, struct rescue_sock *s)
{
	unsigned int cur = 0;
	socklen_t l = sizeof cur;
	s->action = RA_USER_TIMEOUT;
	if (getsockopt(s->dup, IPPROTO_TCP, TCP_USER_TIMEOUT, &cur, &l) == 0 && cur) {
		s->action = RA_NONE;
		snprintf(s->result, sizeof s->result, "kept the program's own user timeout of %ums", cur);
		return;
	}
	int v = (int)r->o.uto_ms;
	if (r->o.dry) {
		snprintf(s->result, sizeof s->result, "would set a %dms user timeout (dry run)", v);
	} else if (setsockopt(s->dup, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, sizeof v) != 0) {
		s->failed = true;
		snprintf(s->result, sizeof s->result, "failed: TCP_USER_TIMEOUT: %s", strerror(errno));
	} else {
		snprintf(s->result, sizeof s->result, "%dms user timeout set", v);
	}
}

static void leave_alone(const struct rescue *r, struct rescue_sock *s)
{
	s->action = RA_NONE;
	if (s->domain == AF_UNIX && s->type == SOCK_STREAM)
		snprintf(s->result, sizeof s->result, "left alone (%s)",
			 s->st.pending ? "no thread stayed blocked writing to it"
				       : "nothing waiting to be sent");
	else if (!s->d.family)
		snprintf(s->result, sizeof s->result, "left alone (not TCP)");
	else if (s->d.state == UW_TCP_LISTEN)
		snprintf(s->result, sizeof s->result, "left alone (listening)");
	else if (!s->st.pending)
		snprintf(s->result, sizeof s->result, "left alone (nothing waiting to be sent)");
	else
		snprintf(s->result, sizeof s->result, "left alone (stalled less than --older-than)");
}

void rescue_act(struct rescue *r, struct rescue_sock *s)
{
	if (s->unix_stuck)
		rescue_unix_act(r, s);
	else if (is_stuck(r, s))
		abort_stuck(r, s);
	else if (s->d.family && r->o.uto && r->o.uto_ms)
		protect(r, s);
	else
		leave_alone(r, s);
}
