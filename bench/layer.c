/* Comparison layers for `make bench`: a preload that does nothing but set one
 * option on every socket it sees connected or accepted. Built twice: with
 * -DLAYER_UTO it sets TCP_USER_TIMEOUT (as libkeepalive-style preloads do),
 * without it SO_SNDTIMEO. LAYER_MS gives the value (default 1000). */
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/time.h>

static void arm(int fd)
{
	const char *v = getenv("LAYER_MS");
	long ms = v ? atol(v) : 1000;
#ifdef LAYER_UTO
	unsigned uto = (unsigned)ms;
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto, sizeof uto);
#else
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
#endif
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
