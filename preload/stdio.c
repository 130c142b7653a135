/* stdio on sockets: see src/stdio_guard.h for the design. A stream that is
 * not a socket costs one fd-table load on top of the call.
 *
 * The real functions are resolved on first use (stdio is never
 * async-signal-safe, and a process that never uses stdio pays nothing). */
/* This file defines the functions that <stdio.h> may otherwise turn into
 * inline code or fortified wrappers: it must see plain declarations. */
#undef _FORTIFY_SOURCE
#include <features.h>
#undef __USE_EXTERN_INLINES
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>

#include "libc.h"
#include "clock.h"
#include "lazy.h"
#include "log.h"
#include "stdio_guard.h"
#include "stdio_guarded.h"

typedef size_t (*fwrite_fn)(const void *, size_t, size_t, FILE *);
typedef int (*fputs_fn)(const char *, FILE *);
typedef int (*fputc_fn)(int, FILE *);
typedef int (*overflow_fn)(FILE *, int);
typedef int (*puts_fn)(const char *);
typedef int (*putchar_fn)(int);
typedef int (*vfprintf_fn)(FILE *, const char *, va_list);
typedef int (*vfprintf_chk_fn)(FILE *, int, const char *, va_list);
typedef int (*vprintf_fn)(const char *, va_list);
typedef int (*vprintf_chk_fn)(int, const char *, va_list);
typedef int (*fflush_fn)(FILE *);
typedef int (*vdprintf_fn)(int, const char *, va_list);
typedef int (*vdprintf_chk_fn)(int, int, const char *, va_list);

UW_LAZY_SYMBOL(fwrite, fwrite_fn)
UW_LAZY_SYMBOL(fwrite_unlocked, fwrite_fn)
UW_LAZY_SYMBOL(fputs, fputs_fn)
UW_LAZY_SYMBOL(fputs_unlocked, fputs_fn)
UW_LAZY_SYMBOL(fputc, fputc_fn)
UW_LAZY_SYMBOL(fputc_unlocked, fputc_fn)
UW_LAZY_SYMBOL(putc, fputc_fn)
UW_LAZY_SYMBOL(putc_unlocked, fputc_fn)
UW_LAZY_SYMBOL(puts, puts_fn)
UW_LAZY_SYMBOL(putchar, putchar_fn)
UW_LAZY_SYMBOL(putchar_unlocked, putchar_fn)
UW_LAZY_SYMBOL(vfprintf, vfprintf_fn)
UW_LAZY_SYMBOL(vprintf, vprintf_fn)
UW_LAZY_SYMBOL(fflush, fflush_fn)
UW_LAZY_SYMBOL(fflush_unlocked, fflush_fn)
UW_LAZY_SYMBOL(fclose, fflush_fn)
UW_LAZY_SYMBOL(vdprintf, vdprintf_fn)
/* glibc's own entry points: what its inline putc_unlocked and _FORTIFY_SOURCE
 * make programs call. musl has none of them (Alpine's fortify headers call the
 * plain functions). */
#ifdef __GLIBC__
UW_LAZY_SYMBOL(_IO_putc, fputc_fn)
UW_LAZY_SYMBOL(__overflow, overflow_fn)
UW_LAZY_SYMBOL(__vfprintf_chk, vfprintf_chk_fn)
UW_LAZY_SYMBOL(__vprintf_chk, vprintf_chk_fn)
UW_LAZY_SYMBOL(__vdprintf_chk, vdprintf_chk_fn)
#endif

#ifdef __GLIBC__
/* glibc's FILE is public (libio): the error flag is set without a call. */
static void set_error(FILE *fp)
{
	fp->_flags |= _IO_ERR_SEEN;
}
#else
/* musl has no call that sets the error indicator: a failed write has set it
 * already, and a call refused up front (the socket timed out earlier) returns
 * its error value with errno ETIMEDOUT but leaves ferror() as it was. */
static void set_error(FILE *fp)
{
	(void)fp;
}
#endif

