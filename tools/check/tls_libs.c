#include "tls_libs.h"

#include <string.h>

static const struct uw_tls_lib libs[] = {
	{"libssl.so", "OpenSSL", 1},	 {"libgnutls.so", "GnuTLS", 0},	   {"libnss3.so", "NSS", 0},
	{"libwolfssl.so", "wolfSSL", 0}, {"libmbedtls.so", "Mbed TLS", 0},
};

const struct uw_tls_lib *uw_tls_lib_of(const char *name)
{
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++)
		if (strncmp(base, libs[i].prefix, strlen(libs[i].prefix)) == 0)
			return &libs[i];
	return NULL;
}

const char *uw_tls_coverage(const struct uw_tls_lib *t)
{
	if (t->wrapped)
		return "covered: SSL_write, SSL_write_ex and SSL_shutdown are wrapped (one deadline per "
		       "call, ETIMEDOUT as SSL_ERROR_SYSCALL, the server name in the log)";
	return "covered at the socket only: its bytes go out through libc's write/send/sendmsg, which the "
	       "preload bounds; no deadline per TLS call, no server name in the log";
}

const char *uw_tls_builtin_marker(const unsigned char *file, unsigned long size)
{
	/* Their OPENSSL_VERSION_TEXT: "OpenSSL 1.1.1 (compatible; BoringSSL)". */
	static const char *const markers[][2] = {{"(compatible; BoringSSL)", "BoringSSL"},
						 {"(compatible; AWS-LC ", "AWS-LC"}};
	for (size_t i = 0; i < sizeof markers / sizeof markers[0]; i++)
		if (memmem(file, size, markers[i][0], strlen(markers[i][0])))
			return markers[i][1];
	return NULL;
}
