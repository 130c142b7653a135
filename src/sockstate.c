#include "sockstate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backstop.h"
#include "fdtable.h"
#include "sockinfo.h"

bool uw_fd_is_blocking(int fd)
{
	int saved = errno;
	long fl = syscall(SYS_fcntl, fd, F_GETFL);
	errno = saved;
	return fl >= 0 && !(fl & O_NONBLOCK);
}

bool uw_fd_replaced(int fd, uint64_t e)
{
	uint64_t now = uw_fd_load(fd);
	if ((now & UW_E_GEN_MASK) != (e & UW_E_GEN_MASK))
		return true;
	/* A close and reuse behind our back (raw system calls, glibc's own). */
	int saved = errno;
	bool other = uw_socket_inode(fd) != uw_e_inode(e);
	errno = saved;
	return other;
}

bool uw_fd_timed_out(int fd, uint64_t e)
{
	uint64_t now = uw_fd_load(fd);
	if ((now & UW_E_GEN_MASK) == (e & UW_E_GEN_MASK) && (now & UW_E_TIMED_OUT))
		return true;
	return uw_dead_inode_has(uw_e_inode(e));
}

int uw_fd_refuse_dead(int fd, uint64_t e)
{
	uint32_t ino = uw_socket_inode(fd);
	if (ino != 0 && ino == uw_e_inode(e)) {
		errno = ETIMEDOUT;
		return -1;
	}
	/* Closed and reused behind our back: the mark belonged to another socket. */
	uw_fd_replace(fd, 0);
	return 0;
}

uint64_t uw_app_sndtimeo_us(int fd, uint64_t e)
{
	if (e & UW_E_BACKSTOP)
		return uw_fd_aux_load(fd);
	int saved = errno;
	uint64_t us = uw_backstop_app_us(fd);
	errno = saved;
	return us;
}

#define DEAD_RING 64
static _Atomic uint32_t dead_ring[DEAD_RING];
static atomic_uint dead_next;

void uw_dead_inode_add(uint32_t inode)
{
	if (uw_dead_inode_has(inode))
		return;
	unsigned i = atomic_fetch_add(&dead_next, 1) % DEAD_RING;
	atomic_store(&dead_ring[i], inode);
}

bool uw_dead_inode_has(uint32_t inode)
{
	if (inode == 0)
		return false;
	for (int i = 0; i < DEAD_RING; i++)
		if (atomic_load_explicit(&dead_ring[i], memory_order_relaxed) == inode)
			return true;
	return false;
}
