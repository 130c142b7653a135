/* openlog, syslog, vsyslog, __syslog_chk, __vsyslog_chk, closelog and
 * setlogmask: see src/syslog_client.h. glibc's own state is kept in step, but
 * its socket is never opened while we send (LOG_NDELAY is not passed on). */
#undef _FORTIFY_SOURCE
#include <stdarg.h>
#include <syslog.h>

#include "lazy.h"
#include "syslog_client.h"
#include "route.h"

typedef void (*openlog_fn)(const char *, int, int);
typedef void (*closelog_fn)(void);
typedef int (*setlogmask_fn)(int);
typedef void (*vsyslog_fn)(int, const char *, va_list);

UW_LAZY_SYMBOL(openlog, openlog_fn)
UW_LAZY_SYMBOL(closelog, closelog_fn)
UW_LAZY_SYMBOL(setlogmask, setlogmask_fn)
UW_LAZY_SYMBOL(vsyslog, vsyslog_fn)
#ifdef __GLIBC__
typedef void (*vsyslog_chk_fn)(int, int, const char *, va_list);
UW_LAZY_SYMBOL(__vsyslog_chk, vsyslog_chk_fn)
#endif

/* Observe mode: glibc's own client, which waits as long as the daemon makes it. */
static bool ours(void)
{
	return uw_is_active() && uw_cfg.timeout_ms != 0 && !uw_cfg.observe;
}

UW_EXPORT void openlog(const char *ident, int option, int facility)
{
	openlog_fn real = uw_lazy_openlog(NULL);
	if (!ours()) {
		if (real)
			real(ident, option, facility);
		return;
	}
	if (real)
		real(ident, option & ~LOG_NDELAY, facility);
	uw_syslog_open(ident, option, facility);
}

UW_EXPORT void closelog(void)
{
	closelog_fn real = uw_lazy_closelog(NULL);
	if (real)
		real();
	if (ours())
		uw_syslog_close();
}

UW_EXPORT int setlogmask(int mask)
{
	setlogmask_fn real = uw_lazy_setlogmask(NULL);
	int old = real ? real(mask) : 0xff;
	if (ours())
		uw_syslog_set_mask(mask);
	return old;
}

static void vlog(int pri, int flag, const char *fmt, va_list ap)
{
	if (ours()) {
		uw_syslog_send(pri, flag, fmt, ap);
		return;
	}
#ifdef __GLIBC__
	if (flag >= 0) {
		vsyslog_chk_fn real = uw_lazy___vsyslog_chk(NULL);
		if (real)
			real(pri, flag, fmt, ap);
		return;
	}
#endif
	vsyslog_fn real = uw_lazy_vsyslog(NULL);
	if (real)
		real(pri, fmt, ap);
}

UW_EXPORT void vsyslog(int pri, const char *fmt, va_list ap)
{
	vlog(pri, -1, fmt, ap);
}

UW_EXPORT void syslog(int pri, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(pri, -1, fmt, ap);
	va_end(ap);
}

/* glibc's _FORTIFY_SOURCE forms (musl has none). */
#ifdef __GLIBC__
UW_EXPORT void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
	vlog(pri, flag, fmt, ap);
}

UW_EXPORT void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(pri, flag, fmt, ap);
	va_end(ap);
}
#endif
