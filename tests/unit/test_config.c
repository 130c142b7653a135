#include <stdlib.h>

#include "config.h"
#include "check.h"

static const char *env[16][2];

static const char *get(const char *name)
{
	for (int i = 0; env[i][0]; i++)
		if (!strcmp(env[i][0], name))
			return env[i][1];
	return NULL;
}

static void set_env(const char *const pairs[][2], int n)
{
	memset(env, 0, sizeof env);
	for (int i = 0; i < n; i++)
		env[i][0] = pairs[i][0], env[i][1] = pairs[i][1];
}

static void defaults(void)
{
	struct uw_config c;
	char err[256] = "";
	set_env(NULL, 0);
	CHECK(uw_config_from_env(&c, get, err, sizeof err) == 0);
	CHECK(c.timeout_ms == 30000);
	CHECK(c.uto_ms == 30000); /* follows the deadline */
	CHECK(!c.deadline_total);
	CHECK(c.shutdown_on_timeout);
	CHECK(!c.uto_all_sockets);
	CHECK(c.log_path[0] == 0 && !c.log_off);
}

static void every_setting(void)
{
	const char *const p[][2] = {{"UNWEDGE_TIMEOUT", "1.5s"},
				    {"UNWEDGE_TCP_USER_TIMEOUT", "250ms"},
				    {"UNWEDGE_TCP_USER_TIMEOUT_SCOPE", "all"},
				    {"UNWEDGE_DEADLINE", "total"},
				    {"UNWEDGE_ON_TIMEOUT", "error"},
				    {"UNWEDGE_LOG", "/var/log/unwedge.log"}};
	struct uw_config c;
	char err[256] = "";
	set_env(p, 6);
	CHECK(uw_config_from_env(&c, get, err, sizeof err) == 0);
	CHECK(c.timeout_ms == 1500);
	CHECK(c.uto_ms == 250);
	CHECK(c.uto_all_sockets);
	CHECK(c.deadline_total);
	CHECK(!c.shutdown_on_timeout);
	CHECK_STR(c.log_path, "/var/log/unwedge.log");
}

static void off_switches(void)
{
	const char *const p[][2] = {{"UNWEDGE_TIMEOUT", "off"}, {"UNWEDGE_LOG", "off"}};
	struct uw_config c;
	char err[256] = "";
	set_env(p, 2);
	CHECK(uw_config_from_env(&c, get, err, sizeof err) == 0);
	CHECK(c.timeout_ms == 0);
	CHECK(c.uto_ms == 0);
	CHECK(c.log_off);
	const char *const q[][2] = {{"UNWEDGE_TIMEOUT", "off"}, {"UNWEDGE_TCP_USER_TIMEOUT", "10s"}};
	set_env(q, 2);
	CHECK(uw_config_from_env(&c, get, err, sizeof err) == 0);
	CHECK(c.timeout_ms == 0 && c.uto_ms == 10000);
}

static void errors_name_the_input(void)
{
	const char *const cases[][2] = {{"UNWEDGE_TIMEOUT", "30"},
					{"UNWEDGE_TCP_USER_TIMEOUT", "fast"},
					{"UNWEDGE_TCP_USER_TIMEOUT_SCOPE", "some"},
					{"UNWEDGE_DEADLINE", "never"},
					{"UNWEDGE_ON_TIMEOUT", "panic"},
					{"UNWEDGE_LOG", "relative.log"}};
	for (int i = 0; i < 6; i++) {
		struct uw_config c;
		char err[256] = "";
		set_env(&cases[i], 1);
		CHECK(uw_config_from_env(&c, get, err, sizeof err) == -1);
		char want[128];
		snprintf(want, sizeof want, "%s='%s' is invalid", cases[i][0], cases[i][1]);
		CHECK(strstr(err, want) != NULL);
		CHECK(strchr(err, '\n') == NULL); /* one line */
	}
}

static void flags_use_the_same_parser(void)
{
	struct uw_config c;
	char err[256] = "";
	uw_config_defaults(&c);
	CHECK(uw_config_set(&c, UW_OPT_TIMEOUT, "2s", "--timeout", err, sizeof err) == 0);
	CHECK(c.timeout_ms == 2000);
	CHECK(uw_config_set(&c, UW_OPT_TIMEOUT, "2", "--timeout", err, sizeof err) == -1);
	CHECK(strstr(err, "--timeout='2' is invalid: missing unit") != NULL);
}

