#include "libc.h"

#include <dlfcn.h>
#include <stdatomic.h>

#include "elf_next.h"

/* Taken once, at the first need (the preload's constructor binds the real
 * functions through it first, so a wrapper never takes it). */
static struct uw_elf_objects objs;
static atomic_int taken;

const struct uw_elf_objects *uw_libc_objects(void)
{
	if (!atomic_load_explicit(&taken, memory_order_acquire)) {
		uw_elf_next_open(&objs);
		atomic_store_explicit(&taken, 1, memory_order_release);
	}
	return &objs;
}

void *uw_libc_get(void *_Atomic *slot, const char *name)
{
	void *p = uw_elf_next(uw_libc_objects(), name);
	if (!p)
		p = dlsym(RTLD_NEXT, name);
	if (p)
		atomic_store_explicit(slot, p, memory_order_release);
	return p;
}
