/* Cost of one call on a hot path, for `make bench`.
 *
 *   percall MODE N [--sync]
 *   MODE: devnull-write
 *         unix-write unix-send unix-writev unix-sendmsg
 *         tcp-write  tcp-send  tcp-writev  tcp-sendmsg     (64 bytes a call)
 *         tls-write CERT KEY                               (16 KiB SSL_write)
 *
 * Prints {"mode": ..., "ns_per_call": ...}. A thread drains the other end.
 * --sync drains in the same thread after every call instead: slower, but every
 * instruction is deterministic, which is what callgrind's count needs. */
#include <arpa/inet.h>
#include <sched.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../tests/helpers/common.h"

static int rx = -1;
static SSL *ssl_rx;

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* PERCALL_PIN=1: writer on CPU 0, reader on CPU 1 (not the default: on this
 * shared two-core machine it did not reduce the noise). */
static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void *drain(void *arg)
{
	(void)arg;
	if (getenv("PERCALL_PIN"))
		pin(1);
	static char b[1 << 17];
	if (ssl_rx) {
		while (SSL_read(ssl_rx, b, sizeof b) > 0)
			;
		return NULL;
	}
	while (read(rx, b, sizeof b) > 0)
		;
	return NULL;
}

static void pair(int tcp, int sv[2])
{
	if (!tcp) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
			die("socketpair");
		return;
	}
	tcp_pair(sv);
	int one = 1;
	setsockopt(sv[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

struct tls_server {
	SSL_CTX *ctx;
	int fd;
};

static void *tls_accept(void *arg)
{
	struct tls_server *s = arg;
	ssl_rx = SSL_new(s->ctx);
	SSL_set_fd(ssl_rx, s->fd);
	if (SSL_accept(ssl_rx) != 1) {
		ERR_print_errors_fp(stderr);
		exit(1);
	}
	return drain(NULL);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: percall MODE N [--sync] (see the source)\n");
		return 2;
	}
	const char *mode = argv[1];
	long n = atol(argv[2]);
	int sync = argc > 3 && !strcmp(argv[argc - 1], "--sync");
	char buf[16384];
	memset(buf, 'x', sizeof buf);
	if (getenv("PERCALL_PIN"))
		pin(0);
	double t0, t1;

	if (!strcmp(mode, "devnull-write")) {
		int fd = open("/dev/null", O_WRONLY);
		t0 = now_ns();
		for (long i = 0; i < n; i++)
			if (write(fd, buf, 64) != 64)
				die("write");
		t1 = now_ns();
	} else if (!strcmp(mode, "tls-write")) {
		if (argc < 5)
			die("tls-write needs CERT KEY");
		int sv[2];
		pair(1, sv);
		SSL_CTX *sctx = SSL_CTX_new(TLS_server_method()), *cctx = SSL_CTX_new(TLS_client_method());
		if (SSL_CTX_use_certificate_file(sctx, argv[3], SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_use_PrivateKey_file(sctx, argv[4], SSL_FILETYPE_PEM) != 1)
			die("certificate");
		struct tls_server srv = {sctx, sv[1]};
		pthread_t t;
		pthread_create(&t, NULL, tls_accept, &srv);
		SSL *c = SSL_new(cctx);
		SSL_set_fd(c, sv[0]);
		if (SSL_connect(c) != 1)
			die("SSL_connect");
		t0 = now_ns();
		for (long i = 0; i < n; i++)
			if (SSL_write(c, buf, sizeof buf) != (int)sizeof buf)
				die("SSL_write");
		t1 = now_ns();
		SSL_shutdown(c);
		shutdown(sv[0], SHUT_WR);
		pthread_join(t, NULL);
	} else {
		int tcp = !strncmp(mode, "tcp-", 4);
		const char *call = mode + (tcp ? 4 : 5);
		int sv[2];
		pair(tcp, sv);
		rx = sv[1];
		pthread_t t;
		if (!sync)
			pthread_create(&t, NULL, drain, NULL);
		struct iovec iov[2] = {{buf, 32}, {buf + 32, 32}};
		struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
		char sink[64];
		t0 = now_ns();
		for (long i = 0; i < n; i++) {
			ssize_t r;
			if (!strcmp(call, "write"))
				r = write(sv[0], buf, 64);
			else if (!strcmp(call, "send"))
				r = send(sv[0], buf, 64, 0);
			else if (!strcmp(call, "writev"))
				r = writev(sv[0], iov, 2);
			else if (!strcmp(call, "sendmsg"))
				r = sendmsg(sv[0], &m, 0);
			else
				die("unknown mode");
			if (r != 64)
				die("write");
			if (sync) {
				size_t got = 0;
				while (got < 64) {
					ssize_t k = read(sv[1], sink, 64 - got);
					if (k <= 0)
						die("read");
					got += (size_t)k;
				}
			}
		}
		t1 = now_ns();
		if (!sync) {
			shutdown(sv[0], SHUT_WR);
			pthread_join(t, NULL);
		}
	}
	printf("{\"mode\": \"%s\", \"calls\": %ld, \"ns_per_call\": %.2f}\n", mode, n, (t1 - t0) / (double)n);
	return 0;
}
