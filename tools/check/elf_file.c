#include "elf_file.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif

/* n records of sz bytes at off lie inside the file. */
static int fits(const struct uw_elf *e, uint64_t off, uint64_t n, uint64_t sz)
{
	return off <= e->size && n <= (e->size - off) / (sz ? sz : 1);
}

/* A NUL-terminated string at off within [base, base + limit) of the file, or NULL. */
static const char *str_in(const struct uw_elf *e, uint64_t base, uint64_t limit, uint64_t off)
{
	if (!fits(e, base, 1, limit) || off >= limit)
		return NULL;
	const char *s = (const char *)e->m + base + off;
	return memchr(s, 0, limit - off) ? s : NULL;
}

const unsigned char *uw_elf_at_vaddr(const struct uw_elf *e, uint64_t vaddr, size_t len)
{
	if (!e->parsed)
		return NULL;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)e->m;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(e->m + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || vaddr < ph[i].p_vaddr)
			continue;
		uint64_t rel = vaddr - ph[i].p_vaddr;
		if (rel > ph[i].p_filesz || len > ph[i].p_filesz - rel)
			continue;
		if (!fits(e, ph[i].p_offset + rel, 1, len))
			return NULL;
		return e->m + ph[i].p_offset + rel;
	}
	return NULL;
}

static void read_dynamic(struct uw_elf *e, const Elf64_Phdr *dyn)
{
	if (!fits(e, dyn->p_offset, dyn->p_filesz / sizeof(Elf64_Dyn), sizeof(Elf64_Dyn)))
		return;
	const Elf64_Dyn *d = (const Elf64_Dyn *)(e->m + dyn->p_offset);
	size_t n = dyn->p_filesz / sizeof(Elf64_Dyn);
	uint64_t strtab = 0, strsz = 0;
	for (size_t i = 0; i < n && d[i].d_tag != DT_NULL; i++) {
		if (d[i].d_tag == DT_STRTAB)
			strtab = d[i].d_un.d_ptr;
		else if (d[i].d_tag == DT_STRSZ)
			strsz = d[i].d_un.d_val;
		else if (d[i].d_tag == DT_FLAGS_1)
			e->flags_1 = d[i].d_un.d_val;
	}
	e->has_dynamic = 1;
	const unsigned char *tab = strsz ? uw_elf_at_vaddr(e, strtab, strsz) : NULL;
	if (!tab)
		return;
	uint64_t base = (uint64_t)(tab - e->m);
	for (size_t i = 0; i < n && d[i].d_tag != DT_NULL; i++) {
		const char *s = NULL;
		if (d[i].d_tag == DT_NEEDED || d[i].d_tag == DT_SONAME || d[i].d_tag == DT_RUNPATH ||
		    d[i].d_tag == DT_RPATH)
			s = str_in(e, base, strsz, d[i].d_un.d_val);
		if (!s)
			continue;
		if (d[i].d_tag == DT_NEEDED && e->n_needed < UW_ELF_MAX_NEEDED)
			e->needed[e->n_needed++] = s;
		else if (d[i].d_tag == DT_SONAME)
			e->soname = s;
		else if (d[i].d_tag == DT_RUNPATH)
			e->runpath = s;
		else if (d[i].d_tag == DT_RPATH)
			e->rpath = s;
	}
}

static void parse(struct uw_elf *e)
{
	if (e->size < EI_NIDENT + 4 || memcmp(e->m, ELFMAG, SELFMAG) != 0)
		return;
	e->is_elf = 1;
	e->cls = e->m[EI_CLASS];
	e->data = e->m[EI_DATA];
	if (e->size < sizeof(Elf64_Ehdr) && e->cls == ELFCLASS64)
		return;
	if (e->size < sizeof(Elf32_Ehdr))
		return;
	/* e_type and e_machine sit at the same offsets in both classes. */
	const Elf32_Ehdr *eh32 = (const Elf32_Ehdr *)e->m;
	e->type = e->data == NATIVE_DATA ? eh32->e_type : -1;
	e->machine = e->data == NATIVE_DATA ? eh32->e_machine : -1;
	if (e->cls != ELFCLASS64 || e->data != NATIVE_DATA)
		return;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)e->m;
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || !fits(e, eh->e_phoff, eh->e_phnum, sizeof(Elf64_Phdr)))
		return;
	e->parsed = 1;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(e->m + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_INTERP && ph[i].p_filesz > 0)
			e->interp = str_in(e, ph[i].p_offset, ph[i].p_filesz, 0);
		else if (ph[i].p_type == PT_DYNAMIC)
			read_dynamic(e, &ph[i]);
	}
}

int uw_elf_open(struct uw_elf *e, const char *path)
{
	struct stat st;
	memset(e, 0, sizeof *e);
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : ENOEXEC;
		return -1;
	}
	if (st.st_size == 0) {
		close(fd);
		return 0;
	}
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	int saved = errno;
	close(fd);
	if (m == MAP_FAILED) {
		errno = saved;
		return -1;
	}
	e->m = m;
	e->size = (size_t)st.st_size;
	parse(e);
	return 0;
}

void uw_elf_close(struct uw_elf *e)
{
	if (e->m)
		munmap((void *)e->m, e->size);
	memset(e, 0, sizeof *e);
}

int uw_elf_section(const struct uw_elf *e, const char *name, size_t *off, size_t *size)
{
	if (!e->parsed)
		return -1;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)e->m;
	if (eh->e_shoff == 0 || eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shstrndx >= eh->e_shnum ||
	    !fits(e, eh->e_shoff, eh->e_shnum, sizeof(Elf64_Shdr)))
		return -1;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(e->m + eh->e_shoff);
	const Elf64_Shdr *names = &sh[eh->e_shstrndx];
	for (int i = 0; i < eh->e_shnum; i++) {
		const char *n = str_in(e, names->sh_offset, names->sh_size, sh[i].sh_name);
		if (!n || strcmp(n, name) != 0)
			continue;
		if (sh[i].sh_type == SHT_NOBITS || !fits(e, sh[i].sh_offset, 1, sh[i].sh_size))
			return -1;
		*off = sh[i].sh_offset;
		*size = sh[i].sh_size;
		return 0;
	}
	return -1;
}

const char *uw_elf_machine_name(int machine)
{
	switch (machine) {
	case EM_X86_64:
		return "x86-64";
	case EM_386:
		return "i386";
	case EM_AARCH64:
		return "AArch64";
	case EM_ARM:
		return "ARM";
	case EM_RISCV:
		return "RISC-V";
	case EM_PPC64:
		return "PowerPC64";
	case EM_S390:
		return "s390x";
	default:
		return "another architecture";
	}
}
