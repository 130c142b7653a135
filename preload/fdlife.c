/* Every call that puts a new object at an fd number, or takes one away, tells
 * the table. What we cannot see (raw system calls, glibc's internal closes) is
 * caught later by the checks that make stale words harmless. */
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdarg.h>
#include <sys/ioctl.h>

#include "tcp_uto.h"
#include "route.h"

/* dup'ed fds share the socket, so they share what we know of it. */
static void copy_word(int from, int to)
{
	uint64_t e = uw_fd_load(from);
	uw_fd_replace(to, uw_e_kind(e) == UW_KIND_UNKNOWN ? 0 : e);
}

UW_EXPORT int close(int fd)
{
	int r = (int)uw_real.close(fd);
	/* Linux releases the number even when close fails. */
	uw_fd_replace(fd, 0);
	return r;
}

UW_EXPORT int close_range(unsigned int lo, unsigned int hi, int flags)
{
	int r = (int)uw_real.close_range(lo, hi, flags);
	if (r == 0 && !(flags & CLOSE_RANGE_CLOEXEC))
		uw_fd_replace_range(lo, hi);
	return r;
}

UW_EXPORT int dup(int fd)
{
	int r = (int)uw_real.dup(fd);
	if (r >= 0)
		copy_word(fd, r);
	return r;
}

UW_EXPORT int dup2(int fd, int to)
{
	int r = (int)uw_real.dup2(fd, to);
	if (r >= 0 && fd != to)
		copy_word(fd, r);
	return r;
}

UW_EXPORT int dup3(int fd, int to, int flags)
{
	int r = (int)uw_real.dup3(fd, to, flags);
	if (r >= 0)
		copy_word(fd, r);
	return r;
}

static void after_fcntl(int fd, int cmd, long arg, int r)
{
	if (r < 0)
		return;
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		copy_word(fd, r);
	else if (cmd == F_SETFL)
		uw_uto_blocking_changed(fd, (arg & O_NONBLOCK) != 0);
}

/* fcntl's third argument is an int or a pointer; both travel in the same
 * register on the ABIs glibc supports, so a long carries either. */
#define UW_FCNTL(name)                                                                                       \
	UW_EXPORT int name(int fd, int cmd, ...)                                                             \
	{                                                                                                    \
		va_list ap;                                                                                  \
		va_start(ap, cmd);                                                                           \
		long arg = va_arg(ap, long);                                                                 \
		va_end(ap);                                                                                  \
		int r = uw_real.name(fd, cmd, arg);                                                          \
		after_fcntl(fd, cmd, arg, r);                                                                \
		return r;                                                                                    \
	}
UW_FCNTL(fcntl)
UW_FCNTL(fcntl64)

UW_EXPORT int ioctl(int fd, uw_ioctl_req req, ...)
{
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	int r = (int)uw_real.ioctl(fd, req, arg);
	if (r == 0 && req == FIONBIO && arg)
		uw_uto_blocking_changed(fd, *(const int *)arg != 0);
	return r;
}
