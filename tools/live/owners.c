/* See owners.h. /proc is read only when a report needs an owner or a scope
 * needs its sockets, never for every socket of every scan. */
#include "owners.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netns.h"
#include "procfd.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_owner(const void *key, const void *elem)
{
	return cmp_u64(key, &((const struct uw_owner *)elem)->inode);
}

struct resolve {
	struct uw_owner *v;
	size_t n;
};

static void resolve_pid(pid_t pid, void *arg)
{
	struct resolve *r = arg;
	struct uw_proc_socks ps;
	if (uw_proc_sockets(pid, &ps) != 0)
		return;
	for (size_t i = 0; i < ps.n; i++) {
		struct uw_owner *o = bsearch(&ps.v[i].inode, r->v, r->n, sizeof *r->v, cmp_owner);
		if (!o)
			continue;
		if (o->npids == 0) {
			uw_proc_comm(pid, o->program, sizeof o->program);
			uw_proc_cgroup(pid, o->cgroup, sizeof o->cgroup);
		}
		if (o->npids < UW_OWNERS_MAX)
			o->pids[o->npids] = pid;
		o->npids++;
	}
	uw_proc_socks_free(&ps);
}

void uw_owners_resolve(struct uw_owner *v, size_t n)
{
	struct resolve r = {v, n};
	for (size_t i = 0; i < n; i++) {
		v[i].npids = 0;
		snprintf(v[i].program, sizeof v[i].program, "?");
		snprintf(v[i].cgroup, sizeof v[i].cgroup, "?");
	}
	if (n)
		uw_proc_each(resolve_pid, &r);
}

static int set_add(struct uw_inode_set *s, uint64_t ino)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		uint64_t *v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		s->v = v, s->cap = cap;
	}
	s->v[s->n++] = ino;
	return 0;
}

static int add_pid_sockets(pid_t pid, struct uw_inode_set *set)
{
	struct uw_proc_socks ps;
	int rc = uw_proc_sockets(pid, &ps);
	for (size_t i = 0; rc == 0 && i < ps.n; i++)
		rc = set_add(set, ps.v[i].inode);
	uw_proc_socks_free(&ps);
	return rc;
}

struct in_cgroup {
	const char *root;
	struct uw_inode_set *set;
};

static void add_if_in_cgroup(pid_t pid, void *arg)
{
	struct in_cgroup *c = arg;
	char cg[4096];
	uw_proc_cgroup(pid, cg, sizeof cg);
	if (uw_cgroup_under(cg, c->root))
		add_pid_sockets(pid, c->set);
}

int uw_inodes_of(pid_t pid, const char *cgroup, struct uw_inode_set *set)
{
	set->n = 0;
	int rc = 0;
	if (cgroup) {
		struct in_cgroup c = {cgroup, set};
		uw_proc_each(add_if_in_cgroup, &c);
	} else {
		rc = add_pid_sockets(pid, set);
	}
	if (set->n)
		qsort(set->v, set->n, sizeof *set->v, cmp_u64);
	return rc;
}

int uw_inode_set_has(const struct uw_inode_set *set, uint64_t inode)
{
	return set->n && bsearch(&inode, set->v, set->n, sizeof *set->v, cmp_u64) != NULL;
}

void uw_inode_set_free(struct uw_inode_set *set)
{
	free(set->v);
	*set = (struct uw_inode_set){0};
}
