#include "ticked.h"

#include <errno.h>

#include "backstop.h"
#include "call.h"
#include "fdtable.h"
#include "peers.h"
#include "policy.h"
#include "restart.h"
#include "runtime.h"
#include "seams.h"
#include "sockstate.h"
#include "stats.h"
#include "timeout.h"

#define TICK_NS 50000000LL /* the idle deadline's resolution on this path */
/* The kernel restarts SO_SNDTIMEO for each chunk it moves inside one call,
 * so a call that keeps progressing never returns early. A total deadline
 * therefore moves at most this much per kernel call. */
#define TOTAL_CHUNK (64 * 1024)
/* A call's outcome, decided: the engine returns it. */
#define GOING_ON (-2)

struct run {
	struct uw_call c;
	int64_t tick_set; /* the tick now on the socket */
	bool gone;	  /* the fd no longer holds our socket: touch nothing there */
	bool blocked;	  /* a kernel call waited for room (for the statistics) */
};

static ssize_t done_or(struct run *s, int err)
{
	if (!s->gone)
		uw_backstop_restore(s->c.fd);
	if (s->c.done > 0 || err == 0) {
		errno = s->c.saved_errno;
		return (ssize_t)s->c.done;
	}
	errno = err;
	return -1;
}

/* Nothing to enforce (observe mode, a rule says off, or only
 * UNWEDGE_WARN_AFTER is on): the kernel's own blocking call, with no
 * SO_SNDTIMEO tick on the socket, timed and reported when it returns. */
static ssize_t plain_timed(struct uw_ticked *t, struct uw_call *c)
{
	ssize_t r = t->pass(t);
	int err = errno;
	c->done = r > 0 ? (size_t)r : 0;
	uw_deadline_took(&c->dl, uw_seams.now());
	errno = err;
	return r;
}

/* The tick for the next kernel call: the time left, at most TICK_NS; set on
 * the socket only when it changes. */
static int64_t tick_for(struct run *s, int64_t left)
{
	int64_t tick = left > TICK_NS ? TICK_NS : left;
	if (tick != s->tick_set) {
		uw_backstop_tick(s->c.fd, (uint64_t)(tick + 999) / 1000);
		s->tick_set = tick;
	}
	return tick;
}

/* After bytes moved: done, or the tick ran out and the call goes on. Short
 * well inside the tick means end of file, or a signal the application should
 * see now. The kernel counts the tick in jiffies, and its first jiffy may be
 * cut short: a tick that ran out can end a few milliseconds early (49 ms of a
 * 50 ms tick, seen here), so "well inside" is under half of it. */
static ssize_t moved(struct run *s, size_t r, size_t want, int64_t before, int64_t tick)
{
	s->c.done += r;
	int64_t after = uw_seams.now();
	uw_deadline_moved(&s->c.dl, after);
	bool quick = after - before < tick / 2;
	s->blocked |= r < want && !quick;
	if (s->c.done == s->c.want || (r < want && quick))
		return done_or(s, 0);
	return GOING_ON;
}

/* One kernel call and what its return means (GOING_ON: call again). */
static ssize_t step(struct uw_ticked *t, struct run *s, int64_t tick)
{
	size_t want = s->c.want - s->c.done;
	if (s->c.dl.total && want > TOTAL_CHUNK)
		want = TOTAL_CHUNK;
	int64_t before = uw_seams.now();
	ssize_t r = t->call(t, want);
	if (r > 0)
		return moved(s, (size_t)r, want, before, tick);
	if (r == 0)
		return done_or(s, 0);
	if (errno == EAGAIN) {
		if (!uw_fd_is_blocking(s->c.fd))
			return done_or(s, EAGAIN);
		s->blocked = true;
		return GOING_ON;
	}
	if (errno == ETIMEDOUT)
		uw_timeout_kernel(&s->c);
	if (errno != EINTR)
		return done_or(s, errno);
	/* The kernel never restarts a call with SO_SNDTIMEO; the application,
	 * without its own, would have had SA_RESTART's answer. */
	if (s->c.dl.app_ns || !uw_restart_after_signal())
		return done_or(s, EINTR);
	return GOING_ON;
}

static ssize_t guarded(struct uw_ticked *t, struct run *s)
{
	for (bool again = false;; again = true) {
		/* Between kernel calls another thread may have closed the fd and put
		 * a new object at its number: nothing more may go there. */
		if (again && uw_fd_replaced(s->c.fd, s->c.e)) {
			s->gone = true;
			return done_or(s, EBADF);
		}
		int64_t left = 0;
		int expired = uw_call_due(&s->c, uw_seams.now(), &left);
		if (expired)
			return done_or(s, expired);
		ssize_t out = step(t, s, tick_for(s, left));
		if (out != GOING_ON)
			return out;
	}
}

ssize_t uw_ticked_run(struct uw_ticked *t, uint64_t e)
{
	struct run s = {.c = {.fd = t->out, .e = e, .saved_errno = errno, .want = t->count, .name = t->name}};
	uint32_t deadline_ms = uw_policy_timeout_ms(t->out, &s.c.e);
	int64_t start = uw_seams.now();
	uw_deadline_start(&s.c.dl, start, start);
	ssize_t out;
	if (uw_cfg.observe || deadline_ms == 0) {
		uw_deadline_set(&s.c.dl, deadline_ms, 0, uw_cfg.deadline_total, uw_cfg.observe);
		out = plain_timed(t, &s.c);
	} else {
		s.c.e = uw_backstop_ensure(t->out, s.c.e);
		if (s.c.e & UW_E_UTO_OURS)
			uw_peer_remember(t->out, uw_e_inode(s.c.e)); /* see uw_call_wait_begins */
		uw_deadline_set(&s.c.dl, deadline_ms, uw_app_sndtimeo_us(t->out, s.c.e),
				uw_cfg.deadline_total, false);
		out = guarded(t, &s);
	}
	int err = errno;
	uw_call_ended(&s.c, out, err, uw_seams.now());
	if (s.blocked)
		uw_stats_blocked();
	uw_stats_wrote(out);
	errno = err;
	return out;
}
