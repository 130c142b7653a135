/* Can LD_PRELOAD reach this program at all? Read from its file (tools/check/). */
#ifndef UW_BINARY_CHECK_H
#define UW_BINARY_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "one_value.h"

enum {
	UW_REACHABLE = 0,
	UW_UNREACHABLE = 1,	    /* the preload would have no effect (static, Go, set-user-ID...) */
	UW_UNREACHABLE_HARMFUL = 2, /* its loader is not glibc's: preloading libunwedge.so stops it */
};

/* Writes into why, one line, a reason the preload will not take effect in the
 * program at path, and returns UW_UNREACHABLE or UW_UNREACHABLE_HARMFUL;
 * returns UW_REACHABLE when none is known. served: whose programs the preload
 * serves (tools/one_value.h). */
int uw_binary_unreachable(const char *path, struct uw_served served, char *why, size_t whylen);

#endif
