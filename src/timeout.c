#include <errno.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "blocking_send.h"
#include "event.h"
#include "fdtable.h"
#include "policy.h"
#include "runtime.h"
#include "sockinfo.h"

static void mark(int fd, uint64_t e, void *arg)
{
	(void)arg;
	uw_fd_update_flags(fd, e, UW_E_TIMED_OUT, 0);
}

static void report(int fd, uint64_t e, const char *call, size_t moved, size_t want, int64_t waited_ms,
		   bool kernel)
{
	int saved = errno;
	uint32_t ino = uw_e_inode(e);
	/* If the fd now holds another socket, that one is not ours to shut down. */
	bool same = ino != 0 && uw_socket_inode(fd) == ino;

	if (same) {
		uw_dead_inode_add(ino);
		uw_fd_update_flags(fd, e, UW_E_TIMED_OUT, 0);
		uw_fd_for_inode(ino, mark, NULL);
	}
	struct uw_event ev = {
		.kind = kernel ? UW_EV_KERNEL_TIMEOUT : UW_EV_TIMEOUT,
		.fd = fd,
		.e = e,
		.call = call,
		.moved = moved,
		.want = want,
		.waited_ms = waited_ms,
		.deadline_ms = kernel ? uw_policy_uto_ms(fd, &e) : uw_policy_timeout_ms(fd, &e),
		.action = !same			       ? "none(fd-reused)"
			  : kernel		       ? "tcp-user-timeout"
			  : uw_cfg.shutdown_on_timeout ? "shutdown"
						       : "error",
	};
	uw_event_log(&ev);

	/* Wakes every thread blocked on it, readers too, so the application sees
	 * the connection end and drops it. */
	if (same && !kernel && uw_cfg.shutdown_on_timeout)
		syscall(SYS_shutdown, fd, SHUT_RDWR);
	errno = saved;
}

void uw_timeout_fire(int fd, uint64_t e, const char *call, size_t moved, size_t want, uint64_t waited_ms)
{
	report(fd, e, call, moved, want, (int64_t)waited_ms, false);
}

void uw_timeout_kernel(int fd, uint64_t e, const char *call, size_t moved, size_t want)
{
	if (uw_e_kind(e) == UW_KIND_TCP && (e & UW_E_UTO_OURS))
		report(fd, e, call, moved, want, -1, true);
}
