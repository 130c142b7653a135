/* The network namespaces processes on this host use, one process named for
 * each (the one to enter it through: /proc/PID/ns/net). */
#ifndef UW_TOOLS_NETNS_H
#define UW_TOOLS_NETNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct uw_netns {
	uint64_t ino;
	pid_t pid;
};

struct uw_netns_list {
	struct uw_netns *v;
	size_t n, cap;
	size_t unreadable; /* processes whose namespace this user may not see */
};

/* Every namespace used by a process, or only by processes of cgroup (a path
 * below the cgroup v2 root) when cgroup is not NULL. Returns 0 or -ENOMEM. */
int uw_netns_collect(const char *cgroup, struct uw_netns_list *out);
void uw_netns_free(struct uw_netns_list *l);

/* Whether cgroup path p is root or below it. */
int uw_cgroup_under(const char *p, const char *root);

#endif
