#include "binary_check.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check/program.h"

/* Secure execution (AT_SECURE, which makes the loader ignore LD_PRELOAD)
 * happens only when the exec changes the ids: a set-user-ID file run by its
 * owner, a set-group-ID file by a member of its group as primary group, or a
 * file with capabilities run by root stay ordinary. The launcher knows who
 * runs the program: itself. */
static bool secure_for_us(const char *key, const struct stat *st)
{
	if (!strcmp(key, "setuid"))
		return st->st_uid != getuid();
	if (!strcmp(key, "setgid"))
		return st->st_gid != getgid();
	if (!strcmp(key, "capabilities"))
		return getuid() != 0;
	return true;
}

int uw_binary_unreachable(const char *path, struct uw_served served, char *why, size_t whylen)
{
	struct uw_report *r = calloc(1, sizeof *r);
	struct uw_check_opts o = {.modes_block = true,
				  .quick = true,
				  .musl_served = served.musl,
				  .glibc_unserved = !served.glibc};
	struct stat st;
	char err[512];
	int found = UW_REACHABLE;
	/* Not a program at all: execvp will say so. */
	if (!r || stat(path, &st) != 0 || uw_check_program(r, path, path, &o, err, sizeof err) != 0) {
		free(r);
		return UW_REACHABLE;
	}
	for (int i = 0; i < r->n; i++) {
		if (!r->f[i].blocks || !secure_for_us(r->f[i].key, &st))
			continue;
		if (found == UW_REACHABLE)
			snprintf(why, whylen, "%s: %s", path, r->f[i].text);
		found = found == UW_REACHABLE ? UW_UNREACHABLE : found;
		/* musl's loader, for one, fails to relocate a glibc library and exits 127. */
		if (!strcmp(r->f[i].key, "musl") || !strcmp(r->f[i].key, "glibc") ||
		    !strcmp(r->f[i].key, "loader"))
			found = UW_UNREACHABLE_HARMFUL;
	}
	free(r);
	return found;
}
