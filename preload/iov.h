/* Resuming a vectored write part-way: the iovecs still to send, copied in
 * chunks to the stack (no malloc) with the first one trimmed. */
#ifndef UW_IOV_H
#define UW_IOV_H

#include <limits.h>
#include <stddef.h>
#include <sys/uio.h>

#define UW_IOV_CHUNK 64

/* Fills out[] with at most UW_IOV_CHUNK iovecs covering the bytes of iov after
 * skipping `skip` of them; returns how many. */
static inline int uw_iov_rest(const struct iovec *iov, size_t cnt, size_t skip, struct iovec *out)
{
	size_t i = 0;
	while (i < cnt && skip >= iov[i].iov_len)
		skip -= iov[i++].iov_len;
	int n = 0;
	for (; i < cnt && n < UW_IOV_CHUNK; i++) {
		out[n].iov_base = (char *)iov[i].iov_base + skip;
		out[n].iov_len = iov[i].iov_len - skip;
		skip = 0;
		if (out[n].iov_len)
			n++;
	}
	return n;
}

/* The total length, or (size_t)-1 if it overflows ssize_t: then libc decides. */
static inline size_t uw_iov_total(const struct iovec *iov, size_t cnt)
{
	size_t t = 0;
	for (size_t i = 0; i < cnt; i++) {
		if (iov[i].iov_len > (size_t)SSIZE_MAX - t)
			return (size_t)-1;
		t += iov[i].iov_len;
	}
	return t;
}

#endif
