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
	bool uto, dry, json, force, cgroup;
	const char *uto_arg, *keepalive_arg;	      /* as given, for the cgroup layer */
	unsigned keep_idle_s, keep_intvl_s, keep_cnt; /* --keepalive; keep_cnt 0: off */
};

enum rescue_action {
	RA_NONE,	 /* left alone */
	RA_DESTROY,	 /* SOCK_DESTROY: the blocked write fails with ECONNABORTED */
	RA_ABORT_UTO,	 /* a 1 ms user timeout: ETIMEDOUT at the next probe or retransmission */
	RA_USER_TIMEOUT, /* --tcp-user-timeout on a socket that is not stuck */
	RA_SHUTDOWN,	 /* AF_UNIX: shutdown(SHUT_WR): EPIPE, SIGPIPE unless ignored */
};

struct rescue_sock {
	struct uw_proc_sock ps;
	int dup; /* -1 when it could not be taken */
	int domain, type;
	struct uw_diag_sock d; /* TCP only */
	struct uw_stall st;    /* TCP; for AF_UNIX only pending and stalled_ms */
	bool unix_stuck;       /* AF_UNIX stream: a thread stayed blocked writing to it */
	char unix_peer[72];    /* AF_UNIX: who holds the other end */
	enum rescue_action action;
	bool failed;
	char result[400];
};

struct rescue {
	struct rescue_opts o;
	int pidfd;
	int nl; /* sock_diag in the target's network namespace; -errno if it could not be opened */
	bool nl_tried;
	char comm[64];
	int ignores_sigpipe; /* SigIgn of the process: 1, 0, or -1 unknown */
	bool reached;	     /* every socket was duplicated: the right over the process is there */
};

/* pidfd_getfd on the descriptor table that holds s->ps.fd. Returns 0 or -errno. */
int rescue_grab(struct rescue *r, struct rescue_sock *s);

/* Reads the socket's family, type and, for TCP, its queues and clocks. */
void rescue_inspect(struct rescue_sock *s);

/* AF_UNIX stream sockets have no kernel clock: watches those with data
 * waiting for a moment (up to 1 s, at most --older-than) and marks the ones a
 * thread stayed blocked writing to while their peer read nothing. */
void rescue_unix_look(struct rescue *r, struct rescue_sock *v, size_t n);

/* The action on an AF_UNIX stream socket (rescue_act calls it). */
void rescue_unix_act(struct rescue *r, struct rescue_sock *s);

/* --cgroup: names what else lives in the process's cgroup, then attaches
 * the cgroup layer there (tools/cgroup/). Returns 0, or 1 after a message. */
int rescue_attach_cgroup(const struct rescue *r);

/* Decides, and unless --dry-run carries out, the action for one socket. */
void rescue_act(struct rescue *r, struct rescue_sock *s);

/* One line (or one JSON object) for the socket. */
void rescue_print(const struct rescue *r, const struct rescue_sock *s);

#endif
