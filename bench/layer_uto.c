/* A comparison layer for `make bench`: a preload that does nothing but set
 * TCP_USER_TIMEOUT on every socket it sees connected or accepted, as
 * libkeepalive-style preloads do. */
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

static void arm(int fd)
{
	const char *v = getenv("LAYER_MS");
	long ms = v ? atol(v) : 1000;
	unsigned v_ms = (unsigned)ms;
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v_ms, sizeof v_ms);
}

int connect(int fd, const struct sockaddr *a, socklen_t l)
{
	static int (*real)(int, const struct sockaddr *, socklen_t);
	if (!real)
		real = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
	int r = real(fd, a, l);
	if (r == 0)
		arm(fd);
	return r;
}

int accept(int fd, struct sockaddr *a, socklen_t *l)
{
	static int (*real)(int, struct sockaddr *, socklen_t *);
	if (!real)
		real = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
	int r = real(fd, a, l);
	if (r >= 0)
		arm(r);
	return r;
}
