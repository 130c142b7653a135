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

/* --keepalive: on, unless the program turned it on itself (its values kept). */
static int keepalive_on(const struct rescue *r, int fd, char *said, size_t len)
{
	int on = 0;
	socklen_t l = sizeof on;
	const int v[3] = {(int)r->o.keep_idle_s, (int)r->o.keep_intvl_s, (int)r->o.keep_cnt};
	if (getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, &l) == 0 && on) {
		snprintf(said, len, ", kept the program's own keepalive");
		return 0;
	}
	on = 1;
	if (!r->o.dry && (setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v[0], sizeof v[0]) != 0 ||
			  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v[1], sizeof v[1]) != 0 ||
			  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v[2], sizeof v[2]) != 0 ||
			  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0)) {
		snprintf(said, len, ", keepalive failed: %s", strerror(errno));
		return -1;
	}
	snprintf(said, len, ", keepalive %us,%us,%u%s", r->o.keep_idle_s, r->o.keep_intvl_s, r->o.keep_cnt,
		 r->o.dry ? "" : " set");
	return 0;
}

/* --tcp-user-timeout on a socket that is not stuck: it is protected from now
 * on; a value the program set itself is kept, as the preload keeps it. */
static void protect(struct rescue *r, struct rescue_sock *s)
{
	unsigned int cur = 0;
	socklen_t l = sizeof cur;
	char uto[96], ka[96] = "";
	int v = (int)r->o.uto_ms;
	bool failed = false;
	s->action = RA_USER_TIMEOUT;
	if (getsockopt(s->dup, IPPROTO_TCP, TCP_USER_TIMEOUT, &cur, &l) == 0 && cur)
		snprintf(uto, sizeof uto, "kept the program's own user timeout of %ums", cur);
	else if (r->o.dry)
		snprintf(uto, sizeof uto, "would set a %dms user timeout", v);
	else if (setsockopt(s->dup, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, sizeof v) != 0)
		failed = true, snprintf(uto, sizeof uto, "failed: TCP_USER_TIMEOUT: %s", strerror(errno));
	else
		snprintf(uto, sizeof uto, "%dms user timeout set", v);
	if (r->o.keep_cnt && keepalive_on(r, s->dup, ka, sizeof ka) != 0)
		failed = true;
	s->failed = failed;
	snprintf(s->result, sizeof s->result, "%s%s%s", uto, ka, r->o.dry ? " (dry run)" : "");
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
