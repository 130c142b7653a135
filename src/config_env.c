#include "libc.h"
#include "config_env.h"

#include <stdio.h>
#include <string.h>

#include "log_target.h"

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool uw_config_env_internal(const char *e)
{
	return starts(e, "UNWEDGE_CGROUP=") || starts(e, UW_ENV_WARNED "=");
}

static void report_unknown(const char *e, void (*unknown)(void *, const char *), void *ctx)
{
	char name[128];
	size_t n = strcspn(e, "=");
	UW_LIBC(snprintf)(name, sizeof name, "%.*s", (int)(n < sizeof name - 1 ? n : sizeof name - 1), e);
	if (unknown)
		unknown(ctx, name);
}

int uw_config_read_environ(struct uw_config *c, char *const *envp, bool *given,
			   void (*unknown)(void *ctx, const char *name), void *ctx, char *err, size_t errlen)
{
	const char *found[UW_OPT_COUNT] = {0};
	for (char *const *e = envp; e && *e; e++) {
		if (!starts(*e, "UNWEDGE_") || uw_config_env_internal(*e))
			continue;
		int opt = uw_config_find_env(*e);
		const char *eq = strchr(*e, '=');
		if (opt >= 0 && eq)
			found[opt] = eq + 1;
		else
			report_unknown(*e, unknown, ctx);
	}
	uw_config_defaults(c);
	for (int i = 0; given && i < UW_OPT_COUNT; i++)
		given[i] = found[i] != NULL;
	for (int i = 0; i < UW_OPT_COUNT; i++) {
		if (found[i] &&
		    uw_config_set(c, (enum uw_opt)i, found[i], uw_options[i].env, err, errlen) != 0)
			return -1;
	}
	uw_config_finish(c);
	return 0;
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

void uw_config_env_digest(char *const *envp, char out[17])
{
	uint64_t sum = 0;
	for (char *const *e = envp; e && *e; e++)
		if (starts(*e, "UNWEDGE_") && !uw_config_env_internal(*e))
			sum += fnv1a(*e); /* a sum: the order of the environment does not matter */
	UW_LIBC(snprintf)(out, 17, "%016llx", (unsigned long long)sum);
}

bool uw_config_env_warned(char *const *envp)
{
	/* The digest only when there is one to compare with: every process pays this. */
	for (char *const *e = envp; e && *e; e++)
		if (starts(*e, UW_ENV_WARNED "=")) {
			char digest[17];
			uw_config_env_digest(envp, digest);
			return strcmp(*e + sizeof UW_ENV_WARNED, digest) == 0;
		}
	return false;
}

/* warn_after at or beyond every deadline a socket can have: the deadline
 * always acts (or is reported) first. Sockets whose rule is off are passed
 * through untouched, warnings included. */
static bool warning_never_fires(const struct uw_config *c)
{
	if (!c->warn_after_ms || !c->timeout_ms || c->warn_after_ms < c->timeout_ms)
		return false;
	for (uint32_t i = 0; i < c->rules.n; i++)
		if (!c->rules.r[i].off && c->rules.r[i].timeout_ms > c->warn_after_ms)
			return false;
	return true;
}

static void note_shadowed(const struct uw_config *c, void (*note)(void *, const char *, bool), void *ctx)
{
	unsigned by;
	for (int j = uw_rules_shadowed(&c->rules, 0, &by); j >= 0;
	     j = uw_rules_shadowed(&c->rules, (unsigned)j + 1, &by)) {
		char msg[200];
		UW_LIBC(snprintf)
		(msg, sizeof msg,
		 "UNWEDGE_RULES: rule %d can never decide: rule %u before it matches every socket it "
		 "matches (the first matching rule decides)",
		 j + 1, by + 1);
		note(ctx, msg, false);
	}
}

void uw_config_notes(const struct uw_config *c, void (*note)(void *ctx, const char *msg, bool preload_too),
		     void *ctx)
{
	if (c->keep_cnt && c->uto_explicit && c->uto_ms && c->uto_ms < uw_config_keepalive_ms(c))
		note(ctx,
		     "UNWEDGE_TCP_USER_TIMEOUT is shorter than UNWEDGE_KEEPALIVE's IDLE + INTERVAL x COUNT; "
		     "with a user timeout in force the kernel ignores the keepalive count and drops an idle "
		     "connection once the user timeout has passed since the last acknowledgement",
		     true);
	if (!c->guard && c->uto_ms == 0 && c->keep_cnt == 0)
		note(ctx,
		     "these settings turn every protection off (no write deadline, warning, TCP user timeout "
		     "or keepalive is on): unwedge does nothing",
		     false);
	if (warning_never_fires(c))
		note(ctx,
		     "UNWEDGE_WARN_AFTER is not shorter than any write deadline (UNWEDGE_TIMEOUT, "
		     "UNWEDGE_RULES): the deadline always comes first, so the warning can never fire",
		     false);
	note_shadowed(c, note, ctx);
}

bool uw_config_log_problem(const struct uw_config *c, char *msg, size_t len)
{
	char why[160], path[400];
	if (!c->log_path[0] || !uw_log_target_problem(c->log_path, why, sizeof why))
		return false;
	uw_config_printable(path, sizeof path, c->log_path);
	UW_LIBC(snprintf)(msg, len, "UNWEDGE_LOG=%s %s: the events would go to stderr instead", path, why);
	return true;
}
