#include "timeout.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "call.h"
#include "event.h"
#include "fdtable.h"
#include "policy.h"
#include "runtime.h"
#include "sockinfo.h"
#include "sockstate.h"

static void mark(int fd, uint64_t e, void *arg)
{
	(void)arg;
	uw_fd_update_flags(fd, e, UW_E_TIMED_OUT, 0);
}

static void report(const struct uw_call *c, int64_t waited_ms, uint32_t deadline_ms, bool kernel)
{
	int saved = errno;
	int fd = c->fd;
	uint64_t e = c->e;
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
		.call = c->name,
		.moved = c->done,
		.want = c->want,
		.waited_ms = waited_ms,
		.deadline_ms = deadline_ms,
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

void uw_timeout_fire(const struct uw_call *c, int64_t waited_ms)
{
	report(c, waited_ms, c->dl.deadline_ms, false);
}

void uw_timeout_kernel(const struct uw_call *c)
{
	uint64_t e = c->e;
	if (uw_e_kind(e) == UW_KIND_TCP && (e & UW_E_UTO_OURS))
		report(c, -1, uw_policy_uto_ms(c->fd, &e), true);
}
