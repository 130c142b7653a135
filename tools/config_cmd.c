#include "config_cmd.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/config.h"
#include "../src/config_env.h"

extern char **environ;

#define MAX_NOTES 40
#define VALUE_MAX (UW_CONFIG_SHOW_MAX * 4 + 8)

enum format { TABLE, ENV, JSON };

/* Everything config found, then printed in one of the formats. */
struct report {
	struct uw_config c;
	bool from_env[UW_OPT_COUNT], invalid[UW_OPT_COUNT];
	char problems[MAX_NOTES][700], notices[MAX_NOTES][700];
	int n_problems, n_notices, bad_values;
};

static void add(char (*list)[700], int *n, const char *msg)
{
	if (*n < MAX_NOTES)
		snprintf(list[(*n)++], 700, "%s", msg);
}

static void unknown_variable(void *ctx, const char *name)
{
	struct report *r = ctx;
	char msg[300], shown[200];
	uw_config_printable(shown, sizeof shown, name);
	snprintf(msg, sizeof msg, "unknown variable %s (check its spelling): the preload ignores it", shown);
	add(r->problems, &r->n_problems, msg);
}

static void note(void *ctx, const char *msg, bool preload_too)
{
	struct report *r = ctx;
	(void)preload_too;
	add(r->notices, &r->n_notices, msg);
}

/* Every value is checked (the preload stops at the first invalid one). */
static void collect(struct report *r)
{
	char err[700];
	struct uw_config scratch;
	uw_config_read_environ(&scratch, environ, r->from_env, unknown_variable, r, err, sizeof err);
	uw_config_defaults(&r->c);
	for (int i = 0; i < UW_OPT_COUNT; i++) {
		const char *v = r->from_env[i] ? getenv(uw_options[i].env) : NULL;
		if (v && uw_config_set(&r->c, (enum uw_opt)i, v, uw_options[i].env, err, sizeof err) != 0) {
			add(r->problems, &r->n_problems, err);
			r->invalid[i] = true;
			r->bad_values++;
		}
	}
	uw_config_finish(&r->c);
	if (uw_config_log_problem(&r->c, err, sizeof err))
		add(r->problems, &r->n_problems, err);
	if (!r->bad_values)
		uw_config_notes(&r->c, note, r);
}

static const char *state(const struct report *r)
{
	if (r->bad_values)
		return "disabled (an invalid value turns unwedge off in the process)";
	if (!r->c.guard && r->c.uto_ms == 0 && r->c.keep_cnt == 0)
		return "inactive (no write deadline, warning, TCP user timeout or keepalive is on)";
	return "active";
}

static bool plain(const char *v)
{
	if (!*v)
		return false;
	for (const char *p = v; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:,=@%+-", *p))
			return false;
	return true;
}

/* A value as a shell would take it back: bare when plain, else in single quotes;
 * bytes outside printable ASCII as \xHH (they cannot reach a terminal raw). */
static void shell_quoted(const char *v, char *out, size_t len)
{
	size_t o = 0;
	if (plain(v)) {
		snprintf(out, len, "%s", v);
		return;
	}
	out[o++] = '\'';
	for (const unsigned char *p = (const unsigned char *)v; *p && o + 8 < len; p++) {
		if (*p == '\'')
			o += (size_t)snprintf(out + o, len - o, "'\\''");
		else if (*p < 0x20 || *p >= 0x7f)
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", *p);
		else
			out[o++] = (char)*p;
	}
	out[o++] = '\'';
	out[o] = 0;
}

/* For both sh's eval and systemd's EnvironmentFile=: bare when plain, else in
 * double quotes with \ before " \ ` $ (both read it so). -1 for a control byte,
 * which neither carries on one line. */
static int env_quoted(const char *v, char *out, size_t len)
{
	size_t o = 0;
	if (plain(v) || !*v) {
		snprintf(out, len, "%s", v);
		return 0;
	}
	out[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)v; *p && o + 4 < len; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return -1;
		if (strchr("\"\\`$", *p))
			out[o++] = '\\';
		out[o++] = (char)*p;
	}
	out[o++] = '"';
	out[o] = 0;
	return 0;
}

static void json_string(const char *v)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* The value of option i to print, and where it comes from. */
static const char *value_of(const struct report *r, int i, char *buf, size_t len)
{
	if (r->invalid[i]) {
		snprintf(buf, len, "%s", getenv(uw_options[i].env));
		return "invalid";
	}
	uw_config_show(&r->c, (enum uw_opt)i, buf, len);
	if (r->from_env[i])
		return "env";
	return uw_config_derived(&r->c, (enum uw_opt)i) ? "derived" : "default";
}

