#include "preload_path.h"

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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
	return NULL;
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
