#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "config.h"
#include "rules.h"
#include "check.h"

static struct sockaddr_storage ss;

static const struct sockaddr *in4(const char *ip, int port, socklen_t *len)
{
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;
	memset(&ss, 0, sizeof ss);
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &a->sin_addr);
	*len = sizeof *a;
	return (struct sockaddr *)a;
}

static const struct sockaddr *in6(const char *ip, int port, socklen_t *len)
{
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
	memset(&ss, 0, sizeof ss);
	a->sin6_family = AF_INET6;
	a->sin6_port = htons((uint16_t)port);
	inet_pton(AF_INET6, ip, &a->sin6_addr);
	*len = sizeof *a;
	return (struct sockaddr *)a;
}

static const struct sockaddr *un(const char *path, socklen_t *len)
{
	struct sockaddr_un *a = (struct sockaddr_un *)&ss;
	memset(&ss, 0, sizeof ss);
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path, path);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
	return (struct sockaddr *)a;
}

static int match4(const struct uw_rules *r, const char *ip, int port)
{
	socklen_t len;
	const struct sockaddr *sa = in4(ip, port, &len);
	return uw_rules_match(r, sa, len, NULL, 0);
}

static void parse_and_match(void)
{
	struct uw_rules r;
	char why[200] = "";
	CHECK(uw_rules_parse(
		      &r, "port:5432 = off; net:10.1.0.0/16 port:443 = 5s; path:/run/ = off; tcp6=2s; * = 9s",
		      why, sizeof why) == 0);
	CHECK(r.n == 5);
	CHECK(r.r[0].off && r.r[0].port == 5432);
	CHECK(!r.r[1].off && r.r[1].timeout_ms == 5000 && r.r[1].net_bits == 16);
	CHECK(match4(&r, "192.0.2.1", 5432) == 0);
	CHECK(match4(&r, "10.1.2.3", 443) == 1);
	CHECK(match4(&r, "10.2.2.3", 443) == 4); /* outside the net: falls to * */
	CHECK(match4(&r, "10.1.2.3", 80) == 4);
	socklen_t len;
	const struct sockaddr *sa = in6("2001:db8::1", 443, &len);
	CHECK(uw_rules_match(&r, sa, len, NULL, 0) == 3);
	/* An IPv4-mapped peer of a dual-stack socket matches IPv4 rules. */
	sa = in6("::ffff:10.1.9.9", 443, &len);
	CHECK(uw_rules_match(&r, sa, len, NULL, 0) == 1);
	sa = un("/run/postgresql/.s.PGSQL.5432", &len);
	CHECK(uw_rules_match(&r, sa, len, NULL, 0) == 2);
	sa = un("/tmp/x.sock", &len);
	CHECK(uw_rules_match(&r, sa, len, NULL, 0) == 4);
}

static void unnamed_peer_uses_local_path(void)
{
	struct uw_rules r;
	char why[200];
	CHECK(uw_rules_parse(&r, "path:/srv/api.sock = off", why, sizeof why) == 0);
	struct sockaddr_un peer = {.sun_family = AF_UNIX};
	socklen_t plen = sizeof(sa_family_t);
	socklen_t llen;
	const struct sockaddr *local = un("/srv/api.sock", &llen);
	CHECK(uw_rules_match(&r, (struct sockaddr *)&peer, plen, local, llen) == 0);
}

static void local_port_and_prefixes(void)
{
	struct uw_rules r;
	char why[200];
	CHECK(uw_rules_parse(&r, "lport:8443 = 3s; net:192.168.0.0/23 = off; net:fd00::/8 = 1s", why,
			     sizeof why) == 0);
	socklen_t pl, ll;
	struct sockaddr_storage peer;
	memcpy(&peer, in4("203.0.113.5", 40000, &pl), sizeof peer);
	const struct sockaddr *local = in4("10.0.0.1", 8443, &ll);
	CHECK(uw_rules_match(&r, (struct sockaddr *)&peer, pl, local, ll) == 0);
	CHECK(match4(&r, "192.168.1.200", 1) == 1);
	CHECK(match4(&r, "192.168.2.1", 1) == -1);
	const struct sockaddr *sa = in6("fdab::1", 1, &pl);
	CHECK(uw_rules_match(&r, sa, pl, NULL, 0) == 2);
	sa = in6("fe80::1", 1, &pl);
	CHECK(uw_rules_match(&r, sa, pl, NULL, 0) == -1);
}

