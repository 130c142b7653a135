#include "config.h"

#include <stdio.h>
#include <string.h>

#include "duration.h"

const struct uw_option uw_options[UW_OPT_COUNT] = {
	[UW_OPT_TIMEOUT] = {"UNWEDGE_TIMEOUT", "--timeout", "a duration such as 30s, 1.5s, 250ms, 2m; or off",
			    "30s"},
	[UW_OPT_TCP_USER_TIMEOUT] = {"UNWEDGE_TCP_USER_TIMEOUT", "--tcp-user-timeout",
				     "a duration such as 30s or 250ms; or off", "the write deadline"},
	[UW_OPT_TCP_USER_TIMEOUT_SCOPE] = {"UNWEDGE_TCP_USER_TIMEOUT_SCOPE", "--tcp-user-timeout-scope",
					   "blocking or all", "blocking"},
	[UW_OPT_DEADLINE] = {"UNWEDGE_DEADLINE", "--deadline", "idle or total", "idle"},
	[UW_OPT_ON_TIMEOUT] = {"UNWEDGE_ON_TIMEOUT", "--on-timeout", "shutdown or error", "shutdown"},
	[UW_OPT_LOG] = {"UNWEDGE_LOG", "--log", "stderr, syslog, off, or an absolute file path", "stderr"},
	[UW_OPT_MODE] = {"UNWEDGE_MODE", "--mode", "enforce or observe", "enforce"},
	[UW_OPT_WARN_AFTER] = {"UNWEDGE_WARN_AFTER", "--warn-after", "a duration such as 2s; or off", "off"},
	[UW_OPT_LOG_FORMAT] = {"UNWEDGE_LOG_FORMAT", "--log-format", "text or json", "text"},
	[UW_OPT_LOG_RATE] = {"UNWEDGE_LOG_RATE", "--log-rate", "N/s or N/m (event lines), or off", "10/s"},
	[UW_OPT_RULES] = {"UNWEDGE_RULES", "--rules",
			  "rules such as 'port:5432 = off; net:10.0.0.0/8 port:443 = 5s; path:/run/ = off'",
			  "none"},
	[UW_OPT_ONLY_CMDS] = {"UNWEDGE_ONLY_CMDS", "--only-cmds", "program names, comma-separated", "any"},
	[UW_OPT_SKIP_CMDS] = {"UNWEDGE_SKIP_CMDS", "--skip-cmds", "program names, comma-separated", "none"},
	[UW_OPT_KEEPALIVE] = {"UNWEDGE_KEEPALIVE", "--keepalive",
			      "IDLE,INTERVAL,COUNT such as 30s,5s,3 (whole seconds); or off", "off"},
	[UW_OPT_BACKTRACE] = {"UNWEDGE_BACKTRACE", "--backtrace", "0 or 1 (also off, on)", "0"},
	[UW_OPT_STATS] = {"UNWEDGE_STATS", "--stats", "0 or 1 (also off, on)", "0"},
};

void uw_config_defaults(struct uw_config *c)
{
	memset(c, 0, sizeof *c);
	c->timeout_ms = 30000;
	c->shutdown_on_timeout = true;
	c->log_rate = 10;
	c->log_rate_ms = 1000;
}

/* The value as it may be shown: printable ASCII as is, anything else as \xHH,
 * at most 80 characters. An environment value can hold newlines or terminal
 * escapes; the message must stay one harmless line. */
