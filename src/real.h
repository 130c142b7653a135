/* The libc functions behind our wrappers, bound once at start-up.
 *
 * Bound in a constructor rather than on first use: dlsym is not
 * async-signal-safe and may allocate, and a wrapper can run in a signal handler
 * or inside an allocator's bootstrap. Before binding (another library's
 * constructor writing early) the wrappers make the raw system call instead. */
#ifndef UW_REAL_H
#define UW_REAL_H

#include <stdatomic.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

/* X(name, return type, parameter list) for every symbol we interpose. */
#define UW_REAL_SYMBOLS(X)                                                                                   \
	X(write, ssize_t, (int, const void *, size_t))                                                       \
	X(writev, ssize_t, (int, const struct iovec *, int))                                                 \
	X(send, ssize_t, (int, const void *, size_t, int))                                                   \
	X(sendto, ssize_t, (int, const void *, size_t, int, const struct sockaddr *, socklen_t))             \
	X(sendmsg, ssize_t, (int, const struct msghdr *, int))                                               \
	X(sendmmsg, int, (int, struct mmsghdr *, unsigned int, int))                                         \
	X(sendfile, ssize_t, (int, int, off_t *, size_t))                                                    \
	X(sendfile64, ssize_t, (int, int, off_t *, size_t))                                                  \
	X(splice, ssize_t, (int, loff_t *, int, loff_t *, size_t, unsigned int))                             \
	X(socket, int, (int, int, int))                                                                      \
	X(socketpair, int, (int, int, int, int *))                                                           \
	X(connect, int, (int, const struct sockaddr *, socklen_t))                                           \
	X(accept, int, (int, struct sockaddr *, socklen_t *))                                                \
	X(accept4, int, (int, struct sockaddr *, socklen_t *, int))                                          \
	X(close, int, (int))                                                                                 \
	X(close_range, int, (unsigned int, unsigned int, int))                                               \
	X(dup, int, (int))                                                                                   \
	X(dup2, int, (int, int))                                                                             \
	X(dup3, int, (int, int, int))                                                                        \
	X(fcntl, int, (int, int, ...))                                                                       \
	X(fcntl64, int, (int, int, ...))                                                                     \
	X(ioctl, int, (int, unsigned long, ...))                                                             \
	X(setsockopt, int, (int, int, int, const void *, socklen_t))                                         \
	X(getsockopt, int, (int, int, int, void *, socklen_t *))                                             \
	X(recvmsg, ssize_t, (int, struct msghdr *, int))                                                     \
	X(recvmmsg, int, (int, struct mmsghdr *, unsigned int, int, struct timespec *))

struct uw_real {
#define UW_REAL_FIELD(name, ret, params) ret(*name) params;
	UW_REAL_SYMBOLS(UW_REAL_FIELD)
#undef UW_REAL_FIELD
};

extern struct uw_real uw_real;

/* Binds every symbol (idempotent). Call from a constructor, not from a wrapper. */
void uw_real_bind(void);

#endif