static void hostile_values_stay_one_line(void)
{
	struct uw_config c;
	char err[600] = "";
	uw_config_defaults(&c);
	CHECK(uw_config_set(&c, UW_OPT_TIMEOUT, "5s\nunwedge: fake\x1b[2J", "UNWEDGE_TIMEOUT", err,
			    sizeof err) == -1);
	CHECK(strchr(err, '\n') == NULL && strchr(err, '\x1b') == NULL);
	CHECK(strstr(err, "UNWEDGE_TIMEOUT='5s\\x0aunwedge: fake\\x1b[2J' is invalid") != NULL);
	char longv[300];
	memset(longv, 'a', sizeof longv - 1);
	longv[sizeof longv - 1] = 0;
	CHECK(uw_config_set(&c, UW_OPT_DEADLINE, longv, "UNWEDGE_DEADLINE", err, sizeof err) == -1);
	CHECK(strstr(err, "aaa...' is invalid") != NULL && strlen(err) < 250);
}

static void backtrace_switch(void)
{
	struct uw_config c;
	char err[256] = "";
	uw_config_defaults(&c);
	CHECK(!c.backtrace);
	const char *const on[] = {"1", "on"}, *const off[] = {"0", "off"};
	for (int i = 0; i < 2; i++) {
		CHECK(uw_config_set(&c, UW_OPT_BACKTRACE, on[i], "UNWEDGE_BACKTRACE", err, sizeof err) == 0);
		CHECK(c.backtrace);
		CHECK(uw_config_set(&c, UW_OPT_BACKTRACE, off[i], "UNWEDGE_BACKTRACE", err, sizeof err) == 0);
		CHECK(!c.backtrace);
	}
	CHECK(uw_config_set(&c, UW_OPT_BACKTRACE, "yes", "UNWEDGE_BACKTRACE", err, sizeof err) == -1);
	CHECK(strstr(err, "UNWEDGE_BACKTRACE='yes' is invalid") != NULL);
	CHECK(uw_config_find_env("UNWEDGE_BACKTRACE=1") == UW_OPT_BACKTRACE);
}

static void env_names(void)
{
	CHECK(uw_config_find_env("UNWEDGE_TIMEOUT=1s") == UW_OPT_TIMEOUT);
	CHECK(uw_config_find_env("UNWEDGE_TIMEOUTX=1s") == -1);
	CHECK(uw_config_find_env("UNWEDGE_LOG") == UW_OPT_LOG);
}

/* Everything a setting changes; uto_explicit only records how it was given. */
static int same_effect(const struct uw_config *a, const struct uw_config *b)
{
	return uw_config_equal(a, b);
}

/* show -> parse -> the same configuration, for each option and for all at once. */
static void round_trip(const char *const pairs[][2], int n)
{
	struct uw_config c, back;
	char err[256] = "", shown[UW_OPT_COUNT][UW_CONFIG_SHOW_MAX];
	const char *again[UW_OPT_COUNT][2];
	set_env(pairs, n);
	CHECK(uw_config_from_env(&c, get, err, sizeof err) == 0);
	for (int i = 0; i < UW_OPT_COUNT; i++) {
		uw_config_show(&c, (enum uw_opt)i, shown[i], sizeof shown[i]);
		again[i][0] = uw_options[i].env;
		again[i][1] = shown[i];
		struct uw_config one = c;
		CHECK(uw_config_set(&one, (enum uw_opt)i, shown[i], "show", err, sizeof err) == 0);
		uw_config_finish(&one);
		CHECK(same_effect(&one, &c));
	}
	set_env(again, UW_OPT_COUNT);
	CHECK(uw_config_from_env(&back, get, err, sizeof err) == 0);
	CHECK(same_effect(&back, &c));
}

