/* A TLS library call in progress on this thread (SSL_write, SSL_shutdown).
 *
 * OpenSSL turns one SSL_write into several write() calls on its socket. The
 * wrapper of the TLS call pushes a record here; the socket wrappers underneath
 * find it and so share one deadline across the whole call (in total mode the
 * clock starts when SSL_write began) and name the TLS call and its server in
 * the log. A signal handler that writes elsewhere during SSL_write does not
 * match: the record is tied to the TLS connection's own fd. */
#ifndef UW_TLS_CALL_H
#define UW_TLS_CALL_H

#include <stdint.h>

struct uw_tls_call {
	struct uw_tls_call *prev; /* an outer call interrupted by a handler */
	void *ssl;
	const char *name;
	int64_t start_ns; /* total mode only; 0 otherwise */
	int fd;		  /* the connection's write fd; UW_TLS_FD_UNKNOWN until asked */
};

#define UW_TLS_FD_UNKNOWN (-2)

extern __thread struct uw_tls_call *uw_tls_current
	__attribute__((tls_model("initial-exec"), visibility("hidden")));

/* The TLS library's accessors, bound by the preload when it first sees a TLS
 * call (NULL before: then no record is ever pushed). */
struct uw_tls_api {
	int (*get_wfd)(void *ssl);
	const char *(*get_servername)(void *ssl, int type);
};
extern struct uw_tls_api uw_tls_api __attribute__((visibility("hidden")));

/* The record of the TLS call on this thread that writes to fd, or NULL. */
struct uw_tls_call *uw_tls_call_for(int fd);

#endif
