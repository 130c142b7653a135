#include "binary_check.h"

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int has_section(const unsigned char *m, size_t size, const Elf64_Ehdr *eh, const char *name)
{
	if (eh->e_shoff == 0 || eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shstrndx >= eh->e_shnum ||
	    eh->e_shoff + (size_t)eh->e_shnum * sizeof(Elf64_Shdr) > size)
		return 0;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(m + eh->e_shoff);
	const Elf64_Shdr *strs = &sh[eh->e_shstrndx];
	if (strs->sh_offset + strs->sh_size > size)
		return 0;
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_name >= strs->sh_size)
			continue;
		const char *n = (const char *)m + strs->sh_offset + sh[i].sh_name;
		if (strncmp(n, name, strs->sh_size - sh[i].sh_name) == 0)
			return 1;
	}
	return 0;
}

int uw_binary_unreachable(const char *path, char *why, size_t whylen)
{
	struct stat st;
	int found = 0;
	if (stat(path, &st) != 0)
		return 0;
	if (st.st_mode & (S_ISUID | S_ISGID)) {
		snprintf(why, whylen,
			 "%s is set-user-ID or set-group-ID: the loader ignores LD_PRELOAD there", path);
		return 1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		close(fd);
		return 0;
	}
	size_t size = (size_t)st.st_size;
	unsigned char *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return 0;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)m;
	/* Scripts (#!) and 32-bit programs: nothing to say here. */
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
	    eh->e_phoff + (size_t)eh->e_phnum * sizeof(Elf64_Phdr) <= size) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(m + eh->e_phoff);
		int interp = 0;
		for (int i = 0; i < eh->e_phnum; i++)
			interp |= ph[i].p_type == PT_INTERP;
		if (has_section(m, size, eh, ".go.buildinfo") ||
		    has_section(m, size, eh, ".note.go.buildid")) {
			snprintf(why, whylen,
				 "%s is a Go program: it makes system calls directly, which no preload sees",
				 path);
			found = 1;
		} else if (!interp) {
			snprintf(why, whylen,
				 "%s is statically linked: the loader never runs, so there is nothing to "
				 "preload into",
				 path);
			found = 1;
		}
	}
	munmap(m, size);
	return found;
}
