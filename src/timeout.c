#include <errno.h>
#include <stdbool.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backtrace.h"
#include "blocking_send.h"
#include "fdtable.h"
#include "fmt.h"
#include "log.h"
#include "runtime.h"
#include "sockinfo.h"
#include "tls_call.h"

static void mark(int fd, uint64_t e, void *arg)
{
	(void)arg;
	uw_fd_update_flags(fd, e, UW_E_TIMED_OUT, 0);
}

static void address(struct uw_buf *b, int fd, long which)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (syscall(which, fd, (struct sockaddr *)&ss, &len) == 0)
		uw_buf_sockaddr(b, (struct sockaddr *)&ss, len);
	else
		uw_buf_str(b, "unknown");
}

static void report(int fd, uint64_t e, const char *call, size_t moved, size_t want, int64_t waited_ms,
		   const char *kernel_action);

void uw_timeout_fire(int fd, uint64_t e, const char *call, size_t moved, size_t want, uint64_t waited_ms)
{
	report(fd, e, call, moved, want, (int64_t)waited_ms, NULL);
}

void uw_timeout_kernel(int fd, uint64_t e, const char *call, size_t moved, size_t want)
{
	if (uw_e_kind(e) == UW_KIND_TCP && (e & UW_E_UTO_OURS))
		report(fd, e, call, moved, want, -1, "tcp-user-timeout");
}

static void report(int fd, uint64_t e, const char *call, size_t moved, size_t want, int64_t waited_ms,
		   const char *kernel_action)
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

	char line[640 + UW_BT_TEXT_MAX + 16];
	struct uw_buf b;
	uw_buf_init(&b, line, sizeof line - 1);
	uw_buf_str(&b, "unwedge: write timed out: pid=");
	uw_buf_u64(&b, (uint64_t)getpid());
	uw_buf_str(&b, " fd=");
	uw_buf_i64(&b, fd);
	uw_buf_str(&b, " call=");
	uw_buf_str(&b, call);
	struct uw_tls_call *tls = uw_tls_call_for(fd);
	if (tls && uw_tls_api.get_servername) {
		/* TLSEXT_NAMETYPE_host_name is 0 */
		const char *sni = uw_tls_api.get_servername(tls->ssl, 0);
		if (sni) {
			uw_buf_str(&b, " tls_server=");
			uw_buf_printable(&b, sni, 255);
		}
	}
	uw_buf_str(&b, " local=");
	address(&b, fd, SYS_getsockname);
	uw_buf_str(&b, " peer=");
	address(&b, fd, SYS_getpeername);
	if (want > 0) { /* 0: unknown (stdio, whose buffer glibc keeps) */
		uw_buf_str(&b, " moved=");
		uw_buf_u64(&b, moved);
		uw_buf_str(&b, " pending=");
		uw_buf_u64(&b, want - moved);
	}
	int queued = 0;
	if (syscall(SYS_ioctl, fd, SIOCOUTQ, &queued) == 0) {
		uw_buf_str(&b, " queued=");
		uw_buf_i64(&b, queued);
	}
	if (waited_ms >= 0) {
		uw_buf_str(&b, " waited=");
		uw_buf_ms(&b, (uint64_t)waited_ms);
		uw_buf_str(&b, uw_cfg.deadline_total ? " deadline=total:" : " deadline=idle:");
		uw_buf_ms(&b, uw_cfg.timeout_ms);
	} else {
		uw_buf_str(&b, " tcp_user_timeout=");
		uw_buf_ms(&b, uw_cfg.uto_ms);
	}
	const char *action = !same			  ? "none(fd-reused)"
			     : kernel_action		  ? kernel_action
			     : uw_cfg.shutdown_on_timeout ? "shutdown"
							  : "error";
	uw_buf_str(&b, " action=");
	uw_buf_str(&b, action);
	uw_backtrace_append(&b);
	line[b.len++] = '\n';
	uw_log_line(line, b.len);

	/* Wakes every thread blocked on it, readers too, so the application sees
	 * the connection end and drops it. */
	if (same && !kernel_action && uw_cfg.shutdown_on_timeout)
		syscall(SYS_shutdown, fd, SHUT_RDWR);
	errno = saved;
}
