/* Threads, signal handlers and fd numbers around a write in flight. One JSON
 * line per run; the tests compare with the same program without the preload.
 *
 *   wconcurrent same-socket ADDR THREADS BYTES
 *       THREADS threads write BYTES each, in 4 KiB writes, to one socket
 *   wconcurrent many-sockets THREADS BYTES
 *       THREADS threads write BYTES each to a socket pair of their own, each
 *       drained by a reader thread that counts what arrives
 *   wconcurrent handler-same-socket ADDR BYTES
 *       the main thread writes BYTES while a SIGALRM handler (every 20 ms,
 *       SA_RESTART) writes one byte to the same socket
 *   wconcurrent reuse ADDR_X ADDR_Y [write|sendfile] [raw-close]
 *       a thread writes 32 MiB to X (which does not read yet); meanwhile the
 *       main thread closes X's fd and connects to Y, which gets the same fd
 *       number; prints "reused", then waits for the writer */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/time.h>

#include "common.h"

/* The same with raw system calls, which no wrapper sees. */
static int connect_raw(const char *s)
{
	struct addr a;
	if (parse_addr(s, &a) != 0)
		die("address");
	int fd = (int)syscall(SYS_socket, a.family, a.type, 0);
	if (fd < 0 || syscall(SYS_connect, fd, (struct sockaddr *)&a.ss, a.len) != 0)
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

struct reader {
	int fd;
	long long got;
	pthread_t t;
};

static void *count_all(void *arg)
{
	struct reader *r = arg;
	char buf[8192];
	ssize_t n;
	while ((n = read(r->fd, buf, sizeof buf)) > 0)
		r->got += n;
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
		int fd = connect_addr(argv[2]), n = atoi(argv[3]);
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
	if (!strcmp(mode, "many-sockets") && argc == 4) {
		int n = atoi(argv[2]);
		static struct writer w[256];
		static struct reader rd[256];
		if (n < 1 || n > 256)
			return 2;
		for (int i = 0; i < n; i++) {
			int sv[2];
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
				die("socketpair");
			w[i] = (struct writer){.fd = sv[0], .bytes = atoll(argv[3])};
			rd[i] = (struct reader){.fd = sv[1]};
			pthread_create(&rd[i].t, NULL, count_all, &rd[i]);
			pthread_create(&w[i].t, NULL, write_all, &w[i]);
		}
		long long sent = 0, got = 0;
		int errs = 0, mismatched = 0;
		for (int i = 0; i < n; i++) {
			pthread_join(w[i].t, NULL);
			shutdown(w[i].fd, SHUT_WR);
			pthread_join(rd[i].t, NULL);
			sent += w[i].written;
			got += rd[i].got;
			errs += w[i].err != 0;
			mismatched += w[i].written != rd[i].got;
		}
		printf("{\"written\": %lld, \"read\": %lld, \"errors\": %d, \"mismatched\": %d}\n", sent, got,
		       errs, mismatched);
		return 0;
	}
	if (!strcmp(mode, "handler-same-socket") && argc == 4) {
		struct writer w = {.fd = connect_addr(argv[2]), .bytes = atoll(argv[3])};
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
	if (!strcmp(mode, "reuse") && argc >= 4 && argc <= 6) {
		/* raw-close: closed and reconnected behind unwedge's back (raw system
		 * calls, as glibc's internal ones are), which ThreadSanitizer does not
		 * see either. */
		int raw = argc == 6 && !strcmp(argv[5], "raw-close");
		if (argc == 5 && !strcmp(argv[4], "sendfile")) {
			static char chunk[1 << 20];
			memset(chunk, 'x', sizeof chunk);
			big_file = memfd_create("wconcurrent", 0);
			for (int i = 0; i < 32; i++)
				if (write(big_file, chunk, sizeof chunk) != (ssize_t)sizeof chunk)
					die("memfd");
			lseek(big_file, 0, SEEK_SET);
		}
		big.fd = connect_addr(argv[2]);
		pthread_t t;
		pthread_create(&t, NULL, write_big, NULL);
		usleep(300000); /* the writer is blocked by now: X does not read */
		int old = big.fd;
		if (raw)
			syscall(SYS_close, old);
		else
			close(old);
		int y = raw ? connect_raw(argv[3]) : connect_addr(argv[3]);
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
