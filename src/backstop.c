#include "backstop.h"

#include <errno.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "fdtable.h"
#include "policy.h"
#include "runtime.h"
#include "sockinfo.h"

/* The kernel's option numbers (asm-generic/socket.h, the same on x86-64 and
 * arm64): glibc's headers name both, musl's only the one its time_t uses. */
#ifndef SO_SNDTIMEO_NEW
#define SO_SNDTIMEO_OLD 21
#define SO_SNDTIMEO_NEW 67
#endif

/* On 64-bit Linux the old and new option share this layout. Ours is set and
 * read with the old number, which every kernel knows (the new one came in
 * Linux 5.1) and qemu-user translates (it refuses the new one). */
struct tv64 {
	int64_t sec, usec;
};

static uint64_t kernel_sndtimeo_us(int fd)
{
	struct tv64 tv = {0, 0};
	socklen_t len = sizeof tv;
	if (syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_SNDTIMEO_OLD, &tv, &len) != 0)
		return 0;
	return (uint64_t)tv.sec * 1000000 + (uint64_t)tv.usec;
}

/* The kernel keeps SO_SNDTIMEO in jiffies: what it reports back differs from
 * what was set by less than one jiffy (10 ms at HZ=100). */
#define JIFFY_SLACK_US 10000

/* Our lasting value for fd's socket: its deadline; none in observe mode. */
static uint64_t ours_us(int fd)
{
	if (uw_cfg.observe)
		return 0;
	uint64_t e = uw_fd_load(fd);
	return (uint64_t)uw_policy_timeout_ms(fd, &e) * 1000;
}

uint64_t uw_backstop_app_us(int fd)
{
	uint64_t k = kernel_sndtimeo_us(fd);
	uint64_t ours = ours_us(fd);
	/* A socket that came to us with our own backstop value already set (from a
	 * process image before exec, or through an fd we never saw): that value is
	 * ours, not the application's. */
	if (ours && k + JIFFY_SLACK_US > ours && k < ours + JIFFY_SLACK_US)
		return 0;
	return k;
}

static void set_us(int fd, uint64_t us)
{
	struct tv64 tv = {(int64_t)(us / 1000000), (int64_t)(us % 1000000)};
	syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_SNDTIMEO_OLD, &tv, sizeof tv);
}

/* The lasting value: the earlier of the application's and ours. */
static uint64_t lasting_us(int fd, uint64_t app_us)
{
	uint64_t ours = ours_us(fd);
	if (ours == 0)
		return app_us;
	return app_us != 0 && app_us <= ours ? app_us : ours;
}

static void apply_min(int fd, uint64_t app_us)
{
	uint64_t v = lasting_us(fd, app_us);
	if (v != app_us)
		set_us(fd, v);
}

void uw_backstop_tick(int fd, uint64_t us)
{
	int saved = errno;
	set_us(fd, us ? us : 1);
	errno = saved;
}

void uw_backstop_restore(int fd)
{
	int saved = errno;
	set_us(fd, lasting_us(fd, uw_fd_aux_load(fd)));
	errno = saved;
}

/* SO_SNDTIMEO belongs to the socket, shared by every fd on it (dup, stdout):
 * each of them carries the flag and the application's value. */
static void mark_sibling(int fd, uint64_t e, void *arg)
{
	if (uw_fd_aux_store(fd, *(uint64_t *)arg))
		uw_fd_update_flags(fd, e, UW_E_BACKSTOP, 0);
}

static void set_app_value(int fd, uint64_t e, uint64_t app)
{
	uint32_t ino = uw_e_inode(e);
	if (ino != 0)
		uw_fd_for_inode(ino, mark_sibling, &app);
	if (uw_fd_aux_store(fd, app))
		uw_fd_update_flags(fd, e, UW_E_BACKSTOP, 0);
}

uint64_t uw_backstop_ensure(int fd, uint64_t e)
{
	if ((e & UW_E_BACKSTOP) || !uw_cfg.guard)
		return e;
	int saved = errno;
	uint64_t app = uw_backstop_app_us(fd);
	set_app_value(fd, e, app);
	apply_min(fd, app);
	errno = saved;
	return uw_fd_load(fd);
}

static bool ours_here(int fd, int name, socklen_t len)
{
	if (name != SO_SNDTIMEO_OLD && name != SO_SNDTIMEO_NEW)
		return false;
	if (len != (socklen_t)sizeof(struct tv64) || !uw_cfg.guard)
		return false;
	int saved = errno;
	uint64_t e = uw_fd_lookup(fd);
	if (!uw_kind_is_socket(uw_e_kind(e))) {
		errno = saved;
		return false;
	}
	bool same = uw_socket_inode(fd) == uw_e_inode(e);
	if (!same) {
		uw_fd_replace(fd, 0); /* a stale word for a reused fd number */
		e = uw_fd_lookup(fd);
	}
	if (!(e & UW_E_BACKSTOP) && uw_backstop_app_us(fd) == 0 && kernel_sndtimeo_us(fd) != 0) {
		/* Our value, set before we knew this fd (another fd of the socket,
		 * or a process image before exec). */
		set_app_value(fd, e, 0);
		e = uw_fd_load(fd);
	}
	errno = saved;
	return (e & UW_E_BACKSTOP) != 0;
}

bool uw_backstop_getsockopt(int fd, int name, void *val, socklen_t *len, int *ret)
{
	if (!len || !val || !ours_here(fd, name, *len))
		return false;
	uint64_t app = uw_fd_aux_load(fd);
	struct tv64 tv = {(int64_t)(app / 1000000), (int64_t)(app % 1000000)};
	__builtin_memcpy(val, &tv, sizeof tv);
	*len = sizeof tv;
	*ret = 0;
	return true;
}

bool uw_backstop_setsockopt(int fd, int name, const void *val, socklen_t len, int *ret)
{
	if (!val || !ours_here(fd, name, len))
		return false;
	/* Let the kernel validate and round the application's value, then read it
	 * back as the kernel would report it, then put the earlier of the two back. */
	if (syscall(SYS_setsockopt, fd, SOL_SOCKET, name, val, len) != 0) {
		*ret = -1;
		return true;
	}
	int saved = errno;
	uint64_t app = kernel_sndtimeo_us(fd);
	set_app_value(fd, uw_fd_load(fd), app);
	apply_min(fd, app);
	errno = saved;
	*ret = 0;
	return true;
}
