/* A "legacy daemon" with the lock pattern of golang/go#28824: worker threads
 * send requests to several destinations over pooled connections. To get a
 * connection a worker takes the pool lock, then the connection's own lock, and
 * only then lets go of the pool lock; it holds the connection lock while it
 * writes the request. One destination that stops reading blocks one write;
 * the next worker for that destination waits for the connection lock while
 * holding the pool lock; every other worker waits for the pool lock. The
 * whole daemon freezes.
 *
 *   legacy-daemon --duration SECONDS [--freeze SECONDS NAME PID] NAME=PORT...
 *
 * Like most daemons it does handle a failed write: it drops the connection and
 * marks the destination down for a while. Without a deadline on the write that
 * handler never runs.
 *
 * Every half second it prints how many requests each destination completed.
 * Only the main thread prints: the workers' failed writes, and the freeze of a
 * backend (--freeze: the demo's stage direction, SIGSTOP to PID at SECONDS,
 * right after that row), are queued with their time and printed before the
 * first row that is not earlier, so one clock orders every line and the
 * timeline reads the same way every run. Every line starts with its time
 * right-aligned in one column. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEST     8
#define WORKERS	     6
#define REQUEST	     16384
#define DOWN_SECONDS 30
#define TIME_COL     14 /* "  time", "   2.5s", "  totals": right-aligned in this many columns */
#define MAX_EVENTS   64

struct conn {
	pthread_mutex_t lock;
	int fd;
	const char *name;
	int port;
	atomic_long done, failed;
	_Atomic double down_until;
};

static struct conn pool[MAX_DEST];
static int ndest;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct timespec t0;

/* Lines waiting for the main thread: what happened, and when. */
static struct {
	double t;
	char text[160];
} events[MAX_EVENTS];
static int nevents;
static pthread_mutex_t events_lock = PTHREAD_MUTEX_INITIALIZER;

static double elapsed(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
}

static void event(double t, const char *text)
{
	pthread_mutex_lock(&events_lock);
	if (nevents < MAX_EVENTS) {
		events[nevents].t = t;
		snprintf(events[nevents].text, sizeof events[nevents].text, "%s", text);
		nevents++;
	}
	pthread_mutex_unlock(&events_lock);
}

/* Prints, in time order, the events up to time until. */
static void print_events(double until)
{
	pthread_mutex_lock(&events_lock);
	for (;;) {
		int first = -1;
		for (int i = 0; i < nevents; i++)
			if (events[i].t <= until && (first < 0 || events[i].t < events[first].t))
				first = i;
		if (first < 0)
			break;
		printf("%*.1fs  %s\n", TIME_COL - 1, events[first].t, events[first].text);
		events[first] = events[--nevents];
	}
	pthread_mutex_unlock(&events_lock);
}

static int dial(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int small = 32768;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((unsigned short)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void *worker(void *arg)
{
	static char request[REQUEST];
	unsigned i = (unsigned)(long)arg;
	for (;; i++) {
		struct conn *c = &pool[i % (unsigned)ndest];
		if (elapsed() < atomic_load(&c->down_until)) {
			usleep(20000);
			continue;
		}
		/* The bug, as in the incident: the pool lock is still held while we
		 * wait for the connection's lock. */
		pthread_mutex_lock(&pool_lock);
		pthread_mutex_lock(&c->lock);
		if (c->fd < 0)
			c->fd = dial(c->port);
		pthread_mutex_unlock(&pool_lock);
		double started = elapsed();
		if (c->fd >= 0 && write_all(c->fd, request, sizeof request) == 0) {
			atomic_fetch_add(&c->done, 1);
		} else {
			int e = errno;
			char what[160];
			double t = elapsed();
			snprintf(what, sizeof what,
				 "%s: write failed after %.1f s (%s): connection dropped, %s marked down",
				 c->name, t - started, strerror(e), c->name);
			event(t, what);
			atomic_store(&c->down_until, t + DOWN_SECONDS);
			atomic_fetch_add(&c->failed, 1);
			if (c->fd >= 0)
				close(c->fd);
			c->fd = -1;
		}
		pthread_mutex_unlock(&c->lock);
		usleep(20000);
	}
	return NULL;
}

struct freeze {
	double at; /* < 0: none */
	const char *name;
	pid_t pid;
};

static int usage(void)
{
	fprintf(stderr, "usage: legacy-daemon --duration SECONDS [--freeze SECONDS NAME PID] NAME=PORT...\n");
	return 2;
}

static int parse(int argc, char **argv, double *duration, struct freeze *f)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--duration") && i + 1 < argc) {
			*duration = atof(argv[++i]);
			continue;
		}
		if (!strcmp(argv[i], "--freeze") && i + 3 < argc) {
			f->at = atof(argv[i + 1]);
			f->name = argv[i + 2];
			f->pid = (pid_t)atoi(argv[i + 3]);
			i += 3;
			continue;
		}
		char *eq = strchr(argv[i], '=');
		if (!eq || ndest == MAX_DEST)
			return -1;
		*eq = 0;
		pool[ndest].name = argv[i];
		pool[ndest].port = atoi(eq + 1);
		pool[ndest].fd = -1;
		pthread_mutex_init(&pool[ndest].lock, NULL);
		ndest++;
	}
	return ndest ? 0 : -1;
}

/* One row of the table: the requests each destination completed since the last. */
static void row(double t, long *last)
{
	print_events(t);
	printf("%*.1fs ", TIME_COL - 1, t);
	int stalled = 0;
	for (int d = 0; d < ndest; d++) {
		long now = atomic_load(&pool[d].done);
		printf("  %6ld", now - last[d]);
		stalled += now == last[d];
		last[d] = now;
	}
	printf("%s\n", stalled == ndest ? "   <- nothing moves" : "");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	double duration = 8;
	struct freeze f = {.at = -1};
	if (parse(argc, argv, &duration, &f) != 0)
		return usage();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	printf("%*s ", TIME_COL, "time");
	for (int d = 0; d < ndest; d++)
		printf("  %6s", pool[d].name);
	printf("   (requests completed per half second)\n");
	pthread_t t;
	for (long w = 0; w < WORKERS; w++)
		pthread_create(&t, NULL, worker, (void *)w);
	long last[MAX_DEST] = {0};
	for (double next = 0.5; next <= duration + 1e-9; next += 0.5) {
		double wait = next - elapsed();
		if (wait > 0)
			usleep((useconds_t)(wait * 1e6));
		row(next, last);
		if (f.at >= 0 && next >= f.at - 1e-9) {
			char what[160];
			kill(f.pid, SIGSTOP);
			snprintf(what, sizeof what, "-- backend %s freezes (SIGSTOP): alive, not reading --",
				 f.name);
			event(next, what);
			f.at = -1;
		}
	}
	print_events(duration + 1);
	printf("%*s", TIME_COL, "totals");
	for (int d = 0; d < ndest; d++)
		printf("  %s=%ld", pool[d].name, atomic_load(&pool[d].done));
	printf("\n");
	fflush(stdout);
	/* Workers may be wedged inside write(): leave without waiting for them. */
	_exit(0);
}
