/* Shared by the test helpers: addresses written as tcp4:HOST:PORT,
 * tcp6:[HOST]:PORT, unix:PATH or unixseq:PATH, and a clock. */
#ifndef UW_TEST_COMMON_H
#define UW_TEST_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static inline double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline void die(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, strerror(errno));
	exit(99);
}

struct addr {
	int family, type;
	struct sockaddr_storage ss;
	socklen_t len;
};

static inline int parse_addr(const char *s, struct addr *a)
{
	memset(a, 0, sizeof *a);
	a->type = SOCK_STREAM;
	if (strncmp(s, "unix:", 5) == 0 || strncmp(s, "unixseq:", 8) == 0) {
		struct sockaddr_un *un = (struct sockaddr_un *)&a->ss;
		const char *path = strchr(s, ':') + 1;
		if (s[4] == 's')
			a->type = SOCK_SEQPACKET;
		a->family = un->sun_family = AF_UNIX;
		snprintf(un->sun_path, sizeof un->sun_path, "%s", path);
		a->len = sizeof *un;
		return 0;
	}
	char host[128];
	const char *rest;
	int port;
	if (strncmp(s, "tcp4:", 5) == 0) {
		rest = s + 5;
		const char *colon = strrchr(rest, ':');
		if (!colon)
			return -1;
		snprintf(host, sizeof host, "%.*s", (int)(colon - rest), rest);
		port = atoi(colon + 1);
		struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;
		a->family = in->sin_family = AF_INET;
		in->sin_port = htons((unsigned short)port);
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return -1;
		a->len = sizeof *in;
		return 0;
	}
	if (strncmp(s, "tcp6:[", 6) == 0) {
		rest = s + 6;
		const char *close = strchr(rest, ']');
		if (!close || close[1] != ':')
			return -1;
		snprintf(host, sizeof host, "%.*s", (int)(close - rest), rest);
		port = atoi(close + 2);
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
		a->family = in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)port);
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return -1;
		a->len = sizeof *in6;
		return 0;
	}
	return -1;
}

/* An errno as the tests' JSON lines spell it: the name for the ones the tests
 * look for, "0" for none, strerror's text for the rest. */
static inline const char *errno_name(int e)
{
	switch (e) {
	case 0:
		return "0";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case EAGAIN:
		return "EAGAIN";
	case EPIPE:
		return "EPIPE";
	case EINTR:
		return "EINTR";
	case ECONNRESET:
		return "ECONNRESET";
	case ENOTCONN:
		return "ENOTCONN";
	case EBADF:
		return "EBADF";
	default:
		return strerror(e);
	}
}

/* A socket connected to an address in the form parse_addr takes; exits on failure. */
static inline int connect_addr(const char *s)
{
	struct addr a;
	if (parse_addr(s, &a) != 0) {
		fprintf(stderr, "bad address %s\n", s);
		exit(2);
	}
	int fd = socket(a.family, a.type, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a.ss, a.len) != 0)
		die("connect");
	return fd;
}

/* A connected TCP pair over loopback: sv[0] connected, sv[1] accepted. */
static inline void tcp_pair(int sv[2])
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		die("listen");
	sv[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(sv[0], (struct sockaddr *)&a, sizeof a) != 0)
		die("connect");
	sv[1] = accept(l, NULL, NULL);
	close(l);
}

/* The byte at stream offset i: lets a reader check order and completeness. */
static inline unsigned char pattern_byte(unsigned long long i)
{
	return (unsigned char)((i * 7 + i / 251) & 0xff);
}

#endif
