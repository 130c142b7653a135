#include "cgroup_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define MAX_DEPTH 64

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
		    r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = 0;
}

/* The first cgroup2 mount whose root is a prefix of want (NULL: prefer the hierarchy's root).
 * A container may see the hierarchy through a mount of a subtree: its root is then not "/". */
static int find_mount(const char *want, char *mnt, size_t mntlen, char *root, size_t rootlen)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -1;
	char line[4096];
	int found = -1;
	while (found != 0 && fgets(line, sizeof line, f)) {
		/* id parent major:minor root mountpoint options [optional...] - fstype source super */
		char *sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		char *save = NULL, *fields[5];
		int n = 0;
		for (char *t = strtok_r(line, " ", &save); t && n < 5; t = strtok_r(NULL, " ", &save))
			fields[n++] = t;
		if (n < 5)
			continue;
		unescape(fields[3]);
		unescape(fields[4]);
		size_t rl = strlen(fields[3]);
		int fits = want ? strncmp(want, fields[3], rl) == 0 &&
					   (rl == 1 || want[rl] == '/' || want[rl] == 0)
				: strcmp(fields[3], "/") == 0;
		if (fits || found < 0) {
			snprintf(mnt, mntlen, "%s", fields[4]);
			snprintf(root, rootlen, "%s", fields[3]);
			found = fits ? 0 : 1;
		}
	}
	fclose(f);
	if (found == 1 && want)
		return -1; /* only mounts of other subtrees: our cgroup is not visible here */
	return found < 0 ? -1 : 0;
}

static const char *no_v2 =
	"no cgroup v2 hierarchy is mounted (/proc/self/mountinfo has no cgroup2 entry); "
	"BPF programs attach only to cgroup v2: mount it (mount -t cgroup2 none /sys/fs/cgroup), "
	"or boot with systemd.unified_cgroup_hierarchy=1";

int uw_cgfs_mount(char *dir, size_t dirlen, char *err, size_t errlen)
{
	char root[PATH_MAX];
	if (find_mount(NULL, dir, dirlen, root, sizeof root) != 0) {
		snprintf(err, errlen, "%s", no_v2);
		return -1;
	}
	return 0;
}

int uw_cgfs_self(char *dir, size_t dirlen, char *err, size_t errlen)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f) {
		snprintf(err, errlen, "cannot read /proc/self/cgroup: %s", strerror(errno));
		return -1;
	}
	char line[PATH_MAX], path[PATH_MAX] = "";
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = 0;
			snprintf(path, sizeof path, "%s", line + 3);
		}
	fclose(f);
	if (!path[0]) {
		snprintf(err, errlen, "%s", no_v2);
		return -1;
	}
	if (strstr(path, " (deleted)")) {
		snprintf(err, errlen, "this process's cgroup %s has been removed", path);
		return -1;
	}
	char mnt[PATH_MAX], root[PATH_MAX];
	if (find_mount(path, mnt, sizeof mnt, root, sizeof root) != 0) {
		if (find_mount(NULL, mnt, sizeof mnt, root, sizeof root) != 0)
			snprintf(err, errlen, "%s", no_v2);
		else
			snprintf(err, errlen, "this process's cgroup %s is outside the cgroup v2 mount at %s",
				 path, mnt);
		return -1;
	}
	const char *rest = path + (strcmp(root, "/") == 0 ? 0 : strlen(root));
	if (strcmp(rest, "/") == 0)
		rest = ""; /* the root of the hierarchy: the mount point itself */
	if (snprintf(dir, dirlen, "%s%s", mnt, rest) >= (int)dirlen) {
		snprintf(err, errlen, "cgroup path too long: %s%s", mnt, rest);
		return -1;
	}
	return 0;
}

static int is_cgroup2_dir(const char *p)
{
	struct statfs sfs;
	struct stat st;
	return statfs(p, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC && stat(p, &st) == 0 &&
	       S_ISDIR(st.st_mode);
}

int uw_cgfs_resolve(const char *name, char *dir, size_t dirlen, char *err, size_t errlen)
{
	char mnt[PATH_MAX], cand[PATH_MAX * 2], real[PATH_MAX];
	if (uw_cgfs_mount(mnt, sizeof mnt, err, errlen) != 0)
		return -1;
	if (is_cgroup2_dir(name) && realpath(name, real)) {
		snprintf(dir, dirlen, "%s", real);
		return 0;
	}
	if (name[0] == '/') {
		snprintf(cand, sizeof cand, "%s%s", mnt, name);
		if (is_cgroup2_dir(cand) && realpath(cand, real)) {
			snprintf(dir, dirlen, "%s", real);
			return 0;
		}
	}
	snprintf(err, errlen,
		 "%s is not a cgroup v2 directory (cgroup v2 is mounted at %s; give a directory there, "
		 "or a path inside the hierarchy such as /system.slice/x.service)",
		 name, mnt);
	return -1;
}

int uw_cgfs_id(const char *dir, uint64_t *id)
{
	/* Since Linux 5.5 a cgroup's id is the inode number of its directory. */
	struct stat st;
	if (stat(dir, &st) != 0)
		return -1;
	*id = (uint64_t)st.st_ino;
	return 0;
}

int uw_cgfs_populated(const char *dir)
{
	char p[PATH_MAX + 16], line[64];
	snprintf(p, sizeof p, "%s/cgroup.events", dir);
	FILE *f = fopen(p, "re");
	if (!f)
		return -1;
	int r = -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "populated ", 10) == 0)
			r = line[10] == '1';
	fclose(f);
	return r;
}

int uw_cgfs_enter(const char *dir, char *err, size_t errlen)
{
	char p[PATH_MAX + 16];
	snprintf(p, sizeof p, "%s/cgroup.procs", dir);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	/* "0" is the writer itself, with all its threads. */
	if (fd < 0 || write(fd, "0\n", 2) != 2) {
		int e = errno;
		snprintf(err, errlen, "cannot move this process into %s: %s%s", dir, strerror(e),
			 e == EBUSY
				 ? " (it has controllers enabled for its children: cgroup v2 keeps processes "
				   "in leaves only, the no-internal-processes rule)"
			 : e == EOPNOTSUPP ? " (a threaded cgroup: processes can only join its domain)"
					   : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int walk(char *path, size_t cap, int depth, int (*fn)(const char *, void *), void *ctx)
{
	int r = fn(path, ctx);
	if (r != 0 || depth >= MAX_DEPTH)
		return r;
	DIR *d = opendir(path);
	if (!d)
		return 0;
	size_t len = strlen(path);
	struct dirent *e;
	while (r == 0 && (e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		if (len + 1 + strlen(e->d_name) + 1 > cap)
			continue;
		snprintf(path + len, cap - len, "/%s", e->d_name);
		r = walk(path, cap, depth + 1, fn, ctx);
		path[len] = 0;
	}
	closedir(d);
	return r;
}

int uw_cgfs_walk(const char *dir, int (*fn)(const char *dir, void *ctx), void *ctx)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s", dir);
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		path[--n] = 0;
	return walk(path, sizeof path, 0, fn, ctx);
}
