/* The guard around one stdio call on a stream (the design: src/stdio_guard.h),
 * shared by the narrow stream functions (stdio.c), the wide ones (wstdio.c) and
 * the error printers (errors.c). A stream that is not a socket costs one
 * fd-table load on top of the call. */
#ifndef UW_STDIO_GUARDED_H
#define UW_STDIO_GUARDED_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lazy.h"
#include "libc.h"
#include "route.h"

/* The real function, or (if it cannot be found: a resolution re-entered from
 * inside dlsym) a failed call with ENOSYS. */
#define REAL(name, ...)                                                                                      \
	({                                                                                                   \
		__auto_type real_ = uw_lazy_##name(NULL);                                                    \
		real_ ? real_(__VA_ARGS__) : (errno = ENOSYS, (__typeof__(real_(__VA_ARGS__)))-1);           \
	})

struct guard {
	int fd;
	int64_t start;
};

enum { PASS = -1, GO = 0, REFUSED = 1 };

int uw_stdio_enter_slow(FILE *fp, int fd, struct guard *g);

#ifdef __GLIBC__
/* glibc's FILE is public (libio): the fd is read without a call. */
static inline int uw_stream_fd(FILE *fp)
{
	return fp->_fileno; /* -1 for memory and cookie streams */
}
#else
/* musl's FILE is opaque: fileno() (-1 EBADF for a memory stream; errno kept). */
static inline int uw_stream_fd(FILE *fp)
{
	int saved = errno;
	int fd = UW_LIBC(fileno)(fp);
	errno = saved;
	return fd;
}
#endif

/* Before a call writing to fp: PASS (not a socket: nothing to do), GO (guarded:
 * call uw_stdio_ended after it), or REFUSED (the socket timed out: the call
 * must fail at once, errno ETIMEDOUT). */
static inline int uw_stdio_enter(FILE *fp, struct guard *g)
{
	int fd = fp ? uw_stream_fd(fp) : -1;
	if (fd < 0 || UW_LIKELY(uw_e_kind(uw_fd_load(fd)) == UW_KIND_PASS))
		return PASS;
	return uw_stdio_enter_slow(fp, fd, g);
}

/* After a guarded call named name; bad: it failed. */
void uw_stdio_ended(FILE *fp, struct guard *g, const char *name, bool bad);

/* A stdio function returning ret, which fails with the value fail (FAILED is
 * the test of its result r). */
#define WRAP_STDIO(ret, fail, FAILED, name, params, fp, ...)                                                 \
	UW_EXPORT ret name params                                                                            \
	{                                                                                                    \
		struct guard g;                                                                              \
		int k = uw_stdio_enter(fp, &g);                                                              \
		if (k == REFUSED)                                                                            \
			return fail;                                                                         \
		ret r = REAL(name, __VA_ARGS__);                                                             \
		if (k == GO)                                                                                 \
			uw_stdio_ended(fp, &g, #name, FAILED);                                               \
		return r;                                                                                    \
	}

/* fputs-like: int result, EOF (negative) on failure. */
#define WRAP_INT(name, params, fp, ...) WRAP_STDIO(int, EOF, r < 0, name, params, fp, __VA_ARGS__)

#endif
