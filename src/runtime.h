/* The process-wide state of the preload: its settings and whether it is on. */
#ifndef UW_RUNTIME_H
#define UW_RUNTIME_H

#include <stdatomic.h>
#include <stdbool.h>

#include "config.h"

extern struct uw_config uw_cfg __attribute__((visibility("hidden")));

/* Set once the settings are read and valid; until then (and for ever when they
 * are invalid) every wrapper passes straight through. */
extern atomic_bool uw_active __attribute__((visibility("hidden")));

static inline bool uw_is_active(void)
{
	return atomic_load_explicit(&uw_active, memory_order_acquire);
}

/* Reads the environment, reports problems on stderr, and switches unwedge on
 * when the settings are valid. envp may be NULL (then environ is used). */
void uw_runtime_init(char **envp);

/* Turns unwedge off in this process for good (every wrapper passes straight
 * through from now on); why goes into one log line. */
void uw_runtime_step_aside(const char *why);

#endif
