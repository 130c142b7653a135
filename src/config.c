#include "libc.h"
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "duration.h"

#define AT(field)	offsetof(struct uw_config, field)
#define UW_STR_(x)	#x
#define UW_STR(x)	UW_STR_(x)
#define DURATION_VALUES "a duration such as 30s, 1.5s, 250ms, 2m; or off"

const struct uw_option uw_options[UW_OPT_COUNT] = {
	[UW_OPT_TIMEOUT] =
		{"UNWEDGE_TIMEOUT", "--timeout", DURATION_VALUES, "30s", UW_KIND_DURATION, AT(timeout_ms),
		 .metavar = "DURATION|off",
		 .help = "the write deadline: a write to a blocking socket that makes no progress for "
			 "this long fails with ETIMEDOUT"},
	[UW_OPT_TCP_USER_TIMEOUT] = {"UNWEDGE_TCP_USER_TIMEOUT", "--tcp-user-timeout",
				     "a duration such as 30s or 250ms; or off", "the write deadline",
				     UW_KIND_DURATION, AT(uto_ms), .given = AT(uto_explicit),
				     .metavar = "DURATION|off",
				     .help = "the kernel's TCP_USER_TIMEOUT put on TCP sockets"},
	[UW_OPT_TCP_USER_TIMEOUT_SCOPE] =
		{"UNWEDGE_TCP_USER_TIMEOUT_SCOPE",
		 "--tcp-user-timeout-scope",
		 "blocking or all",
		 "blocking",
		 UW_KIND_CHOICE,
		 AT(uto_all_sockets),
		 {"blocking", "all"},
		 .metavar = "blocking|all",
		 .help = "which TCP sockets get the user timeout: blocking ones, or "
			 "every one"},
	[UW_OPT_DEADLINE] = {"UNWEDGE_DEADLINE",
			     "--deadline",
			     "idle or total",
			     "idle",
			     UW_KIND_CHOICE,
			     AT(deadline_total),
			     {"idle", "total"},
			     .metavar = "idle|total",
			     .help = "idle restarts the deadline whenever bytes move; total is one budget "
				     "for the whole call"},
	[UW_OPT_ON_TIMEOUT] = {"UNWEDGE_ON_TIMEOUT",
			       "--on-timeout",
			       "shutdown or error",
			       "shutdown",
			       UW_KIND_CHOICE,
			       AT(shutdown_on_timeout),
			       {"error", "shutdown"},
			       .metavar = "shutdown|error",
			       .help = "on a timeout, also shut the socket down (waking its other users), or "
				       "only fail the write"},
	[UW_OPT_LOG] = {"UNWEDGE_LOG", "--log", "stderr, syslog, off, or an absolute file path", "stderr",
			UW_KIND_LOG, AT(log_path), .metavar = "stderr|syslog|off|PATH",
			.help = "where the one-line report of each event goes"},
	[UW_OPT_MODE] = {"UNWEDGE_MODE",
			 "--mode",
			 "enforce or observe",
			 "enforce",
			 UW_KIND_CHOICE,
			 AT(observe),
			 {"enforce", "observe"},
			 .metavar = "enforce|observe",
			 .help = "observe changes nothing and only logs the writes that cross the deadline"},
	[UW_OPT_WARN_AFTER] = {"UNWEDGE_WARN_AFTER", "--warn-after", "a duration such as 2s; or off", "off",
			       UW_KIND_DURATION, AT(warn_after_ms), .metavar = "DURATION|off",
			       .help = "log writes blocked longer than this (before any deadline)"},
	[UW_OPT_LOG_FORMAT] = {"UNWEDGE_LOG_FORMAT",
			       "--log-format",
			       "text or json",
			       "text",
			       UW_KIND_CHOICE,
			       AT(log_json),
			       {"text", "json"},
			       .metavar = "text|json",
			       .help = "one line of text or one JSON object per event"},
	[UW_OPT_LOG_RATE] = {"UNWEDGE_LOG_RATE", "--log-rate", "N/s or N/m (event lines), or off", "10/s",
			     UW_KIND_RATE, AT(log_rate), .metavar = "N/s|N/m|off",
			     .help = "at most this many event lines; the rest are counted and summarised"},
	[UW_OPT_RULES] = {"UNWEDGE_RULES", "--rules",
			  "rules such as 'port:5432 = off; net:10.0.0.0/8 port:443 = 5s; path:/run/ = off'",
			  "none", UW_KIND_RULES, AT(rules), .metavar = "RULES",
			  .help = "a deadline or off per peer, at most " UW_STR(
				  UW_RULES_MAX) " rules; the first that "
						"matches decides"},
	[UW_OPT_ONLY_CMDS] = {"UNWEDGE_ONLY_CMDS", "--only-cmds", "program names, comma-separated", "any",
			      UW_KIND_NAMES, AT(only_cmds), .metavar = "NAME,...",
			      .help = "act only in programs of these names"},
	[UW_OPT_SKIP_CMDS] = {"UNWEDGE_SKIP_CMDS", "--skip-cmds", "program names, comma-separated", "none",
			      UW_KIND_NAMES, AT(skip_cmds), .metavar = "NAME,...",
			      .help = "stay off in programs of these names"},
	[UW_OPT_KEEPALIVE] = {"UNWEDGE_KEEPALIVE", "--keepalive",
			      "IDLE,INTERVAL,COUNT such as 30s,5s,3 (whole seconds); or off", "off",
			      UW_KIND_KEEPALIVE, AT(keep_cnt), .metavar = "IDLE,INTERVAL,COUNT|off",
			      .help = "TCP keepalive on TCP sockets (with --cgroup, on the cgroup's too)"},
	[UW_OPT_BACKTRACE] = {"UNWEDGE_BACKTRACE",
			      "--backtrace",
			      "0 or 1 (also off, on)",
			      "0",
			      UW_KIND_CHOICE,
			      AT(backtrace),
			      {"0", "1", "off", "on"},
			      .metavar = "0|1",
			      .help = "add the call stack to timeout events"},
	[UW_OPT_STATS] = {"UNWEDGE_STATS",
			  "--stats",
			  "0 or 1 (also off, on)",
			  "0",
			  UW_KIND_CHOICE,
			  AT(stats),
			  {"0", "1", "off", "on"},
			  .metavar = "0|1",
			  .help = "keep live per-process counters for unwedge stat"},
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
 * at most max characters. An environment value can hold newlines or terminal
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

void uw_config_printable(char *out, size_t outlen, const char *value)
{
	shown_max(out, outlen, value, 80);
}

static int fail(char *err, size_t errlen, const char *label, const char *value, const char *why)
{
	char v[400];
	uw_config_printable(v, sizeof v, value);
	if (err && errlen)
		UW_LIBC(snprintf)(err, errlen, "%s='%s' is invalid: %s", label, v, why);
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

/* What a setter gets: the option, where its value goes, and how to report. */
struct input {
	const struct uw_option *o;
	void *field;
	const char *value, *label;
	char *err;
	size_t errlen;
};

static int bad(const struct input *in, const char *why)
{
	return fail(in->err, in->errlen, in->label, in->value, why);
}

static int expected(const struct input *in)
{
	char buf[200];
	UW_LIBC(snprintf)
	(buf, sizeof buf, "%s%s", *in->value ? "expected " : "empty; expected ", in->o->values);
	return bad(in, buf);
}

static int set_duration(struct uw_config *c, const struct input *in)
{
	uint64_t ms = 0;
	const char *why;
	enum uw_duration_result r = uw_duration_parse(in->value, &ms, &why);
	if (r == UW_DURATION_BAD) {
		char buf[240];
		UW_LIBC(snprintf)(buf, sizeof buf, "%s; expected %s", why, in->o->values);
		return bad(in, buf);
	}
	*(uint32_t *)in->field = r == UW_DURATION_OFF ? 0 : (uint32_t)ms;
	if (in->o->given)
		*(bool *)((char *)c + in->o->given) = true;
	return 0;
}

static int set_choice(struct uw_config *c, const struct input *in)
{
	(void)c;
	for (int i = 0; i < 4; i++)
		if (in->o->words[i] && uw_word_is(in->value, in->o->words[i])) {
			*(bool *)in->field = i % 2 == 1;
			return 0;
		}
	return expected(in);
}

static int set_log(struct uw_config *c, const struct input *in)
{
	const char *v = in->value;
	c->log_off = uw_word_is(v, "off");
	c->log_syslog = uw_word_is(v, "syslog");
	c->log_path[0] = 0;
	if (c->log_off || c->log_syslog || uw_word_is(v, "stderr"))
		return 0;
	/* Daemons chdir("/"): a relative path would move under them. */
	if (v[0] != '/')
		return bad(in, *v ? "not stderr, syslog, off, or an absolute path (a log file needs one: "
				    "daemons change directory)"
				  : "empty; expected stderr, syslog, off, or an absolute file path");
	if (strlen(v) >= sizeof c->log_path)
		return bad(in, "path too long");
	strcpy(c->log_path, v);
	return 0;
}

static int set_rate(struct uw_config *c, const struct input *in)
{
	const char *value = in->value;
	if (uw_word_is(value, "off")) {
		c->log_rate = 0;
		return 0;
	}
	const char *slash = strchr(value, '/');
	int n = slash ? whole_number(value, slash, 1000000) : -1;
	if (n < 1 || (!uw_word_is(slash + 1, "s") && !uw_word_is(slash + 1, "m")))
		return bad(in, "expected N/s or N/m with N from 1 to 1000000 (event lines), or off");
	c->log_rate = (uint32_t)n;
	c->log_rate_ms = uw_word_is(slash + 1, "s") ? 1000 : 60000;
	return 0;
}

static int set_rules(struct uw_config *c, const struct input *in)
{
	char rwhy[200], safe[800];
	if (uw_rules_parse(&c->rules, in->value, rwhy, sizeof rwhy) == 0)
		return 0;
	/* The reason quotes the rule as written: keep the line harmless. */
	shown_max(safe, sizeof safe, rwhy, sizeof rwhy);
	return bad(in, safe);
}

static int set_names(struct uw_config *c, const struct input *in)
{
	(void)c;
	if (strlen(in->value) >= UW_CMDS_MAX)
		return bad(in, "too long");
	for (const char *p = in->value; *p; p++)
		if (*p == '/' || *p == ' ' || (unsigned char)*p < 0x20)
			return bad(in, "expected program names separated by commas (no paths, no spaces)");
	strcpy(in->field, in->value);
	return 0;
}

/* IDLE or INTERVAL of UNWEDGE_KEEPALIVE: whole seconds, as the kernel counts them. */
static int keepalive_seconds(const struct input *in, const char *part, const char *name, uint16_t *out)
{
	uint64_t ms = 0;
	const char *why = NULL;
	char buf[200];
	if (uw_duration_parse(part, &ms, &why) == UW_DURATION_BAD)
		UW_LIBC(snprintf)
	(buf, sizeof buf, "%s '%s': %s (IDLE,INTERVAL,COUNT such as 30s,5s,3)", name, part, why);
	else if (ms == 0 || ms % 1000 || ms / 1000 > 32767) UW_LIBC(snprintf)(
		buf, sizeof buf, "%s must be whole seconds from 1s to 32767s (IDLE,INTERVAL,COUNT)", name);
	else
	{
		*out = (uint16_t)(ms / 1000);
		return 0;
	}
	return bad(in, buf);
}

static int set_keepalive(struct uw_config *c, const struct input *in)
{
	const char *value = in->value;
	char buf[96], *parts[3];
	uint16_t idle, intvl;
	if (uw_word_is(value, "off")) {
		c->keep_cnt = 0;
		c->keep_idle_s = c->keep_intvl_s = 0;
		return 0;
	}
	int commas = 0;
	for (const char *p = value; *p; p++)
		commas += *p == ',';
	if (commas != 2 || strlen(value) >= sizeof buf)
		return bad(in, "expected IDLE,INTERVAL,COUNT such as 30s,5s,3; or off");
	strcpy(buf, value);
	parts[0] = buf;
	parts[1] = strchr(parts[0], ',') + 1;
	parts[2] = strchr(parts[1], ',') + 1;
	parts[1][-1] = parts[2][-1] = 0;
	if (keepalive_seconds(in, parts[0], "IDLE", &idle) ||
	    keepalive_seconds(in, parts[1], "INTERVAL", &intvl))
		return -1;
	int cnt = whole_number(parts[2], parts[2] + strlen(parts[2]), 127);
	if (cnt < 1)
		return bad(in, "COUNT must be a number from 1 to 127 (IDLE,INTERVAL,COUNT)");
	c->keep_idle_s = idle;
	c->keep_intvl_s = intvl;
	c->keep_cnt = (uint8_t)cnt;
	return 0;
}

static int (*const setters[])(struct uw_config *, const struct input *) = {
	[UW_KIND_DURATION] = set_duration,   [UW_KIND_CHOICE] = set_choice, [UW_KIND_LOG] = set_log,
	[UW_KIND_RATE] = set_rate,	     [UW_KIND_RULES] = set_rules,   [UW_KIND_NAMES] = set_names,
	[UW_KIND_KEEPALIVE] = set_keepalive,
};

int uw_config_set(struct uw_config *c, enum uw_opt opt, const char *value, const char *label, char *err,
		  size_t errlen)
{
	if ((unsigned)opt >= UW_OPT_COUNT)
		return fail(err, errlen, label, value ? value : "", "unknown setting");
	const struct uw_option *o = &uw_options[opt];
	struct input in = {o, (char *)c + o->field, value ? value : "", label, err, errlen};
	return setters[o->kind](c, &in);
}

uint32_t uw_config_uto_for(const struct uw_config *c, uint32_t timeout_ms)
{
	if (c->uto_explicit)
		return c->uto_ms;
	uint64_t v = timeout_ms;
	if (c->keep_cnt && v) {
		uint64_t probing = uw_config_keepalive_ms(c);
		if (probing > v)
			v = probing;
	}
	return (uint32_t)v;
}

uint64_t uw_config_keepalive_ms(const struct uw_config *c)
{
	return ((uint64_t)c->keep_idle_s + (uint64_t)c->keep_intvl_s * c->keep_cnt) * 1000;
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

static void show_duration(uint32_t ms, char *buf, size_t len)
{
	if (ms == 0)
		UW_LIBC(snprintf)(buf, len, "off");
	else
		uw_duration_format(ms, buf, len);
}

static void show_kind(const struct uw_config *c, const struct uw_option *o, char *buf, size_t len)
{
	const void *field = (const char *)c + o->field;
	switch (o->kind) {
	case UW_KIND_DURATION:
		show_duration(*(const uint32_t *)field, buf, len);
		return;
	case UW_KIND_CHOICE:
		UW_LIBC(snprintf)(buf, len, "%s", o->words[*(const bool *)field ? 1 : 0]);
		return;
	case UW_KIND_LOG:
		UW_LIBC(snprintf)
		(buf, len, "%s",
		 c->log_off	  ? "off"
		 : c->log_syslog  ? "syslog"
		 : c->log_path[0] ? c->log_path
				  : "stderr");
		return;
	case UW_KIND_RATE:
		if (c->log_rate == 0)
			UW_LIBC(snprintf)(buf, len, "off");
		else
			UW_LIBC(snprintf)(buf, len, "%u/%s", c->log_rate, c->log_rate_ms == 1000 ? "s" : "m");
		return;
	case UW_KIND_RULES:
		uw_rules_format(&c->rules, buf, len);
		return;
	case UW_KIND_NAMES:
		UW_LIBC(snprintf)(buf, len, "%s", (const char *)field); /* empty: any program, or none */
		return;
	case UW_KIND_KEEPALIVE:
		if (c->keep_cnt == 0)
			UW_LIBC(snprintf)(buf, len, "off");
		else
			UW_LIBC(snprintf)
		(buf, len, "%us,%us,%u", c->keep_idle_s, c->keep_intvl_s, c->keep_cnt);
		return;
	}
	UW_LIBC(snprintf)(buf, len, "?");
}

void uw_config_show(const struct uw_config *c, enum uw_opt opt, char *buf, size_t len)
{
	if (len == 0)
		return;
	buf[0] = 0;
	if ((unsigned)opt < UW_OPT_COUNT)
		show_kind(c, &uw_options[opt], buf, len);
}

/* Two settings are the same when every option shows the same: show writes
 * what uw_config_set reads back to the same effect, so no field can be
 * forgotten here. */
bool uw_config_equal(const struct uw_config *a, const struct uw_config *b)
{
	char x[UW_CONFIG_SHOW_MAX], y[UW_CONFIG_SHOW_MAX]; /* only tests call it: never on a small stack */
	if (a->guard != b->guard)
		return false;
	for (int i = 0; i < UW_OPT_COUNT; i++) {
		uw_config_show(a, (enum uw_opt)i, x, sizeof x);
		uw_config_show(b, (enum uw_opt)i, y, sizeof y);
		if (strcmp(x, y) != 0)
			return false;
	}
	return true;
}

const char *uw_config_derived(const struct uw_config *c, enum uw_opt opt)
{
	if (opt != UW_OPT_TCP_USER_TIMEOUT || c->uto_explicit)
		return NULL;
	if (c->keep_cnt && c->uto_ms > c->timeout_ms)
		return "UNWEDGE_KEEPALIVE: IDLE + INTERVAL x COUNT, longer than the write deadline";
	return "UNWEDGE_TIMEOUT, the write deadline";
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

int uw_config_find_flag(const char *s)
{
	size_t n = name_len(s);
	for (int i = 0; i < UW_OPT_COUNT; i++)
		if (strlen(uw_options[i].flag) == n && strncmp(uw_options[i].flag, s, n) == 0)
			return i;
	return -1;
}