static void shown_max(char *out, size_t outlen, const char *value, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i = 0;
	for (; value[i] && i < max && o + 5 < outlen; i++) {
		unsigned char ch = (unsigned char)value[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
			out[o++] = (char)ch;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	if (value[i] && o + 4 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = 0;
}

static void shown(char *out, size_t outlen, const char *value)
{
	shown_max(out, outlen, value, 80);
}

static void fail(char *err, size_t errlen, const char *label, const char *value, const char *why)
{
	char v[400];
	shown(v, sizeof v, value);
	if (err && errlen)
		snprintf(err, errlen, "%s='%s' is invalid: %s", label, v, why);
}

static int pick(const char *value, const char *a, const char *b)
{
	if (strcmp(value, a) == 0)
		return 0;
	if (strcmp(value, b) == 0)
		return 1;
	return -1;
}

static int bad_duration(struct uw_config *c, const struct uw_option *o, const char *value, const char *label,
			const char *why, char *err, size_t errlen)
{
	(void)c;
	char buf[200];
	snprintf(buf, sizeof buf, "%s; expected %s", why, o->values);
	fail(err, errlen, label, value, buf);
	return -1;
}

static int whole_number(const char *s, const char *end, long max)
{
	if (s == end || end - s > 9)
		return -1;
	long v = 0;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v <= max ? (int)v : -1;
}

static int set_rate(struct uw_config *c, const char *value, const char *label, char *err, size_t errlen)
{
	if (strcmp(value, "off") == 0) {
		c->log_rate = 0;
		return 0;
	}
	const char *slash = strchr(value, '/');
	int n = slash ? whole_number(value, slash, 1000000) : -1;
	if (n < 1 || (strcmp(slash + 1, "s") != 0 && strcmp(slash + 1, "m") != 0)) {
		fail(err, errlen, label, value,
		     "expected N/s or N/m with N from 1 to 1000000 (event lines), or off");
		return -1;
	}
	c->log_rate = (uint32_t)n;
	c->log_rate_ms = slash[1] == 's' ? 1000 : 60000;
	return 0;
}

/* IDLE,INTERVAL,COUNT: the kernel counts keepalive times in whole seconds. */
static int set_keepalive(struct uw_config *c, const char *value, const char *label, char *err, size_t errlen)
{
	if (strcmp(value, "off") == 0) {
		c->keep_cnt = 0;
		c->keep_idle_s = c->keep_intvl_s = 0;
		return 0;
	}
	char buf[96], *parts[3] = {0};
	int commas = 0;
	for (const char *p = value; *p; p++)
		commas += *p == ',';
	if (commas != 2 || strlen(value) >= sizeof buf) {
		fail(err, errlen, label, value, "expected IDLE,INTERVAL,COUNT such as 30s,5s,3; or off");
		return -1;
	}
	strcpy(buf, value);
	parts[0] = buf;
	parts[1] = strchr(parts[0], ',') + 1;
	parts[2] = strchr(parts[1], ',') + 1;
	parts[1][-1] = parts[2][-1] = 0;
	uint16_t secs[2];
	for (int i = 0; i < 2; i++) {
		uint64_t ms;
		const char *why;
		if (uw_duration_parse(parts[i], &ms, &why) != UW_DURATION_OK || ms == 0 || ms % 1000 ||
		    ms / 1000 > 32767) {
			char buf2[160];
			snprintf(buf2, sizeof buf2,
				 "%s must be whole seconds from 1s to 32767s (IDLE,INTERVAL,COUNT)",
				 i == 0 ? "IDLE" : "INTERVAL");
			fail(err, errlen, label, value, buf2);
			return -1;
		}
		secs[i] = (uint16_t)(ms / 1000);
	}
	int cnt = whole_number(parts[2], parts[2] + strlen(parts[2]), 127);
	if (cnt < 1) {
		fail(err, errlen, label, value, "COUNT must be a number from 1 to 127 (IDLE,INTERVAL,COUNT)");
		return -1;
	}
	c->keep_idle_s = secs[0];
	c->keep_intvl_s = secs[1];
	c->keep_cnt = (uint8_t)cnt;
	return 0;
}

int uw_config_set(struct uw_config *c, enum uw_opt opt, const char *value, const char *label, char *err,
		  size_t errlen)
{
	const struct uw_option *o = &uw_options[opt];
	const char *why = NULL;
	uint64_t ms = 0;
	int choice;

	if (value == NULL)
		value = "";
	switch (opt) {
	case UW_OPT_TIMEOUT:
	case UW_OPT_TCP_USER_TIMEOUT: {
		enum uw_duration_result r = uw_duration_parse(value, &ms, &why);
		if (r == UW_DURATION_BAD)
			return bad_duration(c, o, value, label, why, err, errlen);
		uint32_t v = r == UW_DURATION_OFF ? 0 : (uint32_t)ms;
		if (opt == UW_OPT_TIMEOUT) {
			c->timeout_ms = v;
		} else {
			c->uto_ms = v;
			c->uto_explicit = true;
		}
		return 0;
	}
	case UW_OPT_TCP_USER_TIMEOUT_SCOPE:
		choice = pick(value, "blocking", "all");
		if (choice < 0)
			break;
		c->uto_all_sockets = choice == 1;
		return 0;
	case UW_OPT_DEADLINE:
		choice = pick(value, "idle", "total");
		if (choice < 0)
			break;
		c->deadline_total = choice == 1;
		return 0;
	case UW_OPT_ON_TIMEOUT:
		choice = pick(value, "shutdown", "error");
		if (choice < 0)
			break;
		c->shutdown_on_timeout = choice == 0;
		return 0;
	case UW_OPT_LOG:
		c->log_off = false;
		c->log_path[0] = 0;
		c->log_syslog = false;
		if (strcmp(value, "stderr") == 0)
			return 0;
		if (strcmp(value, "syslog") == 0) {
			c->log_syslog = true;
			return 0;
		}
		if (strcmp(value, "off") == 0) {
			c->log_off = true;
			return 0;
		}
		if (value[0] != '/') {
			/* Daemons chdir("/"): a relative path would move under them. */
			fail(err, errlen, label, value,
			     "a log file needs an absolute path; expected stderr, off, or /path/to/file");
			return -1;
		}
		if (strlen(value) >= sizeof c->log_path) {
			fail(err, errlen, label, value, "path too long");
			return -1;
		}
		strcpy(c->log_path, value);
		return 0;
	case UW_OPT_MODE:
		choice = pick(value, "enforce", "observe");
		if (choice < 0)
			break;
		c->observe = choice == 1;
		return 0;
	case UW_OPT_WARN_AFTER: {
		enum uw_duration_result r = uw_duration_parse(value, &ms, &why);
		if (r == UW_DURATION_BAD)
			return bad_duration(c, o, value, label, why, err, errlen);
		c->warn_after_ms = r == UW_DURATION_OFF ? 0 : (uint32_t)ms;
		return 0;
	}
	case UW_OPT_LOG_FORMAT:
		choice = pick(value, "text", "json");
		if (choice < 0)
			break;
		c->log_json = choice == 1;
		return 0;
	case UW_OPT_LOG_RATE:
		return set_rate(c, value, label, err, errlen);
	case UW_OPT_RULES: {
		char rwhy[200], safe[800];
		if (uw_rules_parse(&c->rules, value, rwhy, sizeof rwhy) != 0) {
			/* The reason quotes the rule as written: keep the line harmless. */
			shown_max(safe, sizeof safe, rwhy, sizeof rwhy);
			fail(err, errlen, label, value, safe);
			return -1;
		}
		return 0;
	}
	case UW_OPT_ONLY_CMDS:
	case UW_OPT_SKIP_CMDS: {
		char *dst = opt == UW_OPT_ONLY_CMDS ? c->only_cmds : c->skip_cmds;
		if (strlen(value) >= UW_CMDS_MAX) {
			fail(err, errlen, label, value, "too long");
			return -1;
		}
		for (const char *p = value; *p; p++)
			if (*p == '/' || *p == ' ' || (unsigned char)*p < 0x20) {
				fail(err, errlen, label, value,
				     "expected program names separated by commas (no paths, no spaces)");
				return -1;
			}
		strcpy(dst, value);
		return 0;
	}
	case UW_OPT_KEEPALIVE:
		return set_keepalive(c, value, label, err, errlen);
	case UW_OPT_BACKTRACE:
		choice = pick(value, "0", "1");
		if (choice < 0)
			choice = pick(value, "off", "on");
		if (choice < 0)
			break;
		c->backtrace = choice == 1;
		return 0;
	case UW_OPT_STATS:
		choice = pick(value, "0", "1");
		if (choice < 0)
			choice = pick(value, "off", "on");
		if (choice < 0)
			break;
		c->stats = choice == 1;
		return 0;
	case UW_OPT_COUNT:
		break;
	}
	char buf[160];
	snprintf(buf, sizeof buf, "expected %s", o->values);
	fail(err, errlen, label, value, buf);
	return -1;
}

uint32_t uw_config_uto_for(const struct uw_config *c, uint32_t timeout_ms)
{
	if (c->uto_explicit)
		return c->uto_ms;
	uint64_t v = timeout_ms;
	if (c->keep_cnt && v) {
		uint64_t probing =
			((uint64_t)c->keep_idle_s + (uint64_t)c->keep_intvl_s * c->keep_cnt) * 1000;
		if (probing > v)
			v = probing;
	}
	return (uint32_t)v;
}

void uw_config_finish(struct uw_config *c)
{
	c->uto_ms = uw_config_uto_for(c, c->timeout_ms);
	c->guard = c->timeout_ms != 0 || c->warn_after_ms != 0;
	for (uint32_t i = 0; i < c->rules.n; i++)
		if (!c->rules.r[i].off)
			c->guard = true;
}

static bool listed(const char *list, const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0)
		return false;
	for (const char *p = list; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p += len + (comma ? 1 : 0);
	}
	return false;
}

bool uw_config_cmd_in_scope(const struct uw_config *c, const char *argv0_base, const char *exe_base)
{
	if (c->only_cmds[0] && !listed(c->only_cmds, argv0_base) && !listed(c->only_cmds, exe_base))
		return false;
	if (c->skip_cmds[0] && (listed(c->skip_cmds, argv0_base) || listed(c->skip_cmds, exe_base)))
		return false;
	return true;
}

int uw_config_from_env(struct uw_config *c, const char *(*get)(const char *name), char *err, size_t errlen)
{
	uw_config_defaults(c);
	for (int i = 0; i < UW_OPT_COUNT; i++) {
		const char *v = get(uw_options[i].env);
		if (v == NULL)
			continue;
		if (uw_config_set(c, (enum uw_opt)i, v, uw_options[i].env, err, errlen) != 0)
			return -1;
	}
	uw_config_finish(c);
	return 0;
}

bool uw_config_equal(const struct uw_config *a, const struct uw_config *b)
{
	if (a->rules.n != b->rules.n)
		return false;
	for (uint32_t i = 0; i < a->rules.n && i < UW_RULES_MAX; i++) {
		const struct uw_rule *x = &a->rules.r[i], *y = &b->rules.r[i];
		if (x->families != y->families || x->net_af != y->net_af || x->net_bits != y->net_bits ||
		    memcmp(x->net, y->net, sizeof x->net) != 0 || x->port != y->port ||
		    x->lport != y->lport || strcmp(x->path, y->path) != 0 || x->off != y->off ||
		    x->timeout_ms != y->timeout_ms)
			return false;
	}
	return a->timeout_ms == b->timeout_ms && a->uto_ms == b->uto_ms &&
	       a->uto_all_sockets == b->uto_all_sockets && a->deadline_total == b->deadline_total &&
	       a->shutdown_on_timeout == b->shutdown_on_timeout && a->log_off == b->log_off &&
	       a->log_syslog == b->log_syslog && a->log_json == b->log_json &&
	       strcmp(a->log_path, b->log_path) == 0 && a->log_rate == b->log_rate &&
	       (a->log_rate == 0 || a->log_rate_ms == b->log_rate_ms) && a->observe == b->observe &&
	       a->warn_after_ms == b->warn_after_ms && a->keep_cnt == b->keep_cnt &&
	       (a->keep_cnt == 0 ||
		(a->keep_idle_s == b->keep_idle_s && a->keep_intvl_s == b->keep_intvl_s)) &&
	       strcmp(a->only_cmds, b->only_cmds) == 0 && strcmp(a->skip_cmds, b->skip_cmds) == 0 &&
	       a->backtrace == b->backtrace && a->stats == b->stats && a->guard == b->guard;
}

static void show_duration(uint32_t ms, char *buf, size_t len)
{
	if (ms == 0)
		snprintf(buf, len, "off");
	else
		uw_duration_format(ms, buf, len);
}

/* No default case: -Wswitch names every option added without a way to show it. */
void uw_config_show(const struct uw_config *c, enum uw_opt opt, char *buf, size_t len)
{
	const char *word = "";
	switch (opt) {
	case UW_OPT_TIMEOUT:
		show_duration(c->timeout_ms, buf, len);
		return;
	case UW_OPT_TCP_USER_TIMEOUT:
		show_duration(c->uto_ms, buf, len);
		return;
	case UW_OPT_TCP_USER_TIMEOUT_SCOPE:
		word = c->uto_all_sockets ? "all" : "blocking";
		break;
	case UW_OPT_DEADLINE:
		word = c->deadline_total ? "total" : "idle";
		break;
	case UW_OPT_ON_TIMEOUT:
		word = c->shutdown_on_timeout ? "shutdown" : "error";
		break;
	case UW_OPT_LOG:
		word = c->log_off	? "off"
		       : c->log_syslog	? "syslog"
		       : c->log_path[0] ? c->log_path
					: "stderr";
		break;
	case UW_OPT_MODE:
		word = c->observe ? "observe" : "enforce";
		break;
	case UW_OPT_WARN_AFTER:
		show_duration(c->warn_after_ms, buf, len);
		return;
	case UW_OPT_LOG_FORMAT:
		word = c->log_json ? "json" : "text";
		break;
	case UW_OPT_LOG_RATE:
		if (c->log_rate == 0)
			snprintf(buf, len, "off");
		else
			snprintf(buf, len, "%u/%s", c->log_rate, c->log_rate_ms == 1000 ? "s" : "m");
		return;
	case UW_OPT_RULES:
		uw_rules_format(&c->rules, buf, len);
		return;
	case UW_OPT_ONLY_CMDS:
		word = c->only_cmds; /* empty: any program */
		break;
	case UW_OPT_SKIP_CMDS:
		word = c->skip_cmds;
		break;
	case UW_OPT_BACKTRACE:
		word = c->backtrace ? "1" : "0";
		break;
	case UW_OPT_STATS:
		word = c->stats ? "1" : "0";
		break;
	case UW_OPT_KEEPALIVE:
		if (c->keep_cnt == 0)
			snprintf(buf, len, "off");
		else
			snprintf(buf, len, "%us,%us,%u", c->keep_idle_s, c->keep_intvl_s, c->keep_cnt);
		return;
	case UW_OPT_COUNT:
		break;
	}
	snprintf(buf, len, "%s", word);
}

const char *uw_config_derived(const struct uw_config *c, enum uw_opt opt)
{
	switch (opt) {
	case UW_OPT_TCP_USER_TIMEOUT:
		if (c->uto_explicit)
			return NULL;
		if (c->keep_cnt && c->uto_ms > c->timeout_ms)
			return "UNWEDGE_KEEPALIVE: IDLE + INTERVAL x COUNT, longer than the write deadline";
		return "UNWEDGE_TIMEOUT, the write deadline";
	case UW_OPT_MODE:
	case UW_OPT_WARN_AFTER:
	case UW_OPT_LOG_FORMAT:
	case UW_OPT_LOG_RATE:
	case UW_OPT_RULES:
	case UW_OPT_ONLY_CMDS:
	case UW_OPT_SKIP_CMDS:
	case UW_OPT_KEEPALIVE:
	case UW_OPT_BACKTRACE:
	case UW_OPT_STATS:
	case UW_OPT_TIMEOUT:
	case UW_OPT_TCP_USER_TIMEOUT_SCOPE:
	case UW_OPT_DEADLINE:
	case UW_OPT_ON_TIMEOUT:
	case UW_OPT_LOG:
	case UW_OPT_COUNT:
		break;
	}
	return NULL;
}

static size_t name_len(const char *s)
{
	const char *eq = strchr(s, '=');
	return eq ? (size_t)(eq - s) : strlen(s);
}

int uw_config_find_env(const char *s)
{
	size_t n = name_len(s);
	for (int i = 0; i < UW_OPT_COUNT; i++)
		if (strlen(uw_options[i].env) == n && strncmp(uw_options[i].env, s, n) == 0)
			return i;
	return -1;
}
