/* What the per-fd table costs: raises RLIMIT_NOFILE as far as allowed (to
 * 1,000,000 where the hard limit permits), then writes through COUNT fds
 * spread over the whole range, and prints the resident memory before and after.
 *
 *   fdmem COUNT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "VmRSS:", 6))
			v = atol(line + 6);
	if (f)
		fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	long count = argc > 1 ? atol(argv[1]) : 0;
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rlim_t want = 1000000;
	if (setrlimit(RLIMIT_NOFILE, &(struct rlimit){want, want}) != 0) {
		want = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &(struct rlimit){want, want}) != 0) {
			perror("setrlimit");
			return 1;
		}
	}
	long top = (long)want - 1;
	if (count > top - 10)
		count = top - 10;
	int sv[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	long before = rss_kib();
	long step = count ? (top - 10) / count : 1;
	for (long i = 0; i < count; i++) {
		int fd = (int)(top - i * step);
		if (dup2(sv[0], fd) != fd) {
			perror("dup2");
			return 1;
		}
		if (write(fd, "x", 1) != 1) {
			perror("write");
			return 1;
		}
		close(fd);
		char b[8];
		while (recv(sv[1], b, sizeof b, MSG_DONTWAIT) > 0)
			;
	}
	printf("{\"fds_touched\": %ld, \"rss_before_kib\": %ld, \"rss_after_kib\": %ld}\n", count, before,
	       rss_kib());
	return 0;
}
