/* Semantics the preload must leave as the kernel gives them. Each mode prints
 * one JSON line; the tests compare it with and without the preload.
 *
 *   wsemantics errno WEDGED_ADDR   errno is untouched by successful writes, both
 *                                  immediate ones and ones that had to wait
 *   wsemantics sigpipe             writes to a reset connection: SIGPIPE and EPIPE
 *                                  without MSG_NOSIGNAL, only EPIPE with it
 *   wsemantics cancel WEDGED_ADDR  pthread_cancel ends a thread blocked in write
 *   wsemantics oob                 MSG_OOB: the urgent byte arrives as urgent
 *   wsemantics more                MSG_MORE: a short send is held back until the next
 *   wsemantics eor                 MSG_EOR on seqpacket: record boundaries kept
 */
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "common.h"

static volatile sig_atomic_t pipes;
static void on_pipe(int sig)
{
	(void)sig;
	pipes++;
}

static void *drain_later(void *arg)
{
	int fd = (int)(long)arg;
	usleep(300000); /* the writer has to wait for room first */
	char b[65536];
	while (read(fd, b, sizeof b) > 0)
		;
	return NULL;
}

static int wedged;
static void *blocked(void *arg)
{
	(void)arg;
	static char buf[65536];
	for (;;)
		if (write(wedged, buf, sizeof buf) < 0)
			break;
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	if (!strcmp(mode, "errno")) {
		int sv[2];
		tcp_pair(sv);
		static char big[8 << 20];
		errno = 4242;
		ssize_t a = write(sv[0], "hello", 5); /* immediate */
		int after_fast = errno;
		/* Fill the socket, so that the next write's first attempt gets EAGAIN
		 * and it succeeds only after waiting for the reader. */
		while (send(sv[0], big, 65536, MSG_DONTWAIT) > 0)
			;
		pthread_t t;
		pthread_create(&t, NULL, drain_later, (void *)(long)sv[1]);
		errno = 4242;
		ssize_t b = write(sv[0], big, sizeof big); /* waits for the reader */
		int after_slow = errno;
		shutdown(sv[0], SHUT_WR);
		pthread_join(t, NULL);
		printf("{\"fast_ret\": %zd, \"errno_after_fast\": %d, \"slow_ret\": %zd, "
		       "\"errno_after_slow\": %d}\n",
		       a, after_fast, b, after_slow);
		return 0;
	}
	if (!strcmp(mode, "sigpipe")) {
		signal(SIGPIPE, on_pipe);
		int results[2][2];
		for (int nosig = 0; nosig < 2; nosig++) {
			int sv[2];
			tcp_pair(sv);
			struct linger lg = {1, 0};
			setsockopt(sv[1], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
			close(sv[1]); /* a reset */
			usleep(50000);
			int before = pipes, err = 0;
			for (int i = 0; i < 3; i++) {
				ssize_t r = send(sv[0], "x", 1, nosig ? MSG_NOSIGNAL : 0);
				if (r < 0)
					err = errno;
			}
			results[nosig][0] = pipes - before;
			results[nosig][1] = err;
			close(sv[0]);
		}
		printf("{\"sigpipes\": %d, \"errno\": %d, \"sigpipes_nosignal\": %d, \"errno_nosignal\": "
		       "%d}\n",
		       results[0][0], results[0][1], results[1][0], results[1][1]);
		return 0;
	}
	if (!strcmp(mode, "cancel") && argc > 2) {
		struct addr a;
		if (parse_addr(argv[2], &a) != 0)
			die("address");
		wedged = socket(a.family, a.type, 0);
		if (connect(wedged, (struct sockaddr *)&a.ss, a.len) != 0)
			die("connect");
		pthread_t t;
		pthread_create(&t, NULL, blocked, NULL);
		usleep(300000);
		double s = now_ms();
		pthread_cancel(t);
		void *ret;
		pthread_join(t, &ret);
		printf("{\"cancelled\": %s, \"join_ms\": %.1f}\n", ret == PTHREAD_CANCELED ? "true" : "false",
		       now_ms() - s);
		return 0;
	}
	if (!strcmp(mode, "oob")) {
		int sv[2];
		tcp_pair(sv);
		send(sv[0], "hello", 5, 0);
		send(sv[0], "X", 1, MSG_OOB);
		send(sv[0], "world", 5, 0);
		usleep(100000);
		char oob = '?', data[64] = "";
		ssize_t k = recv(sv[1], &oob, 1, MSG_OOB);
		ssize_t n = recv(sv[1], data, sizeof data - 1, MSG_DONTWAIT);
		ssize_t m = n > 0 ? recv(sv[1], data + n, sizeof data - 1 - (size_t)n, MSG_DONTWAIT) : 0;
		data[(n > 0 ? n : 0) + (m > 0 ? m : 0)] = 0;
		printf("{\"oob\": \"%c\", \"oob_ret\": %zd, \"data\": \"%s\"}\n", oob, k, data);
		return 0;
	}
	if (!strcmp(mode, "more")) {
		int sv[2], one = 1;
		tcp_pair(sv);
		setsockopt(sv[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		send(sv[0], "ab", 2, MSG_MORE);
		char b[16] = "";
		struct timeval tv = {0, 50000};
		fd_set r;
		FD_ZERO(&r);
		FD_SET(sv[1], &r);
		int held = select(sv[1] + 1, &r, NULL, NULL, &tv) == 0;
		send(sv[0], "cd", 2, 0);
		usleep(50000);
		ssize_t n = recv(sv[1], b, sizeof b - 1, 0);
		b[n > 0 ? n : 0] = 0;
		printf("{\"held\": %s, \"data\": \"%s\"}\n", held ? "true" : "false", b);
		return 0;
	}
	if (!strcmp(mode, "eor")) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
			die("socketpair");
		static char big[20000];
		size_t sizes[3] = {10, sizeof big, 5};
		for (int i = 0; i < 3; i++) {
			struct iovec v = {big, sizes[i]};
			struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
			sendmsg(sv[0], &m, MSG_EOR);
		}
		printf("{\"records\": [");
		for (int i = 0; i < 3; i++) {
			static char in[65536];
			struct iovec v = {in, sizeof in};
			struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
			ssize_t n = recvmsg(sv[1], &m, 0);
			printf("%s[%zd, %d]", i ? ", " : "", n, (m.msg_flags & (MSG_EOR | MSG_TRUNC)) != 0);
		}
		printf("]}\n");
		return 0;
	}
	fprintf(stderr, "usage: wsemantics errno|sigpipe|cancel|oob|more|eor [ADDR]\n");
	return 2;
}
