/* What kind of fd is this, asked of the kernel. */
#ifndef UW_SOCKINFO_H
#define UW_SOCKINFO_H

#include <stdint.h>

#include "fdtable.h"

/* The word for fd, classifying and caching it first if unknown. */
uint64_t uw_fd_lookup(int fd);

/* The inode of an open socket, or 0. */
uint32_t uw_socket_inode(int fd);

#endif
