#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

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

void uw_log_line(const char *line, size_t len)
{
	if (uw_cfg.log_off)
		return;
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
	}
	errno = saved;
}
