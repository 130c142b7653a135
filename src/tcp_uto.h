/* TCP_USER_TIMEOUT: the kernel's own deadline, added under ours so that a dead
 * peer is abandoned by the kernel too. Only on blocking sockets by default: an
 * event-loop program keeps its own timers, and a user timeout would also abort
 * its non-blocking connections whose peer merely paused reading. */
#ifndef UW_TCP_UTO_H
#define UW_TCP_UTO_H

#include <stdbool.h>
#include <stdint.h>

/* Decides once per socket, if not yet decided: the user timeout, and keepalive
 * (UNWEDGE_KEEPALIVE). blocking: 1 or 0 if the caller knows, -1 to ask the
 * kernel. */
void uw_uto_decide(int fd, uint64_t e, int blocking);

/* O_NONBLOCK was just set or cleared on fd through fcntl or ioctl. */
void uw_uto_blocking_changed(int fd, bool nonblocking);

/* The application set a keepalive option itself: keepalive is its own. */
void uw_keepalive_app_set(int fd);

/* The application set TCP_USER_TIMEOUT itself: it is never touched again. */
void uw_uto_app_set(int fd);

#endif