static void show_round_trips(void)
{
	const char *const every[][2] = {{"UNWEDGE_TIMEOUT", "1.5s"},
					{"UNWEDGE_TCP_USER_TIMEOUT", "250ms"},
					{"UNWEDGE_TCP_USER_TIMEOUT_SCOPE", "all"},
					{"UNWEDGE_DEADLINE", "total"},
					{"UNWEDGE_ON_TIMEOUT", "error"},
					{"UNWEDGE_LOG", "/var/log/unwedge.log"}};
	const char *const offs[][2] = {{"UNWEDGE_TIMEOUT", "off"}, {"UNWEDGE_LOG", "off"}};
	const char *const odd[][2] = {{"UNWEDGE_TIMEOUT", "0.001s"},
				      {"UNWEDGE_TCP_USER_TIMEOUT", "2147483647ms"},
				      {"UNWEDGE_LOG", "/tmp/a b'c"}};
	const char *const derived[][2] = {{"UNWEDGE_TIMEOUT", "90s"}};
	round_trip(NULL, 0);
	round_trip(every, 6);
	round_trip(offs, 2);
	round_trip(odd, 3);
	round_trip(derived, 1);
	const char *const ops[][2] = {
		{"UNWEDGE_MODE", "observe"},
		{"UNWEDGE_WARN_AFTER", "250ms"},
		{"UNWEDGE_LOG", "syslog"},
		{"UNWEDGE_LOG_FORMAT", "json"},
		{"UNWEDGE_LOG_RATE", "5/m"},
		{"UNWEDGE_RULES", "port:5432 = off; net:10.1.0.0/16 port:443 = 1500ms; tcp6 lport:8443 = 2s; "
				  "path:/run/ = off; net:fd00::/8=1s; * = 3s"},
		{"UNWEDGE_ONLY_CMDS", "nginx,api"},
		{"UNWEDGE_SKIP_CMDS", "sh"},
		{"UNWEDGE_KEEPALIVE", "30s,5s,3"},
		{"UNWEDGE_BACKTRACE", "on"},
		{"UNWEDGE_STATS", "1"},
	};
	round_trip(ops, 11);
	const char *const keep[][2] = {{"UNWEDGE_TIMEOUT", "1s"}, {"UNWEDGE_KEEPALIVE", "2s,1s,3"}};
	round_trip(keep, 2);
}

static void show_words(void)
{
	struct uw_config c;
	char err[256] = "", buf[UW_CONFIG_SHOW_MAX];
	const char *const p[][2] = {{"UNWEDGE_TIMEOUT", "120000ms"}, {"UNWEDGE_LOG", "off"}};
	set_env(p, 2);
	CHECK(uw_config_from_env(&c, get, err, sizeof err) == 0);
	uw_config_show(&c, UW_OPT_TIMEOUT, buf, sizeof buf);
	CHECK_STR(buf, "2m");
	uw_config_show(&c, UW_OPT_TCP_USER_TIMEOUT, buf, sizeof buf);
	CHECK_STR(buf, "2m");
	uw_config_show(&c, UW_OPT_LOG, buf, sizeof buf);
	CHECK_STR(buf, "off");
	uw_config_show(&c, UW_OPT_DEADLINE, buf, sizeof buf);
	CHECK_STR(buf, "idle");
	/* The user timeout follows the deadline until it is given. */
	CHECK(uw_config_derived(&c, UW_OPT_TCP_USER_TIMEOUT) != NULL);
	CHECK(uw_config_derived(&c, UW_OPT_TIMEOUT) == NULL);
	const char *const q[][2] = {{"UNWEDGE_TCP_USER_TIMEOUT", "off"}};
	set_env(q, 1);
	CHECK(uw_config_from_env(&c, get, err, sizeof err) == 0);
	CHECK(uw_config_derived(&c, UW_OPT_TCP_USER_TIMEOUT) == NULL);
	uw_config_show(&c, UW_OPT_TCP_USER_TIMEOUT, buf, sizeof buf);
	CHECK_STR(buf, "off");
	uw_config_show(&c, UW_OPT_TIMEOUT, buf, sizeof buf);
	CHECK_STR(buf, "30s");
	/* A buffer too small is cut, never overrun. */
	char tiny[3];
	uw_config_show(&c, UW_OPT_ON_TIMEOUT, tiny, sizeof tiny);
	CHECK_STR(tiny, "sh");
}

