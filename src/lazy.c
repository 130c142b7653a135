#include "libc.h"
#include "lazy.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

static __thread int resolving __attribute__((tls_model("initial-exec")));

/* Is p inside this preload? dlsym on a handle whose scope includes the main
 * program's global scope can return our own wrapper. */
static bool is_ours(const void *p)
{
	static char anchor;
	Dl_info mine, theirs;
	if (!UW_LIBC(dladdr)(&anchor, &mine) || !UW_LIBC(dladdr)(p, &theirs))
		return false;
	return mine.dli_fbase == theirs.dli_fbase;
}

static void *from_object(const char *path, const char *name)
{
	if (!path || !*path)
		return NULL;
	/* RTLD_NOLOAD: only objects already there; the reference is kept so the
	 * function we return cannot be unloaded under us. */
	void *h = UW_LIBC(dlopen)(path, RTLD_LAZY | RTLD_NOLOAD);
	if (!h)
		return NULL;
	void *p = dlsym(h, name);
	if (p && !is_ours(p))
		return p;
	UW_LIBC(dlclose)(h);
	return NULL;
}

struct names {
	char buf[8192];
	size_t used;
	int count;
};

static int collect(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct names *n = arg;
	size_t len = info->dlpi_name ? strlen(info->dlpi_name) : 0;
	if (len == 0 || n->used + len + 1 > sizeof n->buf)
		return 0;
	memcpy(n->buf + n->used, info->dlpi_name, len + 1);
	n->used += len + 1;
	n->count++;
	return 0;
}

void *uw_lazy_resolve(const char *name, const void *caller)
{
	if (resolving)
		return NULL;
	resolving = 1;
	void *p = dlsym(RTLD_NEXT, name);
	if (p && is_ours(p))
		p = NULL;
	if (!p && caller) {
		Dl_info di;
		if (UW_LIBC(dladdr)(caller, &di))
			p = from_object(di.dli_fname, name);
	}
	if (!p) {
		/* Names are copied out first: dlopen must not run under
		 * dl_iterate_phdr's lock. */
		static struct names n; /* 8 KiB: not on a stack that may be small */
		static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
		UW_LIBC(pthread_mutex_lock)(&lock);
		n.used = 0;
		n.count = 0;
		dl_iterate_phdr(collect, &n);
		for (size_t off = 0; !p && off < n.used; off += strlen(n.buf + off) + 1)
			p = from_object(n.buf + off, name);
		UW_LIBC(pthread_mutex_unlock)(&lock);
	}
	resolving = 0;
	return p;
}
