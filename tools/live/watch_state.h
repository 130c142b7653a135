/* The state of `unwedge watch`: the connections it has reported stuck, the
 * events it writes about them, and its options. */
#ifndef UW_TOOLS_WATCH_STATE_H
#define UW_TOOLS_WATCH_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "../../src/rules.h"
#include "owners.h"
#include "sockdiag.h"
#include "tcpstall.h"

struct watch_opts {
	uint64_t interval_ms, stuck_after_ms, kill_after_ms; /* kill_after 0: observe only */
	bool json, once, all_netns;
	pid_t pid;	    /* 0: no --pid scope */
	const char *cgroup; /* NULL: no --cgroup scope (a path below the cgroup v2 root) */
	const char *prom;   /* NULL: no textfile */
	bool has_rules;	    /* --rules: off excludes a connection, a duration is its --stuck-after */
	struct uw_rules rules;
};

struct watch_conn {
	uint64_t cookie; /* 0: a free slot */
	struct uw_diag_sock d;
	struct uw_stall st;
	struct uw_owner owner;
	unsigned gen;			    /* the scan that last saw it */
	bool reported, killed, kill_failed; /* kill_failed: SOCK_DESTROY refused, not tried again */
	int nl;				    /* the sock_diag socket of its network namespace */
};

struct watch {
	struct watch_opts o;
	struct watch_conn *t; /* open addressing on the cookie; holds only stuck connections */
	size_t cap, n;
	unsigned gen;
	bool scoped;
	struct uw_inode_set scope;
	unsigned long long kills, kill_failures;
	/* rate limit: at most WATCH_RATE lines a second, then a count of those dropped */
	uint64_t rate_window_ms;
	unsigned rate_used, suppressed;
};

#define WATCH_RATE 10

/* One scan of the network namespace nl belongs to: updates the table and
 * writes stuck, recovered and killed events. Returns 0 or -errno. */
int watch_scan(struct watch *w, int nl);

/* After every namespace was scanned: connections not seen are gone. Returns
 * how many connections are stuck now. */
size_t watch_sweep(struct watch *w);

/* One event line: "stuck", "recovered", "killed", "kill-failed", "gone". */
void watch_event(struct watch *w, const char *event, const struct watch_conn *c, const char *extra);

/* At exit: how many lines the rate limit dropped since the last one written. */
void watch_event_summary(struct watch *w);

/* The Prometheus textfile (--prom), replaced atomically. Returns 0 or -errno. */
int watch_write_prom(const struct watch *w, const char *path);

void watch_free(struct watch *w);

#endif
