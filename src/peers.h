/* The addresses of sockets that may time out, kept while they can still be
 * read: once the kernel's user timeout has ended a connection, getsockname and
 * getpeername no longer answer, and the event would say peer=unknown. A small
 * ring keyed by socket inode, filled when a write first waits (the engine),
 * when stdio's backstop goes on, and read only when an event cannot read the
 * addresses itself. Lock-free and async-signal-safe. */
#ifndef UW_PEERS_H
#define UW_PEERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Reads fd's addresses now and keeps them for the socket of that inode. */
void uw_peer_remember(int fd, uint32_t inode);

/* The addresses kept for inode, if any. */
bool uw_peer_recall(uint32_t inode, struct sockaddr_storage *local, socklen_t *local_len,
		    struct sockaddr_storage *peer, socklen_t *peer_len);

#endif
