/* A client for the tests: connects, then writes the byte pattern with one chosen
 * call until it has written --total bytes or a call fails, and prints one JSON
 * line describing what happened.
 *
 *   wclient ADDR CALL [options]
 *   CALL: write writev pwritev2 pwritev2-dsync send sendto sendmsg sendmmsg sendfile sendfile64 splice
 *   sendfile-huge: sendfile with a count of 2^62 (the rest of the file)
 *   (pwritev2 at offset -1: writev on a socket; -dsync with RWF_DSYNC, a no-op there)
 *   (splice moves the stream from a pipe this program fills)
 *   --chunk N        bytes per call (default 4 MiB)
 *   --total N        stop after N bytes (default: until a call fails)
 *   --after-fail K   after the first failure, make K more calls and time them
 *   --nonblock       O_NONBLOCK via fcntl after connect
 *   --sock-nonblock  SOCK_NONBLOCK at socket() (connect then waits with poll)
 *   --dontwait       pass MSG_DONTWAIT (send family)
 *   --sndtimeo MS    the application's own SO_SNDTIMEO
 *   --uto MS         the application's own TCP_USER_TIMEOUT
 *   --reader-thread  a second thread blocks in recv() on the same socket
 *   --hold-ms MS     after writing, sleep MS, then try one more 1-byte send
 *   --sndbuf N       SO_SNDBUF
 *   --delay-ms MS    sleep after connecting, before the first write
 *   --inherit-fd N   use the already connected socket N instead (ADDR ignored)
 *   --alarm-ms N     SIGALRM every N ms during the writes, its handler installed
 *   --restart        ... with SA_RESTART (default: without)
 *   --segv-handler   also install a SIGSEGV handler without SA_RESTART, as the
 *                    JVM and sanitizer runtimes do
 *   --retry-eintr    a call that fails with EINTR is made again, as robust
 *                    programs do (counted in "eintr")
 */
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <stdbool.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common.h"

static int fd;
static double reader_done_ms = -1, t0;
static ssize_t reader_ret;
static int reader_errno;

