#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "fmt.h"
#include "runtime.h"

static void put(int fd, const char *line, size_t len)
{
	int saved = errno;
	/* A socket (journald's stream) may itself be wedged: never wait on it. */
	ssize_t r = syscall(SYS_sendto, fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);
	if (r < 0 && errno == ENOTSOCK) {
		while (len > 0) {
			r = syscall(SYS_write, fd, line, len);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			line += r;
			len -= (size_t)r;
		}
	}
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
	char msg[1400];
	struct uw_buf b;
	uw_buf_init(&b, msg, sizeof msg - 1);
	uw_buf_str(&b, SYSLOG_PRI "unwedge[");
	uw_buf_u64(&b, (uint64_t)getpid());
	uw_buf_str(&b, "]: ");
	/* The line itself starts with "unwedge: " in text form. */
	if (len >= 9 && memcmp(line, "unwedge: ", 9) == 0)
		line += 9, len -= 9;
	uw_buf_mem(&b, line, len);
	struct sockaddr_un a = {.sun_family = AF_UNIX, .sun_path = "/dev/log"};
	int types[2] = {SOCK_DGRAM, SOCK_STREAM};
	for (int i = 0; i < 2; i++) {
		int fd = (int)syscall(SYS_socket, AF_UNIX, types[i] | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return;
		int r = (int)syscall(SYS_connect, fd, (struct sockaddr *)&a, sizeof a);
		if (r == 0) {
			/* A stream daemon reads messages ended by a NUL, as glibc sends them. */
			size_t n = b.len + (types[i] == SOCK_STREAM);
			msg[b.len] = 0;
			syscall(SYS_sendto, fd, msg, n, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);
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
	int fd = (int)syscall(SYS_openat, AT_FDCWD, uw_cfg.log_path,
			      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd >= 0) {
		put(fd, line, len);
		syscall(SYS_close, fd);
	} else {
		/* A symlink planted at the path (O_NOFOLLOW refuses it), a missing
		 * directory: the event must not vanish. Say why once, then use stderr. */
		static atomic_bool told;
		if (!atomic_exchange(&told, true)) {
			char note[UW_LOG_PATH_MAX + 160];
			struct uw_buf b;
			uw_buf_init(&b, note, sizeof note - 1);
			uw_buf_str(&b, "unwedge: cannot open the log file UNWEDGE_LOG=");
			uw_buf_printable(&b, uw_cfg.log_path, UW_LOG_PATH_MAX);
			uw_buf_str(&b, " (");
			const char *name = strerrorname_np(errno);
			uw_buf_str(&b, name ? name : "error");
			uw_buf_str(&b, "); logging to stderr instead\n");
			put(2, note, b.len);
		}
		put(2, line, len);
	}
	errno = saved;
}
