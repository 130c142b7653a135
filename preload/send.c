/* send, sendto, sendmsg: the caller's flags plus MSG_DONTWAIT. A caller that
 * asked for MSG_DONTWAIT itself gets libc untouched, unless the socket timed out. */
#include <limits.h>

#include "route.h"
#include "sendmsg_parts.h"

struct plain {
	const char *buf;
	const struct sockaddr *to;
	socklen_t tolen;
};

static ssize_t sendto_attempt(struct uw_call *c)
{
	const struct plain *p = c->ctx;
	return uw_real.sendto(c->fd, p->buf + c->done, c->want - c->done,
			      c->app_flags | MSG_DONTWAIT | MSG_NOSIGNAL, p->to, p->tolen);
}

static ssize_t sendto_pass(struct uw_call *c)
{
	const struct plain *p = c->ctx;
	return uw_real.sendto(c->fd, p->buf, c->want, c->app_flags, p->to, p->tolen);
}

static ssize_t plain_send(bool is_send, int fd, const void *buf, size_t n, int flags,
			  const struct sockaddr *to, socklen_t tolen)
{
	if (is_send)
		return uw_real.send ? uw_real.send(fd, buf, n, flags)
				    : syscall(SYS_sendto, fd, buf, n, flags, NULL, 0);
	return UW_CALL_REAL(sendto, SYS_sendto, fd, buf, n, flags, to, tolen);
}

/* Straight to libc unless fd is a protected socket; MSG_DONTWAIT also goes
 * straight through unless the socket timed out. One load of the fd's word. */
static inline bool passes(uint64_t e, int flags)
{
	return uw_e_kind(e) == UW_KIND_PASS || ((flags & MSG_DONTWAIT) && !(e & UW_E_TIMED_OUT));
}

static __attribute__((noinline)) ssize_t guarded_sendto(bool is_send, int fd, const void *buf, size_t n,
							int flags, const struct sockaddr *to, socklen_t tolen,
							uint64_t e)
{
	switch (uw_route_loaded(fd, &e)) {
	case UW_ROUTE_PASS:
		return plain_send(is_send, fd, buf, n, flags, to, tolen);
	case UW_ROUTE_DEAD:
		return uw_refused();
	case UW_ROUTE_GUARD:
		break;
	}
	if (n == 0 || (flags & MSG_DONTWAIT))
		return plain_send(is_send, fd, buf, n, flags, to, tolen);
	int saved = errno;
	ssize_t r = uw_real.sendto(fd, buf, n, flags | MSG_DONTWAIT | MSG_NOSIGNAL, to, tolen);
	if (UW_LIKELY(r == (ssize_t)n))
		return uw_stats_wrote(r);
	struct plain p = {buf, to, tolen};
	struct uw_call c = {.fd = fd,
			    .e = e,
			    .app_flags = flags,
			    .saved_errno = saved,
			    .want = n,
			    .name = is_send ? "send" : "sendto",
			    .attempt = sendto_attempt,
			    .pass = sendto_pass,
			    .ctx = &p};
	return uw_stats_wrote(uw_call_finish(&c, r));
}

UW_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	uint64_t e = uw_fd_load(fd);
	if (UW_LIKELY(passes(e, flags)))
		return plain_send(true, fd, buf, n, flags, NULL, 0);
	return guarded_sendto(true, fd, buf, n, flags, NULL, 0, e);
}

UW_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *to,
			 socklen_t tolen)
{
	uint64_t e = uw_fd_load(fd);
	if (UW_LIKELY(passes(e, flags)))
		return plain_send(false, fd, buf, n, flags, to, tolen);
	return guarded_sendto(false, fd, buf, n, flags, to, tolen, e);
}

/* The rest of a message after `done` bytes. Ancillary data (SCM_RIGHTS...)
 * leaves with the first byte, so only the first attempt carries it. */
ssize_t uw_sendmsg_attempt(struct uw_call *c)
{
	const struct msghdr *m = c->ctx;
	int flags = c->app_flags | MSG_DONTWAIT | MSG_NOSIGNAL;
	if (c->done == 0)
		return uw_real.sendmsg(c->fd, m, flags);
	struct iovec rest[UW_IOV_CHUNK];
	struct msghdr r = {.msg_name = m->msg_name, .msg_namelen = m->msg_namelen, .msg_iov = rest};
	r.msg_iovlen = (size_t)uw_iov_rest(m->msg_iov, m->msg_iovlen, c->done, rest);
	return uw_real.sendmsg(c->fd, &r, flags);
}

ssize_t uw_sendmsg_pass(struct uw_call *c)
{
	return uw_real.sendmsg(c->fd, c->ctx, c->app_flags);
}

UW_EXPORT ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
	uint64_t e;
	if (uw_dontwait_passes(fd, flags))
		return UW_CALL_REAL(sendmsg, SYS_sendmsg, fd, m, flags);
	switch (uw_route(fd, &e)) {
	case UW_ROUTE_PASS:
		return UW_CALL_REAL(sendmsg, SYS_sendmsg, fd, m, flags);
	case UW_ROUTE_DEAD:
		return uw_refused();
	case UW_ROUTE_GUARD:
		break;
	}
	size_t n = uw_msg_len(m);
	if (n == 0 || n == (size_t)-1 || (flags & MSG_DONTWAIT))
		return uw_real.sendmsg(fd, m, flags);
	int saved = errno;
	ssize_t r = uw_real.sendmsg(fd, m, flags | MSG_DONTWAIT | MSG_NOSIGNAL);
	if (UW_LIKELY(r == (ssize_t)n))
		return uw_stats_wrote(r);
	struct uw_call c = {.fd = fd,
			    .e = e,
			    .app_flags = flags,
			    .saved_errno = saved,
			    .want = n,
			    .name = "sendmsg",
			    .attempt = uw_sendmsg_attempt,
			    .pass = uw_sendmsg_pass,
			    .ctx = (void *)m};
	return uw_stats_wrote(uw_call_finish(&c, r));
}
