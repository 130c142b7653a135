/* A blocking OpenSSL client: handshakes (with a server name), then streams the
 * test pattern with SSL_write or SSL_write_ex, and prints one JSON line: how the
 * call ended (SSL_get_error, errno), how long the failing call took, the bytes
 * written and their SHA-256.
 *
 *   tlsclient ADDR [--total N] [--chunk N] [--ex] [--sni NAME] [--after-fail]
 *                  [--shutdown] [--fill-then-shutdown] [--alarm-ms N [--restart]]
 *
 * --alarm-ms: SIGALRM every N ms during the stream (with SA_RESTART if asked);
 * an SSL_write interrupted before it moved anything (SSL_ERROR_WANT_WRITE with
 * EINTR) is retried with the same arguments, as OpenSSL requires.
 *
 * --fill-then-shutdown fills the connection with raw bytes beside OpenSSL
 * (non-blocking send() until EAGAIN, so OpenSSL holds no pending record), makes
 * the socket blocking again and calls SSL_shutdown: its close_notify then meets
 * a full buffer. The peer never reads, so the raw bytes break nothing. */
#include <fcntl.h>
#include <signal.h>
#include <sys/time.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "common.h"

static volatile sig_atomic_t alarms;
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: tlsclient ADDR [options]\n");
		return 2;
	}
	long long total = 64LL << 20, chunk = 16384;
	int use_ex = 0, after_fail = 0, do_shutdown = 0, fill_shutdown = 0, alarm_ms = 0, restart = 0,
	    retries = 0;
	const char *sni = "wedge.example";
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--total") && i + 1 < argc)
			total = atoll(argv[++i]);
		else if (!strcmp(argv[i], "--chunk") && i + 1 < argc)
			chunk = atoll(argv[++i]);
		else if (!strcmp(argv[i], "--sni") && i + 1 < argc)
			sni = argv[++i];
		else if (!strcmp(argv[i], "--ex"))
			use_ex = 1;
		else if (!strcmp(argv[i], "--after-fail"))
			after_fail = 1;
		else if (!strcmp(argv[i], "--shutdown"))
			do_shutdown = 1;
		else if (!strcmp(argv[i], "--fill-then-shutdown"))
			fill_shutdown = 1;
		else if (!strcmp(argv[i], "--alarm-ms") && i + 1 < argc)
			alarm_ms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--restart"))
			restart = 1;
		else {
			fprintf(stderr, "tlsclient: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	int fd = connect_addr(argv[1]);
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, sni);
	if (SSL_connect(ssl) != 1) {
		ERR_print_errors_fp(stderr);
		return 99;
	}
	fprintf(stderr, "handshake done\n");

	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	unsigned char *buf = malloc((size_t)chunk);
	long long written = 0;
	int calls = 0, r = 1, ssl_err = 0, err = 0;
	double call_ms = 0, t0 = now_ms();

	if (fill_shutdown) {
		set_nonblock(fd, 1);
		memset(buf, 'x', (size_t)chunk);
		ssize_t k;
		/* Twice: the first EAGAIN can come while the peer's window is still
		 * open and data in flight will free room. */
		for (int round = 0; round < 2; round++) {
			while ((k = send(fd, buf, (size_t)chunk, 0)) > 0)
				written += k;
			usleep(300000);
		}
		while ((k = send(fd, buf, (size_t)chunk, 0)) > 0)
			written += k;
		set_nonblock(fd, 0);
		ERR_clear_error();
		double s = now_ms();
		errno = 0;
		r = SSL_shutdown(ssl);
		err = errno;
		ssl_err = SSL_get_error(ssl, r);
		call_ms = now_ms() - s;
		printf("{\"calls\": 1, \"call\": \"SSL_shutdown\", \"result\": %d, \"ssl_error\": %d, "
		       "\"errno\": \"%s\", "
		       "\"short_ms\": %.1f, \"written\": %lld}\n",
		       r, ssl_err, errno_name(err), call_ms, written);
		return 0;
	}

	if (alarm_ms) {
		struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = restart ? SA_RESTART : 0};
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, NULL);
		struct itimerval it = {{alarm_ms / 1000, (alarm_ms % 1000) * 1000},
				       {alarm_ms / 1000, (alarm_ms % 1000) * 1000}};
		setitimer(ITIMER_REAL, &it, NULL);
	}
	long long filled = -1;
	while (written < total) {
		long long n = total - written < chunk ? total - written : chunk;
		if (filled != written)
			for (long long i = 0; i < n; i++)
				buf[i] = pattern_byte((unsigned long long)(written + i));
		filled = written;
		ERR_clear_error();
		errno = 0;
		double s = now_ms();
		size_t w = 0;
		calls++;
		if (use_ex) {
			r = SSL_write_ex(ssl, buf, (size_t)n, &w);
			if (r == 1)
				r = (int)w;
			else
				r = r <= 0 ? r - 1 : r; /* 0 -> -1: keep "failed" visible below */
		} else {
			r = SSL_write(ssl, buf, (int)n);
		}
		err = errno;
		call_ms = now_ms() - s;
		if (r <= 0) {
			ssl_err = SSL_get_error(ssl, use_ex ? 0 : r);
			if (alarm_ms && ssl_err == SSL_ERROR_WANT_WRITE && err == EINTR) {
				retries++;
				continue;
			}
			break;
		}
		EVP_DigestUpdate(md, buf, (size_t)r);
		written += r;
	}
	double after_ms = -1;
	int after_err = 0, after_ssl = 0;
	if (r <= 0 && after_fail) {
		ERR_clear_error();
		double s = now_ms();
		errno = 0;
		int r2 = SSL_write(ssl, "x", 1);
		after_err = errno;
		after_ssl = SSL_get_error(ssl, r2);
		after_ms = now_ms() - s;
	}
	int shut = 0, shut_err = 0;
	double shut_ms = -1;
	if (do_shutdown) {
		double s = now_ms();
		errno = 0;
		shut = SSL_shutdown(ssl);
		shut_err = errno;
		shut_ms = now_ms() - s;
	}
	if (alarm_ms) {
		struct itimerval off = {{0, 0}, {0, 0}};
		setitimer(ITIMER_REAL, &off, NULL);
	}
	if (r > 0 && !do_shutdown) {
		/* Half-close and read to the end, so that closing cannot reset the
		 * connection (unread session tickets) before the peer read it all. */
		shutdown(fd, SHUT_WR);
		char sink[4096];
		while (read(fd, sink, sizeof sink) > 0)
			;
	}
	unsigned char digest[32];
	unsigned dl = 0;
	EVP_DigestFinal_ex(md, digest, &dl);
	char hex[65];
	for (unsigned i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", digest[i]);
	printf("{\"calls\": %d, \"result\": %d, \"ssl_error\": %d, \"errno\": \"%s\", \"short_ms\": %.1f, "
	       "\"elapsed_ms\": %.1f, \"written\": %lld, \"sha256\": \"%s\", \"after_errno\": \"%s\", "
	       "\"after_ssl_error\": %d, \"after_ms\": %.1f, \"shutdown\": %d, \"shutdown_errno\": \"%s\", "
	       "\"shutdown_ms\": %.1f, \"alarms\": %d, \"retries\": %d}\n",
	       calls, r, ssl_err, errno_name(err), call_ms, now_ms() - t0, written, hex,
	       errno_name(after_err), after_ssl, after_ms, shut, errno_name(shut_err), shut_ms, (int)alarms,
	       retries);
	return 0;
}
