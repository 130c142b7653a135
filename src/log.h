/* Where unwedge's own messages go: stderr, a file, or nowhere. Every path is
 * async-signal-safe and never blocks: a log line must not wedge the program on
 * the very socket (journald's stream, say) whose wedge it reports. */
#ifndef UW_LOG_H
#define UW_LOG_H

#include <stddef.h>

/* Sends one complete line (with its newline) to the configured destination. */
void uw_log_line(const char *line, size_t len);

/* For start-up messages that must be seen even when logging goes to a file
 * (an invalid setting): always stderr. */
void uw_log_stderr(const char *line, size_t len);

#endif
