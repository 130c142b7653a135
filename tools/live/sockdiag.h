/* TCP sockets as the kernel's sock_diag interface (NETLINK_SOCK_DIAG) reports
 * them: addresses, inode, cookie, queues, timer and tcp_info (INET_DIAG_INFO),
 * for a whole network namespace at once or for one duplicated descriptor; and
 * SOCK_DESTROY, which aborts one connection (the process sees ECONNABORTED). */
#ifndef UW_TOOLS_SOCKDIAG_H
#define UW_TOOLS_SOCKDIAG_H

#include <linux/tcp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* The kernel's TCP states (include/net/tcp_states.h; not in the uapi headers). */
enum uw_tcp_state {
	UW_TCP_ESTABLISHED = 1,
	UW_TCP_FIN_WAIT1 = 4,
	UW_TCP_CLOSE = 7,
	UW_TCP_CLOSE_WAIT = 8,
	UW_TCP_LAST_ACK = 9,
	UW_TCP_LISTEN = 10,
	UW_TCP_CLOSING = 11,
};

struct uw_diag_sock {
	int family; /* AF_INET or AF_INET6 */
	struct sockaddr_storage local, peer;
	uint64_t inode, cookie;
	uint32_t wqueue; /* bytes the application wrote that the peer has not acknowledged */
	uint32_t uid;
	uint8_t state; /* enum uw_tcp_state */
	uint8_t timer; /* 1 retransmission, 2 keepalive, 3 TIME_WAIT, 4 zero-window probe */
	uint32_t expires_ms;
	struct tcp_info info;
	size_t info_len; /* how much of info the kernel filled (older kernels: less) */
};

typedef void (*uw_diag_fn)(const struct uw_diag_sock *s, void *arg);

/* A sock_diag socket in this process's network namespace; -errno on failure. */
int uw_diag_open(void);

/* A sock_diag socket in the network namespace of pid (entered with setns and
 * left again); -errno on failure (EPERM: no right to enter it). */
int uw_diag_open_for(pid_t pid);

/* Calls fn for every TCP socket (IPv4 and IPv6) in a connected state.
 * Returns 0, or -errno. */
int uw_diag_dump_tcp(int nl, uw_diag_fn fn, void *arg);

/* Aborts the connection s names (addresses and cookie must match). Returns
 * 0, or -errno: EOPNOTSUPP without CONFIG_INET_DIAG_DESTROY, EPERM without
 * CAP_NET_ADMIN, ENOENT if the connection is gone. */
int uw_diag_destroy(int nl, const struct uw_diag_sock *s);

/* The inode of the other end of the AF_UNIX socket inode, in *peer (0: none).
 * Returns 0 or -errno. */
int uw_diag_unix_peer(int nl, uint64_t inode, uint64_t *peer);

/* The same view of one TCP socket held by this process (a pidfd_getfd
 * duplicate): addresses, cookie, unacknowledged bytes, tcp_info. Returns 0 or -errno. */
int uw_diag_from_fd(int fd, struct uw_diag_sock *s);

/* "127.0.0.1:80", "[::1]:80"; "?" for anything else. */
void uw_addr_format(const struct sockaddr_storage *a, char *buf, size_t len);

#endif
