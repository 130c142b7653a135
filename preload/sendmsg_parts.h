/* The pieces of a guarded sendmsg that sendmmsg reuses for each message. */
#ifndef UW_SENDMSG_PARTS_H
#define UW_SENDMSG_PARTS_H

#include <limits.h>
#include <sys/socket.h>

#include "iov.h"
#include "wrap.h"

/* The rest of a message after `done` bytes. Ancillary data (SCM_RIGHTS...)
 * leaves with the first byte, so only the first attempt carries it. */
UW_INLINE ssize_t sendmsg_attempt(struct uw_call *c)
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

/* The plain libc sendmsg of c->ctx. */
UW_INLINE ssize_t sendmsg_pass(struct uw_call *c)
{
	return uw_real.sendmsg(c->fd, c->ctx, c->app_flags);
}

static const struct uw_call_ops sendmsg_ops = {"sendmsg", sendmsg_attempt, sendmsg_pass};

/* The message's length, or (size_t)-1 if the kernel would reject it. */
static inline size_t uw_msg_len(const struct msghdr *m)
{
	return m && m->msg_iovlen <= IOV_MAX ? uw_iov_total(m->msg_iov, m->msg_iovlen) : (size_t)-1;
}

#endif
