#include "cgroup_ours.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "cgroup_settings.h"

int uw_ours_find(int cgroup_fd, uint32_t *ids, uint32_t max)
{
	uint32_t all[64], n = sizeof all / sizeof all[0], found = 0;
	if (uw_bpf_prog_query(cgroup_fd, BPF_CGROUP_SOCK_OPS, all, &n) != 0)
		return -1;
	if (n > sizeof all / sizeof all[0])
		n = sizeof all / sizeof all[0];
	for (uint32_t i = 0; i < n && found < max; i++) {
		int fd = uw_bpf_prog_fd_by_id(all[i]);
		if (fd < 0)
			continue; /* detached meanwhile */
		struct uw_prog_info pi;
		/* The name alone: the kernel keeps no other mark of who loaded a program. */
		if (uw_bpf_prog_info(fd, &pi) == 0 && pi.type == BPF_PROG_TYPE_SOCK_OPS &&
		    strcmp(pi.name, UW_CG_PROG_NAME) == 0)
			ids[found++] = all[i];
		close(fd);
	}
	return (int)found;
}

int uw_ours_maps(uint32_t prog_id, int *settings_fd, int *stats_fd)
{
	*settings_fd = -1;
	if (stats_fd)
		*stats_fd = -1;
	int pfd = uw_bpf_prog_fd_by_id(prog_id);
	if (pfd < 0)
		return -1;
	struct uw_prog_info pi;
	int r = uw_bpf_prog_info(pfd, &pi);
	close(pfd);
	if (r != 0)
		return -1;
	for (uint32_t i = 0; i < pi.nr_map_ids && i < sizeof pi.map_ids / sizeof pi.map_ids[0]; i++) {
		int mfd = uw_bpf_map_fd_by_id(pi.map_ids[i]);
		char name[16];
		uint32_t vsize;
		if (mfd < 0)
			continue;
		if (uw_bpf_map_name(mfd, name, &vsize) == 0) {
			if (strcmp(name, UW_CG_SETTINGS_MAP) == 0 && vsize == sizeof(struct uw_cg_settings) &&
			    *settings_fd < 0) {
				*settings_fd = mfd;
				continue;
			}
			if (stats_fd && strcmp(name, UW_CG_STATS_MAP) == 0 && *stats_fd < 0) {
				*stats_fd = mfd;
				continue;
			}
		}
		close(mfd);
	}
	if (*settings_fd < 0) {
		if (stats_fd && *stats_fd >= 0)
			close(*stats_fd);
		errno = ENOENT;
		return -1;
	}
	return 0;
}

void uw_ours_pin_dir(uint64_t cgroup_id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%llu", UW_PIN_ROOT, UW_PIN_PREFIX, (unsigned long long)cgroup_id);
}

int uw_ours_bpffs(void)
{
	struct statfs sfs;
	return statfs(UW_BPFFS, &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC;
}

int uw_ours_remove_pins(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	struct dirent *e;
	char p[PATH_MAX];
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && snprintf(p, sizeof p, "%s/%s", dir, e->d_name) < (int)sizeof p)
			unlink(p);
	closedir(d);
	return rmdir(dir);
}
