/* `unwedge rescue PID --cgroup`: the sockets PID opens from now on get the
 * user timeout too, from the cgroup layer (a sock_ops BPF program, which also
 * reaches Go and static programs) attached to PID's own cgroup. That covers
 * every process of the cgroup, so rescue first names the others; it refuses
 * the root cgroup, which would be every process on the host. */
#include <stdio.h>
#include <string.h>

#include "../cgroup/cgroup_cli.h"
#include "netns.h"
#include "procfd.h"
#include "rescue_target.h"

struct others {
	const char *cgroup;
	pid_t self;
	int n;
};

static void name_other(pid_t pid, void *arg)
{
	struct others *o = arg;
	char cg[4096], comm[64];
	uw_proc_cgroup(pid, cg, sizeof cg);
	if (pid == o->self || !uw_cgroup_under(cg, o->cgroup))
		return;
	uw_proc_comm(pid, comm, sizeof comm);
	if (o->n < 20)
		printf("%s pid %d (%s)%s", o->n ? "," : "", (int)pid, comm,
		       cg[strlen(o->cgroup)] ? " below it" : "");
	o->n++;
}

int rescue_attach_cgroup(const struct rescue *r)
{
	char cg[4096];
	uw_proc_cgroup(r->o.pid, cg, sizeof cg);
	if (cg[0] != '/' || !strcmp(cg, "/")) {
		fprintf(stderr,
			"unwedge rescue: --cgroup: process %d is in %s: that would cover every process of "
			"the host; not attached\n",
			(int)r->o.pid, cg[0] == '/' ? "the root cgroup" : "no cgroup v2 cgroup");
		return 1;
	}
	struct others o = {cg, r->o.pid, 0};
	printf("cgroup %s: also holds", cg);
	uw_proc_each(name_other, &o);
	printf("%s%s\n", o.n ? "" : " no other process", o.n > 20 ? " ..." : "");
	if (r->o.dry) {
		printf("cgroup %s: would attach the cgroup layer (tcp-user-timeout %s) (dry run)\n", cg,
		       r->o.uto_arg);
		return 0;
	}
	fflush(stdout);
	char *argv[] = {"cgroup",
			"attach",
			"--path",
			cg,
			"--tcp-user-timeout",
			(char *)r->o.uto_arg,
			"--keepalive",
			(char *)(r->o.keepalive_arg ? r->o.keepalive_arg : "off"),
			NULL};
	return uw_cgroup_command(8, argv) == 0 ? 0 : 1;
}
