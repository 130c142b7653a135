#include "tls_call.h"

#include <errno.h>
#include <stddef.h>

__thread struct uw_tls_call *uw_tls_current __attribute__((tls_model("initial-exec")));
struct uw_tls_api uw_tls_api;

struct uw_tls_call *uw_tls_call_for(int fd)
{
	struct uw_tls_call *t = uw_tls_current;
	if (!t)
		return NULL;
	if (t->fd == UW_TLS_FD_UNKNOWN) {
		/* Asked only on a slow path (a write that had to wait). A pure read
		 * of the connection's BIO, on the thread that owns the call. */
		int saved = errno;
		t->fd = uw_tls_api.get_wfd ? uw_tls_api.get_wfd(t->ssl) : -1;
		errno = saved;
	}
	return t->fd == fd ? t : NULL;
}
