/* What became of a socket while a call waited on it, asked of the table and the
 * kernel: still in blocking mode, still the same socket at that number, timed
 * out meanwhile (through this fd or another one of the same socket). */
#ifndef UW_SOCKSTATE_H
#define UW_SOCKSTATE_H

#include <stdbool.h>
#include <stdint.h>

/* Is fd in blocking mode now? Asked of the kernel: O_NONBLOCK can change behind us. */
bool uw_fd_is_blocking(int fd);

/* Did fd stop being the socket of word e (closed and reused by another thread,
 * or behind our back) while a call waited? Then no byte more may go to it. */
bool uw_fd_replaced(int fd, uint64_t e);

/* Did the socket of word e time out meanwhile (another thread's deadline)? */
bool uw_fd_timed_out(int fd, uint64_t e);

/* The socket behind fd already timed out (its word says so): returns -1 and
 * ETIMEDOUT if that is still the same socket; otherwise forgets the stale mark
 * and returns 0, and the caller looks again. */
int uw_fd_refuse_dead(int fd, uint64_t e);

/* The application's own SO_SNDTIMEO in microseconds (0: none). */
uint64_t uw_app_sndtimeo_us(int fd, uint64_t e);

/* Sockets that timed out recently, so that another fd of the same socket (a dup
 * we did not see, one passed over SCM_RIGHTS) fails the same way. */
void uw_dead_inode_add(uint32_t inode);
bool uw_dead_inode_has(uint32_t inode);

#endif
