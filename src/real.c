#include "real.h"

#include <dlfcn.h>

struct uw_real uw_real;

static atomic_int bound;

void uw_real_bind(void)
{
	if (atomic_load(&bound))
		return;
	struct uw_real r;
	/* A symbol this glibc lacks stays NULL; its wrapper then makes the system call. */
#define UW_REAL_BIND(name, ret, params) r.name = (ret(*) params)dlsym(RTLD_NEXT, #name);
	UW_REAL_SYMBOLS(UW_REAL_BIND)
#undef UW_REAL_BIND
	uw_real = r;
	atomic_store(&bound, 1);
}
