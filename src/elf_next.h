/* Finding the next definition of a symbol after this object, as
 * dlsym(RTLD_NEXT) does for a default-version lookup, by reading the loaded
 * objects' own GNU hash tables: a few hundred instructions a symbol where one
 * dlsym costs nearly a thousand (lock, error frame, version bookkeeping), and
 * no lock or allocation, so it is async-signal-safe once the list of objects
 * is taken (uw_elf_next_open). Objects without a GNU hash table, and IFUNC
 * symbols, are left to dlsym (uw_elf_next returns NULL). */
#ifndef UW_ELF_NEXT_H
#define UW_ELF_NEXT_H

#include <stddef.h>

/* The objects loaded after this one, in link-map order (at most 16). */
struct uw_elf_objects {
	int n;
	struct uw_elf_object {
		const void *gnu_hash;
		const void *symtab;
		const char *strtab;
		const unsigned short *versym;
		size_t bias;
	} o[16];
};

/* Takes the list (dl_iterate_phdr, once: start-up only). Returns how many. */
int uw_elf_next_open(struct uw_elf_objects *objs);

/* The address of the first default-version definition of name among objs;
 * NULL if none could be found this way. */
void *uw_elf_next(const struct uw_elf_objects *objs, const char *name);

#endif
