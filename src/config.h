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
	UW_OPT_BACKTRACE,
	UW_OPT_COUNT
};

struct uw_option {
	const char *env;      /* UNWEDGE_TIMEOUT */
	const char *flag;     /* --timeout */
	const char *values;   /* what it accepts, for messages and --help */
	const char *fallback; /* the default, as the user would write it */
};

extern const struct uw_option uw_options[UW_OPT_COUNT];

#define UW_LOG_PATH_MAX 512

struct uw_config {
	uint32_t timeout_ms;  /* write deadline; 0 = off */
	uint32_t uto_ms;      /* TCP_USER_TIMEOUT we add; 0 = off */
	bool uto_explicit;    /* UNWEDGE_TCP_USER_TIMEOUT was given */
	bool uto_all_sockets; /* scope=all: also non-blocking sockets */
	bool deadline_total;  /* one budget per call instead of an idle deadline */
	bool shutdown_on_timeout;
	bool log_off;
	char log_path[UW_LOG_PATH_MAX]; /* empty: stderr */
	bool backtrace;			/* call stacks in timeout events (loads libunwedge-backtrace.so) */
};

void uw_config_defaults(struct uw_config *c);

/* Applies one setting. label names the input in messages ("UNWEDGE_TIMEOUT" or
 * "--timeout"). Returns 0, or -1 with a one-line message in err. */
int uw_config_set(struct uw_config *c, enum uw_opt opt, const char *value, const char *label, char *err,
		  size_t errlen);

/* Derived values: the user timeout follows the write deadline unless given. */
void uw_config_finish(struct uw_config *c);

/* Reads every UNWEDGE_* variable through get (getenv in production). Stops at the
 * first invalid value: returns -1 with its message in err. */
int uw_config_from_env(struct uw_config *c, const char *(*get)(const char *name), char *err, size_t errlen);

/* Finds the option for an environment variable name ("UNWEDGE_X=..." allowed), or -1. */
int uw_config_find_env(const char *name_or_assignment);

#endif
