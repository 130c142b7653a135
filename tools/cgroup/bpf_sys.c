#include "bpf_sys.h"

#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	/* The size we pass is the size of the union we were compiled with; the kernel checks that
	 * whatever it does not know of is zero, hence the memset in every caller. */
	return (int)syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

static uint64_t ptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

int uw_bpf_prog_attach(int prog_fd, int cgroup_fd, unsigned attach_type, unsigned flags)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.target_fd = (uint32_t)cgroup_fd;
	a.attach_bpf_fd = (uint32_t)prog_fd;
	a.attach_type = attach_type;
	a.attach_flags = flags;
	return sys_bpf(BPF_PROG_ATTACH, &a);
}

int uw_bpf_prog_detach(int prog_fd, int cgroup_fd, unsigned attach_type)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.target_fd = (uint32_t)cgroup_fd;
	a.attach_bpf_fd = (uint32_t)prog_fd;
	a.attach_type = attach_type;
	return sys_bpf(BPF_PROG_DETACH, &a);
}

int uw_bpf_link_create(int prog_fd, int cgroup_fd, unsigned attach_type)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.link_create.prog_fd = (uint32_t)prog_fd;
	a.link_create.target_fd = (uint32_t)cgroup_fd;
	a.link_create.attach_type = attach_type;
	return sys_bpf(BPF_LINK_CREATE, &a);
}

int uw_bpf_link_detach(int link_fd)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.link_detach.link_fd = (uint32_t)link_fd;
	return sys_bpf(BPF_LINK_DETACH, &a);
}

static int obj_info(int fd, void *info, uint32_t len)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = len;
	a.info.info = ptr(info);
	return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a);
}

int uw_bpf_link_cgroup(int link_fd, uint64_t *cgroup_id, uint32_t *prog_id)
{
	struct bpf_link_info li;
	memset(&li, 0, sizeof li);
	if (obj_info(link_fd, &li, sizeof li) != 0)
		return -1;
	if (li.type != BPF_LINK_TYPE_CGROUP) {
		errno = EINVAL;
		return -1;
	}
	*cgroup_id = li.cgroup.cgroup_id;
	*prog_id = li.prog_id;
	return 0;
}

int uw_bpf_pin(int fd, const char *path)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.pathname = ptr(path);
	a.bpf_fd = (uint32_t)fd;
	return sys_bpf(BPF_OBJ_PIN, &a);
}

int uw_bpf_get_pinned(const char *path)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.pathname = ptr(path);
	return sys_bpf(BPF_OBJ_GET, &a);
}

int uw_bpf_prog_query(int cgroup_fd, unsigned attach_type, uint32_t *ids, uint32_t *n)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.query.target_fd = (uint32_t)cgroup_fd;
	a.query.attach_type = attach_type;
	a.query.prog_ids = ptr(ids);
	a.query.prog_cnt = *n;
	int r = sys_bpf(BPF_PROG_QUERY, &a);
	/* ENOSPC: more attached than we asked for; the count is still right, keep what fitted. */
	if (r != 0 && errno != ENOSPC)
		return -1;
	*n = a.query.prog_cnt;
	return 0;
}

int uw_bpf_prog_fd_by_id(uint32_t id)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.prog_id = id;
	return sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
}

int uw_bpf_map_fd_by_id(uint32_t id)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.map_id = id;
	return sys_bpf(BPF_MAP_GET_FD_BY_ID, &a);
}

int uw_bpf_prog_info(int prog_fd, struct uw_prog_info *out)
{
	struct bpf_prog_info pi;
	memset(&pi, 0, sizeof pi);
	memset(out, 0, sizeof *out);
	pi.nr_map_ids = sizeof out->map_ids / sizeof out->map_ids[0];
	pi.map_ids = ptr(out->map_ids);
	if (obj_info(prog_fd, &pi, sizeof pi) != 0)
		return -1;
	out->id = pi.id;
	out->type = pi.type;
	memcpy(out->name, pi.name, sizeof out->name);
	out->name[sizeof out->name - 1] = 0;
	out->nr_map_ids = pi.nr_map_ids;
	return 0;
}

int uw_bpf_map_name(int map_fd, char name[16], uint32_t *value_size)
{
	struct bpf_map_info mi;
	memset(&mi, 0, sizeof mi);
	if (obj_info(map_fd, &mi, sizeof mi) != 0)
		return -1;
	memcpy(name, mi.name, 16);
	name[15] = 0;
	*value_size = mi.value_size;
	return 0;
}

int uw_bpf_map_lookup(int map_fd, uint32_t key, void *value)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.map_fd = (uint32_t)map_fd;
	a.key = ptr(&key);
	a.value = ptr(value);
	return sys_bpf(BPF_MAP_LOOKUP_ELEM, &a);
}

int uw_bpf_map_update(int map_fd, uint32_t key, const void *value)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.map_fd = (uint32_t)map_fd;
	a.key = ptr(&key);
	a.value = ptr(value);
	a.flags = BPF_ANY;
	return sys_bpf(BPF_MAP_UPDATE_ELEM, &a);
}
