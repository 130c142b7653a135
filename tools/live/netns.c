/* See netns.h. */
#include "netns.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "procfd.h"

int uw_cgroup_under(const char *p, const char *root)
{
	size_t n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	if (n == 1 && root[0] == '/')
		return p[0] == '/';
	return !strncmp(p, root, n) && (p[n] == 0 || p[n] == '/');
}

struct collect {
	const char *cgroup;
	struct uw_netns_list *l;
	int err;
};

static void add_ns(pid_t pid, void *arg)
{
	struct collect *c = arg;
	char path[64], cg[4096];
	struct stat st;
	snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
	if (stat(path, &st) != 0) {
		c->l->unreadable += errno == EACCES || errno == EPERM;
		return;
	}
	if (c->cgroup) {
		uw_proc_cgroup(pid, cg, sizeof cg);
		if (!uw_cgroup_under(cg, c->cgroup))
			return;
	}
	for (size_t i = 0; i < c->l->n; i++)
		if (c->l->v[i].ino == (uint64_t)st.st_ino)
			return;
	if (c->l->n == c->l->cap) {
		size_t cap = c->l->cap ? c->l->cap * 2 : 16;
		struct uw_netns *v = realloc(c->l->v, cap * sizeof *v);
		if (!v) {
			c->err = -ENOMEM;
			return;
		}
		c->l->v = v, c->l->cap = cap;
	}
	c->l->v[c->l->n++] = (struct uw_netns){.ino = (uint64_t)st.st_ino, .pid = pid};
}

int uw_netns_collect(const char *cgroup, struct uw_netns_list *out)
{
	struct collect c = {cgroup, out, 0};
	out->n = out->unreadable = 0;
	uw_proc_each(add_ns, &c);
	return c.err;
}

void uw_netns_free(struct uw_netns_list *l)
{
	free(l->v);
	*l = (struct uw_netns_list){0};
}
