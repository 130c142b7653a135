#include "libc.h"
#include "rules.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "duration.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* [s, e) trimmed of blanks. */
static void trim(const char **s, const char **e)
{
	while (*s < *e && is_space(**s))
		(*s)++;
	while (*e > *s && is_space((*e)[-1]))
		(*e)--;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int port_of(const char *s, size_t n)
{
	if (n == 0 || n > 5)
		return -1;
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 1 && v <= 65535 ? v : -1;
}

static int parse_net(struct uw_rule *r, const char *s, size_t n)
{
	char buf[64];
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	char *slash = strchr(buf, '/');
	int bits = -1;
	if (slash) {
		*slash = 0;
		size_t bl = strlen(slash + 1);
		if (bl == 0 || bl > 3)
			return -1;
		bits = 0;
		for (size_t i = 0; i < bl; i++) {
			if (slash[1 + i] < '0' || slash[1 + i] > '9')
				return -1;
			bits = bits * 10 + (slash[1 + i] - '0');
		}
	}
	if (UW_LIBC(inet_pton)(AF_INET, buf, r->net) == 1) {
		r->net_af = AF_INET;
		if (bits > 32)
			return -1;
		r->net_bits = (uint8_t)(bits < 0 ? 32 : bits);
	} else if (UW_LIBC(inet_pton)(AF_INET6, buf, r->net) == 1) {
		r->net_af = AF_INET6;
		if (bits > 128)
			return -1;
		r->net_bits = (uint8_t)(bits < 0 ? 128 : bits);
	} else {
		return -1;
	}
	return 0;
}

/* The message quotes the rule as written; the caller makes it printable. */
static int fail(char *why, size_t whylen, unsigned idx, const char *what, const char *s, size_t n)
{
	if (why && whylen)
		UW_LIBC(snprintf)(why, whylen, "rule %u: %s '%.*s'", idx, what, (int)(n > 60 ? 60 : n), s);
	return -1;
}

/* The action after '=' in [as, ae): a deadline or off. */
static int parse_action(struct uw_rule *r, unsigned idx, const char *as, const char *ae, char *why,
			size_t whylen)
{
	trim(&as, &ae);
	char action[32];
	size_t n = (size_t)(ae - as);
	if (ae <= as || n >= sizeof action)
		return fail(why, whylen, idx, "needs a deadline or off after '=', not", as, n);
	memcpy(action, as, n);
	action[n] = 0;
	uint64_t ms;
	const char *dwhy;
	enum uw_duration_result d = uw_duration_parse(action, &ms, &dwhy);
	if (d == UW_DURATION_BAD)
		return fail(why, whylen, idx, "needs a deadline such as 5s or off after '=', not", as, n);
	r->off = d == UW_DURATION_OFF;
	r->timeout_ms = r->off ? 0 : (uint32_t)ms;
	return 0;
}

static int parse_port(struct uw_rule *r, unsigned idx, const char *w, size_t n, const char *arg, size_t an,
		      char *why, size_t whylen)
{
	int v = port_of(arg, an);
	if (v < 0)
		return fail(why, whylen, idx, "expected a port 1 to 65535 in", w, n);
	int32_t *slot = lower(w[0]) == 'p' ? &r->port : &r->lport;
	if (*slot >= 0)
		return fail(why, whylen, idx, "names a port twice (a socket has one):", w, n);
	*slot = v;
	return 0;
}

/* One selector word [w, w + n). */
static int parse_selector(struct uw_rule *r, unsigned idx, const char *w, size_t n, char *why, size_t whylen)
{
	static const struct {
		const char *word;
		uint8_t families;
	} families[] = {{"*", 0},
			{"tcp", UW_RULE_TCP4 | UW_RULE_TCP6},
			{"tcp4", UW_RULE_TCP4},
			{"tcp6", UW_RULE_TCP6},
			{"unix", UW_RULE_UNIX}};
	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
		if (uw_word_is_n(w, n, families[i].word)) {
			r->families |= families[i].families;
			return 0;
		}
	const char *colon = memchr(w, ':', n);
	size_t kn = colon ? (size_t)(colon - w) : 0, an = colon ? n - kn - 1 : 0;
	const char *arg = colon ? colon + 1 : NULL;
	if (colon && uw_word_is_n(w, kn, "net")) {
		if (r->net_af || parse_net(r, arg, an) != 0)
			return fail(why, whylen, idx, "expected net:ADDRESS or net:ADDRESS/BITS, got", w, n);
		return 0;
	}
	if (colon && (uw_word_is_n(w, kn, "port") || uw_word_is_n(w, kn, "lport")))
		return parse_port(r, idx, w, n, arg, an, why, whylen);
	if (colon && uw_word_is_n(w, kn, "path")) {
		if (an == 0 || arg[0] != '/' || an >= sizeof r->path)
			return fail(why, whylen, idx, "expected path:/ABSOLUTE/PREFIX, got", w, n);
		memcpy(r->path, arg, an);
		r->path[an] = 0;
		return 0;
	}
	return fail(why, whylen, idx,
		    "unknown selector (expected tcp, tcp4, tcp6, unix, net:, port:, lport:, path: or *)", w,
		    n);
}

/* The selectors must be able to match one socket; they also fix its families. */
static int settle_families(struct uw_rule *r, unsigned idx, const char *s, size_t n, char *why, size_t whylen)
{
	bool ports = r->port >= 0 || r->lport >= 0;
	if (r->net_af && (r->families & UW_RULE_UNIX))
		return fail(why, whylen, idx, "cannot match a unix socket and an address:", s, n);
	if (r->path[0] && ((r->families & (UW_RULE_TCP4 | UW_RULE_TCP6)) || r->net_af || ports))
		return fail(why, whylen, idx, "path: matches only unix sockets:", s, n);
	if (r->net_af) {
		unsigned fam = r->net_af == AF_INET ? UW_RULE_TCP4 : UW_RULE_TCP6;
		if (r->families && !(r->families & fam))
			return fail(why, whylen, idx, "names a family its net: address cannot have:", s, n);
		r->families = (uint8_t)fam;
	}
	if (r->path[0])
		r->families = UW_RULE_UNIX;
	if (ports && !r->families)
		r->families = UW_RULE_TCP4 | UW_RULE_TCP6;
	if (ports && (r->families & UW_RULE_UNIX))
		return fail(why, whylen, idx, "port: and lport: match only TCP sockets:", s, n);
	return 0;
}

/* One rule in [s, e). */
static int parse_rule(struct uw_rule *r, unsigned idx, const char *s, const char *e, char *why, size_t whylen)
{
	memset(r, 0, sizeof *r);
	r->port = r->lport = -1;
	const char *eq = NULL;
	for (const char *p = s; p < e; p++)
		if (*p == '=')
			eq = p;
	if (!eq)
		return fail(why, whylen, idx, "has no '= DEADLINE' (or '= off') in", s, (size_t)(e - s));
	if (parse_action(r, idx, eq + 1, e, why, whylen) != 0)
		return -1;
	bool any = false;
	for (const char *p = s; p < eq;) {
		while (p < eq && is_space(*p))
			p++;
		const char *w = p;
		while (p < eq && !is_space(*p))
			p++;
		if (p == w)
			break;
		any = true;
		if (parse_selector(r, idx, w, (size_t)(p - w), why, whylen) != 0)
			return -1;
	}
	if (!any)
		return fail(why, whylen, idx, "has nothing to match before '=' (use * for every socket):", s,
			    (size_t)(e - s));
	return settle_families(r, idx, s, (size_t)(e - s), why, whylen);
}

int uw_rules_parse(struct uw_rules *rules, const char *value, char *why, size_t whylen)
{
	memset(rules, 0, sizeof *rules);
	const char *p = value;
	unsigned idx = 0;
	while (*p) {
		const char *e = strchr(p, ';');
		if (!e)
			e = p + strlen(p);
		const char *s = p, *t = e;
		trim(&s, &t);
		if (t > s) {
			idx++;
			if (rules->n == UW_RULES_MAX) {
				if (why && whylen)
					UW_LIBC(snprintf)(why, whylen, "at most %d rules", UW_RULES_MAX);
				return -1;
			}
			if (parse_rule(&rules->r[rules->n], idx, s, t, why, whylen) != 0)
				return -1;
			rules->n++;
		}
		p = *e ? e + 1 : e;
	}
	return 0;
}

struct view {
	unsigned family; /* UW_RULE_* bit, 0: unknown */
	const uint8_t *addr;
	int port;
	const char *path;
	size_t path_len;
};

static void view_of(struct view *v, const struct sockaddr *sa, socklen_t len)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	memset(v, 0, sizeof *v);
	v->port = -1;
	if (!sa || len < sizeof(sa_family_t))
		return;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		v->family = UW_RULE_TCP4;
		v->addr = (const uint8_t *)&in->sin_addr;
		v->port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *a = (const uint8_t *)&in6->sin6_addr;
		v->port = ntohs(in6->sin6_port);
		if (memcmp(a, mapped, sizeof mapped) == 0) {
			v->family = UW_RULE_TCP4;
			v->addr = a + 12;
		} else {
			v->family = UW_RULE_TCP6;
			v->addr = a;
		}
	} else if (sa->sa_family == AF_UNIX) {
		const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
		v->family = UW_RULE_UNIX;
		size_t max = len - offsetof(struct sockaddr_un, sun_path);
		if (len > offsetof(struct sockaddr_un, sun_path) && un->sun_path[0] == '/') {
			v->path = un->sun_path;
			v->path_len = strnlen(un->sun_path, max);
		}
	}
}

