/* An ELF file mapped read-only, and the parts of it that `unwedge check` reads:
 * class, machine, program interpreter, the dynamic section's names, sections.
 * The file is untrusted: every offset is checked against its size. Only 64-bit
 * files of the native byte order are parsed beyond the identification. */
#ifndef UW_ELF_FILE_H
#define UW_ELF_FILE_H

#include <stddef.h>
#include <stdint.h>

#define UW_ELF_MAX_NEEDED 64

struct uw_elf {
	const unsigned char *m; /* the whole file, mapped */
	size_t size;
	int is_elf;  /* starts with \x7fELF */
	int cls;     /* ELFCLASS32 or ELFCLASS64 */
	int data;    /* ELFDATA2LSB or ELFDATA2MSB */
	int machine; /* e_machine */
	int type;    /* ET_EXEC, ET_DYN... */
	int parsed;  /* 64-bit, native byte order: the fields below are filled */
	const char *interp;
	int has_dynamic;
	const char *needed[UW_ELF_MAX_NEEDED];
	int n_needed;
	const char *soname, *runpath, *rpath; /* NULL when absent */
	uint64_t flags_1;		      /* DT_FLAGS_1 */
};

/* Maps the regular file at path. Returns 0 (is_elf says whether it is ELF), or
 * -1 with errno set (ENOEXEC: not a regular file). */
int uw_elf_open(struct uw_elf *e, const char *path);
void uw_elf_close(struct uw_elf *e);

/* The file range of a section by name: 0, or -1 when absent (or no section table). */
int uw_elf_section(const struct uw_elf *e, const char *name, size_t *off, size_t *size);

/* The file bytes behind len bytes at a virtual address (a PT_LOAD's file part), or NULL. */
const unsigned char *uw_elf_at_vaddr(const struct uw_elf *e, uint64_t vaddr, size_t len);

/* "x86-64", "AArch64"... for messages. */
const char *uw_elf_machine_name(int machine);

#endif
