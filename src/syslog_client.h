/* syslog(3) with a deadline.
 *
 * glibc's syslog sends on its own /dev/log socket with internal calls no
 * wrapper sees, under a lock, and when a send fails it reconnects and sends
 * again on a fresh socket: a log daemon that stopped reading (its queue full)
 * hangs the program twice over, and a kernel-side backstop would only cover
 * the first socket. So while unwedge is active the preload sends the messages
 * itself: the same bytes glibc 2.36 sends (checked against glibc in the
 * tests), on a socket of ours, with MSG_DONTWAIT and poll. A message that
 * cannot be delivered within the deadline is dropped and reported once; later
 * messages are dropped at once until the daemon reads again, so a wedged
 * daemon costs the program one deadline, not one per message. glibc's own
 * state (ident, options, mask) is kept in step, so calls that reach glibc's
 * syslog directly see the same settings. */
#ifndef UW_SYSLOG_CLIENT_H
#define UW_SYSLOG_CLIENT_H

#include <stdarg.h>

void uw_syslog_open(const char *ident, int option, int facility);
void uw_syslog_close(void);
void uw_syslog_set_mask(int mask);
/* flag: the _FORTIFY_SOURCE level of __syslog_chk, or -1 for plain syslog. */
void uw_syslog_send(int pri, int flag, const char *fmt, va_list ap);

#endif
