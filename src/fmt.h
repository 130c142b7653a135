/* Building a log line in a caller's buffer: no malloc, no stdio, no locale, so it
 * is safe inside a signal handler. Output that does not fit is cut, never overrun. */
#ifndef UW_FMT_H
#define UW_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

struct uw_buf {
	char *p;
	size_t len, cap;
};

void uw_buf_init(struct uw_buf *b, char *storage, size_t cap);
void uw_buf_str(struct uw_buf *b, const char *s);
void uw_buf_mem(struct uw_buf *b, const char *s, size_t n);
void uw_buf_u64(struct uw_buf *b, uint64_t v);
void uw_buf_i64(struct uw_buf *b, int64_t v);
/* Text from outside (a TLS server name a client sent): printable ASCII as is,
 * anything else as \xHH, at most max bytes of input. Keeps a log line one line. */
void uw_buf_printable(struct uw_buf *b, const char *s, size_t max);
/* A JSON string with its quotes: valid UTF-8 as it is, other bytes outside
 * printable ASCII as \u00HH, so the line stays valid JSON whatever the input
 * (at most max bytes of it). */
void uw_buf_json_str(struct uw_buf *b, const char *s, size_t max);
/* The wall-clock time as RFC 3339 UTC with milliseconds: 2026-11-28T21:07:27.123Z.
 * Computed here: gmtime_r takes glibc's time zone lock. */
void uw_buf_utc_now(struct uw_buf *b);
/* The same for a given CLOCK_REALTIME time. */
void uw_buf_utc(struct uw_buf *b, const struct timespec *t);
/* Milliseconds as seconds with three decimals: 2001 -> "2.001s". */
void uw_buf_ms(struct uw_buf *b, uint64_t ms);
/* An address as people read it: 127.0.0.1:80, [::1]:80, /run/x.sock, @abstract, unnamed. */
void uw_buf_sockaddr(struct uw_buf *b, const struct sockaddr *sa, socklen_t len);

#endif
