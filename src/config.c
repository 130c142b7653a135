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
	[UW_OPT_LOG] = {"UNWEDGE_LOG", "--log", "stderr, off, or an absolute file path", "stderr"},
	[UW_OPT_BACKTRACE] = {"UNWEDGE_BACKTRACE", "--backtrace", "0 or 1 (also off, on)", "0"},
};

void uw_config_defaults(struct uw_config *c)
{
	memset(c, 0, sizeof *c);
	c->timeout_ms = 30000;
	c->shutdown_on_timeout = true;
}

/* The value as it may be shown: printable ASCII as is, anything else as \xHH,
 * at most 80 characters. An environment value can hold newlines or terminal
 * escapes; the message must stay one harmless line. */
static void shown(char *out, size_t outlen, const char *value)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i = 0;
	for (; value[i] && i < 80 && o + 5 < outlen; i++) {
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
		if (r == UW_DURATION_BAD) {
			char buf[200];
			snprintf(buf, sizeof buf, "%s; expected %s", why, o->values);
			fail(err, errlen, label, value, buf);
			return -1;
		}
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
		if (strcmp(value, "stderr") == 0)
			return 0;
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
	case UW_OPT_BACKTRACE:
		choice = pick(value, "0", "1");
		if (choice < 0)
			choice = pick(value, "off", "on");
		if (choice < 0)
			break;
		c->backtrace = choice == 1;
		return 0;
	case UW_OPT_COUNT:
		break;
	}
	char buf[160];
	snprintf(buf, sizeof buf, "expected %s", o->values);
	fail(err, errlen, label, value, buf);
	return -1;
}

void uw_config_finish(struct uw_config *c)
{
	if (!c->uto_explicit)
		c->uto_ms = c->timeout_ms;
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