/* The stream's socket timed out: drop what is buffered (it could only go to a
 * shut-down socket, at exit, with SIGPIPE), send every later write through us
 * (unbuffered), and set the error indicator. */
static void broken(FILE *fp)
{
	int saved = errno;
	UW_LIBC(flockfile)(fp);
	UW_LIBC(__fpurge)(fp);
	UW_LIBC(setvbuf)(fp, NULL, _IONBF, 0);
	set_error(fp);
	UW_LIBC(funlockfile)(fp);
	errno = saved;
}

int uw_stdio_enter_slow(FILE *fp, int fd, struct guard *g)
{
	int saved = errno;
	if (uw_stdio_before(fd) != 0) {
		broken(fp);
		errno = ETIMEDOUT;
		return REFUSED;
	}
	errno = saved;
	if (!uw_kind_is_socket(uw_e_kind(uw_fd_load(fd))))
		return PASS;
	g->fd = fd;
	g->start = uw_now_ns();
	uw_stats_count(UW_STAT_STDIO_WRITES);
	return GO;
}

void uw_stdio_ended(FILE *fp, struct guard *g, const char *name, bool bad)
{
	if (bad && uw_stdio_after_failure(g->fd, name, g->start)) {
		broken(fp);
		return;
	}
	uw_stdio_timed(g->fd, name, g->start, bad);
}

WRAP_INT(fputs, (const char *s, FILE *fp), fp, s, fp)
WRAP_INT(fputs_unlocked, (const char *s, FILE *fp), fp, s, fp)
WRAP_INT(fputc, (int c, FILE *fp), fp, c, fp)
WRAP_INT(fputc_unlocked, (int c, FILE *fp), fp, c, fp)
WRAP_INT(putc, (int c, FILE *fp), fp, c, fp)
WRAP_INT(putc_unlocked, (int c, FILE *fp), fp, c, fp)
WRAP_INT(puts, (const char *s), *UW_LIBC(stdout), s)
WRAP_INT(putchar, (int c), *UW_LIBC(stdout), c)
WRAP_INT(putchar_unlocked, (int c), *UW_LIBC(stdout), c)
WRAP_INT(vfprintf, (FILE * fp, const char *f, va_list ap), fp, fp, f, ap)
WRAP_INT(vprintf, (const char *f, va_list ap), *UW_LIBC(stdout), f, ap)
#ifdef __GLIBC__
WRAP_INT(_IO_putc, (int c, FILE *fp), fp, c, fp)
/* What the inline putc_unlocked of <bits/stdio.h> calls when the buffer is full. */
WRAP_INT(__overflow, (FILE * fp, int c), fp, fp, c)
WRAP_INT(__vfprintf_chk, (FILE * fp, int flag, const char *f, va_list ap), fp, fp, flag, f, ap)
WRAP_INT(__vprintf_chk, (int flag, const char *f, va_list ap), *UW_LIBC(stdout), flag, f, ap)
#endif

/* The variadic forms, each through its v-form above. */
UW_EXPORT int fprintf(FILE *fp, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int r = vfprintf(fp, f, ap);
	va_end(ap);
	return r;
}

UW_EXPORT int printf(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int r = vprintf(f, ap);
	va_end(ap);
	return r;
}

#ifdef __GLIBC__
UW_EXPORT int __fprintf_chk(FILE *fp, int flag, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int r = __vfprintf_chk(fp, flag, f, ap);
	va_end(ap);
	return r;
}

UW_EXPORT int __printf_chk(int flag, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int r = __vprintf_chk(flag, f, ap);
	va_end(ap);
	return r;
}
#endif

