/* The pieces of a guarded sendmsg that sendmmsg reuses for each message. */
#ifndef UW_SENDMSG_PARTS_H
#define UW_SENDMSG_PARTS_H

#include "blocking_send.h"
#include "iov.h"

#include <limits.h>
#include <sys/socket.h>

/* Moves the rest of the message c->ctx without blocking. */
ssize_t uw_sendmsg_attempt(struct uw_call *c);

/* The plain libc sendmsg of c->ctx. */
ssize_t uw_sendmsg_pass(struct uw_call *c);

/* The message's length, or (size_t)-1 if the kernel would reject it. */
static inline size_t uw_msg_len(const struct msghdr *m)
{
	return m && m->msg_iovlen <= IOV_MAX ? uw_iov_total(m->msg_iov, m->msg_iovlen) : (size_t)-1;
}

#endif
