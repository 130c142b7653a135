/* send, sendto, sendmsg: the caller's flags plus MSG_DONTWAIT. A caller that
 * asked for MSG_DONTWAIT itself gets libc untouched, unless the socket timed out. */
#include <limits.h>

#include "sendmsg_parts.h"

struct plain {
	const char *buf;
	const struct sockaddr *to;
	socklen_t tolen;
};

UW_INLINE ssize_t sendto_attempt(struct uw_call *c)
{
	const struct plain *p = c->ctx;
	return uw_real.sendto(c->fd, p->buf + c->done, c->want - c->done,
			      c->app_flags | MSG_DONTWAIT | MSG_NOSIGNAL, p->to, p->tolen);
}

UW_INLINE ssize_t sendto_pass(struct uw_call *c)
{
	const struct plain *p = c->ctx;
	return uw_real.sendto(c->fd, p->buf, c->want, c->app_flags, p->to, p->tolen);
}

/* send is sendto without an address; its plain call stays send. */
UW_INLINE ssize_t send_pass(struct uw_call *c)
{
	const struct plain *p = c->ctx;
	return uw_real.send(c->fd, p->buf, c->want, c->app_flags);
}
#define send_attempt sendto_attempt

static const struct uw_call_ops sendto_ops = {"sendto", sendto_attempt, sendto_pass};
static const struct uw_call_ops send_ops = {"send", sendto_attempt, send_pass};

/* A length of 0 cannot block; MSG_DONTWAIT is the caller's own choice. */
UW_GUARDED(send, want == 0 || (flags & MSG_DONTWAIT))
UW_GUARDED(sendto, want == 0 || (flags & MSG_DONTWAIT))

/* Straight to libc unless fd is a protected socket; MSG_DONTWAIT also goes
 * straight through unless the socket timed out. One load of the fd's word. */
static inline bool passes(uint64_t e, int flags)
{
	return uw_e_kind(e) == UW_KIND_PASS || ((flags & MSG_DONTWAIT) && !(e & UW_E_TIMED_OUT));
}

static __attribute__((noinline)) ssize_t send_socket(int fd, const void *buf, size_t n, int flags, uint64_t e)
{
	struct plain p = {buf, NULL, 0};
	return send_guarded(fd, e, flags, n, &p);
}

UW_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	uint64_t e = uw_fd_load(fd);
	if (UW_LIKELY(passes(e, flags)))
		return uw_real.send(fd, buf, n, flags);
	return send_socket(fd, buf, n, flags, e);
}

static __attribute__((noinline)) ssize_t sendto_socket(int fd, const void *buf, size_t n, int flags,
						       const struct sockaddr *to, socklen_t tolen, uint64_t e)
{
	struct plain p = {buf, to, tolen};
	return sendto_guarded(fd, e, flags, n, &p);
}

UW_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *to,
			 socklen_t tolen)
{
	uint64_t e = uw_fd_load(fd);
	if (UW_LIKELY(passes(e, flags)))
		return uw_real.sendto(fd, buf, n, flags, to, tolen);
	return sendto_socket(fd, buf, n, flags, to, tolen, e);
}

/* Empty or invalid (the kernel's answer cannot block), or MSG_DONTWAIT. */
UW_GUARDED(sendmsg, want == 0 || want == (size_t)-1 || (flags & MSG_DONTWAIT))

UW_EXPORT ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
	uint64_t e = uw_fd_load(fd);
	if (UW_LIKELY(passes(e, flags)))
		return uw_real.sendmsg(fd, m, flags);
	return sendmsg_guarded(fd, e, flags, uw_msg_len(m), (void *)m);
}
