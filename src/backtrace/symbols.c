/* Names for return addresses, safe inside a signal handler: no lock, no malloc.
 *
 * dladdr() takes the loader lock (held by dlopen for as long as the
 * constructors of the library it loads run) and sees only exported symbols;
 * unw_get_proc_name() re-reads /proc/self/maps on every call and may decompress
 * MiniDebugInfo with malloc. Instead:
 *   - the object and its load bias come from _dl_find_object() (lock-free,
 *     async-signal-safe);
 *   - its file is opened and mapped read-only for the session (open, fstat,
 *     mmap: plain system calls), and the symbol containing the address is
 *     searched in .symtab, or in .dynsym when the file is stripped;
 *   - the file must still be the one that was loaded: the executable is opened
 *     through /proc/self/exe (the loaded inode, even if replaced since), and for
 *     a library the note segments (the build ID) in the file must match those
 *     in memory; otherwise (a library upgraded in place) no name is given, only
 *     the module and offset, which stay exact.
 * Names are the raw (mangled) symbol names: demangling would allocate. */
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper.h"

#define MAPS	  4
#define NOTES_MAX 512

struct map {
	const struct link_map *lm; /* NULL: slot free */
	unsigned char *img;	   /* the whole file, or NULL */
	size_t len;
	const Elf64_Sym *syms;
	size_t nsyms;
	const char *str;
	size_t strsz;
};

struct session {
	struct map m[MAPS];
	unsigned next;
};

_Static_assert(sizeof(struct session) <= sizeof(struct uwbt_session), "uwbt_session too small");

static bool in_file(const struct map *m, uint64_t off, uint64_t size)
{
	return off <= m->len && size <= m->len - off;
}

/* The note segments of the file against the same bytes in memory. */
static bool same_as_loaded(const struct map *m, const Elf64_Ehdr *eh, uintptr_t bias, struct uwbt_reader *r)
{
	if (eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    !in_file(m, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		return false;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(m->img + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_NOTE)
			continue;
		uint64_t n = ph[i].p_filesz < NOTES_MAX ? ph[i].p_filesz : NOTES_MAX;
		unsigned char mem[NOTES_MAX];
		if (!in_file(m, ph[i].p_offset, n) || uwbt_read(r, bias + ph[i].p_vaddr, mem, n) != 0 ||
		    memcmp(mem, m->img + ph[i].p_offset, n) != 0)
			return false;
	}
	return true;
}

static void find_symbols(struct map *m, const Elf64_Ehdr *eh)
{
	if (eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !in_file(m, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
		return;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(m->img + eh->e_shoff);
	const Elf64_Shdr *pick = NULL;
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type == SHT_SYMTAB)
			pick = &sh[i];
		else if (sh[i].sh_type == SHT_DYNSYM && pick == NULL)
			pick = &sh[i];
	}
	if (pick == NULL || pick->sh_entsize != sizeof(Elf64_Sym) || pick->sh_link >= eh->e_shnum)
		return;
	const Elf64_Shdr *st = &sh[pick->sh_link];
	if (!in_file(m, pick->sh_offset, pick->sh_size) || !in_file(m, st->sh_offset, st->sh_size))
		return;
	m->syms = (const Elf64_Sym *)(m->img + pick->sh_offset);
	m->nsyms = pick->sh_size / sizeof(Elf64_Sym);
	m->str = (const char *)(m->img + st->sh_offset);
	m->strsz = st->sh_size;
}

static void unload(struct map *m)
{
	if (m->img)
		munmap(m->img, m->len);
	memset(m, 0, sizeof *m);
}

static void load(struct map *m, const struct link_map *lm, struct uwbt_reader *r)
{
	memset(m, 0, sizeof *m);
	m->lm = lm;
	bool main_program = lm->l_name == NULL || lm->l_name[0] == 0;
	const char *path = main_program ? "/proc/self/exe" : lm->l_name;
	if (path[0] != '/') /* linux-vdso.so.1 has no file */
		return;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return;
	struct stat st;
	void *img = MAP_FAILED;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size >= sizeof(Elf64_Ehdr))
		img = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (img == MAP_FAILED)
		return;
	m->img = img;
	m->len = (size_t)st.st_size;
	const Elf64_Ehdr *eh = img;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    (!main_program && !same_as_loaded(m, eh, lm->l_addr, r))) {
		unload(m);
		m->lm = lm; /* known, without names */
		return;
	}
	find_symbols(m, eh);
}

static struct map *map_for(struct session *s, const struct link_map *lm, struct uwbt_reader *r)
{
	for (int i = 0; i < MAPS; i++)
		if (s->m[i].lm == lm)
			return &s->m[i];
	struct map *m = &s->m[s->next++ % MAPS];
	unload(m);
	load(m, lm, r);
	return m;
}

/* The function containing addr (an address as the file numbers it). */
static const Elf64_Sym *containing(const struct map *m, uintptr_t addr)
{
	static const int rank[] = {[STB_LOCAL] = 1, [STB_GLOBAL] = 3, [STB_WEAK] = 2};
	const Elf64_Sym *best = NULL;
	int best_rank = 0;
	for (size_t i = 0; i < m->nsyms; i++) {
		const Elf64_Sym *y = &m->syms[i];
		int type = ELF64_ST_TYPE(y->st_info), bind = ELF64_ST_BIND(y->st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || y->st_shndx == SHN_UNDEF ||
		    y->st_size == 0 || addr < y->st_value || addr - y->st_value >= y->st_size ||
		    y->st_name >= m->strsz)
			continue;
		if (memchr(m->str + y->st_name, 0, m->strsz - y->st_name) == NULL || m->str[y->st_name] == 0)
			continue;
		int r = bind <= STB_WEAK ? rank[bind] : 0;
		if (best == NULL || r > best_rank)
			best = y, best_rank = r;
	}
	return best;
}

void uwbt_begin(struct uwbt_session *s)
{
	memset(s, 0, sizeof *s);
}

void uwbt_end(struct uwbt_session *s)
{
	struct session *ss = (struct session *)s;
	for (int i = 0; i < MAPS; i++)
		unload(&ss->m[i]);
}

void uwbt_resolve(struct uwbt_session *s, uintptr_t ip, int exact, struct uwbt_sym *out)
{
	struct session *ss = (struct session *)s;
	struct uwbt_reader r;
	struct dl_find_object fo;

	memset(out, 0, sizeof *out);
	uwbt_reader_open(&r);
	out->signal = uwbt_is_sigreturn(&r, ip);
	if (_dl_find_object((void *)ip, &fo) == 0 && fo.dlfo_link_map != NULL) {
		const struct link_map *lm = fo.dlfo_link_map;
		if (lm->l_name == NULL || lm->l_name[0] == 0) {
			out->module = uwbt_exe_name;
		} else {
			const char *slash = strrchr(lm->l_name, '/');
			out->module = slash ? slash + 1 : lm->l_name;
		}
		out->module_offset = ip - lm->l_addr;
		struct map *m = map_for(ss, lm, &r);
		/* A return address may be just past the end of its function (a call
		 * to a function that does not return): look up the call itself. */
		uintptr_t at = out->module_offset - (exact ? 0 : 1);
		const Elf64_Sym *y = m->syms ? containing(m, at) : NULL;
		if (y) {
			out->symbol = m->str + y->st_name;
			out->symbol_offset = out->module_offset - y->st_value;
		}
	}
	uwbt_reader_close(&r);
}
