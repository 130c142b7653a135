/* `unwedge rescue PID`: for each TCP socket of a running process that has data
 * waiting to be sent and no progress for --older-than, makes the blocked write
 * fail now, with no restart and no SIGPIPE (see rescue_act.c). It first takes
 * a duplicate of every socket (pidfd_getfd), so a missing right is found and
 * reported before anything is changed. */
#include "rescue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../cgroup/cgroup_cli.h"
#include "cli_args.h"
#include "rescue_target.h"

#define CMD "rescue"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: unwedge rescue PID [--older-than D] [--tcp-user-timeout D [--keepalive I,N,C] "
		"[--cgroup]]\n"
		"                      [--fd N] [--force] [--dry-run] [--json]\n\n"
		"Makes the blocked writes of a running process fail now: each TCP socket with data\n"
		"waiting to be sent and no progress for --older-than (default 5s) is aborted\n"
		"(SOCK_DESTROY: the write fails with ECONNABORTED; where that is not possible, a 1ms\n"
		"user timeout: ETIMEDOUT). Never an action that raises SIGPIPE. Needs the right to\n"
		"ptrace PID.\n\n"
		"  --older-than D        how long without progress makes a socket stuck (default 5s)\n"
		"  --tcp-user-timeout D  also put a user timeout of D on every other TCP socket\n"
		"  --keepalive I,N,C     with it, also turn keepalive on (e.g. 30s,5s,3)\n"
		"  --cgroup              also attach the cgroup layer (that user timeout) to PID's cgroup,\n"
		"                        so its new connections get it too (root, cgroup v2)\n"
		"  --force               AF_UNIX: shut a stuck socket down even if that raises SIGPIPE\n"
		"  --fd N                only the socket at descriptor N\n"
		"  --dry-run             say what would be done, change nothing\n"
		"  --json                one JSON object per socket\n"
		"Exit status: 0 done (or nothing to do), 1 an action failed or no right over PID, 2 bad "
		"input.\n");
}

/* IDLE,INTVL,CNT: the cgroup layer's flag, which is the preload's own parser
 * (UNWEDGE_KEEPALIVE), so every layer accepts the same words. */
static int parse_keepalive(const char *v, struct rescue_opts *o)
{
	struct uw_cg_settings cg = {0};
	bool used;
	if (uw_cgroup_flag("--keepalive", v, &cg, &used) != 1)
		return -1;
	o->keepalive_arg = v;
	if (cg.flags & UW_CG_F_KEEPALIVE)
		o->keep_idle_s = cg.keep_idle_s, o->keep_intvl_s = cg.keep_intvl_s, o->keep_cnt = cg.keep_cnt;
	return 0;
}

static int parse_flag(int argc, char **argv, int *i, struct rescue_opts *o)
{
	const char *a = argv[*i], *v;
	if (!strcmp(a, "--dry-run") || !strcmp(a, "--json") || !strcmp(a, "--force") ||
	    !strcmp(a, "--cgroup")) {
		*(a[2] == 'd'	? &o->dry
		  : a[2] == 'j' ? &o->json
		  : a[2] == 'f' ? &o->force
				: &o->cgroup) = true;
		return 0;
	}
	bool older = !strcmp(a, "--older-than"), uto = !strcmp(a, "--tcp-user-timeout");
	if (!strcmp(a, "--keepalive"))
		return (v = uw_cli_value(CMD, argc, argv, i)) ? parse_keepalive(v, o) : -1;
	if (!older && !uto && strcmp(a, "--fd") != 0) {
		fprintf(stderr, "unwedge rescue: unknown option %s\nTry 'unwedge rescue --help'.\n", a);
		return -1;
	}
	if (!(v = uw_cli_value(CMD, argc, argv, i)))
		return -1;
	if (!older && !uto)
		return uw_cli_int(CMD, a, v, 0, &o->only_fd);
	o->uto |= uto;
	if (uto)
		o->uto_arg = v;
	return uw_cli_duration(CMD, a, v, older ? &o->older_ms : &o->uto_ms);
}

/* Returns 0 to go on, 1 when --help was answered, -1 on bad input. */
static int parse_args(int argc, char **argv, struct rescue_opts *o)
{
	*o = (struct rescue_opts){.only_fd = -1, .older_ms = 5000};
	bool have_pid = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 1;
		}
		if (argv[i][0] == '-') {
			if (parse_flag(argc, argv, &i, o) != 0)
				return -1;
			continue;
		}
		int pid;
		if (have_pid || uw_cli_int(CMD, "PID", argv[i], 1, &pid) != 0) {
			if (have_pid)
				fprintf(stderr, "unwedge rescue: one PID only (%s)\n", argv[i]);
			return -1;
		}
		o->pid = pid, have_pid = true;
	}
	const char *why = !have_pid ? "no PID given"
			  : o->cgroup && !o->uto_ms
				  ? "--cgroup needs --tcp-user-timeout (the value it attaches)"
				  : NULL;
	if (why)
		fprintf(stderr, "unwedge rescue: %s\nTry 'unwedge rescue --help'.\n", why);
	return why ? -1 : 0;
}

