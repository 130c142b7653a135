/* The settings of unwedge, read from UNWEDGE_* variables by the preload and from
 * flags by the launcher, through the same parser so both accept the same words. */
#ifndef UW_CONFIG_H
#define UW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum uw_opt {
	UW_OPT_TIMEOUT,
	UW_OPT_TCP_USER_TIMEOUT,
	UW_OPT_TCP_USER_TIMEOUT_SCOPE,
	UW_OPT_DEADLINE,
	UW_OPT_ON_TIMEOUT,
	UW_OPT_LOG,
	UW_OPT_MODE,
	UW_OPT_WARN_AFTER,
	UW_OPT_LOG_FORMAT,
	UW_OPT_LOG_RATE,
	UW_OPT_RULES,
	UW_OPT_ONLY_CMDS,
	UW_OPT_SKIP_CMDS,
	UW_OPT_KEEPALIVE,
	UW_OPT_BACKTRACE,
	UW_OPT_STATS,
	UW_OPT_COUNT
};

/* How a setting's value is read and shown. */
enum uw_value_kind {
	UW_KIND_DURATION,  /* a uint32_t of milliseconds, 0: off */
	UW_KIND_CHOICE,	   /* a bool: words[0] gives false, words[1] true */
	UW_KIND_LOG,	   /* stderr, syslog, off or an absolute path */
	UW_KIND_RATE,	   /* N/s, N/m or off */
	UW_KIND_RULES,	   /* UNWEDGE_RULES (src/rules.h) */
	UW_KIND_NAMES,	   /* program names, comma-separated, into a char[UW_CMDS_MAX] */
	UW_KIND_KEEPALIVE, /* IDLE,INTERVAL,COUNT or off */
};

/* One setting, described once: the parser, `show`, the equality, the launcher's
 * long options, `unwedge config`, --help and the option sections of the man
 * page and README (tools/gen_docs.c) all come from this table. */
struct uw_option {
	const char *env;      /* UNWEDGE_TIMEOUT */
	const char *flag;     /* --timeout */
	const char *values;   /* what it accepts, for messages and --help */
	const char *fallback; /* the default, as the user would write it */
	enum uw_value_kind kind;
	size_t field;	      /* offsetof(struct uw_config, ...) of the value */
	const char *words[4]; /* UW_KIND_CHOICE: false, true, then optional aliases of each */
	size_t given;	      /* when non-zero: offsetof a bool set when the value is given */
	const char *metavar;  /* the value in the synopsis of a flag: "DURATION|off" */
	const char *help;     /* what it does, one sentence */
};
extern const struct uw_option uw_options[UW_OPT_COUNT];

#define UW_LOG_PATH_MAX 512
#define UW_CMDS_MAX	512

#include "rules.h"

struct uw_config {
	uint32_t timeout_ms;  /* write deadline; 0 = off */
	uint32_t uto_ms;      /* TCP_USER_TIMEOUT we add; 0 = off */
	bool uto_explicit;    /* UNWEDGE_TCP_USER_TIMEOUT was given */
	bool uto_all_sockets; /* scope=all: also non-blocking sockets */
	bool deadline_total;  /* one budget per call instead of an idle deadline */
	bool shutdown_on_timeout;
	bool log_off;
	bool log_syslog;
	bool log_json;
	char log_path[UW_LOG_PATH_MAX]; /* empty: stderr (or syslog) */
	uint32_t log_rate;		/* event lines per log_rate_ms; 0: unlimited */
	uint32_t log_rate_ms;
	bool observe;		/* UNWEDGE_MODE=observe: watch and log, change nothing */
	uint32_t warn_after_ms; /* log writes blocked longer than this; 0: off */
	/* Keepalive (whole seconds, as the kernel counts them); keep_cnt 0: off. */
	uint16_t keep_idle_s, keep_intvl_s;
	uint8_t keep_cnt;
	char only_cmds[UW_CMDS_MAX]; /* comma-separated program names; empty: any */
	char skip_cmds[UW_CMDS_MAX];
	struct uw_rules rules;
	/* Derived by uw_config_finish: some write can get a deadline or a
	 * warning, so the write wrappers must guard calls. */
	bool guard;
	bool backtrace; /* call stacks in timeout events (loads libunwedge-backtrace.so) */
	bool stats;	/* UNWEDGE_STATS=1: live counters in a file (src/stats.h) */
};

void uw_config_defaults(struct uw_config *c);

/* Applies one setting. label names the input in messages ("UNWEDGE_TIMEOUT" or
 * "--timeout"). Returns 0, or -1 with a one-line message in err. */
int uw_config_set(struct uw_config *c, enum uw_opt opt, const char *value, const char *label, char *err,
		  size_t errlen);

/* Derived values: the user timeout follows the write deadline unless given;
 * guard. */
void uw_config_finish(struct uw_config *c);

/* The TCP_USER_TIMEOUT unwedge adds to a socket whose write deadline is
 * timeout_ms (its rule's, or the global one): the explicit value if given;
 * otherwise the deadline, raised to the keepalive's whole probing time when
 * keepalive is on (with a user timeout in force the kernel ignores TCP_KEEPCNT
 * and gives up when the user timeout expires). */
uint32_t uw_config_uto_for(const struct uw_config *c, uint32_t timeout_ms);

/* Is this program (by its argv[0] or executable name, basenames) in scope of
 * UNWEDGE_ONLY_CMDS / UNWEDGE_SKIP_CMDS? */
bool uw_config_cmd_in_scope(const struct uw_config *c, const char *argv0_base, const char *exe_base);

/* Reads every UNWEDGE_* variable through get (getenv in production). Stops at the
 * first invalid value: returns -1 with its message in err. */
int uw_config_from_env(struct uw_config *c, const char *(*get)(const char *name), char *err, size_t errlen);

/* Writes an option's effective value (after uw_config_finish) as the user would
 * write it: uw_config_set of that text gives the same effect. */
/* Room for any option shown (UNWEDGE_RULES is the longest). */
#define UW_CONFIG_SHOW_MAX 4096

/* Do a and b configure the same behaviour? */
bool uw_config_equal(const struct uw_config *a, const struct uw_config *b);

void uw_config_show(const struct uw_config *c, enum uw_opt opt, char *buf, size_t len);

/* When the option was not given: what its value follows ("UNWEDGE_TIMEOUT, the
 * write deadline"), or NULL when it is a plain default. */
const char *uw_config_derived(const struct uw_config *c, enum uw_opt opt);

/* Finds the option for an environment variable name ("UNWEDGE_X=..." allowed), or -1. */
int uw_config_find_env(const char *name_or_assignment);

/* Finds the option for a launcher flag ("--timeout", "--timeout=5s" allowed), or -1. */
int uw_config_find_flag(const char *flag_or_assignment);

/* IDLE + INTERVAL x COUNT of the keepalive, in milliseconds (0 when off). */
uint64_t uw_config_keepalive_ms(const struct uw_config *c);

/* value as it may be shown in a one-line message: printable ASCII as is,
 * other bytes as \xHH, at most 80 characters then "...". */
void uw_config_printable(char *out, size_t outlen, const char *value);

#endif
