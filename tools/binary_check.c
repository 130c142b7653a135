#include "binary_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/program.h"

int uw_binary_unreachable(const char *path, char *why, size_t whylen)
{
	struct uw_report *r = calloc(1, sizeof *r);
	struct uw_check_opts o = {.modes_block = true, .quick = true};
	char err[512];
	int found = UW_REACHABLE;
	if (!r)
		return UW_REACHABLE;
	/* Not a program at all: execvp will say so. */
	if (uw_check_program(r, path, path, &o, err, sizeof err) == 0 && r->blockers) {
		snprintf(why, whylen, "%s: %s", path, uw_report_first_blocker(r));
		found = UW_UNREACHABLE;
		/* musl's loader, for one, fails to relocate a glibc library and exits 127. */
		for (int i = 0; i < r->n; i++)
			if (r->f[i].blocks &&
			    (!strcmp(r->f[i].key, "musl") || !strcmp(r->f[i].key, "loader")))
				found = UW_UNREACHABLE_HARMFUL;
	}
	free(r);
	return found;
}
