/* The settings as a process reads them from its environment, shared by the
 * preload (src/runtime.c), the launcher and `unwedge config`, so that what the
 * launcher checks before exec is exactly what the preload will read; and the
 * notices about settings that leave unwedge doing nothing. */
#ifndef UW_CONFIG_ENV_H
#define UW_CONFIG_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* Marks an environment whose settings were already warned about (a digest of
 * them, see uw_config_env_digest): the processes a program starts inherit it
 * and stay quiet, so a warning is said once per process tree. */
#define UW_ENV_WARNED "UNWEDGE_WARNED"

/* An UNWEDGE_* entry that is not a setting: UNWEDGE_CGROUP (set by --cgroup for
 * the program's own use) and UNWEDGE_WARNED. */
bool uw_config_env_internal(const char *entry);

/* Reads the UNWEDGE_* entries of envp as the preload does: unknown names are
 * passed to unknown (may be NULL) and ignored; given[i] (may be NULL) says
 * which settings were present. Returns 0 after uw_config_finish, or -1 at the
 * first invalid value (in the table's order) with its message in err. */
int uw_config_read_environ(struct uw_config *c, char *const *envp, bool *given,
			   void (*unknown)(void *ctx, const char *name), void *ctx, char *err, size_t errlen);

/* An order-independent digest of the UNWEDGE_* entries of envp, internal ones
 * left out, as 16 hex digits. */
void uw_config_env_digest(char *const *envp, char out[17]);

/* Does envp carry UNWEDGE_WARNED with the digest of its own settings? */
bool uw_config_env_warned(char *const *envp);

/* Calls note once for each setting that makes unwedge do nothing or can never
 * take effect, with a one-line message; preload_too says that the preload
 * itself reports it at start-up. */
void uw_config_notes(const struct uw_config *c, void (*note)(void *ctx, const char *msg, bool preload_too),
		     void *ctx);

/* When the log file UNWEDGE_LOG names cannot be written as the preload writes
 * it (src/log_target.h): true with a one-line message. */
bool uw_config_log_problem(const struct uw_config *c, char *msg, size_t len);

#endif
