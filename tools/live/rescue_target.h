/* What `rescue` knows about one socket of the target process, and how it
 * reaches it: a duplicate taken with pidfd_getfd. */
#ifndef UW_TOOLS_RESCUE_TARGET_H
#define UW_TOOLS_RESCUE_TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "procfd.h"
#include "sockdiag.h"
#include "tcpstall.h"

struct rescue_opts {
	pid_t pid;
	int only_fd; /* -1: every socket */
	uint64_t older_ms, uto_ms;
	bool uto, dry, json, force;
};

enum rescue_action {
	RA_NONE,	 /* left alone */
	RA_DESTROY,	 /* SOCK_DESTROY: the blocked write fails with ECONNABORTED */
	RA_ABORT_UTO,	 /* a 1 ms user timeout: ETIMEDOUT at the next probe or retransmission */
	RA_USER_TIMEOUT, /* --tcp-user-timeout on a socket that is not stuck */
};

struct rescue_sock {
	struct uw_proc_sock ps;
	int dup; /* -1 when it could not be taken */
	int domain, type;
	struct uw_diag_sock d; /* TCP only */
	struct uw_stall st;
	enum rescue_action action;
	bool failed;
	char result[200];
};

struct rescue {
	struct rescue_opts o;
	int pidfd;
	int nl; /* sock_diag in the target's network namespace; -errno if it could not be opened */
	bool nl_tried;
	char comm[64];
};

/* pidfd_getfd on the descriptor table that holds s->ps.fd. Returns 0 or -errno. */
int rescue_grab(struct rescue *r, struct rescue_sock *s);

/* Reads the socket's family, type and, for TCP, its queues and clocks. */
void rescue_inspect(struct rescue_sock *s);

/* Decides, and unless --dry-run carries out, the action for one socket. */
void rescue_act(struct rescue *r, struct rescue_sock *s);

/* One line (or one JSON object) for the socket. */
void rescue_print(const struct rescue *r, const struct rescue_sock *s);

#endif
