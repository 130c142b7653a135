#include "ticked.h"

#include "../src/backstop.h"
#include "../src/clock.h"
#include "../src/event.h"
#include "../src/policy.h"
#include "../src/restart.h"
#include "route.h"

#define TICK_NS 50000000LL /* the idle deadline's resolution on this path */
/* The kernel restarts SO_SNDTIMEO for each chunk it moves inside one call,
 * so a call that keeps progressing never returns early. A total deadline
 * therefore moves at most this much per kernel call. */
#define TOTAL_CHUNK (64 * 1024)

struct sf {
	int fd;
	uint64_t e;
	const char *name;
	size_t count, done;
	int64_t start, progress, app_ns;
	int saved;
	bool gone; /* the fd no longer holds our socket: touch nothing there */
	bool fired, crossed;
	bool blocked; /* a kernel call waited for room (for the statistics) */
	uint32_t deadline_ms;
};

static ssize_t done_or(struct sf *s, int err)
{
	if (!s->gone)
		uw_backstop_restore(s->fd);
	if (s->done > 0 || err == 0) {
		errno = s->saved;
		return (ssize_t)s->done;
	}
	errno = err;
	return -1;
}

static ssize_t ticked(struct uw_ticked *t, struct sf *s);

/* The events of a call that ended: observe mode's "completed", a slow call. */
static void ended(struct sf *s, ssize_t out)
{
	if (s->fired || (!s->crossed && !uw_cfg.warn_after_ms))
		return;
	int saved = errno;
	int64_t blocked_ms = (uw_now_ns() - s->start) / 1000000;
	if (s->crossed || blocked_ms >= (int64_t)uw_cfg.warn_after_ms) {
		struct uw_event ev = {.kind = s->crossed ? UW_EV_COMPLETED : UW_EV_SLOW,
				      .fd = s->fd,
				      .e = s->e,
				      .call = s->name,
				      .moved = s->done,
				      .want = s->count,
				      .waited_ms = blocked_ms,
				      .deadline_ms = s->deadline_ms,
				      .result = out,
				      .result_errno = saved};
		uw_event_log(&ev);
	}
	errno = saved;
}

ssize_t uw_ticked_call(struct uw_ticked *t)
{
	struct sf s = {0};
	ssize_t out = ticked(t, &s);
	if (s.start) { /* a guarded call */
		ended(&s, out);
		if (s.blocked)
			uw_stats_blocked();
		uw_stats_wrote(out);
	}
	return out;
}

static ssize_t ticked(struct uw_ticked *t, struct sf *s)
{
	const int out = t->out;
	const size_t count = t->count;
	const char *name = t->name;
	uint64_t e;
	switch (uw_route(out, &e)) {
	case UW_ROUTE_PASS:
		return t->pass(t);
	case UW_ROUTE_DEAD:
		return uw_refused();
	case UW_ROUTE_GUARD:
		break;
	}
	if (count == 0)
		return t->pass(t);
	uint32_t deadline_ms = uw_policy_timeout_ms(out, &e);
	if (uw_cfg.observe || deadline_ms == 0) {
		/* Nothing to enforce (observe mode, a rule says off, or only
		 * UNWEDGE_WARN_AFTER is on): the kernel's own blocking call, with no
		 * SO_SNDTIMEO tick on the socket, timed and reported when it returns. */
		*s = (struct sf){.fd = out, .e = e, .name = name, .count = count, .deadline_ms = deadline_ms};
		s->start = uw_now_ns();
		ssize_t r = t->pass(t);
		int err = errno;
		s->done = r > 0 ? (size_t)r : 0;
		s->crossed = uw_cfg.observe && deadline_ms &&
			     uw_now_ns() - s->start >= (int64_t)deadline_ms * 1000000;
		errno = err;
		return r;
	}
	e = uw_backstop_ensure(out, e);
	*s = (struct sf){.fd = out, .e = e, .name = name, .count = count, .saved = errno};
	s->start = s->progress = uw_now_ns();
	s->app_ns = (int64_t)uw_app_sndtimeo_us(out, e) * 1000;
	s->deadline_ms = deadline_ms;
	const int64_t ours_ns = (int64_t)deadline_ms * 1000000;
	int64_t tick_set = 0;
	for (bool again = false;; again = true) {
		/* Between kernel calls another thread may have closed the fd and put
		 * a new object at its number: nothing more may go there. */
		if (again && uw_fd_replaced(out, e)) {
			s->gone = true;
			return done_or(s, EBADF);
		}
		int64_t now = uw_now_ns();
		int64_t ours = (uw_cfg.deadline_total ? s->start : s->progress) + ours_ns;
		int64_t app = s->app_ns ? s->start + s->app_ns : INT64_MAX;
		if (now >= app && app <= ours)
			return done_or(s, EAGAIN);
		if (now >= ours) {
			uint64_t waited =
				(uint64_t)(now - (uw_cfg.deadline_total ? s->start : s->progress)) / 1000000;
			s->fired = true;
			uw_timeout_fire(out, e, name, s->done, count, waited);
			return done_or(s, ETIMEDOUT);
		}
		int64_t tick = (app < ours ? app : ours) - now;
		if (tick > TICK_NS)
			tick = TICK_NS;
		if (tick != tick_set && (tick < TICK_NS || tick_set != TICK_NS)) {
			uw_backstop_tick(out, (uint64_t)(tick + 999) / 1000);
			tick_set = tick;
		}
		size_t want = count - s->done;
		if (uw_cfg.deadline_total && want > TOTAL_CHUNK)
			want = TOTAL_CHUNK;
		int64_t before = uw_now_ns();
		ssize_t r = t->call(t, want);
		if (r > 0) {
			s->done += (size_t)r;
			s->progress = uw_now_ns();
			s->blocked |= (size_t)r < want && s->progress - before >= tick;
			/* Short well inside the tick: end of file, or a signal the
			 * application should see now. Otherwise the tick ran out: go on. */
			if (s->done == count || ((size_t)r < want && s->progress - before < tick))
				return done_or(s, 0);
			continue;
		}
		if (r == 0)
			return done_or(s, 0);
		if (errno == EAGAIN) {
			if (!uw_fd_is_blocking(out))
				return done_or(s, EAGAIN);
			s->blocked = true;
			continue;
		}
		if (errno == ETIMEDOUT)
			uw_timeout_kernel(out, e, name, s->done, count);
		if (errno != EINTR)
			return done_or(s, errno);
		/* The kernel never restarts a call with SO_SNDTIMEO; the application,
		 * without its own, would have had SA_RESTART's answer. */
		if (s->app_ns || !uw_restart_after_signal())
			return done_or(s, EINTR);
	}
}
