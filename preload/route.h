/* The first decision of every write wrapper: go straight to libc, refuse (the
 * socket already timed out), or guard the call with a deadline. */
#ifndef UW_ROUTE_H
#define UW_ROUTE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "blocking_send.h"
#include "sockstate.h"
#include "fdtable.h"
#include "real.h"
#include "runtime.h"
#include "stats.h"

#define UW_EXPORT    __attribute__((visibility("default")))
#define UW_LIKELY(x) __builtin_expect(!!(x), 1)

enum uw_route { UW_ROUTE_PASS, UW_ROUTE_DEAD, UW_ROUTE_GUARD };

/* A socket word that needs no further work before a guarded write. */
static inline bool uw_word_ready(uint64_t e)
{
	enum uw_kind k = uw_e_kind(e);
	return k >= UW_KIND_TCP && !(e & UW_E_TIMED_OUT) && (k != UW_KIND_TCP || (e & UW_E_UTO_DONE));
}

/* Everything but the fast cases: classify, refuse a dead socket, decide the
 * user timeout. Updates *e. */
enum uw_route uw_route_slow(int fd, uint64_t *e);

/* Routes a call whose word the caller already loaded (and found not PASS). */
static inline enum uw_route uw_route_loaded(int fd, uint64_t *e)
{
	if (UW_LIKELY(uw_word_ready(*e)) && uw_cfg.guard)
		return UW_ROUTE_GUARD;
	return uw_route_slow(fd, e);
}

static inline enum uw_route uw_route(int fd, uint64_t *e)
{
	*e = uw_fd_load(fd);
	if (UW_LIKELY(uw_e_kind(*e) == UW_KIND_PASS))
		return UW_ROUTE_PASS;
	return uw_route_loaded(fd, e);
}

/* MSG_DONTWAIT calls need no deadline, but a socket that timed out still
 * refuses them: the mark means every later write fails. */
static inline bool uw_dontwait_passes(int fd, int flags)
{
	return (flags & MSG_DONTWAIT) && !(uw_fd_load(fd) & UW_E_TIMED_OUT);
}

static inline ssize_t uw_refused(void)
{
	errno = ETIMEDOUT;
	return -1;
}

#endif
