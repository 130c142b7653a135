/* write and writev: on a socket, the kernel's sock_write_iter is sendmsg with no
 * flags (plus MSG_EOR on seqpacket), so we send with MSG_DONTWAIT instead. */
#include <limits.h>

#include "iov.h"
#include "route.h"

static int eor(uint64_t e)
{
	return uw_e_kind(e) == UW_KIND_UNIX_SEQPACKET ? MSG_EOR : 0;
}

static ssize_t write_attempt(struct uw_call *c)
{
	const char *buf = c->ctx;
	return uw_real.send(c->fd, buf + c->done, c->want - c->done, MSG_DONTWAIT | MSG_NOSIGNAL | eor(c->e));
}

static ssize_t write_pass(struct uw_call *c)
{
	return uw_real.write(c->fd, c->ctx, c->want);
}

static __attribute__((noinline)) ssize_t write_socket(int fd, const void *buf, size_t n, uint64_t e)
{
	switch (uw_route_loaded(fd, &e)) {
	case UW_ROUTE_PASS:
		return UW_CALL_REAL(write, SYS_write, fd, buf, n);
	case UW_ROUTE_DEAD:
		return uw_refused();
	case UW_ROUTE_GUARD:
		break;
	}
	/* write(fd, buf, 0) on a socket returns 0 without reaching the protocol. */
	if (n == 0)
		return uw_real.write(fd, buf, n);
	int saved = errno;
	ssize_t r = uw_real.send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL | eor(e));
	if (UW_LIKELY(r == (ssize_t)n))
		return uw_stats_wrote(r);
	struct uw_call c = {.fd = fd,
			    .e = e,
			    .saved_errno = saved,
			    .want = n,
			    .name = "write",
			    .attempt = write_attempt,
			    .pass = write_pass,
			    .ctx = (void *)buf};
	return uw_stats_wrote(uw_call_finish(&c, r));
}

UW_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	uint64_t e = uw_fd_load(fd);
	if (UW_LIKELY(uw_e_kind(e) == UW_KIND_PASS))
		return uw_real.write(fd, buf, n);
	return write_socket(fd, buf, n, e);
}

struct vec {
	const struct iovec *iov;
	int cnt;
};

static ssize_t writev_attempt(struct uw_call *c)
{
	const struct vec *v = c->ctx;
	struct iovec rest[UW_IOV_CHUNK];
	struct msghdr m = {.msg_iov = rest};
	m.msg_iovlen = (size_t)uw_iov_rest(v->iov, (size_t)v->cnt, c->done, rest);
	return uw_real.sendmsg(c->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL | eor(c->e));
}

static ssize_t writev_pass(struct uw_call *c)
{
	const struct vec *v = c->ctx;
	return uw_real.writev(c->fd, v->iov, v->cnt);
}

UW_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	uint64_t e;
	switch (uw_route(fd, &e)) {
	case UW_ROUTE_PASS:
		return UW_CALL_REAL(writev, SYS_writev, fd, iov, cnt);
	case UW_ROUTE_DEAD:
		return uw_refused();
	case UW_ROUTE_GUARD:
		break;
	}
	size_t n = cnt > 0 && cnt <= IOV_MAX ? uw_iov_total(iov, (size_t)cnt) : (size_t)-1;
	/* Empty or invalid: the kernel's own answer, which cannot block. */
	if (n == 0 || n == (size_t)-1)
		return uw_real.writev(fd, iov, cnt);
	int saved = errno;
	struct msghdr m = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)cnt};
	ssize_t r = uw_real.sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL | eor(e));
	if (UW_LIKELY(r == (ssize_t)n))
		return uw_stats_wrote(r);
	struct vec v = {iov, cnt};
	struct uw_call c = {.fd = fd,
			    .e = e,
			    .saved_errno = saved,
			    .want = n,
			    .name = "writev",
			    .attempt = writev_attempt,
			    .pass = writev_pass,
			    .ctx = &v};
	return uw_stats_wrote(uw_call_finish(&c, r));
}
