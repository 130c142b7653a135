/* Whether a TCP connection is stuck, from one tcp_info snapshot: data waiting
 * to be sent, and for how long nothing moved. Shared by `rescue` and `watch`
 * so that both call the same connection stuck. */
#ifndef UW_TOOLS_TCPSTALL_H
#define UW_TOOLS_TCPSTALL_H

#include <stdbool.h>
#include <stdint.h>

#include "sockdiag.h"

enum uw_stall_cause {
	UW_STALL_NONE,	      /* nothing waiting to be sent */
	UW_STALL_ZERO_WINDOW, /* the peer acknowledges probes with a closed window */
	UW_STALL_NO_ACK,      /* retransmissions unanswered: a black hole */
	UW_STALL_OTHER,	      /* data waiting, window open, no cause the kernel names */
};

struct uw_stall {
	uint64_t pending;    /* bytes written by the application, not yet acknowledged */
	uint64_t stalled_ms; /* how long without progress (0 when nothing is pending) */
	enum uw_stall_cause cause;
};

void uw_tcp_stall(const struct uw_diag_sock *s, struct uw_stall *out);

/* "zero-window", "no-ack", "stalled", "idle". */
const char *uw_stall_cause_name(enum uw_stall_cause c);

#endif
