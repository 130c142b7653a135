#include "stdio_guard.h"

#include <errno.h>

#include "backstop.h"
#include "call.h"
#include "clock.h"
#include "event.h"
#include "fdtable.h"
#include "peers.h"
#include "policy.h"
#include "runtime.h"
#include "seams.h"
#include "sockinfo.h"
#include "sockstate.h"
#include "tcp_uto.h"
#include "timeout.h"

int uw_stdio_before(int fd)
{
	uint64_t e = uw_fd_load(fd);
	if (uw_e_kind(e) == UW_KIND_PASS || !uw_is_active())
		return 0;
	if (uw_e_kind(e) == UW_KIND_UNKNOWN)
		e = uw_fd_lookup(fd);
	if (e & UW_E_TIMED_OUT) {
		if (uw_fd_refuse_dead(fd, e) != 0)
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
	if (!(e & UW_E_BACKSTOP) && !uw_cfg.observe && uw_policy_timeout_ms(fd, &e) &&
	    uw_fd_is_blocking(fd)) {
		e = uw_backstop_ensure(fd, e);
		if (e & UW_E_UTO_OURS)
			uw_peer_remember(fd, uw_e_inode(e)); /* see uw_call_wait_begins */
	}
	return 0;
}

/* The call as the engine sees it, once it ended: the deadlines decided once. */
static void stdio_call(struct uw_call *c, int fd, uint64_t e, const char *call, int64_t start_ns)
{
	*c = (struct uw_call){.fd = fd, .e = e, .name = call};
	uw_deadline_start(&c->dl, start_ns, start_ns);
	uint32_t ours_ms = uw_policy_timeout_ms(fd, &c->e);
	uint64_t app_us = (c->e & UW_E_BACKSTOP) ? uw_fd_aux_load(fd) : 0;
	uw_deadline_set(&c->dl, ours_ms, app_us, uw_cfg.deadline_total, uw_cfg.observe);
}

bool uw_stdio_after_failure(int fd, const char *call, int64_t start_ns)
{
	int err = errno;
	uint64_t e = uw_fd_load(fd);
	/* Observe mode acts on nothing: whatever failed was not ours. */
	if (!uw_kind_is_socket(uw_e_kind(e)) || !uw_is_active() || uw_cfg.observe)
		return false;
	struct uw_call c;
	stdio_call(&c, fd, e, call, start_ns);
	if (err == ETIMEDOUT) {
		uw_timeout_kernel(&c);
		return true;
	}
	if ((err != EAGAIN && err != EWOULDBLOCK) || !(e & UW_E_BACKSTOP) || !uw_fd_is_blocking(fd))
		return false;
	/* The application's own SO_SNDTIMEO, if earlier, was the one that fired:
	 * its EAGAIN is its own to see. */
	if (uw_deadline_first(&c.dl) != UW_EXPIRY_OURS || uw_socket_inode(fd) != uw_e_inode(e))
		return false;
	int64_t now = uw_seams.now();
	uw_timeout_fire(&c, uw_deadline_waited_ms(&c.dl, now));
	errno = ETIMEDOUT;
	return true;
}

void uw_stdio_timed(int fd, const char *call, int64_t start_ns, bool failed)
{
	if (!uw_cfg.observe && !uw_cfg.warn_after_ms)
		return;
	int saved = errno;
	struct uw_call c;
	stdio_call(&c, fd, uw_fd_load(fd), call, start_ns);
	int64_t now = uw_seams.now();
	uw_deadline_took(&c.dl, now);
	uw_call_ended(&c, failed ? -1 : 0, saved, now);
	errno = saved;
}