static void errors(void)
{
	const char *bad[] = {"port:5432", "port:0 = off", "port:70000=off", "net:10.0.0.0/33 = 1s",
			     "net:nothost = 1s", "bogus = 1s", "tcp = 5", "= 5s", "path:rel = off",
			     "unix port:80 = off", "path:/x tcp = off",
			     /* accepted once, though they could never match */
			     "tcp6 net:10.0.0.0/8 = 5s", "tcp4 net:fd00::/8 = off", "port:443 port:80 = off",
			     "unix net:10.0.0.0/8 = 1s"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct uw_rules r;
		char why[200] = "";
		CHECK(uw_rules_parse(&r, bad[i], why, sizeof why) == -1);
		CHECK(strncmp(why, "rule 1: ", 8) == 0);
	}
	struct uw_config c;
	char err[400] = "";
	uw_config_defaults(&c);
	CHECK(uw_config_set(&c, UW_OPT_RULES, "tcp = 1s; port:x = off", "UNWEDGE_RULES", err, sizeof err) ==
	      -1);
	CHECK(strstr(err, "UNWEDGE_RULES='tcp = 1s; port:x = off' is invalid: rule 2: expected a port") !=
	      NULL);
	CHECK(uw_config_set(&c, UW_OPT_RULES, "port:1=\n1s", "UNWEDGE_RULES", err, sizeof err) == -1);
	CHECK(strchr(err, '\n') == NULL);
}

static void settings(void)
{
	struct uw_config c;
	char err[400] = "";
	uw_config_defaults(&c);
	CHECK(uw_config_set(&c, UW_OPT_MODE, "observe", "UNWEDGE_MODE", err, sizeof err) == 0 && c.observe);
	CHECK(uw_config_set(&c, UW_OPT_MODE, "watch", "UNWEDGE_MODE", err, sizeof err) == -1);
	CHECK(uw_config_set(&c, UW_OPT_WARN_AFTER, "250ms", "UNWEDGE_WARN_AFTER", err, sizeof err) == 0 &&
	      c.warn_after_ms == 250);
	CHECK(uw_config_set(&c, UW_OPT_LOG_FORMAT, "json", "UNWEDGE_LOG_FORMAT", err, sizeof err) == 0 &&
	      c.log_json);
	CHECK(uw_config_set(&c, UW_OPT_LOG_RATE, "100/m", "UNWEDGE_LOG_RATE", err, sizeof err) == 0 &&
	      c.log_rate == 100 && c.log_rate_ms == 60000);
	CHECK(uw_config_set(&c, UW_OPT_LOG_RATE, "5/h", "UNWEDGE_LOG_RATE", err, sizeof err) == -1);
	CHECK(uw_config_set(&c, UW_OPT_LOG_RATE, "0/s", "UNWEDGE_LOG_RATE", err, sizeof err) == -1);
	CHECK(uw_config_set(&c, UW_OPT_LOG_RATE, "off", "UNWEDGE_LOG_RATE", err, sizeof err) == 0 &&
	      c.log_rate == 0);
	CHECK(uw_config_set(&c, UW_OPT_LOG, "syslog", "UNWEDGE_LOG", err, sizeof err) == 0 && c.log_syslog);
	CHECK(uw_config_set(&c, UW_OPT_KEEPALIVE, "30s,5s,3", "UNWEDGE_KEEPALIVE", err, sizeof err) == 0 &&
	      c.keep_idle_s == 30 && c.keep_intvl_s == 5 && c.keep_cnt == 3);
	const char *bad_ka[] = {"30s,5s",     "30,5s,3",    "1.5s,5s,3",  "30s,5s,0",
				"30s,5s,128", "30s,5s,3,1", "99999s,1s,1"};
	for (size_t i = 0; i < sizeof bad_ka / sizeof bad_ka[0]; i++) {
		CHECK(uw_config_set(&c, UW_OPT_KEEPALIVE, bad_ka[i], "UNWEDGE_KEEPALIVE", err, sizeof err) ==
		      -1);
		CHECK(strncmp(err, "UNWEDGE_KEEPALIVE='", 19) == 0);
	}
	CHECK(uw_config_set(&c, UW_OPT_ONLY_CMDS, "nginx,php-fpm", "UNWEDGE_ONLY_CMDS", err, sizeof err) ==
	      0);
	CHECK(uw_config_set(&c, UW_OPT_SKIP_CMDS, "/usr/bin/x", "UNWEDGE_SKIP_CMDS", err, sizeof err) == -1);
}

