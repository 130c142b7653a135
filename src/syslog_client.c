#include "libc.h"
#include "sys.h"
#include "syslog_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fmt.h"
#include "log.h"
#include "real.h"
#include "runtime.h"

#define LOG_PATH "/dev/log"
/* What glibc uses for its own complaint about a bad priority. */
#define INTERNAL_PRI (LOG_ERR | LOG_CONS | LOG_PERROR | LOG_PID)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *tag;
static int stat_opts;
static int facility = LOG_USER;
static int mask = 0xff;
static int sock = -1;
static int sock_type = SOCK_DGRAM;
static bool connected;
/* The daemon let a message time out: drop without waiting until it reads. */
static bool wedged;

static void child_after_fork(void)
{
	UW_LIBC(pthread_mutex_init)(&lock, NULL);
}

static void register_atfork(void)
{
	/* A fork while another thread held the lock must not leave the child's
	 * syslog locked for ever. */
	pthread_atfork(NULL, NULL, child_after_fork);
}

static void take_lock(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	UW_LIBC(pthread_once)(&once, register_atfork);
	UW_LIBC(pthread_mutex_lock)(&lock);
}

static void unlock_cb(void *arg)
{
	(void)arg;
	UW_LIBC(pthread_mutex_unlock)(&lock);
}

static void disconnect(void)
{
	if (sock >= 0)
		uw_real.close(sock);
	sock = -1;
	connected = false;
}

static void connect_log(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	memcpy(a.sun_path, LOG_PATH, sizeof LOG_PATH);
	for (int tries = 0; tries < 2 && !connected; tries++) {
		if (sock < 0)
			sock = uw_real.socket(AF_UNIX, sock_type | SOCK_CLOEXEC, 0);
		if (sock < 0)
			return;
		if (uw_real.connect(sock, (struct sockaddr *)&a, sizeof a) == 0) {
			connected = true;
			return;
		}
		int err = errno;
		disconnect();
		/* /dev/log may be a stream socket (some old daemons). */
		if (err != EPROTOTYPE || sock_type != SOCK_DGRAM)
			return;
		sock_type = SOCK_STREAM;
	}
}

enum sent { SENT, FAILED, TIMED_OUT };

static enum sent send_bounded(const char *buf, size_t len)
{
	int64_t deadline = uw_now_ns() + (wedged ? 0 : (int64_t)uw_cfg.timeout_ms * 1000000);
	size_t done = 0;
	while (done < len) {
		ssize_t r = uw_real.send(sock, buf + done, len - done, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r >= 0) {
			done += (size_t)r;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return FAILED;
		int64_t left = deadline - uw_now_ns();
		if (left <= 0)
			return TIMED_OUT;
		struct pollfd p = {.fd = sock, .events = POLLOUT};
		UW_LIBC(poll)(&p, 1, (int)((left + 999999) / 1000000));
	}
	return SENT;
}

static void report_timeout(void)
{
	char line[256];
	struct uw_buf b;
	uw_buf_init(&b, line, sizeof line - 1);
	uw_buf_str(&b, "unwedge: syslog timed out: pid=");
	uw_buf_u64(&b, (uint64_t)uw_sys_getpid());
	uw_buf_str(&b, " socket=" LOG_PATH " waited=");
	uw_buf_ms(&b, uw_cfg.timeout_ms);
	uw_buf_str(&b, " action=drop (later messages are dropped at once until the log daemon reads again)");
	line[b.len++] = '\n';
	uw_log_line(line, b.len);
}

static void to_console(const char *msg, size_t len)
{
	int fd = uw_sys_open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC, 0);
	if (fd < 0)
		return;
	struct iovec v[2] = {{(void *)msg, len}, {"\r\n", 2}};
	writev(fd, v, 2);
	close(fd);
}

static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* A fortified caller's flag keeps glibc's %n checks; musl has no such flag. */
static int format_body(char *out, size_t cap, int flag, const char *fmt, va_list ap)
{
#ifdef __GLIBC__
	if (flag > 0)
		return UW_LIBC_AS(int (*)(char *, size_t, int, size_t, const char *, va_list),
				  __vsnprintf_chk)(out, cap, flag, cap, fmt, ap);
#endif
	return UW_LIBC(vsnprintf)(out, cap, fmt, ap);
}

static void send_locked(int pri, int flag, const char *fmt, va_list ap, int saved_errno);

static void internal(int pri, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	send_locked(pri, -1, fmt, ap, errno);
	va_end(ap);
}

/* "<PRI>Mon DD HH:MM:SS TAG[PID]: " as glibc writes it; *msgoff is where the
 * part after the priority and time begins. Returns its length. */
