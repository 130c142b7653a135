/* SSL_write, SSL_write_ex and SSL_shutdown (OpenSSL 1.1 and 3, and libraries
 * with the same ABI). The bytes already pass through our write() wrapper; what
 * the TLS call adds is one deadline for the whole call, the call's name and
 * server in the log, and errno ETIMEDOUT when it failed because of us (OpenSSL
 * maps that to SSL_ERROR_SYSCALL; it never sees EAGAIN from a blocking socket,
 * which it would turn into SSL_ERROR_WANT_WRITE and Python into an endless
 * retry). libssl is never linked: see src/lazy.h. */
#include <stdbool.h>
#include <stddef.h>

#include "clock.h"
#include "lazy.h"
#include "log.h"
#include "tls_call.h"
#include "route.h"

typedef int (*ssl_write_fn)(void *, const void *, int);
typedef int (*ssl_write_ex_fn)(void *, const void *, size_t, size_t *);
typedef int (*ssl_shutdown_fn)(void *);
typedef int (*ssl_get_wfd_fn)(void *);
typedef const char *(*ssl_get_servername_fn)(void *, int);

UW_LAZY_SYMBOL(SSL_write, ssl_write_fn)
UW_LAZY_SYMBOL(SSL_write_ex, ssl_write_ex_fn)
UW_LAZY_SYMBOL(SSL_shutdown, ssl_shutdown_fn)
UW_LAZY_SYMBOL(SSL_get_wfd, ssl_get_wfd_fn)
UW_LAZY_SYMBOL(SSL_get_servername, ssl_get_servername_fn)

/* The accessors come from the same library as the call we wrap. */
static void bind_api(const void *caller)
{
	if (__builtin_expect(uw_tls_api.get_wfd != NULL, 1))
		return;
	uw_tls_api.get_servername = uw_lazy_SSL_get_servername(caller);
	uw_tls_api.get_wfd = uw_lazy_SSL_get_wfd(caller);
}

static bool begin(struct uw_tls_call *t, void *ssl, const char *name, const void *caller)
{
	if (!uw_is_active() || !uw_cfg.guard)
		return false;
	bind_api(caller);
	t->prev = uw_tls_current;
	t->ssl = ssl;
	t->name = name;
	t->fd = UW_TLS_FD_UNKNOWN;
	t->start_ns = uw_cfg.deadline_total ? uw_now_ns() : 0;
	uw_tls_current = t;
	uw_stats_count(UW_STAT_TLS_WRITES);
	return true;
}

static void end(struct uw_tls_call *t, bool failed)
{
	uw_tls_current = t->prev;
	if (!failed)
		return;
	int saved = errno;
	int fd = t->fd != UW_TLS_FD_UNKNOWN ? t->fd : uw_tls_api.get_wfd ? uw_tls_api.get_wfd(t->ssl) : -1;
	errno = fd >= 0 && (uw_fd_load(fd) & UW_E_TIMED_OUT) ? ETIMEDOUT : saved;
}

static void *missing(const char *name)
{
	static atomic_int said;
	if (!atomic_exchange(&said, 1)) {
		char line[160] = "unwedge: cannot find the TLS library's ";
		size_t n = __builtin_strlen(line), k = __builtin_strlen(name);
		if (k > 80)
			k = 80;
		__builtin_memcpy(line + n, name, k);
		n += k;
		__builtin_memcpy(line + n, "; the call fails with ENOSYS\n", 29);
		uw_log_stderr(line, n + 29);
	}
	errno = ENOSYS;
	return NULL;
}

UW_EXPORT int SSL_write(void *ssl, const void *buf, int num)
{
	const void *caller = __builtin_return_address(0);
	ssl_write_fn real = uw_lazy_SSL_write(caller);
	if (!real)
		return missing("SSL_write"), -1;
	struct uw_tls_call t;
	if (!begin(&t, ssl, "SSL_write", caller))
		return real(ssl, buf, num);
	int r = real(ssl, buf, num);
	end(&t, r <= 0);
	return r;
}

UW_EXPORT int SSL_write_ex(void *ssl, const void *buf, size_t num, size_t *written)
{
	const void *caller = __builtin_return_address(0);
	ssl_write_ex_fn real = uw_lazy_SSL_write_ex(caller);
	if (!real)
		return missing("SSL_write_ex"), 0;
	struct uw_tls_call t;
	if (!begin(&t, ssl, "SSL_write_ex", caller))
		return real(ssl, buf, num, written);
	int r = real(ssl, buf, num, written);
	end(&t, r <= 0);
	return r;
}

/* close_notify is a write like any other: bounded the same way, and named. */
UW_EXPORT int SSL_shutdown(void *ssl)
{
	const void *caller = __builtin_return_address(0);
	ssl_shutdown_fn real = uw_lazy_SSL_shutdown(caller);
	if (!real)
		return missing("SSL_shutdown"), -1;
	struct uw_tls_call t;
	if (!begin(&t, ssl, "SSL_shutdown", caller))
		return real(ssl);
	int r = real(ssl);
	end(&t, r < 0);
	return r;
}
