/* The one LD_PRELOAD value that serves glibc and musl programs alike:
 * DIR/$LIB/libunwedge.so, with "$LIB" written as it is. glibc's loader
 * expands $LIB to the name of its own library directory (lib/x86_64-linux-gnu
 * on Debian, lib64 on Fedora), musl's takes it literally. So a directory
 * named "$LIB" holds the musl build and DIR/<glibc's $LIB>/ the glibc one
 * (make install and the build tree lay them out so), and neither loader is
 * ever handed the other libc's build (which would stop the program: exit 127). */
#ifndef UW_ONE_VALUE_H
#define UW_ONE_VALUE_H

#include <stdbool.h>
#include <stddef.h>

#define UW_PRELOAD_NAME "libunwedge.so"

/* The preload next to the launcher (the build tree) or in ../lib/unwedge (an
 * installed tree), resolved: 0, or -1 when there is none. */
int uw_find_preload(char *out, size_t outlen);

/* glibc's expansion of $LIB: the directory its libc.so.6 was loaded from,
 * below / or /usr. 0, or -1 in a process that does not run on glibc. */
int uw_glibc_lib_dir(char *out, size_t outlen);

/* For the preload lib (DIR/libunwedge.so): true, with the one value in out,
 * when DIR/$LIB/libunwedge.so (the musl build) is there and, in a glibc
 * launcher, DIR/<glibc's $LIB>/libunwedge.so too. */
bool uw_one_value(const char *lib, char *out, size_t outlen);

/* Whose programs the launcher's preload serves: those of its own libc (the
 * build beside it is built against the same one), and with the one-value
 * layout both. */
struct uw_served {
	bool glibc, musl;
};
struct uw_served uw_served_with(bool layout);
/* The same for the preload this launcher finds (uw_find_preload). */
struct uw_served uw_served(void);

#endif
