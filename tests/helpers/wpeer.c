/* A peer for the tests: listens, accepts one connection, and then reads in the
 * way the test asks: never (a zero window), slowly and steadily, or at once.
 *
 *   wpeer ADDR MODE [--portfile F] [--rcvbuf N] [--report-uto]
 *   MODE: never | drain | hold-then-drain | slow:BYTES_PER_SEC | bounce
 *
 * hold-then-drain reads nothing until SIGUSR1, then reads to EOF and prints
 * {"read": N, "pattern_ok": true}. Every mode prints that line at EOF. */
#include <fcntl.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <unistd.h>

#include "common.h"

static volatile sig_atomic_t go;
static void on_usr1(int sig)
{
	(void)sig, go = 1;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: wpeer ADDR MODE [--portfile F] [--rcvbuf N] [--report-uto]\n");
		return 2;
	}
	struct addr a;
	if (parse_addr(argv[1], &a) != 0) {
		fprintf(stderr, "wpeer: bad address %s\n", argv[1]);
		return 2;
	}
	const char *mode = argv[2], *portfile = NULL;
	int rcvbuf = 0;
	bool report_uto = false;
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--portfile") && i + 1 < argc)
			portfile = argv[++i];
		else if (!strcmp(argv[i], "--rcvbuf") && i + 1 < argc)
			rcvbuf = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--report-uto"))
			report_uto = true;
	}
	signal(SIGUSR1, on_usr1);
	int l = socket(a.family, a.type, 0);
	if (l < 0)
		die("socket");
	int one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (rcvbuf)
		setsockopt(l, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	if (a.family == AF_UNIX)
		unlink(((struct sockaddr_un *)&a.ss)->sun_path);
	if (bind(l, (struct sockaddr *)&a.ss, a.len) != 0)
		die("bind");
	if (listen(l, 16) != 0)
		die("listen");
	struct sockaddr_storage me;
	socklen_t melen = sizeof me;
	getsockname(l, (struct sockaddr *)&me, &melen);
	int port = 0;
	if (me.ss_family == AF_INET)
		port = ntohs(((struct sockaddr_in *)&me)->sin_port);
	else if (me.ss_family == AF_INET6)
		port = ntohs(((struct sockaddr_in6 *)&me)->sin6_port);
	if (portfile) {
		char tmp[512];
		snprintf(tmp, sizeof tmp, "%s.tmp", portfile);
		FILE *f = fopen(tmp, "w");
		if (!f)
			die("portfile");
		fprintf(f, "%d\n", port);
		fclose(f);
		rename(tmp, portfile);
	}
	int c = accept(l, NULL, NULL);
	if (c < 0)
		die("accept");
	if (report_uto) {
		unsigned v = 0;
		socklen_t len = sizeof v;
		getsockopt(c, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, &len);
		printf("{\"accepted_uto\": %u}\n", v);
		fflush(stdout);
	}
	long rate = 0;
	if (!strcmp(mode, "never") || !strcmp(mode, "hold-then-drain")) {
		while (!go)
			pause();
	} else if (!strncmp(mode, "slow:", 5)) {
		rate = atol(mode + 5);
	} else if (!strcmp(mode, "bounce")) {
		/* Echo one line back, then read to EOF. */
	} else if (strcmp(mode, "drain") != 0) {
		fprintf(stderr, "wpeer: unknown mode %s\n", mode);
		return 2;
	}
	static char buf[1 << 16];
	unsigned long long total = 0;
	bool ok = true;
	double start = now_ms();
	for (;;) {
		size_t want = sizeof buf;
		if (rate) {
			/* Steady: never more than the rate allows so far, in 10 ms steps. */
			double allowed = (now_ms() - start) / 1000.0 * (double)rate;
			if ((double)total >= allowed) {
				usleep(10000);
				continue;
			}
			want = (size_t)(allowed - (double)total) + 1;
			if (want > sizeof buf)
				want = sizeof buf;
		}
		ssize_t n = read(c, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != (char)pattern_byte(total + (unsigned long long)i))
				ok = false;
		total += (unsigned long long)n;
	}
	printf("{\"read\": %llu, \"pattern_ok\": %s}\n", total, ok ? "true" : "false");
	return 0;
}
