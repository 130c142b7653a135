/* Scale: many wedged sockets in one process. A server thread accepts N
 * connections and never reads; the client side writes under the preload.
 *
 *   scale N threads|roundrobin
 *
 * threads:    one thread per socket writes until its write fails.
 * roundrobin: one thread writes 1 KiB to each socket in turn until every
 *             socket has failed.
 * Prints how long after the start the last write failed, and the longest
 * time any socket took from its last successful write (when it wedged) to
 * its failure: the deadline as each socket saw it. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>

static int n, *cfd, lfd;
static atomic_int failed;
static double start;
static _Atomic double last_fail, worst_wedge;

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The server end: accepts every connection and never reads. */
static void *acceptor(void *arg)
{
	(void)arg;
	for (int i = 0; i < n; i++)
		if (accept(lfd, NULL, NULL) < 0)
			perror("accept");
	for (;;)
		pause();
	return NULL;
}

static void raise_to(_Atomic double *v, double t)
{
	double prev = atomic_load(v);
	while (t > prev && !atomic_compare_exchange_weak(v, &prev, t))
		;
}

static void note_fail(double last_ok)
{
	double now = now_s();
	raise_to(&last_fail, now - start);
	raise_to(&worst_wedge, now - last_ok);
	atomic_fetch_add(&failed, 1);
}

static void *writer(void *arg)
{
	int fd = (int)(long)arg;
	static char buf[4096];
	double last_ok = now_s();
	while (write(fd, buf, sizeof buf) > 0)
		last_ok = now_s();
	note_fail(last_ok);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: scale N threads|roundrobin\n");
		return 2;
	}
	n = atoi(argv[1]);
	/* The two ends live in two processes: each needs n fds, not 2n. */
	struct rlimit rl = {(rlim_t)(n + 100), (rlim_t)(n + 100)};
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		perror("setrlimit");
		return 1;
	}
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	int small = 4096;
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	if (bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 4096) ||
	    getsockname(lfd, (struct sockaddr *)&a, &len))
		return 1;
	pid_t server = fork();
	if (server == 0) {
		acceptor(NULL);
		_exit(0);
	}
	close(lfd);
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 64 * 1024);
	pthread_t t;
	cfd = calloc((size_t)n, sizeof *cfd);
	for (int i = 0; i < n; i++) {
		cfd[i] = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(cfd[i], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
		if (connect(cfd[i], (struct sockaddr *)&a, sizeof a) != 0) {
			perror("connect");
			return 1;
		}
	}
	start = now_s();
	if (!strcmp(argv[2], "threads")) {
		for (int i = 0; i < n; i++)
			if (pthread_create(&t, &at, writer, (void *)(long)cfd[i]) != 0) {
				perror("pthread_create");
				return 1;
			}
		while (atomic_load(&failed) < n)
			usleep(10000);
	} else {
		static char buf[1024];
		char *dead = calloc((size_t)n, 1);
		double *last_ok = calloc((size_t)n, sizeof *last_ok);
		for (int i = 0; i < n; i++)
			last_ok[i] = start;
		while (atomic_load(&failed) < n)
			for (int i = 0; i < n; i++) {
				if (dead[i])
					continue;
				if (write(cfd[i], buf, sizeof buf) <= 0) {
					dead[i] = 1;
					note_fail(last_ok[i]);
				} else {
					last_ok[i] = now_s();
				}
			}
	}
	printf("{\"sockets\": %d, \"mode\": \"%s\", \"last_failure_s\": %.3f, \"worst_wedge_to_failure_s\": "
	       "%.3f}\n",
	       n, argv[2], atomic_load(&last_fail), atomic_load(&worst_wedge));
	fflush(stdout);
	kill(server, SIGKILL);
	_exit(0);
}
