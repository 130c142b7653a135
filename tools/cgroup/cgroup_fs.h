/* The cgroup v2 filesystem: where it is mounted, which cgroup we are in, and moving into one.
 * Functions returning int give 0, or -1 with a one-line message in err. */
#ifndef UW_CGROUP_FS_H
#define UW_CGROUP_FS_H

#include <stddef.h>
#include <stdint.h>

/* The directory of the cgroup this process is in (for example /sys/fs/cgroup/unified/ on a hybrid
 * system whose process sits at the root, or /sys/fs/cgroup/system.slice/x.service). */
int uw_cgfs_self(char *dir, size_t dirlen, char *err, size_t errlen);
/* Where the cgroup v2 hierarchy is mounted (the mount of its root if there are several). */
int uw_cgfs_mount(char *dir, size_t dirlen, char *err, size_t errlen);
/* A user's name for a cgroup: a directory on the cgroup v2 filesystem, or a path inside the
 * hierarchy as /proc/PID/cgroup and systemd show it (/system.slice/x.service). */
int uw_cgfs_resolve(const char *name, char *dir, size_t dirlen, char *err, size_t errlen);
/* The cgroup's id, as BPF link information and bpf_get_current_cgroup_id report it. */
int uw_cgfs_id(const char *dir, uint64_t *id);
/* 1 if the cgroup or a descendant has a process, 0 if not, -1 if unknown. */
int uw_cgfs_populated(const char *dir);
/* Moves the calling process (all its threads) into the cgroup. */
int uw_cgfs_enter(const char *dir, char *err, size_t errlen);
/* Calls fn for dir and every cgroup below it, parents first; stops at fn's first non-zero. */
int uw_cgfs_walk(const char *dir, int (*fn)(const char *dir, void *ctx), void *ctx);

#endif