/* The one line for a missing right, before anything was changed. */
static int no_right(const struct rescue *r)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof path, "/proc/%d", (int)r->o.pid);
	long owner = stat(path, &st) == 0 ? (long)st.st_uid : -1;
	fprintf(stderr,
		"unwedge rescue: no right to ptrace process %d (%s, uid %ld): run as root (CAP_SYS_PTRACE) "
		"or "
		"as its own user where ptrace is allowed; nothing was changed\n",
		(int)r->o.pid, r->comm, owner);
	return 1;
}

static int open_target(struct rescue *r)
{
	uw_proc_comm(r->o.pid, r->comm, sizeof r->comm);
	r->ignores_sigpipe = uw_proc_ignores_sigpipe(r->o.pid);
	r->pidfd = (int)syscall(SYS_pidfd_open, r->o.pid, 0);
	if (r->pidfd >= 0)
		return 0;
	if (errno == ESRCH)
		fprintf(stderr, "unwedge rescue: no process %d\n", (int)r->o.pid);
	else if (errno == ENOSYS)
		fprintf(stderr,
			"unwedge rescue: this kernel has no pidfd_open (Linux 5.3 or later needed)\n");
	else if ((errno == EINVAL || errno == ENOENT) && uw_proc_tgid(r->o.pid) > 0)
		fprintf(stderr, "unwedge rescue: %d is a thread of process %d: give that pid\n",
			(int)r->o.pid, (int)uw_proc_tgid(r->o.pid));
	else
		fprintf(stderr, "unwedge rescue: pidfd_open(%d): %s\n", (int)r->o.pid, strerror(errno));
	return 1;
}

static int grab_error(struct rescue *r, int e)
{
	if (e == -EPERM || e == -EACCES)
		return no_right(r);
	if (e == -ENOSYS)
		fprintf(stderr, "unwedge rescue: this kernel has no pidfd_getfd (Linux 5.6 or later needed); "
				"nothing was changed\n");
	else
		fprintf(stderr, "unwedge rescue: pidfd_getfd on process %d: %s; nothing was changed\n",
			(int)r->o.pid, strerror(-e));
	return 1;
}

/* Duplicates every socket first: all or nothing. A descriptor closed in the
 * meantime (EBADF) is simply no longer there. */
static int grab_all(struct rescue *r, const struct uw_proc_socks *ps, struct rescue_sock *v, size_t *n)
{
	*n = 0;
	for (size_t i = 0; i < ps->n; i++) {
		if (r->o.only_fd >= 0 && ps->v[i].fd != r->o.only_fd)
			continue;
		struct rescue_sock *s = &v[*n];
		*s = (struct rescue_sock){.ps = ps->v[i], .dup = -1};
		int e = rescue_grab(r, s);
		if (e == -EBADF)
			continue;
		if (e != 0) {
			for (size_t k = 0; k < *n; k++)
				close(v[k].dup);
			return grab_error(r, e);
		}
		rescue_inspect(s);
		(*n)++;
	}
	return 0;
}

static int list_sockets(struct rescue *r, struct uw_proc_socks *ps)
{
	int e = uw_proc_sockets(r->o.pid, ps);
	if (e == -EACCES || e == -EPERM)
		return no_right(r);
	if (e != 0) {
		fprintf(stderr, "unwedge rescue: cannot read the descriptors of process %d: %s\n",
			(int)r->o.pid, strerror(-e));
		return 1;
	}
	return 0;
}

static int rescue_all(struct rescue *r, const struct uw_proc_socks *ps)
{
	struct rescue_sock *v = calloc(ps->n ? ps->n : 1, sizeof *v);
	size_t n;
	if (!v)
		return 1;
	int rc = grab_all(r, ps, v, &n);
	if (rc == 0 && n == 0)
		fprintf(stderr, "unwedge rescue: process %d (%s) has no %s\n", (int)r->o.pid, r->comm,
			r->o.only_fd >= 0 ? "socket at that descriptor" : "sockets");
	if (rc == 0) {
		r->reached = true;
		rescue_unix_look(r, v, n);
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		rescue_act(r, &v[i]);
		rescue_print(r, &v[i]);
		rc |= v[i].failed;
		close(v[i].dup);
	}
	free(v);
	return rc || (r->o.only_fd >= 0 && n == 0);
}

int uw_rescue_command(int argc, char **argv)
{
	struct rescue r = {.nl = -1};
	int p = parse_args(argc, argv, &r.o);
	if (p)
		return p > 0 ? 0 : 2;
	if (open_target(&r) != 0)
		return 1;
	struct uw_proc_socks ps;
	int rc = list_sockets(&r, &ps);
	if (rc == 0)
		rc = rescue_all(&r, &ps);
	uw_proc_socks_free(&ps);
	if (r.o.cgroup && r.reached)
		rc |= rescue_attach_cgroup(&r);
	close(r.pidfd);
	if (r.nl >= 0)
		close(r.nl);
	fflush(stdout);
	return rc;
}
