/* Is an ELF program written in Go, and with which toolchain and module: read
 * from the build information the Go linker embeds (the .go.buildinfo section,
 * found by its "\xff Go buildinf:" header also when sections are stripped). */
#ifndef UW_GO_INFO_H
#define UW_GO_INFO_H

#include "elf_file.h"

struct uw_go_info {
	int is_go;	  /* build info or a Go build ID found */
	int decoded;	  /* the fields below are filled (Go 1.18 and later's format) */
	char version[64]; /* go1.19.8 */
	char path[256];	  /* the main package's import path */
	char module[256]; /* the main module's path */
	int cgo;	  /* CGO_ENABLED: 1, 0, or -1 when not recorded */
};

void uw_go_info_read(const struct uw_elf *e, struct uw_go_info *g);

#endif
