#include "preload_path.h"

#include <elf.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The first bytes of an ELF file: its ident, type and machine. */
static int elf_header(const char *path, Elf64_Ehdr *h)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, h, sizeof *h);
	close(fd);
	/* e_type and e_machine sit at the same offsets in 32- and 64-bit headers. */
	return n >= (ssize_t)offsetof(Elf64_Ehdr, e_version) ? 0 : -1;
}

/* A position-independent executable is ET_DYN too, but the loader refuses to
 * preload it ("cannot dynamically load position-independent executable"). */
static bool is_pie(const unsigned char *m, size_t size)
{
	const Elf64_Ehdr *h = (const Elf64_Ehdr *)m;
	if (h->e_ident[EI_CLASS] != ELFCLASS64 || h->e_phoff > size ||
	    (size - h->e_phoff) / sizeof(Elf64_Phdr) < h->e_phnum)
		return false;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(m + h->e_phoff);
	for (int i = 0; i < h->e_phnum; i++) {
		if (ph[i].p_type != PT_DYNAMIC || ph[i].p_offset > size ||
		    ph[i].p_filesz > size - ph[i].p_offset)
			continue;
		const Elf64_Dyn *d = (const Elf64_Dyn *)(m + ph[i].p_offset);
		for (size_t k = 0; k < ph[i].p_filesz / sizeof *d && d[k].d_tag != DT_NULL; k++)
			if (d[k].d_tag == DT_FLAGS_1 && (d[k].d_un.d_val & DF_1_PIE))
				return true;
	}
	return false;
}

/* A shared library that loads but is not unwedge (libm, say) protects nothing:
 * libunwedge.so carries the names of the settings it reads. */
static const char *contents_problem(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	const char *p = NULL;
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		if (fd >= 0)
			close(fd);
		return "cannot be read";
	}
	size_t size = (size_t)st.st_size;
	unsigned char *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return "cannot be read";
	if (is_pie(m, size))
		p = "is a program (a position-independent executable), not a shared library";
	else if (!memmem(m, size, "UNWEDGE_TIMEOUT", 15))
		p = "is a shared library but not libunwedge.so (it reads no UNWEDGE_* setting)";
	munmap(m, size);
	return p;
}

static const char *elf_problem(const char *path)
{
	Elf64_Ehdr h, self;
	if (elf_header(path, &h) != 0 || memcmp(h.e_ident, ELFMAG, SELFMAG) != 0)
		return "is not an ELF shared library";
	if (h.e_type != ET_DYN)
		return "is an ELF file but not a shared library";
	if (elf_header("/proc/self/exe", &self) == 0 &&
	    (h.e_ident[EI_CLASS] != self.e_ident[EI_CLASS] || h.e_machine != self.e_machine ||
	     h.e_ident[EI_DATA] != self.e_ident[EI_DATA]))
		return "is built for another machine or word size than this one";
	return contents_problem(path);
}

int uw_preload_unusable(const char *path, char *why, size_t whylen)
{
	struct stat st;
	const char *p = NULL;
	/* The loader splits LD_PRELOAD at spaces and colons; there is no escape. */
	if (strpbrk(path, " :\t\n"))
		p = "has a space or a colon in its path, which LD_PRELOAD cannot carry (the loader would "
		    "split it and run the program unprotected): install it under a path without them";
	else if (stat(path, &st) != 0 || access(path, R_OK) != 0)
		p = "cannot be read";
	else if (S_ISDIR(st.st_mode))
		p = "is a directory, not a shared library";
	else if (!S_ISREG(st.st_mode))
		p = "is not a regular file";
	else
		p = elf_problem(path);
	if (p)
		snprintf(why, whylen, "%s", p);
	return p ? -1 : 0;
}
