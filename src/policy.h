/* What unwedge does to one socket: its write deadline and the kernel options it
 * adds, from the global settings and the UNWEDGE_RULES rule for its peer. The
 * rule is found once per socket (when its peer is known) and cached in the
 * fd's word. */
#ifndef UW_POLICY_H
#define UW_POLICY_H

#include <stdbool.h>
#include <stdint.h>

/* The write deadline for fd in milliseconds; 0: none (a rule says off, or
 * UNWEDGE_TIMEOUT=off and no rule gives one). */
uint32_t uw_policy_timeout_ms(int fd, uint64_t *e);

/* The TCP_USER_TIMEOUT unwedge may add to fd; 0: none (observe mode, a rule
 * says off, or it is off). */
uint32_t uw_policy_uto_ms(int fd, uint64_t *e);

/* Does a rule turn unwedge off for fd's peer? */
bool uw_policy_off(int fd, uint64_t *e);

#endif
