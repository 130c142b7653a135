/* Internal to the cgroup layer: recognising our programs among those attached to a cgroup, and
 * where their pins live. */
#ifndef UW_CGROUP_OURS_H
#define UW_CGROUP_OURS_H

#include <stddef.h>
#include <stdint.h>

#define UW_BPFFS      "/sys/fs/bpf"
#define UW_PIN_ROOT   UW_BPFFS "/unwedge"
#define UW_PIN_PREFIX "cg"

/* The ids of our programs attached directly to the cgroup, at most max; how many there are, or -1. */
int uw_ours_find(int cgroup_fd, uint32_t *ids, uint32_t max);
/* fds of the settings and stats maps of one of our programs (stats_fd may be NULL). */
int uw_ours_maps(uint32_t prog_id, int *settings_fd, int *stats_fd);
/* UW_PIN_ROOT/cgID: the directory that holds the pins of the cgroup with this id. */
void uw_ours_pin_dir(uint64_t cgroup_id, char *buf, size_t len);
/* 1 if the BPF filesystem is mounted at UW_BPFFS. */
int uw_ours_bpffs(void);
/* Unlinks every pin in dir, then dir. */
int uw_ours_remove_pins(const char *dir);

#endif
