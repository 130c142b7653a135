/* Which TLS library a shared object is, by its file or DT_NEEDED name, and how
 * far the preload covers the writes it makes. */
#ifndef UW_TLS_LIBS_H
#define UW_TLS_LIBS_H

struct uw_tls_lib {
	const char *prefix; /* "libssl.so" */
	const char *name;   /* "OpenSSL" */
	int wrapped;	    /* its SSL_write family is wrapped by the preload */
};

/* The TLS library that name (a soname or a path) is, or NULL. */
const struct uw_tls_lib *uw_tls_lib_of(const char *name);

/* One line on what the preload does for the writes of library t. */
const char *uw_tls_coverage(const struct uw_tls_lib *t);

/* Text inside a program file that shows a TLS library built into it, or NULL. */
const char *uw_tls_builtin_marker(const unsigned char *file, unsigned long size);

#endif
