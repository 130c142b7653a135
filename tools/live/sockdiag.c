/* See sockdiag.h. One request per address family, answered by a multi-part
 * dump read into one buffer: a scan of 10,000 connections is a few hundred
 * recv() calls and no per-socket system call. */
#include "sockdiag.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif
#ifndef SIOCOUTQ
#define SIOCOUTQ 0x5411
#endif

/* The states in which a connection can have data waiting to be sent. */
#define CONNECTED_STATES                                                                                     \
	((1u << UW_TCP_ESTABLISHED) | (1u << UW_TCP_CLOSE_WAIT) | (1u << UW_TCP_FIN_WAIT1) |                 \
	 (1u << UW_TCP_LAST_ACK) | (1u << UW_TCP_CLOSING))

/* NLMSG_OK and NLMSG_NEXT without their mixed-sign comparisons. */
static bool msg_ok(const struct nlmsghdr *h, long len)
{
	return len >= (long)sizeof *h && h->nlmsg_len >= sizeof *h && (long)h->nlmsg_len <= len;
}

static const struct nlmsghdr *msg_next(const struct nlmsghdr *h, long *len)
{
	*len -= (long)NLMSG_ALIGN(h->nlmsg_len);
	return (const void *)((const char *)h + NLMSG_ALIGN(h->nlmsg_len));
}

int uw_diag_open(void)
{
	int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	return nl < 0 ? -errno : nl;
}

static int same_netns(pid_t pid)
{
	char path[64];
	struct stat a, b;
	snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
	if (stat("/proc/self/ns/net", &a) != 0 || stat(path, &b) != 0)
		return -errno;
	return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

int uw_diag_open_for(pid_t pid)
{
	int same = same_netns(pid);
	if (same != 0)
		return same > 0 ? uw_diag_open() : same;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int target = open(path, O_RDONLY | O_CLOEXEC);
	int nl = self < 0 || target < 0 ? -errno : setns(target, CLONE_NEWNET) != 0 ? -errno : 0;
	if (nl == 0) {
		/* The socket stays in the namespace it was made in. */
		nl = uw_diag_open();
		if (setns(self, CLONE_NEWNET) != 0) {
			fprintf(stderr, "unwedge: cannot return to its own network namespace: %s\n",
				strerror(errno));
			_exit(1);
		}
	}
	if (self >= 0)
		close(self);
	if (target >= 0)
		close(target);
	return nl;
}

static void addr_from_id(int family, const __be32 *ip, __be16 port, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof *out);
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)out;
		a->sin_family = AF_INET, a->sin_port = port;
		memcpy(&a->sin_addr, ip, 4);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
		a->sin6_family = AF_INET6, a->sin6_port = port;
		memcpy(&a->sin6_addr, ip, 16);
	}
}

static void parse_msg(const struct nlmsghdr *h, struct uw_diag_sock *s)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	memset(s, 0, sizeof *s);
	s->family = m->idiag_family;
	addr_from_id(m->idiag_family, m->id.idiag_src, m->id.idiag_sport, &s->local);
	addr_from_id(m->idiag_family, m->id.idiag_dst, m->id.idiag_dport, &s->peer);
	s->inode = m->idiag_inode;
	s->cookie = (uint64_t)m->id.idiag_cookie[0] | (uint64_t)m->id.idiag_cookie[1] << 32;
	s->wqueue = m->idiag_wqueue, s->uid = m->idiag_uid;
	s->state = m->idiag_state, s->timer = m->idiag_timer, s->expires_ms = m->idiag_expires;
	int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
	for (struct rtattr *a = (struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type != INET_DIAG_INFO)
			continue;
		size_t n = (size_t)RTA_PAYLOAD(a) < sizeof s->info ? (size_t)RTA_PAYLOAD(a) : sizeof s->info;
		memcpy(&s->info, RTA_DATA(a), n);
		s->info_len = n;
	}
}

static int send_req(int nl, uint16_t type, uint16_t flags, const struct inet_diag_req_v2 *req)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} msg = {.h = {.nlmsg_len = sizeof msg, .nlmsg_type = type, .nlmsg_flags = NLM_F_REQUEST | flags},
		 .r = *req};
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};
	return sendto(nl, &msg, sizeof msg, 0, (struct sockaddr *)&k, sizeof k) < 0 ? -errno : 0;
}

/* One part of a dump: 1 when the dump is done, 0 for more, -errno. */
static int dump_part(const char *buf, ssize_t n, uw_diag_fn fn, void *arg)
{
	long len = (long)n;
	for (const struct nlmsghdr *h = (const void *)buf; msg_ok(h, len); h = msg_next(h, &len)) {
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);
			return e->error ? e->error : -EIO;
		}
		struct uw_diag_sock s;
		parse_msg(h, &s);
		fn(&s, arg);
	}
	return 0;
}

