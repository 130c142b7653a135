/* Threads, signal handlers and fd numbers around a write in flight. One JSON
 * line per run; the tests compare with the same program without the preload.
 *
 *   wconcurrent same-socket ADDR THREADS BYTES
 *       THREADS threads write BYTES each, in 4 KiB writes, to one socket
 *   wconcurrent handler-same-socket ADDR BYTES
 *       the main thread writes BYTES while a SIGALRM handler (every 20 ms,
 *       SA_RESTART) writes one byte to the same socket
 *   wconcurrent reuse ADDR_X ADDR_Y [write|sendfile]
 *       a thread writes 32 MiB to X (which does not read yet); meanwhile the
 *       main thread closes X's fd and connects to Y, which gets the same fd
 *       number; prints "reused", then waits for the writer */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/time.h>

#include "common.h"

static int connect_to(const char *s)
{
	struct addr a;
	if (parse_addr(s, &a) != 0)
		die("address");
	int fd = socket(a.family, a.type, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a.ss, a.len) != 0)
		die("connect");
	return fd;
}

struct writer {
	int fd;
	long long bytes, written;
	int err;
	pthread_t t;
};

static void *write_all(void *arg)
{
	struct writer *w = arg;
	static __thread char buf[4096];
	memset(buf, 'w', sizeof buf);
	while (w->written < w->bytes) {
		size_t n = w->bytes - w->written < (long long)sizeof buf ? (size_t)(w->bytes - w->written)
									 : sizeof buf;
		ssize_t r = write(w->fd, buf, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			w->err = errno;
			break;
		}
		w->written += r;
	}
	return NULL;
}

static int handler_fd;
static volatile sig_atomic_t handler_bytes, handler_fail;
static void on_alarm(int sig)
{
	(void)sig;
	int saved = errno;
	if (write(handler_fd, "!", 1) == 1)
		handler_bytes++;
	else
		handler_fail++;
	errno = saved;
}

static struct writer big;
static int big_file = -1;
static void *write_big(void *arg)
{
	(void)arg;
	static char buf[32 << 20];
	memset(buf, 'x', sizeof buf);
	ssize_t r =
		big_file >= 0 ? sendfile(big.fd, big_file, NULL, sizeof buf) : write(big.fd, buf, sizeof buf);
	big.written = r;
	big.err = r < 0 ? errno : 0;
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	if (!strcmp(mode, "same-socket") && argc == 5) {
		int fd = connect_to(argv[2]), n = atoi(argv[3]);
		struct writer w[64];
		if (n < 1 || n > 64)
			return 2;
		for (int i = 0; i < n; i++) {
			w[i] = (struct writer){.fd = fd, .bytes = atoll(argv[4])};
			pthread_create(&w[i].t, NULL, write_all, &w[i]);
		}
		long long total = 0;
		int errs = 0;
		for (int i = 0; i < n; i++) {
			pthread_join(w[i].t, NULL);
			total += w[i].written;
			errs += w[i].err != 0;
		}
		printf("{\"written\": %lld, \"errors\": %d}\n", total, errs);
		return 0;
	}
	if (!strcmp(mode, "handler-same-socket") && argc == 4) {
		struct writer w = {.fd = connect_to(argv[2]), .bytes = atoll(argv[3])};
		handler_fd = w.fd;
		struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, NULL);
		struct itimerval it = {{0, 20000}, {0, 20000}};
		setitimer(ITIMER_REAL, &it, NULL);
		write_all(&w);
		struct itimerval off = {{0, 0}, {0, 0}};
		setitimer(ITIMER_REAL, &off, NULL);
		printf("{\"written\": %lld, \"errno\": %d, \"handler_bytes\": %d, \"handler_failures\": "
		       "%d}\n",
		       w.written, w.err, (int)handler_bytes, (int)handler_fail);
		return 0;
	}
	if (!strcmp(mode, "reuse") && (argc == 4 || argc == 5)) {
		if (argc == 5 && !strcmp(argv[4], "sendfile")) {
			static char chunk[1 << 20];
			memset(chunk, 'x', sizeof chunk);
			big_file = memfd_create("wconcurrent", 0);
			for (int i = 0; i < 32; i++)
				if (write(big_file, chunk, sizeof chunk) != (ssize_t)sizeof chunk)
					die("memfd");
			lseek(big_file, 0, SEEK_SET);
		}
		big.fd = connect_to(argv[2]);
		pthread_t t;
		pthread_create(&t, NULL, write_big, NULL);
		usleep(300000); /* the writer is blocked by now: X does not read */
		int old = big.fd;
		close(old);
		int y = connect_to(argv[3]);
		printf("{\"reused\": %s}\n", y == old ? "true" : "false");
		fflush(stdout);
		pthread_join(t, NULL);
		printf("{\"writer_ret\": %lld, \"writer_errno\": %d}\n", big.written, big.err);
		close(y);
		return 0;
	}
	fprintf(stderr, "usage: wconcurrent same-socket|handler-same-socket|reuse ...\n");
	return 2;
}
