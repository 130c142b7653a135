/* Which processes hold a socket: one pass over /proc/PID/fd resolves a batch of
 * socket inodes to their owners (pid, program name, cgroup). */
#ifndef UW_TOOLS_OWNERS_H
#define UW_TOOLS_OWNERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define UW_OWNERS_MAX 4 /* processes named per socket (a forked server shares its sockets) */

struct uw_owner {
	uint64_t inode;
	int npids; /* how many processes hold it (up to UW_OWNERS_MAX are named) */
	pid_t pids[UW_OWNERS_MAX];
	char program[48];
	char cgroup[128];
};

/* Fills the owners of v[0..n) (inode set by the caller, sorted ascending). */
void uw_owners_resolve(struct uw_owner *v, size_t n);

/* A sorted set of socket inodes. */
struct uw_inode_set {
	uint64_t *v;
	size_t n, cap;
};

/* The sockets of every process whose cgroup is PATH or below it (cgroup
 * non-NULL), or of the process pid (cgroup NULL). Returns 0 or -errno. */
int uw_inodes_of(pid_t pid, const char *cgroup, struct uw_inode_set *set);
int uw_inode_set_has(const struct uw_inode_set *set, uint64_t inode);
void uw_inode_set_free(struct uw_inode_set *set);

#endif
