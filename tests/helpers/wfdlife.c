/* fds replaced behind the cache: each scenario ends with a write to a wedged
 * socket (a peer that never reads) at an fd number whose cached word is stale,
 * and reports how that write ended. Under the preload it must time out, not
 * pass through unprotected and not be refused by a mark meant for another socket.
 *
 *   wfdlife ADDR dup2|close_range|scm_rights|raw_reuse
 */
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

static int dial(const struct addr *a, int raw)
{
	int fd = raw ? (int)syscall(SYS_socket, a->family, a->type, 0) : socket(a->family, a->type, 0);
	if (fd < 0)
		die("socket");
	if ((raw ? syscall(SYS_connect, fd, &a->ss, a->len)
		 : connect(fd, (struct sockaddr *)&a->ss, a->len)) != 0)
		die("connect");
	return fd;
}

/* Fills the socket until a write fails; reports that write's errno and the time
 * from the first write to the failure. */
static void wedge(int fd, const char *scenario)
{
	static char buf[65536];
	double start = now_ms(), t = 0;
	ssize_t r;
	int err = 0;
	do {
		t = now_ms();
		r = write(fd, buf, sizeof buf);
		err = errno;
	} while (r > 0 && now_ms() - start < 10000);
	printf("{\"scenario\": \"%s\", \"ret\": %zd, \"errno\": %d, \"last_ms\": %.1f, \"total_ms\": %.1f}\n",
	       scenario, r, r < 0 ? err : 0, now_ms() - t, now_ms() - start);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct addr a;
	if (argc != 3 || parse_addr(argv[1], &a) != 0) {
		fprintf(stderr, "usage: wfdlife ADDR dup2|close_range|scm_rights|raw_reuse\n");
		return 2;
	}
	const char *s = argv[2];
	/* An fd number first cached as "not a socket" by a write to a file. */
	int target = open("/dev/null", O_WRONLY);
	if (target < 0 || write(target, "x", 1) != 1)
		die("/dev/null");

	if (!strcmp(s, "dup2")) {
		int sock = dial(&a, 0);
		dup2(sock, target);
		close(sock);
	} else if (!strcmp(s, "close_range")) {
		close_range((unsigned)target, (unsigned)target + 10, 0);
		int sock = dial(&a, 0); /* lowest free number: target again */
		if (sock != target)
			die("unexpected fd number");
	} else if (!strcmp(s, "scm_rights")) {
		int sv[2];
		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		int sock = dial(&a, 0);
		char c = 'x';
		struct iovec iov = {&c, 1};
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} u;
		struct msghdr m = {.msg_iov = &iov,
				   .msg_iovlen = 1,
				   .msg_control = u.buf,
				   .msg_controllen = sizeof u.buf};
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &sock, sizeof sock);
		if (sendmsg(sv[0], &m, 0) != 1)
			die("sendmsg");
		close(sock);
		close(target); /* the received fd takes this number, cached as a file */
		m.msg_controllen = sizeof u.buf;
		if (recvmsg(sv[1], &m, 0) != 1)
			die("recvmsg");
		int got;
		memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof got);
		if (got != target)
			die("unexpected fd number");
	} else if (!strcmp(s, "raw_reuse")) {
		/* A socket the preload knows times out (and is marked), then is
		 * closed and replaced by raw system calls it never sees. */
		close(target);
		int first = dial(&a, 0);
		wedge(first, "raw_reuse-first");
		syscall(SYS_close, first);
		int second = dial(&a, 1);
		if (second != first)
			die("unexpected fd number");
	} else {
		fprintf(stderr, "wfdlife: unknown scenario %s\n", s);
		return 2;
	}
	wedge(target, s);
	return 0;
}
