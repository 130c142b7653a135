/* libc functions and variables the preload needs only now and then (messages
 * for bad settings, syslog's formatting, the statistics file), found on first
 * use instead of at load: every import is one more symbol lookup by the
 * loader in every process the preload starts in. Found through the objects'
 * own hash tables (src/elf_next.h): no lock, no allocation, so also safe in a
 * signal handler once the preload's constructor ran; dlsym only for what those
 * tables cannot answer (an IFUNC, an object without a GNU hash table).
 *
 *   UW_LIBC(snprintf)(buf, n, "%d", x);
 *   FILE *err = *UW_LIBC(stderr);        (a variable: its address) */
#ifndef UW_LIBC_H
#define UW_LIBC_H

#include <stdatomic.h>
#include <stddef.h>

struct uw_elf_objects;
/* The objects after this one (taken on the first call). */
const struct uw_elf_objects *uw_libc_objects(void);

/* The address of the next definition of name after this object, cached in
 * *slot; NULL if no loaded object has it (strerrorname_np on an older or
 * another libc: such callers check). */
void *uw_libc_get(void *_Atomic *slot, const char *name);

/* The same with its type given: for the functions whose address the
 * compiler will not take (the __*_chk builtins). */
#define UW_LIBC_AS(type, name) UW_LIBC_NAMED(type, #name)

/* The name is taken as written: musl's <stdio.h> defines stdout as (stdout). */
#define UW_LIBC(name) UW_LIBC_NAMED(__typeof__(&name), #name)

#define UW_LIBC_NAMED(type, name)                                                                            \
	({                                                                                                   \
		static void *_Atomic uw_libc_slot_;                                                          \
		void *p_ = atomic_load_explicit(&uw_libc_slot_, memory_order_acquire);                       \
		(type)(p_ ? p_ : uw_libc_get(&uw_libc_slot_, name));                                         \
	})

#endif
