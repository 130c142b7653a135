#include "real.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "elf_next.h"
#include "libc.h"

/* The raw system calls that stand in for libc until uw_real_bind. */
#define UW_REAL_STUB(name, ret, params, args, sysno)                                                         \
	static ret stub_##name params                                                                        \
	{                                                                                                    \
		return (ret)syscall(sysno, UW_UNPAREN args);                                                 \
	}
#define UW_UNPAREN(...) __VA_ARGS__
#define UW_NO_STUB(...)
UW_REAL_SYMBOLS(UW_REAL_STUB, UW_NO_STUB)
#undef UW_REAL_STUB

/* dup2 has no system call of its own everywhere (arm64): dup3, which refuses
 * fd == to, so that case is dup2's "is fd open?" answer. */
static int stub_dup2(int fd, int to)
{
	if (fd == to)
		return syscall(SYS_fcntl, fd, F_GETFD) < 0 ? -1 : to;
	return (int)syscall(SYS_dup3, fd, to, 0);
}

/* The one argument after cmd, whatever its type: the kernel reads a word. */
static int stub_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	long arg = va_arg(ap, long);
	va_end(ap);
	return (int)syscall(SYS_fcntl, fd, cmd, arg);
}

static int stub_ioctl(int fd, uw_ioctl_req req, ...)
{
	va_list ap;
	va_start(ap, req);
	long arg = va_arg(ap, long);
	va_end(ap);
	return (int)syscall(SYS_ioctl, fd, req, arg);
}

#define stub_fcntl64		stub_fcntl
#define UW_REAL_INIT(name, ...) .name = stub_##name,
struct uw_real uw_real = {UW_REAL_SYMBOLS(UW_REAL_INIT, UW_REAL_INIT)};
#undef UW_REAL_INIT

static atomic_int bound;

void uw_real_bind(void)
{
	if (atomic_load(&bound))
		return;
	struct uw_real r = uw_real;
	/* The objects' own hash tables first; dlsym for what they cannot answer.
	 * A symbol this libc lacks keeps its stub. */
	const struct uw_elf_objects *objs = uw_libc_objects();
#define UW_REAL_BIND(name, ret, params, ...)                                                                 \
	{                                                                                                    \
		void *f = uw_elf_next(objs, #name);                                                          \
		if (!f)                                                                                      \
			f = dlsym(RTLD_NEXT, #name);                                                         \
		if (f)                                                                                       \
			r.name = (ret(*) params)f;                                                           \
	}
	UW_REAL_SYMBOLS(UW_REAL_BIND, UW_REAL_BIND)
#undef UW_REAL_BIND
	uw_real = r;
	atomic_store(&bound, 1);
}
