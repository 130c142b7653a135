/* prctl: a process that installs its own seccomp filter (OpenSSH's
 * pre-authentication sandbox, browsers' renderers) decides which system calls
 * it may make from then on, and the calls unwedge adds (send instead of write,
 * poll, getsockopt, fcntl) may be among those it forbids: the kernel would kill
 * it with SIGSYS. So unwedge steps aside in such a process before the filter
 * goes in. The call itself is the plain system call, as in glibc; no lookup. */
#include <linux/seccomp.h>
#include <stdarg.h>
#include <sys/prctl.h>

#include "runtime.h"
#include "route.h"

UW_EXPORT int prctl(int option, ...)
{
	va_list ap;
	va_start(ap, option);
	unsigned long a2 = va_arg(ap, unsigned long), a3 = va_arg(ap, unsigned long),
		      a4 = va_arg(ap, unsigned long), a5 = va_arg(ap, unsigned long);
	va_end(ap);
	if (option == PR_SET_SECCOMP && uw_is_active())
		uw_runtime_step_aside("the process installs a seccomp filter");
	return (int)syscall(SYS_prctl, option, a2, a3, a4, a5);
}
