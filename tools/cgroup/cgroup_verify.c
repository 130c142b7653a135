/* uw_cg_verify: the proof that the program works here, made before the command runs. A kernel
 * that loads and attaches the program can still refuse the option at run time (bpf_setsockopt
 * is checked per call, not by the verifier), so only a real connection tells. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cgroup_bpf.h"

#define VERIFY_MS 1000

static int get_int(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof v;
	return getsockopt(fd, level, name, &v, &len) == 0 ? v : -1;
}

/* A listener and a client on 127.0.0.1, both bound; their ports, local << 16 | peer, go into the
 * settings of the program on dir so that it leaves this connection out of its counters. Then the
 * client connects (non-blocking). 0, or -1 with err set. */
static int start_connection(const char *dir, const struct uw_cg_settings *s, int *l, int *c, char *err,
			    size_t errlen)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_in b = a;
	socklen_t alen = sizeof a, blen = sizeof b;
	*l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	*c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (*l < 0 || *c < 0 || bind(*l, (struct sockaddr *)&a, sizeof a) != 0 || listen(*l, 1) != 0 ||
	    getsockname(*l, (struct sockaddr *)&a, &alen) != 0 ||
	    bind(*c, (struct sockaddr *)&b, sizeof b) != 0 ||
	    getsockname(*c, (struct sockaddr *)&b, &blen) != 0) {
		snprintf(err, errlen, "could not check: no loopback TCP connection here (%s)",
			 strerror(errno));
		return -1;
	}
	struct uw_cg_settings mine = *s;
	mine.self_check_ports = (uint32_t)ntohs(b.sin_port) << 16 | ntohs(a.sin_port);
	char why[512];
	if (uw_cg_update(dir, &mine, why, sizeof why) != 0) {
		snprintf(err, errlen, "could not check: %s", why);
		return -1;
	}
	if (connect(*c, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) {
		snprintf(err, errlen, "could not check: no loopback TCP connection here (%s)",
			 strerror(errno));
		return -1;
	}
	return 0;
}

int uw_cg_verify(const char *dir, const struct uw_cg_settings *s, char *err, size_t errlen)
{
	int l = -1, c = -1, r = -1;
	/* Non-blocking, and bounded: a firewall that drops loopback packets must not hold the
	 * command back for the 130 s of SYN retries. */
	if (start_connection(dir, s, &l, &c, err, errlen) != 0)
		goto out;
	struct pollfd p = {.fd = c, .events = POLLOUT};
	int soerr = get_int(c, SOL_SOCKET, SO_ERROR);
	if (poll(&p, 1, VERIFY_MS) != 1 || (soerr = get_int(c, SOL_SOCKET, SO_ERROR)) != 0) {
		snprintf(err, errlen, "could not check: no loopback TCP connection within %d ms (%s)",
			 VERIFY_MS, soerr > 0 ? strerror(soerr) : "no answer");
		goto out;
	}
	/* Writable means established: the ESTABLISHED callback ran before the wake-up. */
	if ((s->flags & UW_CG_F_USER_TIMEOUT) && s->user_timeout_ms) {
		int v = get_int(c, IPPROTO_TCP, TCP_USER_TIMEOUT);
		if (v != (int)s->user_timeout_ms) {
			snprintf(err, errlen,
				 "the kernel did not apply TCP_USER_TIMEOUT (a new connection has %d ms, "
				 "want %u ms): "
				 "the kernel may be too old (5.9 or later is needed)",
				 v, s->user_timeout_ms);
			r = 0;
			goto out;
		}
	}
	if ((s->flags & UW_CG_F_KEEPALIVE) && get_int(c, SOL_SOCKET, SO_KEEPALIVE) != 1) {
		snprintf(err, errlen, "the kernel did not turn keepalive on for a new connection");
		r = 0;
		goto out;
	}
	r = 1;
out:
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	return r;
}
