/* sendfile and sendfile64 have no flags argument, so they cannot be made
 * non-blocking without touching O_NONBLOCK, which belongs to every holder of the
 * open file. Instead our SO_SNDTIMEO is put on the socket once (the backstop):
 * the kernel then gives up after the deadline with a partial count or EAGAIN,
 * which we turn into the documented result. The budget is per call, as the
 * kernel's SO_SNDTIMEO is; a caller's loop gets a fresh one after progress. */
#include "../src/backstop.h"
#include "../src/clock.h"
#include "../src/restart.h"
#include "route.h"

typedef ssize_t (*sendfile_fn)(int, int, off_t *, size_t);

static ssize_t guarded_sendfile(const char *name, sendfile_fn real, int out, int in, off_t *off,
				size_t count)
{
	uint64_t e;
	switch (uw_route(out, &e)) {
	case UW_ROUTE_PASS:
		return real ? real(out, in, off, count) : syscall(SYS_sendfile, out, in, off, count);
	case UW_ROUTE_DEAD:
		return uw_refused();
	case UW_ROUTE_GUARD:
		break;
	}
	e = uw_backstop_ensure(out, e);
	int64_t start = uw_now_ns();
	for (;;) {
		ssize_t r = real(out, in, off, count);
		if (r >= 0 || (errno != EAGAIN && errno != EINTR))
			return r;
		if (!uw_fd_is_blocking(out))
			return r;
		uint64_t waited_ms = (uint64_t)(uw_now_ns() - start) / 1000000;
		if (errno == EINTR) {
			/* With any SO_SNDTIMEO set the kernel never restarts; emulate the
			 * restart the application would have had without ours. */
			uint64_t app = uw_app_sndtimeo_us(out, e);
			if (app || !uw_restart_after_signal())
				return r;
			if (waited_ms < uw_cfg.timeout_ms)
				continue;
		} else {
			uint64_t app = uw_app_sndtimeo_us(out, e);
			if (app && app <= (uint64_t)uw_cfg.timeout_ms * 1000)
				return r; /* the application's own timeout: EAGAIN, as it asked */
		}
		uw_timeout_fire(out, e, name, 0, count, waited_ms);
		errno = ETIMEDOUT;
			return -1;
	}
}

UW_EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t count)
{
	return guarded_sendfile("sendfile", uw_real.sendfile, out, in, off, count);
}

UW_EXPORT ssize_t sendfile64(int out, int in, off_t *off, size_t count)
{
	return guarded_sendfile("sendfile64", uw_real.sendfile64, out, in, off, count);
}