static void *reader(void *arg)
{
	(void)arg;
	char b[64];
	reader_ret = recv(fd, b, sizeof b, 0);
	reader_errno = errno;
	reader_done_ms = now_ms() - t0;
	return NULL;
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static unsigned uto_of(int s)
{
	unsigned v = 0;
	socklen_t len = sizeof v;
	getsockopt(s, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, &len);
	return v;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: wclient ADDR CALL [options]\n");
		return 2;
	}
	struct addr a;
	if (parse_addr(argv[1], &a) != 0) {
		fprintf(stderr, "wclient: bad address %s\n", argv[1]);
		return 2;
	}
	const char *call = argv[2];
	size_t chunk = 4 << 20;
	unsigned long long total_limit = 0;
	int after_fail = 0, sndtimeo = -1, uto = -1, sndbuf = 0, hold_ms = 0, delay_ms = 0, inherit = -1;
	int alarm_ms = 0, restart = 0, segv_handler = 0, retry_eintr = 0;
	long eintr = 0;
	bool nonblock = false, sock_nonblock = false, dontwait = false, reader_thread = false;
	for (int i = 3; i < argc; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : "0";
		if (!strcmp(o, "--chunk"))
			chunk = (size_t)atoll(v), i++;
		else if (!strcmp(o, "--total"))
			total_limit = (unsigned long long)atoll(v), i++;
		else if (!strcmp(o, "--after-fail"))
			after_fail = atoi(v), i++;
		else if (!strcmp(o, "--sndtimeo"))
			sndtimeo = atoi(v), i++;
		else if (!strcmp(o, "--uto"))
			uto = atoi(v), i++;
		else if (!strcmp(o, "--sndbuf"))
			sndbuf = atoi(v), i++;
		else if (!strcmp(o, "--hold-ms"))
			hold_ms = atoi(v), i++;
		else if (!strcmp(o, "--delay-ms"))
			delay_ms = atoi(v), i++;
		else if (!strcmp(o, "--alarm-ms"))
			alarm_ms = atoi(v), i++;
		else if (!strcmp(o, "--restart"))
			restart = 1;
		else if (!strcmp(o, "--segv-handler"))
			segv_handler = 1;
		else if (!strcmp(o, "--retry-eintr"))
			retry_eintr = 1;
		else if (!strcmp(o, "--inherit-fd"))
			inherit = atoi(v), i++;
		else if (!strcmp(o, "--nonblock"))
			nonblock = true;
		else if (!strcmp(o, "--sock-nonblock"))
			sock_nonblock = true;
		else if (!strcmp(o, "--dontwait"))
			dontwait = true;
		else if (!strcmp(o, "--reader-thread"))
			reader_thread = true;
		else {
			fprintf(stderr, "wclient: unknown option %s\n", o);
			return 2;
		}
	}
	fd = inherit >= 0 ? inherit : socket(a.family, a.type | (sock_nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		die("socket");
	if (sndbuf)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	if (uto >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto, sizeof uto) != 0)
		die("setsockopt TCP_USER_TIMEOUT");
	if (inherit < 0 && connect(fd, (struct sockaddr *)&a.ss, a.len) != 0) {
		if (errno != EINPROGRESS)
			die("connect");
		struct pollfd p = {fd, POLLOUT, 0};
		poll(&p, 1, 5000);
	}
	unsigned uto_connect = a.family == AF_UNIX ? 0 : uto_of(fd);
	if (sndtimeo >= 0) {
		struct timeval tv = {sndtimeo / 1000, (sndtimeo % 1000) * 1000};
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0)
			die("setsockopt SO_SNDTIMEO");
	}
	if (nonblock)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

	/* The pattern as a file too, for sendfile. */
	unsigned char *buf = malloc(chunk);
	int file = -1;
	if (!buf)
		die("malloc");
	if (!strncmp(call, "sendfile", 8)) {
		char path[] = "/tmp/wclient.XXXXXX";
		file = mkstemp(path);
		if (file < 0)
			die("mkstemp");
		unlink(path);
		unsigned long long n = total_limit ? total_limit : 256ULL << 20;
		for (unsigned long long off = 0; off < n; off += chunk) {
			size_t len = n - off < chunk ? (size_t)(n - off) : chunk;
			for (size_t i = 0; i < len; i++)
				buf[i] = pattern_byte(off + i);
			if (write(file, buf, len) != (ssize_t)len)
				die("write file");
		}
		lseek(file, 0, SEEK_SET);
	}

	int pipefd[2] = {-1, -1};
	size_t in_pipe = 0, pipe_size = 0;
	if (!strcmp(call, "splice")) {
		int want = chunk < 65536 ? 65536 : chunk > (1 << 20) ? (1 << 20) : (int)chunk;
		if (pipe(pipefd) != 0 ||
		    (pipe_size = (size_t)fcntl(pipefd[1], F_SETPIPE_SZ, want)) == (size_t)-1)
			die("pipe");
	}

	if (delay_ms)
		usleep((useconds_t)delay_ms * 1000);
	if (segv_handler) {
		struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = 0};
		sigemptyset(&sa.sa_mask);
		sigaction(SIGSEGV, &sa, NULL);
	}
	if (alarm_ms) {
		struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = restart ? SA_RESTART : 0};
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, NULL);
		struct itimerval it = {{alarm_ms / 1000, (alarm_ms % 1000) * 1000},
				       {alarm_ms / 1000, (alarm_ms % 1000) * 1000}};
		setitimer(ITIMER_REAL, &it, NULL);
	}
	pthread_t th;
	t0 = now_ms();
	if (reader_thread)
		pthread_create(&th, NULL, reader, NULL);

	unsigned long long total = 0;
	long calls = 0;
	ssize_t r = 0;
	int err = 0;
	double last_ms = 0, short_ms = -1;
	ssize_t short_ret = 0;
	int short_err = 0;
	int flags = dontwait ? MSG_DONTWAIT : 0;
	unsigned uto_write = 0;
	for (;;) {
		size_t len = chunk;
		if (total_limit && total_limit - total < len)
			len = (size_t)(total_limit - total);
		if (len == 0)
			break;
		for (size_t i = 0; i < len; i++)
			buf[i] = pattern_byte(total + i);
		double s = now_ms();
		errno = 0;
		if (!strcmp(call, "write")) {
			r = write(fd, buf, len);
		} else if (!strcmp(call, "writev")) {
			struct iovec v[3] = {{buf, len / 3},
					     {buf + len / 3, len / 3},
					     {buf + 2 * (len / 3), len - 2 * (len / 3)}};
			r = writev(fd, v, 3);
#ifdef __GLIBC__ /* musl has pwritev2 only since 1.2.5 (Debian 12: 1.2.3) */
		} else if (!strncmp(call, "pwritev2", 8)) {
			struct iovec v[2] = {{buf, len / 2}, {buf + len / 2, len - len / 2}};
			r = pwritev2(fd, v, 2, -1, strcmp(call, "pwritev2-dsync") ? 0 : RWF_DSYNC);
#endif
		} else if (!strcmp(call, "send")) {
			r = send(fd, buf, len, flags);
		} else if (!strcmp(call, "sendto")) {
			r = sendto(fd, buf, len, flags, NULL, 0);
		} else if (!strcmp(call, "sendmsg")) {
			struct iovec v[2] = {{buf, len / 2}, {buf + len / 2, len - len / 2}};
			struct msghdr m = {.msg_iov = v, .msg_iovlen = 2};
			r = sendmsg(fd, &m, flags);
		} else if (!strcmp(call, "sendmmsg")) {
			struct iovec v[2] = {{buf, len / 2}, {buf + len / 2, len - len / 2}};
			struct mmsghdr mm[2] = {{.msg_hdr = {.msg_iov = &v[0], .msg_iovlen = 1}},
						{.msg_hdr = {.msg_iov = &v[1], .msg_iovlen = 1}}};
			int k = sendmmsg(fd, mm, 2, flags);
			r = k < 0 ? -1 : (ssize_t)(k >= 1 ? mm[0].msg_len : 0) + (k >= 2 ? mm[1].msg_len : 0);
		} else if (!strcmp(call, "sendfile")) {
			r = sendfile(fd, file, NULL, len);
		} else if (!strcmp(call, "sendfile-huge")) {
			/* busybox httpd's way: "the rest of the file", as a count near 2^63. */
			r = sendfile(fd, file, NULL, (size_t)1 << 62);
		} else if (!strcmp(call, "sendfile64")) {
			r = sendfile64(fd, file, NULL, len);
		} else if (!strcmp(call, "splice")) {
			/* The pipe holds the stream from offset total on. */
			if (in_pipe == 0) {
				if (len > pipe_size)
					len = pipe_size;
				if (write(pipefd[1], buf, len) != (ssize_t)len)
					die("write pipe");
				in_pipe = len;
			}
			len = in_pipe;
			r = splice(pipefd[0], NULL, fd, NULL, in_pipe, 0);
			if (r > 0)
				in_pipe -= (size_t)r;
		} else {
			fprintf(stderr, "wclient: unknown call %s\n", call);
			return 2;
		}
		err = errno;
		last_ms = now_ms() - s;
		calls++;
		if (r < 0 && err == EINTR && retry_eintr) {
			eintr++;
			continue;
		}
		if (calls == 1 && a.family != AF_UNIX)
			uto_write = uto_of(fd);
		if (r > 0)
			total += (unsigned long long)r;
		if ((r < 0 || (size_t)r < len) && short_ms < 0) {
			/* The call that met the wedge: how long it took, and what it said. */
			short_ms = last_ms;
			short_ret = r;
			short_err = err;
		}
		if (r < 0 || (size_t)r < len) {
			if (r < 0 || err)
				break;
			/* A short count with no error: sendfile's or a timeout's partial
			 * count. The next call tells which. */
			if (r == 0)
				break;
		}
	}
	/* After the first failure: do later calls fail at once, and how? */
	double after_ms = -1;
	ssize_t after_r = 0;
	int after_err = 0;
	for (int k = 0; k < after_fail; k++) {
		double s = now_ms();
		errno = 0;
		after_r = write(fd, buf, 100);
		after_err = errno;
		after_ms = now_ms() - s;
	}
	double hold_r = 0;
	int hold_err = 0;
	if (hold_ms) {
		usleep((useconds_t)hold_ms * 1000);
		errno = 0;
		hold_r = (double)send(fd, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
		hold_err = errno;
	}
	if (reader_thread) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 3;
		pthread_timedjoin_np(th, NULL, &ts);
	}
	if (alarm_ms)
		setitimer(ITIMER_REAL, &(struct itimerval){{0, 0}, {0, 0}}, NULL);
	unsigned uto_end = a.family == AF_UNIX ? 0 : uto_of(fd);
	printf("{\"alarms\": %d, \"eintr\": %ld, ", (int)alarms, eintr);
	printf("\"short_ms\": %.1f, \"short_ret\": %zd, \"short_errno\": \"%s\", ", short_ms, short_ret,
	       errno_name(short_err));
	printf("\"calls\": %ld, \"bytes\": %llu, \"ret\": %zd, \"errno\": \"%s\", \"last_ms\": %.1f, "
	       "\"total_ms\": %.1f, \"uto_connect\": %u, \"uto_write\": %u, \"uto_end\": %u, "
	       "\"after_ret\": %zd, \"after_errno\": \"%s\", \"after_ms\": %.1f, "
	       "\"reader_ret\": %zd, \"reader_errno\": \"%s\", \"reader_ms\": %.1f, "
	       "\"hold_ret\": %.0f, \"hold_errno\": \"%s\"}\n",
	       calls, total, r, errno_name(err), last_ms, now_ms() - t0, uto_connect, uto_write, uto_end,
	       after_r, errno_name(after_err), after_ms, reader_ret, errno_name(reader_errno), reader_done_ms,
	       hold_r, errno_name(hold_err));
	fflush(stdout);
	return 0;
}
