/* A probe for the cgroup layer's tests: what TCP_USER_TIMEOUT and keepalive a socket ends up with,
 * and how long a wedged blocking write lasts. One JSON line on stdout.
 *
 *   utoprobe options [--listener MS] [--before MS] [--after MS]
 *       a loopback connection made in this process: the listener's own value (set before listen),
 *       the client's (set before connect and/or after it), read back at each step, and the
 *       accepted socket's value
 *   utoprobe sink [--portfile F]
 *       listens on 127.0.0.1, accepts, never reads (a zero window); exits after 120 s
 *   utoprobe wedge PORT [--delay-ms MS]
 *       connects to 127.0.0.1:PORT, then writes until a write fails: how long the longest write
 *       was blocked, and the errno; or, if connect() fails, how long it took
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int get_int(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof v;
	return getsockopt(fd, level, name, &v, &len) == 0 ? v : -1;
}

static void set_int(int fd, int level, int name, int v)
{
	if (setsockopt(fd, level, name, &v, sizeof v) != 0) {
		perror("setsockopt");
		exit(1);
	}
}

static const char *flag(int argc, char **argv, const char *name)
{
	for (int i = 0; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return NULL;
}

static int listener(struct sockaddr_in *a, int uto)
{
	socklen_t alen = sizeof *a;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	memset(a, 0, sizeof *a);
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (uto >= 0)
		set_int(l, IPPROTO_TCP, TCP_USER_TIMEOUT, uto);
	if (l < 0 || bind(l, (struct sockaddr *)a, sizeof *a) != 0 || listen(l, 8) != 0 ||
	    getsockname(l, (struct sockaddr *)a, &alen) != 0) {
		perror("listen");
		exit(1);
	}
	return l;
}

static int options(int argc, char **argv)
{
	const char *lv = flag(argc, argv, "--listener"), *bv = flag(argc, argv, "--before"),
		   *av = flag(argc, argv, "--after");
	struct sockaddr_in a;
	int l = listener(&a, lv ? atoi(lv) : -1);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (bv)
		set_int(c, IPPROTO_TCP, TCP_USER_TIMEOUT, atoi(bv));
	int before_connect = get_int(c, IPPROTO_TCP, TCP_USER_TIMEOUT);
	if (connect(c, (struct sockaddr *)&a, sizeof a) != 0) {
		perror("connect");
		return 1;
	}
	/* connect() returns when the handshake is done: ACTIVE_ESTABLISHED_CB has run. */
	int after_connect = get_int(c, IPPROTO_TCP, TCP_USER_TIMEOUT);
	int acc = accept(l, NULL, NULL);
	if (av)
		set_int(c, IPPROTO_TCP, TCP_USER_TIMEOUT, atoi(av));
	printf("{\"listener\": %d, \"active_before_connect\": %d, \"active_after_connect\": %d, "
	       "\"active_final\": %d, \"passive\": %d, \"active_keepalive\": %d, \"active_keepidle\": %d, "
	       "\"active_keepintvl\": %d, \"active_keepcnt\": %d, \"passive_keepalive\": %d}\n",
	       get_int(l, IPPROTO_TCP, TCP_USER_TIMEOUT), before_connect, after_connect,
	       get_int(c, IPPROTO_TCP, TCP_USER_TIMEOUT), get_int(acc, IPPROTO_TCP, TCP_USER_TIMEOUT),
	       get_int(c, SOL_SOCKET, SO_KEEPALIVE), get_int(c, IPPROTO_TCP, TCP_KEEPIDLE),
	       get_int(c, IPPROTO_TCP, TCP_KEEPINTVL), get_int(c, IPPROTO_TCP, TCP_KEEPCNT),
	       get_int(acc, SOL_SOCKET, SO_KEEPALIVE));
	return 0;
}

static int sink(int argc, char **argv)
{
	const char *pf = flag(argc, argv, "--portfile");
	struct sockaddr_in a;
	int l = listener(&a, -1);
	if (pf) {
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s.tmp", pf);
		FILE *f = fopen(tmp, "w");
		if (!f || fprintf(f, "%d\n", ntohs(a.sin_port)) < 0 || fclose(f) != 0 ||
		    rename(tmp, pf) != 0) {
			perror(pf);
			return 1;
		}
	} else {
		printf("%d\n", ntohs(a.sin_port));
		fflush(stdout);
	}
	int c = accept(l, NULL, NULL);
	(void)c;
	sleep(120);
	return 0;
}

static int wedge(int argc, char **argv)
{
	const char *dv = flag(argc, argv, "--delay-ms");
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	a.sin_port = htons((unsigned short)atoi(argv[2]));
	int c = socket(AF_INET, SOCK_STREAM, 0);
	signal(SIGPIPE, SIG_IGN);
	double t0 = now_ms();
	if (connect(c, (struct sockaddr *)&a, sizeof a) != 0) {
		int e = errno;
		printf("{\"connect_ms\": %.0f, \"errno\": \"%s\"}\n", now_ms() - t0, strerrorname_np(e));
		return 0;
	}
	if (dv)
		usleep((useconds_t)atoi(dv) * 1000);
	static char buf[65536];
	long long total = 0;
	double start = now_ms(), longest = 0;
	ssize_t n;
	/* The wedged call may return a short count when the kernel gives up; the error then comes
	 * with the next call, at once: report the longest call. */
	for (;;) {
		double t = now_ms();
		n = write(c, buf, sizeof buf);
		if (now_ms() - t > longest)
			longest = now_ms() - t;
		if (n <= 0)
			break;
		total += n;
	}
	int e = errno;
	printf("{\"uto\": %d, \"written\": %lld, \"longest_call_ms\": %.0f, \"total_ms\": %.0f, \"errno\": "
	       "\"%s\"}\n",
	       get_int(c, IPPROTO_TCP, TCP_USER_TIMEOUT), total, longest, now_ms() - start,
	       strerrorname_np(e));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "options"))
		return options(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "sink"))
		return sink(argc, argv);
	if (argc >= 3 && !strcmp(argv[1], "wedge"))
		return wedge(argc, argv);
	fprintf(stderr, "usage: utoprobe options|sink|wedge PORT ...\n");
	return 2;
}
