#include "stdio_guard.h"

#include <errno.h>

#include "backstop.h"
#include "blocking_send.h"
#include "clock.h"
#include "event.h"
#include "fdtable.h"
#include "policy.h"
#include "runtime.h"
#include "sockinfo.h"
#include "tcp_uto.h"

int uw_stdio_before(int fd)
{
	uint64_t e = uw_fd_load(fd);
	if (uw_e_kind(e) == UW_KIND_PASS || !uw_is_active())
		return 0;
	if (uw_e_kind(e) == UW_KIND_UNKNOWN)
		e = uw_fd_lookup(fd);
	if (e & UW_E_TIMED_OUT) {
		if (uw_call_refuse_dead(fd, e) != 0)
			return -1;
		e = uw_fd_lookup(fd); /* the mark was stale: look again */
	}
	if (!uw_kind_is_socket(uw_e_kind(e)))
		return 0;
	if (uw_e_kind(e) == UW_KIND_TCP && !(e & UW_E_UTO_DONE)) {
		uw_uto_decide(fd, e, -1);
		e = uw_fd_load(fd);
	}
	/* Observe mode changes nothing, and glibc's own write cannot be watched
	 * without a backstop: stdio is not observed. */
	if (!(e & UW_E_BACKSTOP) && !uw_cfg.observe && uw_policy_timeout_ms(fd, &e) && uw_fd_is_blocking(fd))
		uw_backstop_ensure(fd, e);
	return 0;
}

bool uw_stdio_after_failure(int fd, const char *call, int64_t start_ns)
{
	int err = errno;
	uint64_t e = uw_fd_load(fd);
	/* Observe mode acts on nothing: whatever failed was not ours. */
	if (!uw_kind_is_socket(uw_e_kind(e)) || !uw_is_active() || uw_cfg.observe)
		return false;
	if (err == ETIMEDOUT) {
		uw_timeout_kernel(fd, e, call, 0, 0);
		return true;
	}
	if ((err != EAGAIN && err != EWOULDBLOCK) || !(e & UW_E_BACKSTOP) || !uw_fd_is_blocking(fd))
		return false;
	/* The application's own SO_SNDTIMEO, if earlier, was the one that fired:
	 * its EAGAIN is its own to see. */
	uint64_t app_us = uw_fd_aux_load(fd);
	uint32_t ours_ms = uw_policy_timeout_ms(fd, &e);
	if (ours_ms == 0 || (app_us != 0 && app_us <= (uint64_t)ours_ms * 1000))
		return false;
	if (uw_socket_inode(fd) != uw_e_inode(e))
		return false;
	uw_timeout_fire(fd, e, call, 0, 0, (uint64_t)(uw_now_ns() - start_ns) / 1000000);
	errno = ETIMEDOUT;
	return true;
}

void uw_stdio_timed(int fd, const char *call, int64_t start_ns, bool failed)
{
	if (!uw_cfg.observe && !uw_cfg.warn_after_ms)
		return;
	int saved = errno;
	uint64_t e = uw_fd_load(fd);
	int64_t took_ms = (uw_now_ns() - start_ns) / 1000000;
	uint32_t deadline = uw_policy_timeout_ms(fd, &e);
	bool crossed = uw_cfg.observe && deadline && took_ms >= (int64_t)deadline;
	if (crossed || (uw_cfg.warn_after_ms && took_ms >= (int64_t)uw_cfg.warn_after_ms)) {
		struct uw_event ev = {.kind = crossed ? UW_EV_COMPLETED : UW_EV_SLOW,
				      .fd = fd,
				      .e = e,
				      .call = call,
				      .waited_ms = took_ms,
				      .deadline_ms = deadline,
				      .result = failed ? -1 : 0,
				      .result_errno = saved};
		uw_event_log(&ev);
	}
	errno = saved;
}
