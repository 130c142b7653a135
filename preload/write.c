/* write and writev: on a socket, the kernel's sock_write_iter is sendmsg with no
 * flags (plus MSG_EOR on seqpacket), so we send with MSG_DONTWAIT instead. */
#include <limits.h>
#include <linux/fs.h>

#include "iov.h"
#include "wrap.h"

static int eor(uint64_t e)
{
	return uw_e_kind(e) == UW_KIND_UNIX_SEQPACKET ? MSG_EOR : 0;
}

UW_INLINE ssize_t write_attempt(struct uw_call *c)
{
	const char *buf = c->ctx;
	return uw_real.send(c->fd, buf + c->done, c->want - c->done, MSG_DONTWAIT | MSG_NOSIGNAL | eor(c->e));
}

UW_INLINE ssize_t write_pass(struct uw_call *c)
{
	return uw_real.write(c->fd, c->ctx, c->want);
}

static const struct uw_call_ops write_ops = {"write", write_attempt, write_pass};

/* write(fd, buf, 0) on a socket returns 0 without reaching the protocol. */
UW_GUARDED(write, want == 0)

static __attribute__((noinline)) ssize_t write_socket(int fd, const void *buf, size_t n, uint64_t e)
{
	return write_guarded(fd, e, 0, n, (void *)buf);
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

UW_INLINE ssize_t writev_attempt(struct uw_call *c)
{
	const struct vec *v = c->ctx;
	struct iovec rest[UW_IOV_CHUNK];
	struct msghdr m = {.msg_iov = (struct iovec *)v->iov, .msg_iovlen = (size_t)v->cnt};
	/* The first attempt sends the caller's own vector; a later one the rest. */
	if (c->done > 0) {
		m.msg_iov = rest;
		m.msg_iovlen = (size_t)uw_iov_rest(v->iov, (size_t)v->cnt, c->done, rest);
	}
	return uw_real.sendmsg(c->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL | eor(c->e));
}

UW_INLINE ssize_t writev_pass(struct uw_call *c)
{
	const struct vec *v = c->ctx;
	return uw_real.writev(c->fd, v->iov, v->cnt);
}

static const struct uw_call_ops writev_ops = {"writev", writev_attempt, writev_pass};

/* Empty or invalid: the kernel's own answer, which cannot block. */
UW_GUARDED(writev, want == 0 || want == (size_t)-1)

UW_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	uint64_t e = uw_fd_load(fd);
	if (UW_LIKELY(uw_e_kind(e) == UW_KIND_PASS))
		return uw_real.writev(fd, iov, cnt);
	size_t n = cnt > 0 && cnt <= IOV_MAX ? uw_iov_total(iov, (size_t)cnt) : (size_t)-1;
	struct vec v = {iov, cnt};
	return writev_guarded(fd, e, 0, n, &v);
}

/* pwritev2 at offset -1 writes at the file position, which on a socket means
 * writev (glibc then calls its internal writev, which no wrapper sees). These
 * flags change nothing on a socket; RWF_NOWAIT cannot block, and any other
 * flag is the kernel's to refuse. */
#define NO_EFFECT_ON_SOCKETS (RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_APPEND)

/* Its plain call keeps its flags (app_flags here: they are RWF_*, not MSG_*). */
UW_INLINE ssize_t pwritev2_pass(struct uw_call *c)
{
	const struct vec *v = c->ctx;
	return uw_real.pwritev2(c->fd, v->iov, v->cnt, -1, c->app_flags);
}
#define pwritev2_attempt writev_attempt
static const struct uw_call_ops pwritev2_ops = {"pwritev2", writev_attempt, pwritev2_pass};
UW_GUARDED(pwritev2, want == 0 || want == (size_t)-1)

static __attribute__((noinline)) ssize_t pwritev2_socket(int fd, const struct iovec *iov, int cnt, int flags,
							 uint64_t e)
{
	size_t n = cnt > 0 && cnt <= IOV_MAX ? uw_iov_total(iov, (size_t)cnt) : (size_t)-1;
	struct vec v = {iov, cnt};
	return pwritev2_guarded(fd, e, flags, n, &v);
}

#define WRAP_PWRITEV2(name)                                                                                  \
	UW_EXPORT ssize_t name(int fd, const struct iovec *iov, int cnt, off_t off, int flags)               \
	{                                                                                                    \
		uint64_t e = uw_fd_load(fd);                                                                 \
		if (UW_LIKELY(uw_e_kind(e) == UW_KIND_PASS) || off != -1 || (flags & ~NO_EFFECT_ON_SOCKETS)) \
			return uw_real.name(fd, iov, cnt, off, flags);                                       \
		return pwritev2_socket(fd, iov, cnt, flags, e);                                              \
	}
WRAP_PWRITEV2(pwritev2)
WRAP_PWRITEV2(pwritev64v2)
