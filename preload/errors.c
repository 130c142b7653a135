/* The error printers that write to stderr through glibc's internal stdio:
 * perror, psignal, psiginfo, and the warn/err family of <err.h>. stderr is
 * often a socket (systemd's journal stream): each gets the stdio guard on
 * stderr. They return nothing, so a failure is seen as the error indicator the
 * call set. err and friends print (guarded) and exit, as glibc's do. */
#undef _FORTIFY_SOURCE
#include <features.h>
#undef __USE_EXTERN_INLINES
#include <err.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "libc.h"
#include "stdio_guarded.h"

typedef void (*perror_fn)(const char *);
typedef void (*psignal_fn)(int, const char *);
typedef void (*psiginfo_fn)(const siginfo_t *, const char *);
typedef void (*vwarn_fn)(const char *, va_list);

UW_LAZY_SYMBOL(perror, perror_fn)
UW_LAZY_SYMBOL(psignal, psignal_fn)
UW_LAZY_SYMBOL(psiginfo, psiginfo_fn)
UW_LAZY_SYMBOL(vwarn, vwarn_fn)
UW_LAZY_SYMBOL(vwarnx, vwarn_fn)

/* A void function printing to stderr: failed when it set stderr's error
 * indicator (a stream already in error is judged by errno alone). */
#define WRAP_VOID(name, params, ...)                                                                         \
	UW_EXPORT void name params                                                                           \
	{                                                                                                    \
		struct guard g;                                                                              \
		FILE *fp = *UW_LIBC(stderr);                                                                 \
		int k = uw_stdio_enter(fp, &g);                                                              \
		if (k == REFUSED)                                                                            \
			return;                                                                              \
		bool was = UW_LIBC(ferror)(fp) != 0;                                                         \
		__auto_type real_ = uw_lazy_##name(NULL);                                                    \
		if (real_)                                                                                   \
			real_(__VA_ARGS__);                                                                  \
		if (k == GO)                                                                                 \
			uw_stdio_ended(fp, &g, #name, !was && UW_LIBC(ferror)(fp));                          \
	}

WRAP_VOID(perror, (const char *s), s)
WRAP_VOID(psignal, (int sig, const char *s), sig, s)
WRAP_VOID(psiginfo, (const siginfo_t *info, const char *s), info, s)
WRAP_VOID(vwarn, (const char *f, va_list ap), f, ap)
WRAP_VOID(vwarnx, (const char *f, va_list ap), f, ap)

UW_EXPORT void warn(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	vwarn(f, ap);
	va_end(ap);
}

UW_EXPORT void warnx(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	vwarnx(f, ap);
	va_end(ap);
}

UW_EXPORT void verr(int status, const char *f, va_list ap)
{
	vwarn(f, ap);
	UW_LIBC(exit)(status);
}

UW_EXPORT void verrx(int status, const char *f, va_list ap)
{
	vwarnx(f, ap);
	UW_LIBC(exit)(status);
}

UW_EXPORT void err(int status, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	verr(status, f, ap);
}

UW_EXPORT void errx(int status, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	verrx(status, f, ap);
}