static int dump_family(int nl, int family, uw_diag_fn fn, void *arg)
{
	static char buf[1 << 16] __attribute__((aligned(8)));
	struct inet_diag_req_v2 req = {.sdiag_family = (uint8_t)family,
				       .sdiag_protocol = IPPROTO_TCP,
				       .idiag_ext = 1 << (INET_DIAG_INFO - 1),
				       .idiag_states = CONNECTED_STATES};
	int rc = send_req(nl, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &req);
	while (rc == 0) {
		ssize_t n = recv(nl, buf, sizeof buf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		rc = n < 0 ? -errno : n == 0 ? -EIO : dump_part(buf, n, fn, arg);
	}
	return rc < 0 ? rc : 0;
}

int uw_diag_dump_tcp(int nl, uw_diag_fn fn, void *arg)
{
	int rc = dump_family(nl, AF_INET, fn, arg);
	return rc ? rc : dump_family(nl, AF_INET6, fn, arg);
}

static void id_from_addr(const struct sockaddr_storage *a, __be32 *ip, __be16 *port)
{
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *v4 = (const void *)a;
		memcpy(ip, &v4->sin_addr, 4), *port = v4->sin_port;
	} else {
		const struct sockaddr_in6 *v6 = (const void *)a;
		memcpy(ip, &v6->sin6_addr, 16), *port = v6->sin6_port;
	}
}

int uw_diag_destroy(int nl, const struct uw_diag_sock *s)
{
	struct inet_diag_req_v2 req = {
		.sdiag_family = (uint8_t)s->family, .sdiag_protocol = IPPROTO_TCP, .idiag_states = ~0u};
	id_from_addr(&s->local, req.id.idiag_src, &req.id.idiag_sport);
	id_from_addr(&s->peer, req.id.idiag_dst, &req.id.idiag_dport);
	req.id.idiag_cookie[0] = (uint32_t)s->cookie, req.id.idiag_cookie[1] = (uint32_t)(s->cookie >> 32);
	int rc = send_req(nl, SOCK_DESTROY, NLM_F_ACK, &req);
	char buf[512] __attribute__((aligned(8)));
	ssize_t n = rc ? -1 : recv(nl, buf, sizeof buf, 0);
	if (rc || n < 0)
		return rc ? rc : -errno;
	const struct nlmsghdr *h = (const void *)buf;
	if (!msg_ok(h, (long)n) || h->nlmsg_type != NLMSG_ERROR)
		return -EIO;
	return ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
}

int uw_diag_unix_peer(int nl, uint64_t inode, uint64_t *peer)
{
	struct {
		struct nlmsghdr h;
		struct unix_diag_req r;
	} msg = {.h = {.nlmsg_len = sizeof msg,
		       .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		       .nlmsg_flags = NLM_F_REQUEST},
		 .r = {.sdiag_family = AF_UNIX,
		       .udiag_states = ~0u,
		       .udiag_ino = (uint32_t)inode,
		       .udiag_show = UDIAG_SHOW_PEER,
		       .udiag_cookie = {INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE}}};
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};
	char buf[1024] __attribute__((aligned(8)));
	*peer = 0;
	if (sendto(nl, &msg, sizeof msg, 0, (struct sockaddr *)&k, sizeof k) < 0)
		return -errno;
	ssize_t n = recv(nl, buf, sizeof buf, 0);
	const struct nlmsghdr *h = (const void *)buf;
	if (n < 0)
		return -errno;
	if (!msg_ok(h, (long)n) || h->nlmsg_type == NLMSG_ERROR)
		return h->nlmsg_type == NLMSG_ERROR ? ((const struct nlmsgerr *)NLMSG_DATA(h))->error : -EIO;
	const struct unix_diag_msg *m = NLMSG_DATA(h);
	int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
	for (struct rtattr *a = (struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == UNIX_DIAG_PEER && RTA_PAYLOAD(a) >= sizeof(uint32_t))
			*peer = *(const uint32_t *)RTA_DATA(a);
	return 0;
}

int uw_diag_from_fd(int fd, struct uw_diag_sock *s)
{
	socklen_t ll = sizeof s->local, pl = sizeof s->peer, cl = sizeof s->cookie;
	socklen_t il = sizeof s->info;
	int outq = 0;
	memset(s, 0, sizeof *s);
	if (getsockname(fd, (struct sockaddr *)&s->local, &ll) != 0 ||
	    getsockopt(fd, IPPROTO_TCP, TCP_INFO, &s->info, &il) != 0)
		return -errno;
	if (getpeername(fd, (struct sockaddr *)&s->peer, &pl) != 0)
		s->peer.ss_family = s->local.ss_family;
	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &s->cookie, &cl) != 0)
		s->cookie = 0;
	/* SIOCOUTQ on TCP: written by the application and not yet acknowledged. */
	if (ioctl(fd, SIOCOUTQ, &outq) == 0 && outq > 0)
		s->wqueue = (uint32_t)outq;
	s->family = s->local.ss_family, s->info_len = il, s->state = s->info.tcpi_state;
	return 0;
}

void uw_addr_format(const struct sockaddr_storage *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *v4 = (const void *)a;
		inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof ip);
		snprintf(buf, len, "%s:%u", ip, ntohs(v4->sin_port));
	} else if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const void *)a;
		inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof ip);
		snprintf(buf, len, "[%s]:%u", ip, ntohs(v6->sin6_port));
	} else {
		snprintf(buf, len, "?");
	}
}
