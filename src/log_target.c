#include "libc.h"
#include "sys.h"
#include "log_target.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *type_problem(mode_t m)
{
	if (S_ISREG(m))
		return NULL;
	if (S_ISLNK(m))
		return "is a symbolic link (not followed)";
	if (S_ISDIR(m))
		return "is a directory";
	if (S_ISFIFO(m))
		return "is a FIFO, not a regular file (the log never waits for a reader)";
	if (S_ISSOCK(m))
		return "is a socket, not a regular file";
	return "is a device, not a regular file";
}

/* A file that does not exist yet: its directory must let us create it. */
static const char *directory_problem(const char *path)
{
	char dir[PATH_MAX];
	UW_LIBC(snprintf)(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return NULL;
	if (slash == dir)
		slash[1] = 0;
	else
		*slash = 0;
	struct stat st;
	if (uw_sys_stat(dir, &st) != 0)
		return errno == ENOENT ? "cannot be created: its directory does not exist"
				       : "cannot be created: its directory cannot be reached";
	if (!S_ISDIR(st.st_mode))
		return "cannot be created: its directory is not a directory";
	if (uw_sys_access(dir, W_OK | X_OK) != 0)
		return "cannot be created: its directory is not writable";
	return NULL;
}

bool uw_log_target_problem(const char *path, char *why, size_t whylen)
{
	struct stat st;
	const char *p;
	bool exists = uw_sys_lstat(path, &st) == 0;
	if (exists)
		p = type_problem(st.st_mode);
	else if (errno == ENOENT)
		p = directory_problem(path);
	else
		p = errno == ENOTDIR ? "cannot be created: a part of its directory is not a directory"
				     : "cannot be reached";
	if (!p && exists && uw_sys_access(path, W_OK) != 0)
		p = "is not writable";
	if (p)
		UW_LIBC(snprintf)(why, whylen, "%s", p);
	return p != NULL;
}
