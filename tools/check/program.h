/* What a program file says about the preload's reach: how it is linked (glibc,
 * static, musl, another architecture), Go, set-user-ID and file capabilities,
 * the TLS libraries it links. #! scripts are followed to their interpreter. */
#ifndef UW_PROGRAM_H
#define UW_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>

#include "report.h"

struct uw_check_opts {
	const char *ld_library_path; /* for finding its libraries; NULL: none */
	bool modes_block;	     /* set-user-ID and capabilities block (false: a running process's
					AT_SECURE decides, the caller reports it) */
	bool tls_from_deps;	     /* report the TLS libraries among its dependencies */
	bool missing_blocks;	     /* a library not found blocks: the program is about to be
					started (a running process has found its libraries) */
	bool quick;		     /* only what blocks the preload; no dependency walk */
	bool musl_served;	     /* musl programs get the musl build (tools/one_value.h) */
	bool glibc_unserved;	     /* only a musl build is there: a glibc program would not start */
};

/* Adds findings about the program at open_path, shown as path (they differ for
 * /proc/PID/exe). Returns 0, or -1 with a one-line message in err when it is
 * not a program at all (bad input). */
int uw_check_program(struct uw_report *r, const char *open_path, const char *path,
		     const struct uw_check_opts *o, char *err, size_t errlen);

/* Finds cmd as execvp would (a name without '/' through PATH). 0, or -1. */
int uw_check_resolve(const char *cmd, char *out, size_t outlen);

#endif
