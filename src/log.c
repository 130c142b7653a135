#include "libc.h"
#include "sys.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "errno_name.h"
#include "fmt.h"
#include "runtime.h"

/* Never waits: a log line must not wedge the program it reports on. A socket
 * (journald's stream) is written with MSG_DONTWAIT; anything else (a pipe to
 * a log shipper that stopped reading, a terminal held by ^S) only while poll
 * says it has room, in pieces no larger than a pipe writes atomically. What
 * does not fit is dropped. O_NONBLOCK is never set: it belongs to the open
 * file, shared with the application. */
/* Writes line in pieces of at most piece bytes; with only_when_ready, each
 * piece only if poll says there is room now. */
static void write_out(int fd, const char *line, size_t len, size_t piece, bool only_when_ready)
{
	/* ppoll: arm64 has no poll system call. */
	const struct timespec now = {0, 0};
	while (len > 0) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		if (only_when_ready &&
		    (syscall(SYS_ppoll, &p, 1, &now, NULL, 0) != 1 || !(p.revents & POLLOUT)))
			break;
		ssize_t r = syscall(SYS_write, fd, line, len < piece ? len : piece);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		line += r;
		len -= (size_t)r;
	}
}

static void put(int fd, const char *line, size_t len)
{
	int saved = errno;
	ssize_t r = syscall(SYS_sendto, fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);
	if (r < 0 && errno == ENOTSOCK)
		write_out(fd, line, len, PIPE_BUF, true);
	errno = saved;
}

void uw_log_stderr(const char *line, size_t len)
{
	put(2, line, len);
}

/* LOG_DAEMON | LOG_WARNING */
#define SYSLOG_PRI "<28>"

/* A fresh non-blocking socket per line, as for the file: no state to lock, no fd
 * of ours the daemon could close, and a log daemon that stopped reading costs
 * a dropped line, never a wait. */
static void to_syslog(const char *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\n')
		len--;
	char head[48];
	struct uw_buf b;
	uw_buf_init(&b, head, sizeof head);
	uw_buf_str(&b, SYSLOG_PRI "unwedge[");
	uw_buf_u64(&b, (uint64_t)uw_sys_getpid());
	uw_buf_str(&b, "]: ");
	/* The line itself starts with "unwedge: " in text form. */
	if (len >= 9 && memcmp(line, "unwedge: ", 9) == 0)
		line += 9, len -= 9;
	/* Sent as it is, whatever its length: a cut JSON line would not parse. */
	struct iovec v[3] = {{head, b.len}, {(void *)line, len}, {"", 1}};
	struct sockaddr_un a = {.sun_family = AF_UNIX, .sun_path = "/dev/log"};
	int types[2] = {SOCK_DGRAM, SOCK_STREAM};
	for (int i = 0; i < 2; i++) {
		int fd = (int)syscall(SYS_socket, AF_UNIX, types[i] | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return;
		int r = (int)syscall(SYS_connect, fd, (struct sockaddr *)&a, sizeof a);
		if (r == 0) {
			/* A stream daemon reads messages ended by a NUL, as glibc sends them. */
			struct msghdr m = {.msg_iov = v, .msg_iovlen = types[i] == SOCK_STREAM ? 3 : 2};
			syscall(SYS_sendmsg, fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
		}
		int err = errno;
		syscall(SYS_close, fd);
		if (r == 0 || err != EPROTOTYPE)
			return;
	}
}

void uw_log_line(const char *line, size_t len)
{
	if (uw_cfg.log_off)
		return;
	if (uw_cfg.log_syslog) {
		int saved = errno;
		to_syslog(line, len);
		errno = saved;
		return;
	}
	if (uw_cfg.log_path[0] == 0) {
		put(2, line, len);
		return;
	}
	/* Opened per line: a daemon that closes every fd at start-up cannot take our
	 * fd away, nor have its own socket land on a number we would write to. */
	int saved = errno;
	/* O_NONBLOCK: a FIFO at the path (a log shipper's, or one planted in a
	 * shared directory) would block the open itself. Only a regular file is
	 * written to. */
	int fd = (int)syscall(SYS_openat, AT_FDCWD, uw_cfg.log_path,
			      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK,
			      0600);
	struct stat st;
	const char *why = NULL;
	if (fd >= 0 && (syscall(SYS_fstat, fd, &st) != 0 || !S_ISREG(st.st_mode))) {
		syscall(SYS_close, fd);
		fd = -1;
		why = "not a regular file";
	}
	if (fd >= 0) {
		/* A regular file never makes a writer wait for a reader: one write,
		 * so that O_APPEND keeps the line whole among other writers. */
		write_out(fd, line, len, len, false);
		syscall(SYS_close, fd);
	} else {
		/* A symlink planted at the path (O_NOFOLLOW refuses it), a missing
		 * directory: the event must not vanish. Say why once, then use stderr. */
		static atomic_bool told;
		if (!atomic_exchange(&told, true)) {
			char note[UW_LOG_PATH_MAX + 160];
			struct uw_buf b;
			uw_buf_init(&b, note, sizeof note - 1);
			bool link = !why && errno == ELOOP;
			const char *name = why ? why : uw_errno_name(errno);
			uw_buf_str(&b, "unwedge: cannot open the log file UNWEDGE_LOG=");
			uw_buf_printable(&b, uw_cfg.log_path, UW_LOG_PATH_MAX);
			/* O_NOFOLLOW's refusal reads as a loop: say what it is. */
			uw_buf_str(&b, link ? ": it is a symbolic link (not followed)" : " (");
			uw_buf_str(&b, link ? "" : name ? name : "error");
			uw_buf_str(&b,
				   link ? "; logging to stderr instead\n" : "); logging to stderr instead\n");
			put(2, note, b.len);
		}
		put(2, line, len);
	}
	errno = saved;
}
