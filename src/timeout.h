/* A deadline ended a call: the socket is marked timed out (this fd and every
 * other one of the same socket), the event logged, and the socket shut down if
 * so configured. Later writes then fail with ETIMEDOUT, not EPIPE and SIGPIPE. */
#ifndef UW_TIMEOUT_H
#define UW_TIMEOUT_H

#include <stdint.h>

struct uw_call;

/* Our deadline (c->dl.deadline_ms) expired after waiting waited_ms. */
void uw_timeout_fire(const struct uw_call *c, int64_t waited_ms);

/* The kernel ended the connection with ETIMEDOUT: if the TCP_USER_TIMEOUT that
 * unwedge added fired first, mark and log it like our own timeout. */
void uw_timeout_kernel(const struct uw_call *c);

#endif
