#include "libc.h"
#include "sys.h"
#include "runtime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "backtrace.h"
#include "config_env.h"
#include "fmt.h"
#include "log.h"
#include "real.h"
#include "stats.h"

struct uw_config uw_cfg;
atomic_bool uw_active;

/* The executable's basename, from /proc/self/exe (argv[0] can be anything). */
static const char *exe_name(void)
{
	static char buf[256];
	ssize_t n = uw_sys_readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n <= 0)
		return NULL;
	buf[n] = 0;
	const char *slash = strrchr(buf, '/');
	return slash ? slash + 1 : buf;
}

static void say(const char *a, const char *b, const char *c)
{
	char line[768];
	struct uw_buf b_;
	uw_buf_init(&b_, line, sizeof line - 1);
	uw_buf_str(&b_, "unwedge: ");
	uw_buf_str(&b_, a);
	uw_buf_str(&b_, b);
	uw_buf_str(&b_, c);
	line[b_.len++] = '\n';
	uw_log_stderr(line, b_.len);
}

/* What the start-up says, unless a parent with the same settings said it
 * already (UNWEDGE_WARNED): once per process tree. */
struct startup {
	bool quiet, said;
};

static void unknown_variable(void *ctx, const char *name)
{
	struct startup *st = ctx;
	st->said = true;
	if (!st->quiet)
		say("unknown variable ", name, " ignored (check its spelling)");
}

static void preload_note(void *ctx, const char *msg, bool preload_too)
{
	struct startup *st = ctx;
	if (!preload_too)
		return;
	st->said = true;
	if (!st->quiet)
		say(msg, "", "");
}

/* Reads the settings; false when they are invalid (then said once). */
static bool read_settings(struct uw_config *c, char **envp, struct startup *st)
{
	char err[600];
	/* setuid, setgid or file capabilities: the environment belongs to someone
	 * less trusted than the process. Run with the defaults, read nothing. */
	if (UW_LIBC(getauxval)(AT_SECURE)) {
		uw_config_defaults(c);
		uw_config_finish(c);
		return true;
	}
	st->quiet = uw_config_env_warned(envp);
	if (uw_config_read_environ(c, envp, NULL, unknown_variable, st, err, sizeof err) == 0)
		return true;
	st->said = true;
	if (!st->quiet)
		say(err, "; unwedge is disabled in this process", "");
	return false;
}

/* The children inherit the mark: they stay quiet about the same settings. Only
 * after something was said, so that a quiet start changes nothing. */
static void mark_warned(char **envp, const struct startup *st)
{
	char digest[17];
	if (!st->said || st->quiet)
		return;
	uw_config_env_digest(envp, digest);
	UW_LIBC(setenv)(UW_ENV_WARNED, digest, 1);
}

void uw_runtime_init(char **envp)
{
	struct uw_config c;
	struct startup st = {0};

	uw_real_bind();
	if (!envp)
		envp = *UW_LIBC(environ);
	bool valid = read_settings(&c, envp, &st);
	if (valid && (c.only_cmds[0] || c.skip_cmds[0]) &&
	    !uw_config_cmd_in_scope(&c, *UW_LIBC(program_invocation_short_name), exe_name())) {
		/* Scoped out by name: the environment passes on to children, which
		 * decide for themselves. Silent: this is the configuration working. */
		valid = false;
	} else if (valid) {
		uw_config_notes(&c, preload_note, &st);
	}
	mark_warned(envp, &st);
	if (!valid)
		return;
	uw_cfg = c;
	if (c.backtrace)
		uw_backtrace_load();
	if (!c.guard && c.uto_ms == 0 && c.keep_cnt == 0)
		return;
	if (c.stats)
		uw_stats_start();
	atomic_store_explicit(&uw_active, true, memory_order_release);
}

void uw_runtime_step_aside(const char *why)
{
	atomic_store_explicit(&uw_active, false, memory_order_release);
	/* The fast paths read only guard: without it they take the slow path,
	 * which sees unwedge is off. */
	__atomic_store_n(&uw_cfg.guard, false, __ATOMIC_RELEASE);
	__atomic_store_n(&uw_cfg.timeout_ms, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&uw_cfg.uto_ms, 0, __ATOMIC_RELEASE);
	char line[256];
	struct uw_buf b;
	uw_buf_init(&b, line, sizeof line - 1);
	uw_buf_str(&b, "unwedge: pid=");
	uw_buf_u64(&b, (uint64_t)uw_sys_getpid());
	uw_buf_str(&b, ": ");
	uw_buf_str(&b, why);
	uw_buf_str(&b, "; unwedge steps aside in this process (the filter may forbid the calls it makes)");
	line[b.len++] = '\n';
	uw_log_line(line, b.len);
}
