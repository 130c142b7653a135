/* What `unwedge rescue` prints: one line, or one JSON object, per socket. */
#include "rescue_target.h"

#include <stdio.h>
#include <sys/socket.h>

#include "../../src/duration.h"
#include "escape.h"

static const char *kind(const struct rescue_sock *s)
{
	if (s->d.family)
		return s->d.family == AF_INET ? "tcp4" : "tcp6";
	if (s->domain == AF_UNIX)
		return s->type == SOCK_STREAM ? "unix-stream" : s->type == SOCK_DGRAM ? "unix-dgram" : "unix";
	if (s->domain == AF_INET || s->domain == AF_INET6)
		return s->type == SOCK_DGRAM ? "udp" : "inet";
	return s->domain == AF_NETLINK ? "netlink" : "other";
}

static const char *action_name(enum rescue_action a)
{
	static const char *const names[] = {"none", "destroy", "user-timeout-abort", "user-timeout",
					    "shutdown"};
	return names[a];
}

static void json_str(const char *key, const char *v)
{
	printf("\"%s\": ", key);
	uw_json_string(stdout, v);
}

static void print_json(const struct rescue *r, const struct rescue_sock *s, const char *local,
		       const char *peer)
{
	printf("{\"pid\": %d, \"fd\": %d, ", (int)r->o.pid, s->ps.fd);
	json_str("program", r->comm);
	printf(", \"kind\": \"%s\", ", kind(s));
	json_str("local", local);
	printf(", ");
	json_str("peer", peer);
	printf(", \"pending\": %llu, \"stalled_ms\": %llu, \"cause\": \"%s\", \"action\": \"%s\", "
	       "\"dry_run\": %s, \"ok\": %s, ",
	       (unsigned long long)s->st.pending, (unsigned long long)s->st.stalled_ms,
	       uw_stall_cause_name(s->st.cause), action_name(s->action), r->o.dry ? "true" : "false",
	       s->failed ? "false" : "true");
	json_str("result", s->result);
	printf("}\n");
}

void rescue_print(const struct rescue *r, const struct rescue_sock *s)
{
	char local[80] = "-", peer[80] = "-", stalled[32] = "0s";
	if (s->d.family) {
		uw_addr_format(&s->d.local, local, sizeof local);
		uw_addr_format(&s->d.peer, peer, sizeof peer);
	}
	if (r->o.json) {
		print_json(r, s, local, peer);
		return;
	}
	if (s->st.stalled_ms)
		uw_duration_format(s->st.stalled_ms, stalled, sizeof stalled);
	printf("fd %d %s %s -> %s pending %llu bytes, no progress for %s", s->ps.fd, kind(s), local, peer,
	       (unsigned long long)s->st.pending, stalled);
	if (s->st.pending && s->d.family)
		printf(" (%s)", uw_stall_cause_name(s->st.cause));
	printf(": %s\n", s->result);
}
