#include "config_cmd.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/config.h"

extern char **environ;

/* A value as a shell would take it back: bare when plain, else in single quotes;
 * bytes outside printable ASCII as \xHH (they cannot reach a terminal raw). */
static void quoted(const char *v, char *out, size_t len)
{
	size_t o = 0;
	bool plain = *v != 0;
	for (const char *p = v; *p; p++)
		plain &= strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:,=@%+-",
				*p) != NULL;
	if (plain) {
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

static int usage(void)
{
	printf("usage: unwedge config\n"
	       "\n"
	       "Prints the settings a program started from this environment gets from the UNWEDGE_*\n"
	       "variables, one per line: NAME=VALUE and where the value comes from (env, default,\n"
	       "or derived from another setting), then the state. Exit 2, with one line on stderr\n"
	       "for each, if a value is invalid (the preload would disable itself) or an UNWEDGE_*\n"
	       "name is unknown (a typo the preload would ignore).\n");
	return 0;
}

int uw_config_command(int argc, char **argv)
{
	struct uw_config c;
	bool from_env[UW_OPT_COUNT] = {0}, invalid[UW_OPT_COUNT] = {0};
	char err[700], value[UW_CONFIG_SHOW_MAX * 4 + 8], line[UW_CONFIG_SHOW_MAX * 4 + 80];
	int problems = 0, bad_values = 0;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return usage();
	if (argc != 1) {
		fprintf(stderr,
			"unwedge: config takes no arguments, got '%s'\nTry 'unwedge config --help'.\n",
			argv[1]);
		return 2;
	}
	uw_config_defaults(&c);
	for (int i = 0; i < UW_OPT_COUNT; i++) {
		const char *v = getenv(uw_options[i].env);
		if (!v)
			continue;
		from_env[i] = true;
		if (uw_config_set(&c, (enum uw_opt)i, v, uw_options[i].env, err, sizeof err) != 0) {
			fprintf(stderr, "unwedge: config: %s\n", err);
			invalid[i] = true;
			problems++;
			bad_values++;
		}
	}
	for (char **e = environ; e && *e; e++) {
		/* UNWEDGE_CGROUP is set by `unwedge --cgroup` for the program's own use. */
		if (strncmp(*e, "UNWEDGE_", 8) != 0 || uw_config_find_env(*e) >= 0 ||
		    strncmp(*e, "UNWEDGE_CGROUP=", 15) == 0)
			continue;
		char name[128];
		size_t n = strcspn(*e, "=");
		snprintf(name, sizeof name, "%.*s", (int)(n < 100 ? n : 100), *e);
		quoted(name, value, sizeof value);
		fprintf(stderr,
			"unwedge: config: unknown variable %s (check its spelling): the preload ignores it\n",
			value);
		problems++;
	}
	uw_config_finish(&c);
	for (int i = 0; i < UW_OPT_COUNT; i++) {
		const char *derived = uw_config_derived(&c, (enum uw_opt)i);
		char source[200];
		if (invalid[i]) {
			quoted(getenv(uw_options[i].env), value, sizeof value);
			snprintf(source, sizeof source, "(invalid)");
		} else {
			uw_config_show(&c, (enum uw_opt)i, line, sizeof line);
			quoted(line, value, sizeof value);
			if (from_env[i])
				snprintf(source, sizeof source, "(env)");
			else if (derived)
				snprintf(source, sizeof source, "(derived: follows %s)", derived);
			else
				snprintf(source, sizeof source, "(default)");
		}
		snprintf(line, sizeof line, "%s=%s", uw_options[i].env, value);
		printf("%-44s %s\n", line, source);
	}
	if (bad_values)
		printf("state: disabled (an invalid value turns unwedge off in the process)\n");
	else if (!c.guard && c.uto_ms == 0 && c.keep_cnt == 0)
		printf("state: inactive (no write deadline, warning, TCP user timeout or keepalive is on)\n");
	else
		printf("state: active\n");
	if (problems)
		fprintf(stderr, "unwedge: config: %d problem%s found\n", problems, problems == 1 ? "" : "s");
	return problems ? 2 : 0;
}
