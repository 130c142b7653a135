/* Many small healthy writes, for counting system calls: N writes of 64 bytes
 * with one chosen call over a socketpair or TCP loopback, while a thread
 * drains the other end.
 *
 *   wburst unix|tcp CALL N */
#include <netinet/in.h>
#include <pthread.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common.h"

static int rx;

static void *drain(void *arg)
{
	(void)arg;
	char b[65536];
	while (read(rx, b, sizeof b) > 0)
		;
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: wburst unix|tcp CALL N\n");
		return 2;
	}
	int sv[2];
	if (!strcmp(argv[1], "unix")) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
			die("socketpair");
	} else {
		tcp_pair(sv);
	}
	rx = sv[1];
	pthread_t t;
	pthread_create(&t, NULL, drain, NULL);
	const char *call = argv[2];
	long n = atol(argv[3]);
	char buf[64] = {0};
	struct iovec iov[2] = {{buf, 32}, {buf + 32, 32}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
	for (long i = 0; i < n; i++) {
		ssize_t r;
		if (!strcmp(call, "write"))
			r = write(sv[0], buf, 64);
		else if (!strcmp(call, "send"))
			r = send(sv[0], buf, 64, 0);
		else if (!strcmp(call, "writev"))
			r = writev(sv[0], iov, 2);
		else
			r = sendmsg(sv[0], &m, 0);
		if (r != 64)
			die("short write");
	}
	shutdown(sv[0], SHUT_WR);
	pthread_join(t, NULL);
	return 0;
}
