#include "runtime.h"

#include <errno.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "backtrace.h"
#include "fmt.h"
#include "log.h"
#include "real.h"
#include "stats.h"

struct uw_config uw_cfg;
atomic_bool uw_active;

/* The UNWEDGE_* values, found in one pass over the environment. */
static const char *found[UW_OPT_COUNT];

static const char *lookup(const char *name)
{
	int i = uw_config_find_env(name);
	return i >= 0 ? found[i] : NULL;
}

/* The executable's basename, from /proc/self/exe (argv[0] can be anything). */
static const char *exe_name(void)
{
	static char buf[256];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
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

void uw_runtime_init(char **envp)
{
	extern char **environ;
	struct uw_config c;
	char err[600];

	uw_real_bind();
	/* setuid, setgid or file capabilities: the environment belongs to someone
	 * less trusted than the process. Run with the defaults, read nothing. */
	if (getauxval(AT_SECURE)) {
		uw_config_defaults(&c);
		uw_config_finish(&c);
	} else {
		for (char **e = envp ? envp : environ; e && *e; e++) {
			if (strncmp(*e, "UNWEDGE_", 8) != 0)
				continue;
			/* Set by the launcher's --cgroup for the program's own use. */
			if (strncmp(*e, "UNWEDGE_CGROUP=", 15) == 0)
				continue;
			const char *eq = strchr(*e, '=');
			int opt = uw_config_find_env(*e);
			if (opt >= 0 && eq) {
				found[opt] = eq + 1;
				continue;
			}
			char name[128];
			size_t n = eq ? (size_t)(eq - *e) : strlen(*e);
			if (n >= sizeof name)
				n = sizeof name - 1;
			memcpy(name, *e, n);
			name[n] = 0;
			say("unknown variable ", name, " ignored (check its spelling)");
		}
		if (uw_config_from_env(&c, lookup, err, sizeof err) != 0) {
			say(err, "; unwedge is disabled in this process", "");
			return;
		}
	}
	if ((c.only_cmds[0] || c.skip_cmds[0]) &&
	    !uw_config_cmd_in_scope(&c, program_invocation_short_name, exe_name())) {
		/* Scoped out by name: the environment passes on to children, which
		 * decide for themselves. Silent: this is the configuration working. */
		return;
	}
	if (c.keep_cnt && c.uto_explicit && c.uto_ms &&
	    c.uto_ms < ((uint64_t)c.keep_idle_s + (uint64_t)c.keep_intvl_s * c.keep_cnt) * 1000)
		say("UNWEDGE_TCP_USER_TIMEOUT is shorter than UNWEDGE_KEEPALIVE's IDLE + INTERVAL x COUNT; ",
		    "with a user timeout in force the kernel ignores the keepalive count and drops an idle ",
		    "connection once the user timeout has passed since the last acknowledgement");
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
	uw_buf_u64(&b, (uint64_t)getpid());
	uw_buf_str(&b, ": ");
	uw_buf_str(&b, why);
	uw_buf_str(&b, "; unwedge steps aside in this process (the filter may forbid the calls it makes)");
	line[b.len++] = '\n';
	uw_log_line(line, b.len);
}
