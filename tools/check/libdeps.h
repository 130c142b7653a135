/* The shared libraries a program needs, directly and through each other, found
 * the way the dynamic loader finds them: DT_RPATH, LD_LIBRARY_PATH, DT_RUNPATH
 * ($ORIGIN expanded), /etc/ld.so.cache, then the default directories. Nothing
 * is loaded or run: each library file is only read. */
#ifndef UW_LIBDEPS_H
#define UW_LIBDEPS_H

#include <limits.h>

#include "elf_file.h"

#define UW_DEPS_MAX 128

struct uw_dep {
	char name[128];	     /* the DT_NEEDED entry */
	char path[PATH_MAX]; /* where it was found; empty if not found */
	int via;	     /* index of the library that needs it first, -1: the program itself */
};

struct uw_deps {
	struct uw_dep d[UW_DEPS_MAX];
	int n;
	int missing;   /* entries not found */
	int truncated; /* more than UW_DEPS_MAX */
};

/* Walks the dependencies of prog, the program file at path (the directory of
 * path is the program's $ORIGIN: give its real path, as the loader sees it),
 * with the given LD_LIBRARY_PATH (NULL: none). out is large: allocate it. */
void uw_deps_walk(const struct uw_elf *prog, const char *path, const char *ld_library_path,
		  struct uw_deps *out);

/* The index of the first entry whose name starts with prefix, or -1. */
int uw_deps_find(const struct uw_deps *d, const char *prefix);

#endif
