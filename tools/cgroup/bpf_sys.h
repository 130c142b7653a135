/* The few bpf(2) commands the cgroup layer needs once a program is loaded, made directly: attaching,
 * detaching, pinning, querying and reading maps need no libbpf, so status and detach work even
 * where libbpf is missing. Each returns -1 with errno set on failure. */
#ifndef UW_BPF_SYS_H
#define UW_BPF_SYS_H

#include <stddef.h>
#include <stdint.h>

struct uw_prog_info {
	uint32_t id;
	uint32_t type;
	char name[16];
	uint32_t map_ids[8];
	uint32_t nr_map_ids; /* may exceed the 8 ids stored */
};

int uw_bpf_prog_attach(int prog_fd, int cgroup_fd, unsigned attach_type, unsigned flags);
int uw_bpf_prog_detach(int prog_fd, int cgroup_fd, unsigned attach_type);
/* A new fd for the link, or -1. */
int uw_bpf_link_create(int prog_fd, int cgroup_fd, unsigned attach_type);
int uw_bpf_link_detach(int link_fd);
/* The cgroup id a cgroup link is attached to (0 once the cgroup is gone), in *cgroup_id. */
int uw_bpf_link_cgroup(int link_fd, uint64_t *cgroup_id, uint32_t *prog_id);
int uw_bpf_pin(int fd, const char *path);
int uw_bpf_get_pinned(const char *path);
/* The ids of the programs attached directly to the cgroup (not inherited), at most *n; *n is set
 * to the number attached. */
int uw_bpf_prog_query(int cgroup_fd, unsigned attach_type, uint32_t *ids, uint32_t *n);
int uw_bpf_prog_fd_by_id(uint32_t id);
int uw_bpf_map_fd_by_id(uint32_t id);
int uw_bpf_prog_info(int prog_fd, struct uw_prog_info *info);
/* The map's name (at most 16 bytes with the terminating zero) and value size. */
int uw_bpf_map_name(int map_fd, char name[16], uint32_t *value_size);
int uw_bpf_map_lookup(int map_fd, uint32_t key, void *value);
int uw_bpf_map_update(int map_fd, uint32_t key, const void *value);

#endif