static void keepalive_and_user_timeout(void)
{
	struct uw_config c;
	char err[400];
	uw_config_defaults(&c);
	uw_config_set(&c, UW_OPT_TIMEOUT, "10s", "x", err, sizeof err);
	uw_config_set(&c, UW_OPT_KEEPALIVE, "60s,10s,5", "x", err, sizeof err);
	uw_config_finish(&c);
	/* The kernel ignores TCP_KEEPCNT under a user timeout: ours covers the probes. */
	CHECK(c.uto_ms == 110000);
	CHECK(uw_config_uto_for(&c, 200000) == 200000);
	uw_config_set(&c, UW_OPT_TCP_USER_TIMEOUT, "20s", "x", err, sizeof err);
	uw_config_finish(&c);
	CHECK(c.uto_ms == 20000); /* given explicitly: kept */
}

static void scope_by_name(void)
{
	struct uw_config c;
	char err[400];
	uw_config_defaults(&c);
	CHECK(uw_config_cmd_in_scope(&c, "anything", NULL));
	uw_config_set(&c, UW_OPT_ONLY_CMDS, "nginx,php-fpm", "x", err, sizeof err);
	CHECK(uw_config_cmd_in_scope(&c, "nginx", "nginx"));
	CHECK(uw_config_cmd_in_scope(&c, "php-fpm: pool www", "php-fpm"));
	CHECK(!uw_config_cmd_in_scope(&c, "nginx-debug", "nginx-debug"));
	CHECK(!uw_config_cmd_in_scope(&c, "php", NULL));
	uw_config_set(&c, UW_OPT_SKIP_CMDS, "nginx", "x", err, sizeof err);
	CHECK(!uw_config_cmd_in_scope(&c, "nginx", "nginx"));
	CHECK(uw_config_cmd_in_scope(&c, "php-fpm", "php-fpm"));
}

/* A rule that an earlier one covers can never decide. */
static void shadowed(void)
{
	struct uw_rules r;
	char why[200];
	unsigned by = 99;
	const struct {
		const char *rules;
		int shadowed, by;
	} cases[] = {
		{"* = off; port:80 = 5s", 1, 0},
		{"port:80 = 5s; * = off", -1, -1},
		{"tcp = 1s; tcp4 port:443 = 2s", 1, 0},
		{"net:10.0.0.0/8 = 1s; net:10.1.0.0/16 port:5432 = off", 1, 0},
		{"net:10.1.0.0/16 = 1s; net:10.0.0.0/8 = off", -1, -1},
		{"path:/run/ = off; path:/run/postgresql/ = 1s", 1, 0},
		{"path:/run/postgresql/ = 1s; path:/run/ = off", -1, -1},
		{"unix = off; port:80 = 1s; tcp6 = 2s; port:80 = 3s", 3, 1},
		{"tcp4 = 1s; unix = 2s", -1, -1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CHECK(uw_rules_parse(&r, cases[i].rules, why, sizeof why) == 0);
		int j = uw_rules_shadowed(&r, 0, &by);
		if (j != cases[i].shadowed || (j >= 0 && (int)by != cases[i].by))
			printf("  %s: shadowed %d by %u\n", cases[i].rules, j, by);
		CHECK(j == cases[i].shadowed);
		CHECK(j < 0 || (int)by == cases[i].by);
	}
}

/* Words the syntax defines are read in any case; paths exactly. */
static void letter_case(void)
{
	struct uw_rules r;
	char why[200], out[400];
	CHECK(uw_rules_parse(&r, "TCP4 PORT:443 = 5S; Net:10.0.0.0/8 = OFF; Path:/Run/ = 1Ms", why,
			     sizeof why) == 0);
	uw_rules_format(&r, out, sizeof out);
	CHECK_STR(out, "tcp4 port:443 = 5s; tcp4 net:10.0.0.0/8 = off; unix path:/Run/ = 1ms");
}

int main(void)
{
	RUN(shadowed);
	RUN(letter_case);
	RUN(parse_and_match);
	RUN(unnamed_peer_uses_local_path);
	RUN(local_port_and_prefixes);
	RUN(errors);
	RUN(settings);
	RUN(keepalive_and_user_timeout);
	RUN(scope_by_name);
	return check_failures;
}
