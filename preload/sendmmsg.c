/* sendmmsg: one fast attempt at the whole batch; if it stops short, each
 * remaining message is finished as a blocking sendmsg would be, under one
 * deadline for the call. */
#include <limits.h>

#include "clock.h"
#include "sendmsg_parts.h"

#define ATTEMPT_NEEDED (-2)

/* Counts the call and the bytes of the messages it reports as sent; returns r. */
static int counted(int r, const struct mmsghdr *vec)
{
	if (uw_stats_on()) {
		ssize_t bytes = r < 0 ? -1 : 0;
		for (int i = 0; i < r; i++)
			bytes += vec[i].msg_len;
		uw_stats_wrote(bytes);
	}
	return r;
}

static int finish(int fd, uint64_t e, struct mmsghdr *vec, unsigned vlen, int flags, int saved, int first)
{
	const int64_t start = uw_now_ns();
	unsigned i = 0;
	ssize_t r = -1; /* with errno from the first attempt */

	if (first > 0) {
		/* The last message it counted may be only partly sent (stream sockets). */
		i = (unsigned)first - 1;
		r = vec[i].msg_len;
		if ((size_t)r >= uw_msg_len(&vec[i].msg_hdr)) {
			if (++i == vlen) {
				errno = saved;
				return first;
			}
			r = ATTEMPT_NEEDED;
		}
	}
	for (; i < vlen; i++) {
		size_t n = uw_msg_len(&vec[i].msg_hdr);
		if (n == (size_t)-1)
			break; /* let the next call report it */
		struct uw_call c = {.fd = fd,
				    .e = e,
				    .app_flags = flags,
				    .saved_errno = saved,
				    .want = n,
				    .name = "sendmmsg",
				    .start_ns = start,
				    .attempt = sendmsg_attempt,
				    .pass = sendmsg_pass,
				    .ctx = &vec[i].msg_hdr};
		if (r == ATTEMPT_NEEDED)
			r = sendmsg_attempt(&c);
		/* A part already sent counts as the call's first progress. */
		ssize_t got = uw_call_finish(&c, r);
		r = ATTEMPT_NEEDED;
		if (got < 0) {
			if (i == 0)
				return -1;
			break; /* as the kernel does: the count so far; the error is lost */
		}
		vec[i].msg_len = (unsigned)got;
		if ((size_t)got < n) {
			i++;
			break;
		}
	}
	errno = saved;
	return (int)i;
}

UW_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, uw_mmsg_flags flags)
{
	uint64_t e;
	if (uw_dontwait_passes(fd, flags))
		return (int)uw_real.sendmmsg(fd, vec, vlen, flags);
	switch (uw_route(fd, &e)) {
	case UW_ROUTE_PASS:
		return (int)uw_real.sendmmsg(fd, vec, vlen, flags);
	case UW_ROUTE_DEAD:
		return (int)uw_refused();
	case UW_ROUTE_GUARD:
		break;
	}
	if (vlen == 0 || vlen > UIO_MAXIOV || (flags & MSG_DONTWAIT))
		return uw_real.sendmmsg(fd, vec, vlen, flags);
	int saved = errno;
	int r = uw_real.sendmmsg(fd, vec, vlen, flags | MSG_DONTWAIT | MSG_NOSIGNAL);
	if (UW_LIKELY(r == (int)vlen) && vec[r - 1].msg_len >= uw_msg_len(&vec[r - 1].msg_hdr))
		return counted(r, vec);
	return counted(finish(fd, e, vec, vlen, flags, saved, r), vec);
}