static size_t header(char *head, size_t cap, int pri, size_t *msgoff)
{
	time_t now = uw_sys_time();
	struct tm tm;
	UW_LIBC(localtime_r)(&now, &tm);
	int n = UW_LIBC(snprintf)(head, cap, "<%d>%s %2d %02d:%02d:%02d ", pri, months[tm.tm_mon % 12],
				  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	*msgoff = (size_t)n;
	if (!tag)
		tag = *UW_LIBC(program_invocation_short_name);
	const char *t = tag ? tag : "";
	char pid[24] = "";
	if (stat_opts & LOG_PID)
		UW_LIBC(snprintf)(pid, sizeof pid, "[%d]", (int)uw_sys_getpid());
	int h = UW_LIBC(snprintf)(head + n, cap - (size_t)n, "%.100s%s%s", t, pid, tag ? ": " : "");
	return (size_t)n + (size_t)h;
}

/* The whole message, header then body, in stack (or in a malloc'ed buffer when
 * it does not fit): the buffer, or NULL; *len its length. */
static char *message(char *stack, size_t cap, int pri, int flag, const char *fmt, va_list ap, int saved_errno,
		     size_t *len, size_t *msgoff)
{
	char head[160];
	size_t hlen = header(head, sizeof head, pri, msgoff);
	char *buf = stack;
	va_list copy;
	va_copy(copy, ap);
	errno = saved_errno; /* for %m */
	int blen = format_body(stack + hlen, cap - hlen, flag, fmt, ap);
	if (blen < 0)
		blen = 0;
	if ((size_t)blen >= cap - hlen) {
		buf = UW_LIBC(malloc)(hlen + (size_t)blen + 1);
		if (buf) {
			errno = saved_errno;
			format_body(buf + hlen, (size_t)blen + 1, flag, fmt, copy);
		}
	}
	va_end(copy);
	if (!buf)
		return NULL;
	memcpy(buf, head, hlen);
	*len = hlen + (size_t)blen;
	buf[*len] = 0;
	return buf;
}

/* Sends on the log socket, connecting first if needed; as glibc, after a
 * failure (the daemon may have restarted) reconnects and tries once more. */
static enum sent deliver(const char *buf, size_t len)
{
	if (!connected)
		connect_log();
	/* A stream socket gets the terminating NUL as the record separator. */
	enum sent s = connected ? send_bounded(buf, len + (sock_type == SOCK_STREAM ? 1 : 0)) : FAILED;
	if (s == FAILED && connected) {
		disconnect();
		connect_log();
		s = connected ? send_bounded(buf, len + (sock_type == SOCK_STREAM ? 1 : 0)) : FAILED;
	}
	return s;
}

/* What became of the message: a stopped daemon is reported once, a failed
 * socket reopened next time, the console told if the program asked. */
static void delivered(enum sent s, const char *msg, size_t len)
{
	if (s == SENT) {
		wedged = false;
		return;
	}
	if (s == TIMED_OUT && !wedged) {
		wedged = true;
		report_timeout();
	}
	if (s == FAILED)
		disconnect();
	if (stat_opts & LOG_CONS)
		to_console(msg, len);
}

static void send_locked(int pri, int flag, const char *fmt, va_list ap, int saved_errno)
{
	if (pri & ~(LOG_PRIMASK | LOG_FACMASK)) {
		internal(INTERNAL_PRI, "syslog: unknown facility/priority: %x", pri);
		pri &= LOG_PRIMASK | LOG_FACMASK;
	}
	if ((LOG_MASK(LOG_PRI(pri)) & mask) == 0)
		return;
	if ((pri & LOG_FACMASK) == 0)
		pri |= facility;
	char stack[2048];
	size_t len, msgoff;
	char *buf = message(stack, sizeof stack, pri, flag, fmt, ap, saved_errno, &len, &msgoff);
	if (!buf)
		return;
	if (stat_opts & LOG_PERROR) {
		/* stderr gets the line without priority and time, ending in a newline. */
		bool nl = len > 0 && buf[len - 1] == '\n';
		struct iovec v[2] = {{buf + msgoff, len - msgoff}, {"\n", nl ? 0 : 1}};
		writev(STDERR_FILENO, v, 2);
	}
	delivered(deliver(buf, len), buf + msgoff, len - msgoff);
	if (buf != stack)
		UW_LIBC(free)(buf);
}

void uw_syslog_send(int pri, int flag, const char *fmt, va_list ap)
{
	int saved = errno;
	take_lock();
	pthread_cleanup_push(unlock_cb, NULL);
	send_locked(pri, flag, fmt, ap, saved);
	pthread_cleanup_pop(1);
	errno = saved;
}

void uw_syslog_open(const char *ident, int option, int fac)
{
	take_lock();
	pthread_cleanup_push(unlock_cb, NULL);
	if (ident)
		tag = ident;
	stat_opts = option;
	if ((fac & ~LOG_FACMASK) == 0) /* 0 too: LOG_KERN, as glibc does */
		facility = fac;
	if (option & LOG_NDELAY)
		connect_log();
	pthread_cleanup_pop(1);
}

void uw_syslog_close(void)
{
	take_lock();
	disconnect();
	tag = NULL;
	sock_type = SOCK_DGRAM;
	UW_LIBC(pthread_mutex_unlock)(&lock);
}

void uw_syslog_set_mask(int m)
{
	take_lock();
	if (m != 0)
		mask = m;
	UW_LIBC(pthread_mutex_unlock)(&lock);
}
