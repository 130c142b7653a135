#include "cgroup_cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "duration.h"
#include "cgroup_bpf.h"

#define DEFAULT_USER_TIMEOUT "30s"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: unwedge cgroup attach --path CGROUP [settings]\n"
		"       unwedge cgroup detach --path CGROUP\n"
		"       unwedge cgroup status [--path CGROUP]\n"
		"       unwedge cgroup check\n\n"
		"settings:\n"
		"  --tcp-user-timeout D        duration (250ms, 3s, 2m) or off (default " DEFAULT_USER_TIMEOUT
		")\n"
		"  --keepalive IDLE,INTVL,CNT  turn keepalive on, e.g. 30s,5s,3 (whole seconds), or off "
		"(default)\n"
		"  --at-connect                also bound the handshake (set before the SYN)\n"
		"  --override                  replace values the application set before connecting\n\n"
		"CGROUP is a directory of the cgroup v2 filesystem or a path inside the hierarchy\n"
		"(/system.slice/x.service). Needs root, cgroup v2, libbpf.so.1 and Linux 5.9 or later.\n"
		"The program is pinned under /sys/fs/bpf/unwedge/ and stays until detach.\n");
}

static int bad_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "unwedge: %s%s\nTry 'unwedge cgroup --help'.\n", msg, arg ? arg : "");
	return 2;
}

static int parse_duration(const char *flag, const char *v, uint64_t *ms)
{
	const char *why;
	enum uw_duration_result r = uw_duration_parse(v, ms, &why);
	if (r == UW_DURATION_BAD) {
		fprintf(stderr, "unwedge: %s '%s' is invalid: %s\n", flag, v, why);
		return -1;
	}
	if (r == UW_DURATION_OFF)
		*ms = 0;
	return 0;
}

/* IDLE,INTVL,CNT: the preload's parser (UNWEDGE_KEEPALIVE), so both layers
 * accept the same words. */
static int parse_keepalive(const char *v, struct uw_cg_settings *s)
{
	struct uw_config c;
	char err[400];
	uw_config_defaults(&c);
	if (uw_config_set(&c, UW_OPT_KEEPALIVE, v, "--keepalive", err, sizeof err) != 0) {
		fprintf(stderr, "unwedge: %s\n", err);
		return -1;
	}
	uw_cgroup_keepalive_from(&c, s);
	return 0;
}

void uw_cgroup_keepalive_from(const struct uw_config *c, struct uw_cg_settings *s)
{
	if (!c->keep_cnt) {
		s->flags &= ~UW_CG_F_KEEPALIVE;
		return;
	}
	s->flags |= UW_CG_F_KEEPALIVE;
	s->keep_idle_s = c->keep_idle_s;
	s->keep_intvl_s = c->keep_intvl_s;
	s->keep_cnt = c->keep_cnt;
}

int uw_cgroup_flag(const char *a, const char *value, struct uw_cg_settings *s, bool *used_value)
{
	*used_value = false;
	if (!strcmp(a, "--at-connect") || !strcmp(a, "--override")) {
		s->flags |= a[2] == 'a' ? UW_CG_F_AT_CONNECT : UW_CG_F_OVERRIDE;
		return 1;
	}
	if (strcmp(a, "--keepalive") != 0)
		return 0;
	*used_value = true;
	if (!value) {
		fprintf(stderr, "unwedge: missing value for --keepalive\n");
		return -1;
	}
	return parse_keepalive(value, s) == 0 ? 1 : -1;
}

/* Flags of `unwedge cgroup VERB` from argv[*i] on. *given counts the settings flags seen. */
static int parse_flags(int argc, char **argv, int *i, struct uw_cg_settings *s, const char **path, int *given)
{
	uint64_t ms;
	if (parse_duration("--tcp-user-timeout", DEFAULT_USER_TIMEOUT, &ms) != 0)
		return 2;
	s->flags |= UW_CG_F_USER_TIMEOUT;
	s->user_timeout_ms = (uint32_t)ms;
	for (; *i < argc; (*i)++) {
		const char *a = argv[*i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		}
		if (a[0] != '-')
			return 0;
		bool used = false;
		int k = uw_cgroup_flag(a, *i + 1 < argc ? argv[*i + 1] : NULL, s, &used);
		if (k < 0)
			return 2;
		if (k > 0) {
			*i += used;
			(*given)++;
			continue;
		}
		if (strcmp(a, "--tcp-user-timeout") != 0 && strcmp(a, "--path") != 0)
			return bad_usage("unknown option ", a);
		if (*i + 1 >= argc)
			return bad_usage("missing value for ", a);
		const char *v = argv[++*i];
		if (!strcmp(a, "--path")) {
			*path = v;
			continue;
		}
		(*given)++;
		if (parse_duration(a, v, &ms) != 0)
			return 2;
		s->user_timeout_ms = (uint32_t)ms;
		if (ms)
			s->flags |= UW_CG_F_USER_TIMEOUT;
		else
			s->flags &= ~UW_CG_F_USER_TIMEOUT;
	}
	return 0;
}

