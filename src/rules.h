/* UNWEDGE_RULES: per-peer deadlines. "port:5432 = off; net:10.1.0.0/16 port:443 = 5s"
 * Each rule is selectors (all must match) and an action (a deadline, or off);
 * the first rule that matches a socket decides, and a socket no rule matches gets
 * UNWEDGE_TIMEOUT. Parsing and matching are pure functions: no system calls. */
#ifndef UW_RULES_H
#define UW_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define UW_RULES_MAX	 16
#define UW_RULE_PATH_MAX 108 /* sun_path */

/* Families a rule can name (a bit mask; 0: any). */
#define UW_RULE_TCP4 1u
#define UW_RULE_TCP6 2u
#define UW_RULE_UNIX 4u

struct uw_rule {
	uint8_t families;
	uint8_t net_af; /* AF_INET or AF_INET6 when net: was given, else 0 */
	uint8_t net_bits;
	uint8_t net[16];
	int32_t port;  /* peer port, -1: any */
	int32_t lport; /* local port, -1: any */
	char path[UW_RULE_PATH_MAX];
	bool off;
	uint32_t timeout_ms;
};

struct uw_rules {
	uint32_t n;
	struct uw_rule r[UW_RULES_MAX];
};

/* Parses the whole value; on error returns -1 and a reason naming the rule. */
int uw_rules_parse(struct uw_rules *rules, const char *value, char *why, size_t whylen);

/* Writes the rules back in the syntax uw_rules_parse reads (empty when there
 * are none). */
void uw_rules_format(const struct uw_rules *rules, char *buf, size_t len);

/* The index of the first rule matching a socket with this peer and local
 * address (either may be NULL when unknown), or -1. IPv4-mapped IPv6
 * addresses match IPv4 rules. path: matches the peer's unix path, or the local
 * one when the peer is unnamed (a server's accepted connection). */
int uw_rules_match(const struct uw_rules *rules, const struct sockaddr *peer, socklen_t peer_len,
		   const struct sockaddr *local, socklen_t local_len);

/* The index of the first rule from index from on that can never decide because
 * an earlier rule (*by) matches every socket it matches ("* = off; port:80 = 5s"),
 * or -1. */
int uw_rules_shadowed(const struct uw_rules *rules, unsigned from, unsigned *by);

#endif
