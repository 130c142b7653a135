/* The one shape of a guarded write wrapper. A wrapper is its row in the real
 * table (src/real.h), an attempt and a pass function, and a few lines that
 * load the fd's word and say when a call is plain (nothing to guard: a length
 * of 0, an argument the kernel will refuse, MSG_DONTWAIT). Everything else is
 * here: route, refuse a timed-out socket, the first attempt with MSG_DONTWAIT
 * (the hot path: one system call), and the engine when that did not move
 * everything. */
#ifndef UW_WRAP_H
#define UW_WRAP_H

#include "route.h"

#define UW_INLINE static inline __attribute__((always_inline))

/* A call's fields for its attempt or pass function. With everything inlined
 * the compiler keeps them in registers: the hot path stores nothing. */
#define UW_CALL_ARGS(fd_, e_, flags_, want_, ctx_)                                                           \
	(&(struct uw_call){.fd = (fd_), .e = (e_), .app_flags = (flags_), .want = (want_), .ctx = (ctx_)})

/* Defines NAME_guarded(fd, e, flags, want, ctx): the half of a wrapper that
 * its exported function could not pass straight to libc. It routes the call
 * (pass, refuse a timed-out socket, or guard), passes it when PLAIN holds (an
 * expression of want and flags: nothing the kernel does then can block), makes
 * the first attempt, and hands the call to the engine when that did not move
 * everything. NAME_attempt, NAME_pass and NAME_ops are the wrapper's own; they
 * are called by name so that the compiler inlines them (a table of function
 * pointers called through here cost 27 instructions a call, measured). */
#define UW_GUARDED(NAME, PLAIN)                                                                              \
	UW_INLINE ssize_t NAME##_guarded(int fd, uint64_t e, int flags, size_t want, void *ctx)              \
	{                                                                                                    \
		switch (uw_route_loaded(fd, &e)) {                                                           \
		case UW_ROUTE_PASS:                                                                          \
			return NAME##_pass(UW_CALL_ARGS(fd, e, flags, want, ctx));                           \
		case UW_ROUTE_DEAD:                                                                          \
			return uw_refused();                                                                 \
		case UW_ROUTE_GUARD:                                                                         \
			break;                                                                               \
		}                                                                                            \
		if (PLAIN)                                                                                   \
			return NAME##_pass(UW_CALL_ARGS(fd, e, flags, want, ctx));                           \
		int saved = errno;                                                                           \
		ssize_t r = NAME##_attempt(UW_CALL_ARGS(fd, e, flags, want, ctx));                           \
		if (UW_LIKELY(r == (ssize_t)want))                                                           \
			return uw_stats_wrote(r);                                                            \
		return uw_call_finish_wrapped(&NAME##_ops, fd, e, flags, want, ctx, saved, r);               \
	}

#endif
