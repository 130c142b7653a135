#include "cgroup_bpf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "cgroup_fs.h"
#include "cgroup_ours.h"
#include "libbpf_dl.h"

/* The compiled sockops.bpf.o, linked in by sockops_obj.S. */
extern const unsigned char uw_sockops_obj[];
extern const unsigned char uw_sockops_obj_end[];

int uw_cg_kernel_check(char *warn, size_t warnlen, char *err, size_t errlen)
{
	struct utsname u;
	int major = 0, minor = 0;
	if (warn && warnlen)
		warn[0] = 0;
	if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 0; /* unknown: let the kernel answer */
	if (major < 5 || (major == 5 && minor < 9)) {
		snprintf(err, errlen,
			 "Linux %s is too old: a cgroup sock_ops program can set TCP_USER_TIMEOUT only since "
			 "5.9",
			 u.release);
		return -1;
	}
	if (warn && (major == 5 && minor < 11))
		snprintf(warn, warnlen,
			 "on Linux %s TCP_USER_TIMEOUT does not end a connection whose peer stopped reading "
			 "(zero window) before 5.11; only lost packets are covered",
			 u.release);
	return 0;
}

int uw_cg_probe(char *warn, size_t warnlen, char *err, size_t errlen)
{
	char self[PATH_MAX];
	struct uw_loaded l;
	if (uw_cg_kernel_check(warn, warnlen, err, errlen) != 0 ||
	    uw_cgfs_self(self, sizeof self, err, errlen) != 0)
		return -1;
	size_t len = (size_t)(uw_sockops_obj_end - uw_sockops_obj);
	if (uw_libbpf_load(uw_sockops_obj, len, UW_CG_PROG_NAME, UW_CG_SETTINGS_MAP, UW_CG_STATS_MAP, &l, err,
			   errlen) != 0)
		return -1;
	close(l.prog_fd);
	close(l.settings_fd);
	close(l.stats_fd);
	return 0;
}

static int open_cgroup(const char *name, char *dir, size_t dirlen, char *err, size_t errlen)
{
	if (uw_cgfs_resolve(name, dir, dirlen, err, errlen) != 0)
		return -1;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		snprintf(err, errlen, "cannot open %s: %s", dir, strerror(errno));
	return fd;
}

static const char *perm_hint(int e)
{
	if (e != EPERM && e != EACCES)
		return "";
	if (geteuid() != 0)
		return " (needs root)";
	return " (needs CAP_BPF and CAP_NET_ADMIN, or CAP_SYS_ADMIN; or a program attached to this cgroup or "
	       "an ancestor without BPF_F_ALLOW_MULTI excludes others)";
}

/* Settings of an attachment that is already there: changed in place, so that no socket established
 * meanwhile misses them. */
static int update_existing(int cgfd, const char *dir, const struct uw_cg_settings *s, char *err,
			   size_t errlen)
{
	uint32_t id;
	int n = uw_ours_find(cgfd, &id, 1);
	if (n < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot query the BPF programs of %s: %s%s", dir, strerror(e),
			 perm_hint(e));
		return -1;
	}
	if (n == 0)
		return 0;
	int sfd;
	if (uw_ours_maps(id, &sfd, NULL) != 0) {
		snprintf(err, errlen, "program %u on %s has no settings map: %s", id, dir, strerror(errno));
		return -1;
	}
	int r = uw_bpf_map_update(sfd, 0, s);
	int e = errno;
	close(sfd);
	if (r != 0) {
		snprintf(err, errlen, "cannot update the settings on %s: %s", dir, strerror(e));
		return -1;
	}
	return 1;
}

int uw_cg_update(const char *cgroup, const struct uw_cg_settings *s, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	int cgfd = open_cgroup(cgroup, dir, sizeof dir, err, errlen);
	if (cgfd < 0)
		return -1;
	int r = update_existing(cgfd, dir, s, err, errlen);
	close(cgfd);
	if (r == 0)
		snprintf(err, errlen, "no unwedge program on %s", dir);
	return r == 1 ? 0 : -1;
}