int uw_cgroup_command(int argc, char **argv)
{
	struct uw_cg_settings s = {0};
	const char *path = NULL, *verb = argc > 1 ? argv[1] : "";
	char err[1024], warn[256], set[256];
	int i = 2, given = 0;
	if (!strcmp(verb, "-h") || !strcmp(verb, "--help") || !*verb) {
		usage(*verb ? stdout : stderr);
		return *verb ? 0 : 2;
	}
	int r = parse_flags(argc, argv, &i, &s, &path, &given);
	if (r != 0)
		return r;
	if (i < argc)
		return bad_usage("unexpected argument ", argv[i]);
	if (given && strcmp(verb, "attach") != 0)
		return bad_usage("settings apply only to cgroup attach and --cgroup", NULL);
	if (!strcmp(verb, "check")) {
		if (uw_cg_probe(warn, sizeof warn, err, sizeof err) != 0) {
			fprintf(stderr, "unwedge: %s\n", err);
			return 1;
		}
		if (warn[0])
			fprintf(stderr, "unwedge: warning: %s\n", warn);
		printf("cgroup layer available\n");
		return 0;
	}
	if (!strcmp(verb, "status")) {
		r = uw_cg_status(path, stdout, err, sizeof err);
	} else if (!strcmp(verb, "attach") || !strcmp(verb, "detach")) {
		if (!path)
			return bad_usage(verb, " needs --path CGROUP");
		if (!strcmp(verb, "detach")) {
			r = uw_cg_detach(path, err, sizeof err);
			if (r == 1)
				printf("%s: nothing of unwedge was attached\n", path);
			return r < 0 ? (fprintf(stderr, "unwedge: %s\n", err), 1) : 0;
		}
		if (!(s.flags & (UW_CG_F_USER_TIMEOUT | UW_CG_F_KEEPALIVE)))
			return bad_usage("nothing to attach: both --tcp-user-timeout and --keepalive are off",
					 NULL);
		if (uw_cg_kernel_check(warn, sizeof warn, err, sizeof err) == 0 && warn[0])
			fprintf(stderr, "unwedge: warning: %s\n", warn);
		r = uw_cg_attach(path, &s, UW_CG_PINNED, err, sizeof err);
		uw_cg_settings_format(&s, set, sizeof set);
		if (r >= 0)
			printf("%s: %s %s\n", path, r == 1 ? "updated to" : "attached with", set);
	} else {
		return bad_usage("unknown cgroup command ", verb);
	}
	if (r < 0) {
		fprintf(stderr, "unwedge: %s\n", err);
		return 1;
	}
	return 0;
}

int uw_cgroup_enter(struct uw_cg_settings *s, const char *cmd, bool required)
{
	char err[1024], warn[256], dir[PATH_MAX];
	const char *tail = required ? "; not running it (--require)" : "; it runs without the cgroup layer";
	if (!(s->flags & (UW_CG_F_USER_TIMEOUT | UW_CG_F_KEEPALIVE))) {
		fprintf(stderr,
			"unwedge: warning: --cgroup: both the TCP user timeout and keepalive are off%s\n",
			tail);
		return -1;
	}
	if (uw_cg_kernel_check(warn, sizeof warn, err, sizeof err) == 0 && warn[0])
		fprintf(stderr, "unwedge: warning: %s\n", warn);
	if (uw_cg_enter_new_child(s, dir, sizeof dir, err, sizeof err) != 0) {
		fprintf(stderr, "unwedge: %s%s: %s%s\n", required ? "" : "warning: ", cmd, err, tail);
		return -1;
	}
	if (uw_cg_verify(dir, s, err, sizeof err) != 1)
		fprintf(stderr, "unwedge: warning: %s\n", err);
	/* So that the command's scripts, and whoever cleans up, can find the cgroup. */
	setenv("UNWEDGE_CGROUP", dir, 1);
	return 0;
}
