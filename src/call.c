#include "call.h"

#include <errno.h>

#include "event.h"
#include "fdtable.h"
#include "peers.h"
#include "policy.h"
#include "runtime.h"
#include "sockstate.h"
#include "timeout.h"

void uw_call_wait_begins(struct uw_call *c)
{
	/* A user timeout of ours may end this connection while it waits: keep its
	 * addresses for the event, while they can still be read. */
	if (c->e & UW_E_UTO_OURS)
		uw_peer_remember(c->fd, uw_e_inode(c->e));
	/* No deadline (a rule says off, or only UNWEDGE_WARN_AFTER is on): the
	 * clock still runs, for the slow-call event. */
	uint32_t deadline_ms = uw_policy_timeout_ms(c->fd, &c->e);
	uw_deadline_set(&c->dl, deadline_ms, uw_app_sndtimeo_us(c->fd, c->e), uw_cfg.deadline_total,
			uw_cfg.observe);
}

static void log_event(const struct uw_call *c, enum uw_event_kind kind, int64_t waited_ms, ssize_t out,
		      int err)
{
	struct uw_event ev = {.kind = kind,
			      .fd = c->fd,
			      .e = c->e,
			      .call = c->name,
			      .moved = c->done,
			      .want = c->want,
			      .waited_ms = waited_ms,
			      .deadline_ms = c->dl.deadline_ms,
			      .result = out,
			      .result_errno = err};
	uw_event_log(&ev);
}

int uw_call_due(struct uw_call *c, int64_t now, int64_t *left_ns)
{
	enum uw_expiry x = uw_deadline_due(&c->dl, now, left_ns);
	if (x == UW_EXPIRY_CROSSED) {
		/* Say so once, then wait on as the kernel would. */
		log_event(c, UW_EV_CROSSED, uw_deadline_waited_ms(&c->dl, now), 0, 0);
		uw_deadline_cross(&c->dl);
		x = uw_deadline_due(&c->dl, now, left_ns);
	}
	if (x == UW_EXPIRY_OURS) {
		c->dl.fired = true;
		uw_timeout_fire(c, uw_deadline_waited_ms(&c->dl, now));
		return ETIMEDOUT;
	}
	return x == UW_EXPIRY_APP ? EAGAIN : 0;
}

void uw_call_ended(const struct uw_call *c, ssize_t out, int err, int64_t now)
{
	const struct uw_deadline *d = &c->dl;
	if (!d->waited || d->fired || (!d->crossed && !uw_cfg.warn_after_ms))
		return;
	int64_t blocked_ms = (now - d->start) / 1000000;
	if (d->crossed || blocked_ms >= (int64_t)uw_cfg.warn_after_ms)
		log_event(c, d->crossed ? UW_EV_COMPLETED : UW_EV_SLOW, blocked_ms, out, err);
}
