/* `unwedge rescue PID --cgroup`: the sockets PID opens from now on get the
 * user timeout too, from the cgroup layer (a sock_ops BPF program, which also
 * reaches Go and static programs) attached to PID's own cgroup. That covers
 * every process of the cgroup, so rescue first names the others; it refuses
 * the root cgroup, which would be every process on the host. With --json it
 * prints one object for the cgroup, after those of the sockets. */
#include <stdio.h>
#include <string.h>

#include "../cgroup/cgroup_bpf.h"
#include "escape.h"
#include "netns.h"
#include "procfd.h"
#include "rescue_target.h"

#define NAMED_MAX 20

struct others {
	const char *cgroup;
	pid_t self;
	bool json;
	int n;
};

static void name_other(pid_t pid, void *arg)
{
	struct others *o = arg;
	char cg[4096], comm[64];
	uw_proc_cgroup(pid, cg, sizeof cg);
	if (pid == o->self || !uw_cgroup_under(cg, o->cgroup))
		return;
	if (o->n++ >= NAMED_MAX)
		return;
	uw_proc_comm(pid, comm, sizeof comm);
	if (o->json) {
		printf("%s{\"pid\": %d, \"program\": ", o->n > 1 ? ", " : "", (int)pid);
		uw_json_string(stdout, comm);
		printf(", \"below\": %s}", cg[strlen(o->cgroup)] ? "true" : "false");
	} else {
		printf("%s pid %d (%s)%s", o->n > 1 ? "," : "", (int)pid, comm,
		       cg[strlen(o->cgroup)] ? " below it" : "");
	}
}

/* The other processes of cg, on one line or as a JSON array. */
static void print_others(const struct rescue *r, const char *cg)
{
	struct others o = {cg, r->o.pid, r->o.json, 0};
	if (r->o.json) {
		printf("{\"cgroup\": ");
		uw_json_string(stdout, cg);
		printf(", \"others\": [");
	} else {
		printf("cgroup %s: also holds", cg);
	}
	uw_proc_each(name_other, &o);
	if (r->o.json)
		printf("], \"others_count\": %d, ", o.n);
	else
		printf("%s%s\n", o.n ? "" : " no other process", o.n > NAMED_MAX ? " ..." : "");
}

static void print_result(const struct rescue *r, const char *cg, bool ok, const char *what)
{
	if (r->o.json) {
		printf("\"ok\": %s, \"result\": ", ok ? "true" : "false");
		uw_json_string(stdout, what);
		printf("}\n");
	} else {
		printf("cgroup %s: %s\n", cg, what);
	}
}

int rescue_attach_cgroup(const struct rescue *r)
{
	char cg[4096], set[160], what[600], err[400];
	uw_proc_cgroup(r->o.pid, cg, sizeof cg);
	if (cg[0] != '/' || !strcmp(cg, "/")) {
		fprintf(stderr,
			"unwedge rescue: --cgroup: process %d is in %s: that would cover every process of "
			"the host; not attached\n",
			(int)r->o.pid, cg[0] == '/' ? "the root cgroup" : "no cgroup v2 cgroup");
		return 1;
	}
	struct uw_cg_settings s = {.flags = UW_CG_F_USER_TIMEOUT, .user_timeout_ms = (__u32)r->o.uto_ms};
	if (r->o.keep_cnt)
		s.flags |= UW_CG_F_KEEPALIVE, s.keep_idle_s = r->o.keep_idle_s,
					      s.keep_intvl_s = r->o.keep_intvl_s, s.keep_cnt = r->o.keep_cnt;
	uw_cg_settings_format(&s, set, sizeof set);
	print_others(r, cg);
	int a = r->o.dry ? 0 : uw_cg_attach(cg, &s, UW_CG_PINNED, err, sizeof err);
	if (r->o.dry)
		snprintf(what, sizeof what, "would attach the cgroup layer with %s (dry run)", set);
	else if (a < 0)
		snprintf(what, sizeof what, "cgroup layer not attached: %s", err);
	else
		snprintf(what, sizeof what, "%s %s",
			 a == 1 ? "cgroup layer updated to" : "cgroup layer attached with", set);
	print_result(r, cg, a >= 0, what);
	fflush(stdout);
	return a < 0;
}