static bool prefix_match(const uint8_t *addr, const uint8_t *net, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(addr, net, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (addr[whole] & mask) == (net[whole] & mask);
}

static bool rule_matches(const struct uw_rule *r, const struct view *peer, const struct view *local)
{
	unsigned fam = peer->family ? peer->family : local->family;
	if (r->families && !(r->families & fam))
		return false;
	if (r->net_af) {
		unsigned want = r->net_af == AF_INET ? UW_RULE_TCP4 : UW_RULE_TCP6;
		if (peer->family != want || !peer->addr || !prefix_match(peer->addr, r->net, r->net_bits))
			return false;
	}
	if (r->port >= 0 && peer->port != r->port)
		return false;
	if (r->lport >= 0 && local->port != r->lport)
		return false;
	if (r->path[0]) {
		const struct view *v = peer->path ? peer : local;
		size_t n = strlen(r->path);
		if (!v->path || v->path_len < n || strncmp(v->path, r->path, n) != 0)
			return false;
	}
	return true;
}

int uw_rules_match(const struct uw_rules *rules, const struct sockaddr *peer, socklen_t peer_len,
		   const struct sockaddr *local, socklen_t local_len)
{
	struct view p, l;
	view_of(&p, peer, peer_len);
	view_of(&l, local, local_len);
	for (uint32_t i = 0; i < rules->n && i < UW_RULES_MAX; i++)
		if (rule_matches(&rules->r[i], &p, &l))
			return (int)i;
	return -1;
}

static void add(char *buf, size_t len, size_t *o, const char *s)
{
	size_t n = strlen(s);
	if (*o + n + 1 > len)
		n = *o + 1 < len ? len - *o - 1 : 0;
	memcpy(buf + *o, s, n);
	*o += n;
	buf[*o] = 0;
}

void uw_rules_format(const struct uw_rules *rules, char *buf, size_t len)
{
	size_t o = 0;
	if (len == 0)
		return;
	buf[0] = 0;
	for (uint32_t i = 0; i < rules->n && i < UW_RULES_MAX; i++) {
		const struct uw_rule *r = &rules->r[i];
		char part[200];
		if (i)
			add(buf, len, &o, "; ");
		size_t start = o;
		unsigned f = r->families;
		if ((f & (UW_RULE_TCP4 | UW_RULE_TCP6)) == (UW_RULE_TCP4 | UW_RULE_TCP6))
			add(buf, len, &o, "tcp ");
		else if (f & UW_RULE_TCP4)
			add(buf, len, &o, "tcp4 ");
		else if (f & UW_RULE_TCP6)
			add(buf, len, &o, "tcp6 ");
		if (f & UW_RULE_UNIX)
			add(buf, len, &o, "unix ");
		if (r->net_af) {
			char a[INET6_ADDRSTRLEN];
			UW_LIBC(inet_ntop)(r->net_af, r->net, a, sizeof a);
			UW_LIBC(snprintf)(part, sizeof part, "net:%s/%u ", a, r->net_bits);
			add(buf, len, &o, part);
		}
		if (r->port >= 0) {
			UW_LIBC(snprintf)(part, sizeof part, "port:%d ", r->port);
			add(buf, len, &o, part);
		}
		if (r->lport >= 0) {
			UW_LIBC(snprintf)(part, sizeof part, "lport:%d ", r->lport);
			add(buf, len, &o, part);
		}
		if (r->path[0]) {
			add(buf, len, &o, "path:");
			add(buf, len, &o, r->path);
			add(buf, len, &o, " ");
		}
		if (o == start)
			add(buf, len, &o, "* ");
		add(buf, len, &o, "= ");
		if (r->off) {
			add(buf, len, &o, "off");
		} else {
			uint32_t ms = r->timeout_ms;
			if (ms % 1000 == 0)
				UW_LIBC(snprintf)(part, sizeof part, "%us", ms / 1000);
			else
				UW_LIBC(snprintf)(part, sizeof part, "%ums", ms);
			add(buf, len, &o, part);
		}
	}
}

/* Does rule a match every socket rule b matches? */
static bool covers(const struct uw_rule *a, const struct uw_rule *b)
{
	if (a->families && (!b->families || (b->families & ~a->families)))
		return false;
	if (a->net_af && (b->net_af != a->net_af || b->net_bits < a->net_bits ||
			  !prefix_match(b->net, a->net, a->net_bits)))
		return false;
	if ((a->port >= 0 && a->port != b->port) || (a->lport >= 0 && a->lport != b->lport))
		return false;
	return !a->path[0] || strncmp(b->path, a->path, strlen(a->path)) == 0;
}

int uw_rules_shadowed(const struct uw_rules *rules, unsigned from, unsigned *by)
{
	for (unsigned j = from; j < rules->n && j < UW_RULES_MAX; j++)
		for (unsigned i = 0; i < j; i++)
			if (covers(&rules->r[i], &rules->r[j])) {
				*by = i;
				return (int)j;
			}
	return -1;
}
