/* A kernel-side deadline for the calls that cannot be made non-blocking
 * (sendfile has no flags argument): our SO_SNDTIMEO, set once on the socket.
 * The application still sees its own SO_SNDTIMEO through getsockopt. */
#ifndef UW_BACKSTOP_H
#define UW_BACKSTOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* The application's own SO_SNDTIMEO as the kernel holds it, in microseconds;
 * 0 when none, or when the value there is our own backstop's. */
uint64_t uw_backstop_app_us(int fd);

/* Puts the backstop on fd if not there yet; returns the updated word. */
uint64_t uw_backstop_ensure(int fd, uint64_t e);

/* For one blocking kernel call: the kernel gives up after us microseconds of
 * blocking. uw_backstop_restore puts the lasting value back. */
void uw_backstop_tick(int fd, uint64_t us);
void uw_backstop_restore(int fd);

/* For getsockopt/setsockopt of SO_SNDTIMEO: true if handled here (the socket
 * carries our backstop), with the call's result in *ret. */
bool uw_backstop_getsockopt(int fd, int name, void *val, socklen_t *len, int *ret);
bool uw_backstop_setsockopt(int fd, int name, const void *val, socklen_t len, int *ret);

#endif
