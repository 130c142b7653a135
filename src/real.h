/* The libc functions behind our wrappers.
 *
 * Every field is callable at every moment, and that is the one idiom for
 * calling libc from a wrapper: `uw_real.name(...)`. Until uw_real_bind runs
 * (in the constructor) each field holds a stub that makes the raw system call,
 * so a wrapper that runs before us (another library's constructor writing
 * early, an allocator's bootstrap) still works; after it, libc's own function.
 * Bound in a constructor rather than on first use: dlsym is not
 * async-signal-safe and may allocate, and a wrapper can run in a signal handler
 * or inside an allocator's bootstrap. */
#ifndef UW_REAL_H
#define UW_REAL_H

#include <fcntl.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

/* The two prototypes in which glibc and musl differ (musl has no macro of
 * its own: not glibc is taken as musl). */
#ifdef __GLIBC__
typedef unsigned long uw_ioctl_req;
typedef int uw_mmsg_flags;
#else
typedef int uw_ioctl_req;
typedef unsigned int uw_mmsg_flags;
#endif

/* X(name, return type, parameters, arguments, system call) for every symbol we
 * interpose and call through. The variadic fcntl, fcntl64 and ioctl have
 * hand-written stubs (src/real.c). */
#define UW_REAL_SYMBOLS(X, V)                                                                                \
	X(write, ssize_t, (int fd, const void *b, size_t n), (fd, b, n), SYS_write)                          \
	X(writev, ssize_t, (int fd, const struct iovec *v, int n), (fd, v, n), SYS_writev)                   \
	X(pwritev2, ssize_t, (int fd, const struct iovec *v, int n, off_t off, int fl),                      \
	  (fd, v, n, off, 0, fl), SYS_pwritev2)                                                              \
	X(pwritev64v2, ssize_t, (int fd, const struct iovec *v, int n, off_t off, int fl),                   \
	  (fd, v, n, off, 0, fl), SYS_pwritev2)                                                              \
	X(send, ssize_t, (int fd, const void *b, size_t n, int fl), (fd, b, n, fl, NULL, 0), SYS_sendto)     \
	X(sendto, ssize_t, (int fd, const void *b, size_t n, int fl, const struct sockaddr *a, socklen_t l), \
	  (fd, b, n, fl, a, l), SYS_sendto)                                                                  \
	X(sendmsg, ssize_t, (int fd, const struct msghdr *m, int fl), (fd, m, fl), SYS_sendmsg)              \
	X(sendmmsg, int, (int fd, struct mmsghdr *v, unsigned n, uw_mmsg_flags fl), (fd, v, n, fl),          \
	  SYS_sendmmsg)                                                                                      \
	X(sendfile, ssize_t, (int o, int i, off_t *off, size_t n), (o, i, off, n), SYS_sendfile)             \
	X(sendfile64, ssize_t, (int o, int i, off_t *off, size_t n), (o, i, off, n), SYS_sendfile)           \
	X(splice, ssize_t, (int i, loff_t *oi, int o, loff_t *oo, size_t n, unsigned fl),                    \
	  (i, oi, o, oo, n, fl), SYS_splice)                                                                 \
	X(socket, int, (int d, int t, int p), (d, t, p), SYS_socket)                                         \
	X(socketpair, int, (int d, int t, int p, int *sv), (d, t, p, sv), SYS_socketpair)                    \
	X(connect, int, (int fd, const struct sockaddr *a, socklen_t l), (fd, a, l), SYS_connect)            \
	X(accept, int, (int fd, struct sockaddr *a, socklen_t *l), (fd, a, l, 0), SYS_accept4)               \
	X(accept4, int, (int fd, struct sockaddr *a, socklen_t *l, int fl), (fd, a, l, fl), SYS_accept4)     \
	X(close, int, (int fd), (fd), SYS_close)                                                             \
	X(close_range, int, (unsigned lo, unsigned hi, int fl), (lo, hi, fl), SYS_close_range)               \
	X(dup, int, (int fd), (fd), SYS_dup)                                                                 \
	X(dup3, int, (int fd, int to, int fl), (fd, to, fl), SYS_dup3)                                       \
	X(setsockopt, int, (int fd, int lv, int nm, const void *v, socklen_t l), (fd, lv, nm, v, l),         \
	  SYS_setsockopt)                                                                                    \
	X(getsockopt, int, (int fd, int lv, int nm, void *v, socklen_t *l), (fd, lv, nm, v, l),              \
	  SYS_getsockopt)                                                                                    \
	X(recvmsg, ssize_t, (int fd, struct msghdr *m, int fl), (fd, m, fl), SYS_recvmsg)                    \
	X(recvmmsg, int, (int fd, struct mmsghdr *v, unsigned n, uw_mmsg_flags fl, struct timespec *t),      \
	  (fd, v, n, fl, t), SYS_recvmmsg)                                                                   \
	V(dup2, int, (int fd, int to))                                                                       \
	V(fcntl, int, (int fd, int cmd, ...))                                                                \
	V(fcntl64, int, (int fd, int cmd, ...))                                                              \
	V(ioctl, int, (int fd, uw_ioctl_req req, ...))

struct uw_real {
#define UW_REAL_FIELD(name, ret, params, ...) ret(*name) params;
	UW_REAL_SYMBOLS(UW_REAL_FIELD, UW_REAL_FIELD)
#undef UW_REAL_FIELD
};

extern struct uw_real uw_real __attribute__((visibility("hidden")));

/* Binds every symbol libc has (idempotent); the others keep their stub. Call
 * from a constructor, not from a wrapper. */
void uw_real_bind(void);

#endif
