/* Symbols resolved on first use instead of at start-up.
 *
 * Two kinds of call need this. OpenSSL's must never be linked into the preload
 * (a process that never speaks TLS must not pay for libssl), and libssl is
 * often loaded late and RTLD_LOCAL (Python's _ssl module), where
 * dlsym(RTLD_NEXT) cannot see it: then we ask the library that called us, whose
 * own dependencies include the libssl it was linked against. stdio and syslog
 * are never async-signal-safe, so resolving them lazily costs a process nothing
 * until it uses them, and keeps them out of every process's start-up. */
#ifndef UW_LAZY_H
#define UW_LAZY_H

#include <stdatomic.h>
#include <stddef.h>

/* The next definition of name after the preload: RTLD_NEXT first, then the
 * scope of the object containing caller (may be NULL), then every loaded
 * object. Never returns our own definition. NULL if there is none, or when
 * called again from inside a resolution on this thread (a dlsym that
 * allocated, an allocator that printed). */
void *uw_lazy_resolve(const char *name, const void *caller);

/* Resolves once and caches in *slot. */
static inline void *uw_lazy_get(void *_Atomic *slot, const char *name, const void *caller)
{
	void *p = atomic_load_explicit(slot, memory_order_acquire);
	if (__builtin_expect(p != NULL, 1))
		return p;
	p = uw_lazy_resolve(name, caller);
	if (p)
		atomic_store_explicit(slot, p, memory_order_release);
	return p;
}

/* Declares the cache for one symbol and a typed getter, uw_lazy_NAME(caller). */
#define UW_LAZY_SYMBOL(name, type)                                                                           \
	static void *_Atomic uw_lazy_slot_##name;                                                            \
	static inline type uw_lazy_##name(const void *caller)                                                \
	{                                                                                                    \
		return (type)uw_lazy_get(&uw_lazy_slot_##name, #name, caller);                               \
	}

#endif
