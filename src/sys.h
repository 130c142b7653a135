/* The system calls unwedge makes for itself, made directly. libc's wrappers
 * would each be one more symbol for the loader to look up in every process
 * the preload starts in (start-up cost: see BENCHMARKS.md), and add nothing
 * here. Only the *at and p* forms, which every architecture has (arm64 has no
 * open, stat or poll system call). errno as libc's wrappers set it. Not for
 * a call that must stay a cancellation point (poll in the engine: libc's). */
#ifndef UW_SYS_H
#define UW_SYS_H

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static inline pid_t uw_sys_getpid(void)
{
	return (pid_t)syscall(SYS_getpid);
}

static inline uid_t uw_sys_geteuid(void)
{
	return (uid_t)syscall(SYS_geteuid);
}

static inline int uw_sys_open(const char *path, int flags, mode_t mode)
{
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

static inline int uw_sys_openat(int dir, const char *path, int flags, mode_t mode)
{
	return (int)syscall(SYS_openat, dir, path, flags, mode);
}

static inline ssize_t uw_sys_read(int fd, void *buf, size_t n)
{
	return syscall(SYS_read, fd, buf, n);
}

static inline ssize_t uw_sys_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return syscall(SYS_pwrite64, fd, buf, n, off);
}

static inline int uw_sys_fstat(int fd, struct stat *st)
{
	return (int)syscall(SYS_fstat, fd, st);
}

static inline int uw_sys_stat(const char *path, struct stat *st)
{
	return (int)syscall(SYS_newfstatat, AT_FDCWD, path, st, 0);
}

static inline int uw_sys_lstat(const char *path, struct stat *st)
{
	return (int)syscall(SYS_newfstatat, AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

static inline int uw_sys_access(const char *path, int mode)
{
	return (int)syscall(SYS_faccessat, AT_FDCWD, path, mode);
}

static inline ssize_t uw_sys_readlink(const char *path, char *buf, size_t n)
{
	return syscall(SYS_readlinkat, AT_FDCWD, path, buf, n);
}

static inline int uw_sys_mkdir(const char *path, mode_t mode)
{
	return (int)syscall(SYS_mkdirat, AT_FDCWD, path, mode);
}

static inline int uw_sys_unlinkat(int dir, const char *path, int flags)
{
	return (int)syscall(SYS_unlinkat, dir, path, flags);
}

static inline int uw_sys_unlink(const char *path)
{
	return uw_sys_unlinkat(AT_FDCWD, path, 0);
}

static inline int uw_sys_fchmod(int fd, mode_t mode)
{
	return (int)syscall(SYS_fchmod, fd, mode);
}

static inline void *uw_sys_mmap(void *at, size_t len, int prot, int flags, int fd, off_t off)
{
	return (void *)syscall(SYS_mmap, at, len, prot, flags, fd, off);
}

static inline int uw_sys_munmap(void *at, size_t len)
{
	return (int)syscall(SYS_munmap, at, len);
}

/* The wall-clock second (time(NULL)), from the vDSO clock. */
static inline time_t uw_sys_time(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

#endif
