#include "one_value.h"

#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int uw_find_preload(char *out, size_t outlen)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = 0;
	const char *rel[] = {"/" UW_PRELOAD_NAME, "/../lib/unwedge/" UW_PRELOAD_NAME};
	for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		char cand[PATH_MAX + 64];
		snprintf(cand, sizeof cand, "%s%s", exe, rel[i]);
		if (access(cand, R_OK) == 0 && realpath(cand, out) && strlen(out) < outlen)
			return 0;
	}
	return -1;
}

static int libc_path(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	const char *slash = strrchr(info->dlpi_name, '/');
	if (!slash || strcmp(slash, "/libc.so.6") != 0)
		return 0;
	snprintf(arg, PATH_MAX, "%.*s", (int)(slash - info->dlpi_name), info->dlpi_name);
	return 1;
}

int uw_glibc_lib_dir(char *out, size_t outlen)
{
#ifdef __GLIBC__
	char dir[PATH_MAX] = "";
	if (!dl_iterate_phdr(libc_path, dir) || dir[0] != '/')
		return -1;
	const char *rel = strncmp(dir, "/usr/", 5) == 0 ? dir + 5 : dir + 1;
	if (!rel[0] || strlen(rel) >= outlen)
		return -1;
	snprintf(out, outlen, "%s", rel);
	return 0;
#else
	(void)libc_path;
	(void)out;
	(void)outlen;
	return -1;
#endif
}

static bool readable(const char *dir, const char *sub)
{
	char p[PATH_MAX + 64];
	int n = snprintf(p, sizeof p, "%s/%s/" UW_PRELOAD_NAME, dir, sub);
	return n > 0 && (size_t)n < sizeof p && access(p, R_OK) == 0;
}

bool uw_one_value(const char *lib, char *out, size_t outlen)
{
	char dir[PATH_MAX], glibc_lib[PATH_MAX];
	const char *slash = strrchr(lib, '/');
	if (!slash || (size_t)(slash - lib) >= sizeof dir)
		return false;
	snprintf(dir, sizeof dir, "%.*s", (int)(slash - lib), lib);
	if (!readable(dir, "$LIB"))
		return false;
#ifdef __GLIBC__
	if (uw_glibc_lib_dir(glibc_lib, sizeof glibc_lib) != 0 || !readable(dir, glibc_lib))
		return false;
#else
	(void)glibc_lib;
#endif
	int n = snprintf(out, outlen, "%s/$LIB/" UW_PRELOAD_NAME, dir);
	return n > 0 && (size_t)n < outlen;
}

struct uw_served uw_served_with(bool layout)
{
#ifdef __GLIBC__
	return (struct uw_served){.glibc = true, .musl = layout};
#else
	return (struct uw_served){.glibc = layout, .musl = true};
#endif
}

struct uw_served uw_served(void)
{
	char lib[PATH_MAX], value[PATH_MAX + 64];
	return uw_served_with(uw_find_preload(lib, sizeof lib) == 0 &&
			      uw_one_value(lib, value, sizeof value));
}