static int pin_all(const struct uw_loaded *l, int link_fd, const char *pdir, char *err, size_t errlen)
{
	struct {
		const char *name;
		int fd;
	} pins[] = {{"link", link_fd},
		    {"prog", l->prog_fd},
		    {"settings", l->settings_fd},
		    {"stats", l->stats_fd}};
	if (mkdir(UW_PIN_ROOT, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", UW_PIN_ROOT, strerror(errno));
		return -1;
	}
	/* A directory left from an earlier attachment whose link is gone: its pins are stale. */
	uw_ours_remove_pins(pdir);
	if (mkdir(pdir, 0700) != 0) {
		snprintf(err, errlen, "cannot create %s: %s", pdir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++) {
		char p[PATH_MAX + 16];
		snprintf(p, sizeof p, "%s/%s", pdir, pins[i].name);
		if (uw_bpf_pin(pins[i].fd, p) != 0) {
			snprintf(err, errlen, "cannot pin %s: %s", p, strerror(errno));
			uw_ours_remove_pins(pdir);
			return -1;
		}
	}
	return 0;
}

int uw_cg_attach(const char *cgroup, const struct uw_cg_settings *s, enum uw_cg_mode mode, char *err,
		 size_t errlen)
{
	char dir[PATH_MAX], pdir[PATH_MAX];
	uint64_t cgid = 0;
	if (uw_cg_kernel_check(NULL, 0, err, errlen) != 0)
		return -1;
	int cgfd = open_cgroup(cgroup, dir, sizeof dir, err, errlen);
	if (cgfd < 0)
		return -1;
	int r = update_existing(cgfd, dir, s, err, errlen);
	if (r != 0) {
		close(cgfd);
		return r;
	}
	if (mode == UW_CG_PINNED) {
		if (!uw_ours_bpffs()) {
			snprintf(err, errlen,
				 "the BPF filesystem is not mounted at %s, so the attachment could not "
				 "outlive this "
				 "command: mount -t bpf bpf %s",
				 UW_BPFFS, UW_BPFFS);
			close(cgfd);
			return -1;
		}
		uw_cgfs_id(dir, &cgid);
		uw_ours_pin_dir(cgid, pdir, sizeof pdir);
	}

	struct uw_loaded l;
	size_t len = (size_t)(uw_sockops_obj_end - uw_sockops_obj);
	if (uw_libbpf_load(uw_sockops_obj, len, UW_CG_PROG_NAME, UW_CG_SETTINGS_MAP, UW_CG_STATS_MAP, &l, err,
			   errlen) != 0) {
		close(cgfd);
		return -1;
	}
	/* Settings first: from the moment it is attached the program must find them. */
	r = uw_bpf_map_update(l.settings_fd, 0, s);
	if (r != 0) {
		snprintf(err, errlen, "cannot write the settings map: %s", strerror(errno));
	} else if (mode == UW_CG_OWNED) {
		r = uw_bpf_prog_attach(l.prog_fd, cgfd, BPF_CGROUP_SOCK_OPS, BPF_F_ALLOW_MULTI);
		if (r != 0)
			snprintf(err, errlen, "cannot attach to %s: %s%s", dir, strerror(errno),
				 perm_hint(errno));
	} else {
		int link = uw_bpf_link_create(l.prog_fd, cgfd, BPF_CGROUP_SOCK_OPS);
		if (link < 0) {
			r = -1;
			snprintf(err, errlen, "cannot attach to %s: %s%s", dir, strerror(errno),
				 perm_hint(errno));
		} else {
			/* On failure, closing the only fd of the link detaches it again. */
			r = pin_all(&l, link, pdir, err, errlen);
			close(link);
		}
	}
	close(l.prog_fd);
	close(l.settings_fd);
	close(l.stats_fd);
	close(cgfd);
	return r == 0 ? 0 : -1;
}

int uw_cg_detach(const char *cgroup, char *err, size_t errlen)
{
	char dir[PATH_MAX], pdir[PATH_MAX], lp[PATH_MAX + 8];
	uint64_t cgid = 0;
	int removed = 0;
	int cgfd = open_cgroup(cgroup, dir, sizeof dir, err, errlen);
	if (cgfd < 0)
		return -1;
	uw_cgfs_id(dir, &cgid);
	uw_ours_pin_dir(cgid, pdir, sizeof pdir);
	snprintf(lp, sizeof lp, "%s/link", pdir);
	int link = uw_bpf_get_pinned(lp);
	if (link >= 0) {
		/* Detach first: another process may hold an fd of the link, and unpinning alone would
		 * leave the program attached until that fd is closed. */
		if (uw_bpf_link_detach(link) == 0)
			removed++;
		close(link);
	}
	if (access(pdir, F_OK) == 0 && uw_ours_remove_pins(pdir) != 0) {
		snprintf(err, errlen, "cannot remove the pins in %s: %s", pdir, strerror(errno));
		close(cgfd);
		return -1;
	}
	rmdir(UW_PIN_ROOT); /* when it was the last attachment; fails harmlessly otherwise */
	uint32_t ids[16];
	int n = uw_ours_find(cgfd, ids, 16);
	if (n < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot query the BPF programs of %s: %s%s", dir, strerror(e),
			 perm_hint(e));
		close(cgfd);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		int pfd = uw_bpf_prog_fd_by_id(ids[i]);
		if (pfd < 0)
			continue;
		int r = uw_bpf_prog_detach(pfd, cgfd, BPF_CGROUP_SOCK_OPS);
		int e = errno;
		close(pfd);
		if (r != 0) {
			/* Attached through a link that some other process holds or pinned elsewhere. */
			snprintf(err, errlen,
				 "cannot detach program %u from %s: %s (held by a BPF link not pinned in %s)",
				 ids[i], dir, strerror(e), UW_PIN_ROOT);
			close(cgfd);
			return -1;
		}
		removed++;
	}
	close(cgfd);
	return removed ? 0 : 1;
}

int uw_cg_leftover(const char *dir)
{
	const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
	char *end;
	if (strncmp(base, "unwedge.", 8) != 0)
		return 0;
	long pid = strtol(base + 8, &end, 10);
	if (*end || pid <= 0 || pid == getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
		return 0;
	return uw_cgfs_populated(dir) == 0;
}

/* What uw_cg_enter_new_child leaves behind when nobody removed the cgroup after the command ended. */
static void collect_leftovers(const char *parent)
{
	char p[PATH_MAX + 300];
	DIR *d = opendir(parent);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		snprintf(p, sizeof p, "%s/%s", parent, e->d_name);
		if (uw_cg_leftover(p))
			rmdir(p);
	}
	closedir(d);
}

int uw_cg_enter_new_child(const struct uw_cg_settings *s, char *dir, size_t dirlen, char *err, size_t errlen)
{
	char self[PATH_MAX];
	if (uw_cg_kernel_check(NULL, 0, err, errlen) != 0)
		return -1;
	if (uw_cgfs_self(self, sizeof self, err, errlen) != 0)
		return -1;
	collect_leftovers(self);
	if (snprintf(dir, dirlen, "%s/unwedge.%d", self, (int)getpid()) >= (int)dirlen) {
		snprintf(err, errlen, "cgroup path too long under %s", self);
		return -1;
	}
	/* A directory of our PID can only be a leftover of a process that had it before. */
	rmdir(dir);
	if (mkdir(dir, 0755) != 0) {
		int e = errno;
		snprintf(err, errlen, "cannot create the cgroup %s: %s%s", dir, strerror(e),
			 e == EROFS ? " (the cgroup filesystem is read-only here, as in most containers)"
			 : e == EACCES || e == EPERM
				 ? (geteuid() ? " (needs root)" : " (not delegated to us)")
				 : "");
		return -1;
	}
	if (uw_cg_attach(dir, s, UW_CG_OWNED, err, errlen) < 0 || uw_cgfs_enter(dir, err, errlen) != 0) {
		rmdir(dir);
		return -1;
	}
	return 0;
}
