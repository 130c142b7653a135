/* Where sockets are born: tell the table, and put TCP_USER_TIMEOUT in force on a
 * blocking TCP connection before its first write can block. */
#include "sockinfo.h"
#include "tcp_uto.h"
#include "route.h"

UW_EXPORT int socket(int domain, int type, int protocol)
{
	int r = (int)uw_real.socket(domain, type, protocol);
	if (r >= 0)
		uw_fd_replace(r, 0);
	return r;
}

UW_EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
	int r = (int)uw_real.socketpair(domain, type, protocol, sv);
	if (r == 0) {
		uw_fd_replace(sv[0], 0);
		uw_fd_replace(sv[1], 0);
	}
	return r;
}

static void connected(int fd, int blocking)
{
	if (!uw_is_active())
		return;
	uint64_t e = uw_fd_lookup(fd);
	if (uw_e_kind(e) == UW_KIND_TCP)
		uw_uto_decide(fd, e, blocking);
}

UW_EXPORT int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	int r = (int)uw_real.connect(fd, sa, len);
	if (r == 0) {
		int saved = errno;
		connected(fd, -1);
		errno = saved;
	}
	return r;
}

static int accepted(int fd, int flags)
{
	if (fd < 0)
		return fd;
	int saved = errno;
	uw_fd_replace(fd, 0);
	/* A non-blocking server runs its own timers: classify it at its first
	 * write, unless it asked for keepalive, which an idle connection needs. */
	if (!(flags & SOCK_NONBLOCK))
		connected(fd, 1);
	else if (uw_cfg.keep_cnt)
		connected(fd, 0);
	errno = saved;
	return fd;
}

UW_EXPORT int accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	return accepted((int)uw_real.accept(fd, sa, len), 0);
}

UW_EXPORT int accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	return accepted((int)uw_real.accept4(fd, sa, len, flags), flags);
}

/* fds arriving in SCM_RIGHTS take numbers that may have stale words. */
static void received(struct msghdr *m)
{
	if (!m || !m->msg_control || m->msg_controllen < sizeof(struct cmsghdr))
		return;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *fds = (int *)CMSG_DATA(c);
		for (size_t i = 0; i < n; i++)
			uw_fd_replace(fds[i], 0);
	}
}

UW_EXPORT ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
	ssize_t r = uw_real.recvmsg(fd, m, flags);
	if (r >= 0)
		received(m);
	return r;
}

UW_EXPORT int recvmmsg(int fd, struct mmsghdr *v, unsigned int n, uw_mmsg_flags flags, struct timespec *t)
{
	int r = (int)uw_real.recvmmsg(fd, v, n, flags, t);
	for (int i = 0; i < r; i++)
		received(&v[i].msg_hdr);
	return r;
}