/* One rule for letter case: the words unwedge defines, in any case. */
static void letter_case(void)
{
	const char *const p[][2] = {
		{"UNWEDGE_TIMEOUT", "5S"},	   {"UNWEDGE_TCP_USER_TIMEOUT", "OFF"},
		{"UNWEDGE_LOG_FORMAT", "JSON"},	   {"UNWEDGE_MODE", "Observe"},
		{"UNWEDGE_STATS", "ON"},	   {"UNWEDGE_BACKTRACE", "Off"},
		{"UNWEDGE_LOG", "SysLog"},	   {"UNWEDGE_LOG_RATE", "5/M"},
		{"UNWEDGE_KEEPALIVE", "30S,5s,3"}, {"UNWEDGE_DEADLINE", "TOTAL"},
		{"UNWEDGE_ON_TIMEOUT", "Error"},   {"UNWEDGE_TCP_USER_TIMEOUT_SCOPE", "ALL"}};
	struct uw_config c;
	char err[256] = "";
	set_env(p, 12);
	CHECK(uw_config_from_env(&c, get, err, sizeof err) == 0);
	CHECK(c.timeout_ms == 5000 && c.uto_ms == 0 && c.log_json && c.observe && c.stats && !c.backtrace);
	CHECK(c.log_syslog && c.log_rate == 5 && c.log_rate_ms == 60000 && c.keep_idle_s == 30);
	CHECK(c.deadline_total && !c.shutdown_on_timeout && c.uto_all_sockets);
	/* What the user names is taken exactly. */
	const char *const q[][2] = {{"UNWEDGE_LOG", "/Var/Log/X.log"}, {"UNWEDGE_ONLY_CMDS", "Nginx"}};
	set_env(q, 2);
	CHECK(uw_config_from_env(&c, get, err, sizeof err) == 0);
	CHECK_STR(c.log_path, "/Var/Log/X.log");
	CHECK_STR(c.only_cmds, "Nginx");
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* Each message says what is wrong once, and names what is missing. */
static void messages(void)
{
	struct uw_config c;
	char err[600] = "";
	uw_config_defaults(&c);
	const char *bad[] = {"fast", "30", "5x", "1.s", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(uw_config_set(&c, UW_OPT_TIMEOUT, bad[i], "UNWEDGE_TIMEOUT", err, sizeof err) == -1);
		CHECK(count(err, "expected") == 1);
	}
	CHECK(uw_config_set(&c, UW_OPT_KEEPALIVE, "30,5,3", "UNWEDGE_KEEPALIVE", err, sizeof err) == -1);
	CHECK(strstr(err, "IDLE '30': missing unit") != NULL);
	CHECK(uw_config_set(&c, UW_OPT_KEEPALIVE, "30s,5,3", "UNWEDGE_KEEPALIVE", err, sizeof err) == -1);
	CHECK(strstr(err, "INTERVAL '5': missing unit") != NULL);
	CHECK(uw_config_set(&c, UW_OPT_LOG, "", "UNWEDGE_LOG", err, sizeof err) == -1);
	CHECK(strstr(err, "empty") != NULL && strstr(err, "syslog") != NULL);
	CHECK(uw_config_set(&c, UW_OPT_MODE, "", "UNWEDGE_MODE", err, sizeof err) == -1);
	CHECK(strstr(err, "empty; expected enforce or observe") != NULL);
}

/* The equality compares what every option shows: a field no option shows
 * cannot be forgotten, and one that differs is seen. */
static void equality_from_the_table(void)
{
	struct uw_config a, b;
	char err[256];
	for (int i = 0; i < UW_OPT_COUNT; i++) {
		uw_config_defaults(&a);
		uw_config_finish(&a);
		b = a;
		CHECK(uw_config_equal(&a, &b));
		static const char *const other[] = {
			[UW_KIND_DURATION] = "7s", [UW_KIND_LOG] = "/tmp/x.log",
			[UW_KIND_RATE] = "3/m",	   [UW_KIND_RULES] = "port:1 = 1s",
			[UW_KIND_NAMES] = "x",	   [UW_KIND_KEEPALIVE] = "1s,1s,1"};
		char shown[UW_CONFIG_SHOW_MAX];
		uw_config_show(&a, (enum uw_opt)i, shown, sizeof shown);
		const char *v = other[uw_options[i].kind];
		if (uw_options[i].kind == UW_KIND_CHOICE)
			v = strcmp(shown, uw_options[i].words[1]) ? uw_options[i].words[1]
								  : uw_options[i].words[0];
		CHECK(uw_config_set(&b, (enum uw_opt)i, v, "test", err, sizeof err) == 0);
		uw_config_finish(&b);
		if (uw_config_equal(&a, &b))
			printf("  %s=%s not told apart\n", uw_options[i].env, v);
		CHECK(!uw_config_equal(&a, &b));
	}
}

int main(void)
{
	RUN(letter_case);
	RUN(messages);
	RUN(equality_from_the_table);
	RUN(defaults);
	RUN(every_setting);
	RUN(off_switches);
	RUN(errors_name_the_input);
	RUN(flags_use_the_same_parser);
	RUN(hostile_values_stay_one_line);
	RUN(backtrace_switch);
	RUN(env_names);
	RUN(show_round_trips);
	RUN(show_words);
	return check_failures;
}
