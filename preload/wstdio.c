/* Wide-character stdio on sockets (fputws, fputwc, putwc, fwprintf...): glibc
 * converts and writes through the same internal write as the narrow
 * functions, so they get the same guard (preload/stdio_guarded.h). */
#undef _FORTIFY_SOURCE
#include <features.h>
#undef __USE_EXTERN_INLINES
#include <stdarg.h>
#include <stdio.h>
#include <wchar.h>

#include "libc.h"
#include "stdio_guarded.h"

typedef int (*fputws_fn)(const wchar_t *, FILE *);
typedef wint_t (*fputwc_fn)(wchar_t, FILE *);
typedef wint_t (*putwchar_fn)(wchar_t);
typedef int (*vfwprintf_fn)(FILE *, const wchar_t *, va_list);
typedef int (*vfwprintf_chk_fn)(FILE *, int, const wchar_t *, va_list);
typedef int (*vwprintf_fn)(const wchar_t *, va_list);
typedef int (*vwprintf_chk_fn)(int, const wchar_t *, va_list);

UW_LAZY_SYMBOL(fputws, fputws_fn)
UW_LAZY_SYMBOL(fputws_unlocked, fputws_fn)
UW_LAZY_SYMBOL(fputwc, fputwc_fn)
UW_LAZY_SYMBOL(fputwc_unlocked, fputwc_fn)
UW_LAZY_SYMBOL(putwc, fputwc_fn)
UW_LAZY_SYMBOL(putwc_unlocked, fputwc_fn)
UW_LAZY_SYMBOL(putwchar, putwchar_fn)
UW_LAZY_SYMBOL(putwchar_unlocked, putwchar_fn)
UW_LAZY_SYMBOL(vfwprintf, vfwprintf_fn)
UW_LAZY_SYMBOL(vwprintf, vwprintf_fn)
#ifdef __GLIBC__ /* _FORTIFY_SOURCE's forms: glibc's only */
UW_LAZY_SYMBOL(__vfwprintf_chk, vfwprintf_chk_fn)
UW_LAZY_SYMBOL(__vwprintf_chk, vwprintf_chk_fn)
#endif

/* fputwc-like: a wide character, WEOF on failure. */
#define WRAP_WINT(name, params, fp, ...) WRAP_STDIO(wint_t, WEOF, r == WEOF, name, params, fp, __VA_ARGS__)

WRAP_INT(fputws, (const wchar_t *s, FILE *fp), fp, s, fp)
WRAP_INT(fputws_unlocked, (const wchar_t *s, FILE *fp), fp, s, fp)
WRAP_WINT(fputwc, (wchar_t c, FILE *fp), fp, c, fp)
WRAP_WINT(fputwc_unlocked, (wchar_t c, FILE *fp), fp, c, fp)
WRAP_WINT(putwc, (wchar_t c, FILE *fp), fp, c, fp)
WRAP_WINT(putwc_unlocked, (wchar_t c, FILE *fp), fp, c, fp)
WRAP_WINT(putwchar, (wchar_t c), *UW_LIBC(stdout), c)
WRAP_WINT(putwchar_unlocked, (wchar_t c), *UW_LIBC(stdout), c)
WRAP_INT(vfwprintf, (FILE * fp, const wchar_t *f, va_list ap), fp, fp, f, ap)
WRAP_INT(vwprintf, (const wchar_t *f, va_list ap), *UW_LIBC(stdout), f, ap)
#ifdef __GLIBC__
WRAP_INT(__vfwprintf_chk, (FILE * fp, int flag, const wchar_t *f, va_list ap), fp, fp, flag, f, ap)
WRAP_INT(__vwprintf_chk, (int flag, const wchar_t *f, va_list ap), *UW_LIBC(stdout), flag, f, ap)
#endif

/* The variadic forms, each through its v-form above. */
#define WRAP_VARIADIC(name, vname, params, last, ...)                                                        \
	UW_EXPORT int name params                                                                            \
	{                                                                                                    \
		va_list ap;                                                                                  \
		va_start(ap, last);                                                                          \
		int r = vname(__VA_ARGS__, ap);                                                              \
		va_end(ap);                                                                                  \
		return r;                                                                                    \
	}

WRAP_VARIADIC(fwprintf, vfwprintf, (FILE * fp, const wchar_t *f, ...), f, fp, f)
WRAP_VARIADIC(wprintf, vwprintf, (const wchar_t *f, ...), f, f)
#ifdef __GLIBC__
WRAP_VARIADIC(__fwprintf_chk, __vfwprintf_chk, (FILE * fp, int flag, const wchar_t *f, ...), f, fp, flag, f)
WRAP_VARIADIC(__wprintf_chk, __vwprintf_chk, (int flag, const wchar_t *f, ...), f, flag, f)
#endif
