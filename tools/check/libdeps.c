#include "libdeps.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_FILE   "/etc/ld.so.cache"
#define CACHE_MAGIC  "glibc-ld.so.cache1.1"
#define CACHE_HEADER 48 /* magic, nlibs, len_strings, flags, extension offset, unused */
#define CACHE_ENTRY  24 /* flags, key, value, osversion, hwcap */
#define DEFAULT_DIRS "/lib64:/usr/lib64:/lib:/usr/lib"

struct search {
	const struct uw_elf *prog;
	const char *ld_library_path;
	const unsigned char *cache;
	size_t cache_size;
};

/* The file at cand is a library the program's loader could use: same class, machine and byte order. */
static int usable(const struct search *s, const char *cand, char *out, size_t outlen)
{
	struct uw_elf e;
	if (strlen(cand) >= outlen || uw_elf_open(&e, cand) != 0)
		return 0;
	int ok =
		e.is_elf && e.cls == s->prog->cls && e.data == s->prog->data && e.machine == s->prog->machine;
	uw_elf_close(&e);
	if (ok)
		strcpy(out, cand);
	return ok;
}

/* Tries each directory of a ':'-separated list, $ORIGIN being origin. */
static int in_dirs(const struct search *s, const char *list, const char *origin, const char *name, char *out,
		   size_t outlen)
{
	while (list && *list) {
		const char *colon = strchr(list, ':');
		size_t n = colon ? (size_t)(colon - list) : strlen(list);
		char dir[PATH_MAX], cand[PATH_MAX];
		size_t o = 0;
		for (size_t i = 0; i < n && o + 1 < sizeof dir;) {
			size_t skip = !strncmp(list + i, "${ORIGIN}", 9) ? 9
				      : !strncmp(list + i, "$ORIGIN", 7) ? 7
									 : 0;
			if (skip && i + skip <= n) {
				o += (size_t)snprintf(dir + o, sizeof dir - o, "%s", origin);
				if (o >= sizeof dir)
					o = sizeof dir - 1;
				i += skip;
			} else {
				dir[o++] = list[i++];
			}
		}
		dir[o] = 0;
		if (snprintf(cand, sizeof cand, "%s/%s", o ? dir : ".", name) < (int)sizeof cand &&
		    usable(s, cand, out, outlen))
			return 1;
		list = colon ? colon + 1 : NULL;
	}
	return 0;
}

static int in_cache(const struct search *s, const char *name, char *out, size_t outlen)
{
	const unsigned char *c = s->cache;
	if (!c || s->cache_size < CACHE_HEADER || memcmp(c, CACHE_MAGIC, sizeof CACHE_MAGIC - 1) != 0)
		return 0;
	uint32_t nlibs;
	memcpy(&nlibs, c + 20, 4);
	if (nlibs > (s->cache_size - CACHE_HEADER) / CACHE_ENTRY)
		return 0;
	for (uint32_t i = 0; i < nlibs; i++) {
		uint32_t key, value;
		memcpy(&key, c + CACHE_HEADER + (size_t)i * CACHE_ENTRY + 4, 4);
		memcpy(&value, c + CACHE_HEADER + (size_t)i * CACHE_ENTRY + 8, 4);
		if (key >= s->cache_size || value >= s->cache_size)
			continue;
		const char *k = (const char *)c + key, *v = (const char *)c + value;
		if (!memchr(k, 0, s->cache_size - key) || !memchr(v, 0, s->cache_size - value))
			continue;
		if (strcmp(k, name) == 0 && usable(s, v, out, outlen))
			return 1;
	}
	return 0;
}

static void dir_of(const char *path, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s", path);
	char *slash = strrchr(out, '/');
	if (slash == out)
		out[1] = 0;
	else if (slash)
		*slash = 0;
	else
		snprintf(out, outlen, ".");
}

static int find(const struct search *s, const struct uw_elf *needer, const char *needer_path,
		const char *name, char *out, size_t outlen)
{
	char origin[PATH_MAX];
	if (strchr(name, '/'))
		return usable(s, name, out, outlen);
	dir_of(needer_path, origin, sizeof origin);
	if (!needer->runpath && in_dirs(s, needer->rpath, origin, name, out, outlen))
		return 1;
	return in_dirs(s, s->ld_library_path, origin, name, out, outlen) ||
	       in_dirs(s, needer->runpath, origin, name, out, outlen) || in_cache(s, name, out, outlen) ||
	       in_dirs(s, DEFAULT_DIRS, origin, name, out, outlen);
}

/* The loader loads each name once. */
static int listed(const struct uw_deps *d, const char *name)
{
	for (int i = 0; i < d->n; i++)
		if (strcmp(d->d[i].name, name) == 0)
			return 1;
	return 0;
}

static void add_needed(const struct search *s, const struct uw_elf *needer, const char *needer_path, int via,
		       struct uw_deps *out)
{
	for (int i = 0; i < needer->n_needed; i++) {
		const char *name = needer->needed[i];
		if (listed(out, name))
			continue;
		if (out->n >= UW_DEPS_MAX) {
			out->truncated = 1;
			return;
		}
		struct uw_dep *d = &out->d[out->n];
		snprintf(d->name, sizeof d->name, "%s", name);
		d->via = via;
		d->path[0] = 0;
		if (!find(s, needer, needer_path, name, d->path, sizeof d->path))
			out->missing++;
		out->n++;
	}
}

void uw_deps_walk(const struct uw_elf *prog, const char *path, const char *ld_library_path,
		  struct uw_deps *out)
{
	struct search s = {prog, ld_library_path, NULL, 0};
	struct stat st;
	memset(out, 0, sizeof *out);
	int fd = open(CACHE_FILE, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m != MAP_FAILED)
			s.cache = m, s.cache_size = (size_t)st.st_size;
	}
	if (fd >= 0)
		close(fd);
	add_needed(&s, prog, path, -1, out);
	for (int i = 0; i < out->n; i++) {
		struct uw_elf lib;
		if (!out->d[i].path[0] || uw_elf_open(&lib, out->d[i].path) != 0)
			continue;
		add_needed(&s, &lib, out->d[i].path, i, out);
		uw_elf_close(&lib);
	}
	if (s.cache)
		munmap((void *)s.cache, s.cache_size);
}

int uw_deps_find(const struct uw_deps *d, const char *prefix)
{
	for (int i = 0; i < d->n; i++)
		if (strncmp(d->d[i].name, prefix, strlen(prefix)) == 0)
			return i;
	return -1;
}