static void print_table(const struct report *r)
{
	static char value[VALUE_MAX], quoted[VALUE_MAX], line[VALUE_MAX + 80];
	for (int i = 0; i < UW_OPT_COUNT; i++) {
		const char *source = value_of(r, i, value, sizeof value);
		const char *derived = uw_config_derived(&r->c, (enum uw_opt)i);
		char src[200];
		shell_quoted(value, quoted, sizeof quoted);
		if (!strcmp(source, "derived"))
			snprintf(src, sizeof src, "(derived: follows %s)", derived);
		else
			snprintf(src, sizeof src, "(%s)", source);
		snprintf(line, sizeof line, "%s=%s", uw_options[i].env, quoted);
		printf("%-44s %s\n", line, src);
	}
	printf("state: %s\n", state(r));
}

/* Derived values are comments: written out, they would stop following. */
static void print_env(struct report *r)
{
	static char value[VALUE_MAX], quoted[VALUE_MAX];
	for (int i = 0; i < UW_OPT_COUNT; i++) {
		const char *source = value_of(r, i, value, sizeof value);
		const char *name = uw_options[i].env;
		if (!strcmp(source, "invalid"))
			printf("# %s: invalid (see the message on stderr)\n", name);
		else if (!strcmp(source, "derived"))
			printf("# %s=%s follows %s\n", name, value, uw_config_derived(&r->c, (enum uw_opt)i));
		else if (env_quoted(value, quoted, sizeof quoted) == 0)
			printf("%s=%s\n", name, quoted);
		else {
			printf("# %s: has a control character, which no environment file line can carry\n",
			       name);
			add(r->problems, &r->n_problems,
			    "a value holds a control character (see the comment)");
		}
	}
}

static void json_list(const char *key, char (*list)[700], int n)
{
	printf(",\"%s\":[", key);
	for (int i = 0; i < n; i++) {
		if (i)
			putchar(',');
		json_string(list[i]);
	}
	putchar(']');
}

static void print_json(struct report *r)
{
	static char value[VALUE_MAX];
	printf("{\"settings\":{");
	for (int i = 0; i < UW_OPT_COUNT; i++) {
		const char *source = value_of(r, i, value, sizeof value);
		printf("%s\"%s\":{\"value\":", i ? "," : "", uw_options[i].env);
		json_string(value);
		printf(",\"source\":\"%s\"}", source);
	}
	printf("},\"state\":");
	json_string(state(r));
	json_list("problems", r->problems, r->n_problems);
	json_list("notices", r->notices, r->n_notices);
	printf("}\n");
}

static int usage(void)
{
	printf("usage: unwedge config [--env | --json]\n"
	       "       unwedge [settings] config [--env | --json]\n"
	       "\n"
	       "Prints the settings a program started from this environment gets from the UNWEDGE_*\n"
	       "variables, one per line: NAME=VALUE and where the value comes from (env, default,\n"
	       "or derived from another setting), then the state. Settings flags given before\n"
	       "'config' (unwedge --timeout 5s config) count as the launcher would set them.\n"
	       "\n"
	       "  --env   NAME=VALUE lines for sh's eval and systemd's EnvironmentFile= (derived\n"
	       "          values as comments)\n"
	       "  --json  one JSON object: settings (value, source), state, problems, notices\n"
	       "\n"
	       "Exit 2, with one line on stderr for each, if a value is invalid (the preload would\n"
	       "disable itself), an UNWEDGE_* name is unknown (a typo the preload would ignore) or\n"
	       "the log file cannot be written (the events would go to stderr). Settings that leave\n"
	       "unwedge doing nothing get a notice on stderr (exit 0). Otherwise exit 0.\n");
	return 0;
}

static int parse_format(int argc, char **argv, enum format *f)
{
	*f = TABLE;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return usage();
		if (!strcmp(argv[i], "--env") || !strcmp(argv[i], "--json")) {
			*f = argv[i][2] == 'e' ? ENV : JSON;
			continue;
		}
		char shown[200];
		uw_config_printable(shown, sizeof shown, argv[i]);
		fprintf(stderr,
			"unwedge: config takes --env or --json, got '%s'\nTry 'unwedge config --help'.\n",
			shown);
		return 2;
	}
	return -1;
}

int uw_config_command(int argc, char **argv)
{
	enum format f;
	int rc = parse_format(argc, argv, &f);
	if (rc >= 0)
		return rc;
	struct report *r = calloc(1, sizeof *r);
	if (!r)
		return 2;
	collect(r);
	if (f == JSON)
		print_json(r);
	else if (f == ENV)
		print_env(r);
	else
		print_table(r);
	for (int i = 0; f != JSON && i < r->n_problems; i++)
		fprintf(stderr, "unwedge: config: %s\n", r->problems[i]);
	for (int i = 0; f != JSON && i < r->n_notices; i++)
		fprintf(stderr, "unwedge: config: notice: %s\n", r->notices[i]);
	if (r->n_problems && f != JSON)
		fprintf(stderr, "unwedge: config: %d problem%s found\n", r->n_problems,
			r->n_problems == 1 ? "" : "s");
	rc = r->n_problems ? 2 : 0;
	free(r);
	return rc;
}