#define WRAP_FWRITE(name)                                                                                    \
	UW_EXPORT size_t name(const void *p, size_t size, size_t n, FILE *fp)                                \
	{                                                                                                    \
		struct guard g;                                                                              \
		int k = uw_stdio_enter(fp, &g);                                                              \
		if (k == REFUSED)                                                                            \
			return 0;                                                                            \
		size_t r = REAL(name, p, size, n, fp);                                                       \
		if (k == GO)                                                                                 \
			uw_stdio_ended(fp, &g, #name, r<n && size> 0);                                       \
		return r;                                                                                    \
	}

WRAP_FWRITE(fwrite)
WRAP_FWRITE(fwrite_unlocked)

/* Only a stream with output waiting can block; fflush(NULL), which flushes
 * every stream, is left to the backstops already on their sockets. */
#define WRAP_FLUSH(name)                                                                                     \
	UW_EXPORT int name(FILE *fp)                                                                         \
	{                                                                                                    \
		if (!fp || UW_LIBC(__fpending)(fp) == 0)                                                     \
			return REAL(name, fp);                                                               \
		struct guard g;                                                                              \
		int k = uw_stdio_enter(fp, &g);                                                              \
		if (k == REFUSED)                                                                            \
			return EOF;                                                                          \
		int r = REAL(name, fp);                                                                      \
		if (k == GO)                                                                                 \
			uw_stdio_ended(fp, &g, #name, r == EOF);                                             \
		return r;                                                                                    \
	}

WRAP_FLUSH(fflush)
WRAP_FLUSH(fflush_unlocked)

/* fclose flushes and closes in one call, and glibc closes the fd itself: the
 * flush is done first, through the guard, while the fd is still ours to mark. */
UW_EXPORT int fclose(FILE *fp)
{
	if (!fp || UW_LIBC(__fpending)(fp) == 0)
		return REAL(fclose, fp);
	struct guard g;
	int k = uw_stdio_enter(fp, &g);
	if (k == PASS)
		return REAL(fclose, fp);
	int flushed = k == REFUSED ? EOF : REAL(fflush, fp);
	if (k == GO)
		uw_stdio_ended(fp, &g, "fclose", flushed == EOF);
	int saved = errno;
	int r = REAL(fclose, fp);
	if (flushed == EOF) {
		errno = saved;
		return EOF;
	}
	return r;
}

#ifdef __GLIBC__
#define REAL_VDPRINTF(fd, flag, f, ap)                                                                       \
	((flag) < 0 ? REAL(vdprintf, fd, f, ap) : REAL(__vdprintf_chk, fd, flag, f, ap))
#else
#define REAL_VDPRINTF(fd, flag, f, ap) REAL(vdprintf, fd, f, ap)
#endif

static int guarded_vdprintf(int fd, int flag, const char *f, va_list ap, const char *name)
{
	struct guard g = {fd, 0};
	int go = fd >= 0 && uw_e_kind(uw_fd_load(fd)) != UW_KIND_PASS;
	if (go) {
		int saved = errno;
		if (uw_stdio_before(fd) != 0)
			return -1; /* errno ETIMEDOUT */
		errno = saved;
		go = uw_kind_is_socket(uw_e_kind(uw_fd_load(fd)));
		g.start = uw_now_ns();
		if (go)
			uw_stats_count(UW_STAT_STDIO_WRITES);
	}
	int r = REAL_VDPRINTF(fd, flag, f, ap);
	if (go && r < 0)
		uw_stdio_after_failure(fd, name, g.start);
	return r;
}

UW_EXPORT int vdprintf(int fd, const char *f, va_list ap)
{
	return guarded_vdprintf(fd, -1, f, ap, "vdprintf");
}

UW_EXPORT int dprintf(int fd, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int r = guarded_vdprintf(fd, -1, f, ap, "dprintf");
	va_end(ap);
	return r;
}

#ifdef __GLIBC__
UW_EXPORT int __vdprintf_chk(int fd, int flag, const char *f, va_list ap)
{
	return guarded_vdprintf(fd, flag, f, ap, "__vdprintf_chk");
}

UW_EXPORT int __dprintf_chk(int fd, int flag, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int r = guarded_vdprintf(fd, flag, f, ap, "__dprintf_chk");
	va_end(ap);
	return r;
}
#endif
