/* What kind of fd is this, asked of the kernel. */
#ifndef UW_SOCKINFO_H
#define UW_SOCKINFO_H

#include <stdint.h>

#include "fdtable.h"

/* Looks at fd and returns the fields of its table word (kind, inode, and the
 * timed-out mark if the socket already timed out through another fd). Returns 0
 * when the fd is not open: nothing worth caching. Costs one system call for a
 * non-socket, three for a socket, once per fd. */
uint64_t uw_classify(int fd);

/* The word for fd, classifying and caching it first if unknown. */
uint64_t uw_fd_lookup(int fd);

/* The kind a new socket will have, from socket()'s arguments. */
enum uw_kind uw_kind_from_args(int domain, int type, int protocol);

/* The inode of an open socket, or 0. */
uint32_t uw_socket_inode(int fd);

#endif
