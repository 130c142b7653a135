#include "elf_next.h"

#include <elf.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* The first byte of this object: its load address (the linker defines it). */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));

struct walk {
	struct uw_elf_objects *objs;
	bool after_us;
};

/* glibc relocates the pointers in a loaded object's dynamic section, musl
 * does not: a value below the load address is an offset from it. */
static const void *dyn_ptr(ElfW(Addr) v, size_t bias)
{
	return (const void *)(v < bias ? v + bias : v);
}

static void add(struct uw_elf_objects *objs, const struct dl_phdr_info *info)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type != PT_DYNAMIC)
			continue;
		struct uw_elf_object o = {.bias = info->dlpi_addr};
		const ElfW(Dyn) *d = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
		for (; d->d_tag != DT_NULL; d++) {
			if (d->d_tag == DT_GNU_HASH)
				o.gnu_hash = dyn_ptr(d->d_un.d_ptr, o.bias);
			else if (d->d_tag == DT_SYMTAB)
				o.symtab = dyn_ptr(d->d_un.d_ptr, o.bias);
			else if (d->d_tag == DT_STRTAB)
				o.strtab = dyn_ptr(d->d_un.d_ptr, o.bias);
			else if (d->d_tag == DT_VERSYM)
				o.versym = dyn_ptr(d->d_un.d_ptr, o.bias);
		}
		if (o.gnu_hash && o.symtab && o.strtab && objs->n < 16)
			objs->o[objs->n++] = o;
		return;
	}
}

static int each(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct walk *w = arg;
	if (w->after_us)
		add(w->objs, info);
	else if (info->dlpi_addr == (ElfW(Addr))__ehdr_start)
		w->after_us = true;
	return 0;
}

int uw_elf_next_open(struct uw_elf_objects *objs)
{
	struct walk w = {objs, false};
	objs->n = 0;
	dl_iterate_phdr(each, &w);
	return objs->n;
}

static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;
	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

/* A definition, of code or data, in its default version. */
static bool usable(const struct uw_elf_object *o, uint32_t i, const char *name)
{
	const ElfW(Sym) *sym = (const ElfW(Sym) *)o->symtab + i;
	if (sym->st_shndx == SHN_UNDEF || sym->st_value == 0 || strcmp(o->strtab + sym->st_name, name) != 0)
		return false;
	int type = ELF64_ST_TYPE(sym->st_info);
	if (type != STT_FUNC && type != STT_OBJECT)
		return false; /* IFUNC (the resolver's to run) and the rest: dlsym's */
	return !o->versym || !(o->versym[i] & 0x8000); /* a hidden version is not the default */
}

/* The GNU hash table: a Bloom filter, buckets, then chains of hashes whose
 * low bit ends a chain (the ELF gABI extension as binutils documents it). */
static void *lookup(const struct uw_elf_object *o, const char *name, uint32_t h)
{
	const uint32_t *t = o->gnu_hash;
	uint32_t nbuckets = t[0], symoffset = t[1], bloom_size = t[2], shift = t[3];
	const ElfW(Addr) *bloom = (const ElfW(Addr) *)(t + 4);
	const uint32_t *buckets = (const uint32_t *)(bloom + bloom_size);
	const uint32_t *chain = buckets + nbuckets;
	const unsigned bits = sizeof(ElfW(Addr)) * 8;
	ElfW(Addr) word = bloom[(h / bits) % bloom_size];
	ElfW(Addr) mask = ((ElfW(Addr))1 << (h % bits)) | ((ElfW(Addr))1 << ((h >> shift) % bits));
	if (nbuckets == 0 || (word & mask) != mask)
		return NULL;
	for (uint32_t i = buckets[h % nbuckets]; i >= symoffset; i++) {
		uint32_t ch = chain[i - symoffset];
		if ((ch | 1) == (h | 1) && usable(o, i, name))
			return (void *)(o->bias + ((const ElfW(Sym) *)o->symtab)[i].st_value);
		if (ch & 1)
			break;
	}
	return NULL;
}

void *uw_elf_next(const struct uw_elf_objects *objs, const char *name)
{
	uint32_t h = gnu_hash(name);
	for (int i = 0; i < objs->n; i++) {
		void *p = lookup(&objs->o[i], name, h);
		if (p)
			return p;
	}
	return NULL;
}
