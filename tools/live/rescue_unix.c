/* `unwedge rescue` on AF_UNIX stream sockets. They have no user timeout and
 * no SOCK_DESTROY, and the kernel keeps no clock of their progress. The one
 * action that wakes a blocked writer is shutdown(SHUT_WR) on its socket (or
 * SHUT_RD on the peer's end, which does the same to the writer): the write
 * fails with EPIPE, and the kernel raises SIGPIPE unless the writer passed
 * MSG_NOSIGNAL. So it is taken only when the process ignores SIGPIPE (SigIgn
 * in /proc/PID/status), or with --force; otherwise rescue says so. Draining
 * the peer's queue would unblock the writer without an error, but steals the
 * peer's data: never done. */
#include "rescue_target.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "owners.h"

#ifndef SIOCOUTQ
#define SIOCOUTQ 0x5411
#endif
#define LOOK_MAX_MS 1000

static bool is_unix_stream(const struct rescue_sock *s)
{
	return s->domain == AF_UNIX && s->type == SOCK_STREAM;
}

/* The system calls whose first argument is the descriptor written to. */
static bool write_call(long nr)
{
	return nr == SYS_write || nr == SYS_writev || nr == SYS_sendto || nr == SYS_sendmsg ||
	       nr == SYS_sendmmsg || nr == SYS_sendfile;
}

/* Whether a thread of pid is, right now, in a write-family call on fd. */
static bool blocked_writing(pid_t pid, int fd)
{
	char path[96];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	bool found = false;
	for (struct dirent *e; d && !found && (e = readdir(d));) {
		long nr;
		unsigned long arg0;
		snprintf(path, sizeof path, "/proc/%d/task/%.20s/syscall", (int)pid, e->d_name);
		FILE *f = e->d_name[0] != '.' ? fopen(path, "re") : NULL;
		if (!f)
			continue;
		found = fscanf(f, "%ld %lx", &nr, &arg0) == 2 && write_call(nr) && arg0 == (unsigned long)fd;
		fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

static uint64_t outq(int fd)
{
	int n = 0;
	return ioctl(fd, SIOCOUTQ, &n) == 0 && n > 0 ? (uint64_t)n : 0;
}

void rescue_unix_look(struct rescue *r, struct rescue_sock *v, size_t n)
{
	size_t candidates = 0;
	for (size_t i = 0; i < n; i++)
		if (is_unix_stream(&v[i]) && (v[i].st.pending = outq(v[i].dup)) > 0)
			v[i].unix_stuck = blocked_writing(r->o.pid, v[i].ps.fd),
			candidates += v[i].unix_stuck;
	if (!candidates)
		return;
	uint64_t ms = r->o.older_ms < LOOK_MAX_MS ? r->o.older_ms : LOOK_MAX_MS;
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
	for (size_t i = 0; i < n; i++) {
		struct rescue_sock *s = &v[i];
		if (!s->unix_stuck)
			continue;
		/* Still blocked, and the peer took nothing from its queue meanwhile. */
		s->unix_stuck = outq(s->dup) >= s->st.pending && blocked_writing(r->o.pid, s->ps.fd);
		s->st.stalled_ms = s->unix_stuck ? ms : 0;
	}
}

/* "pid 123 (prog)" for the other end, when sock_diag and /proc tell. */
static void find_peer(struct rescue *r, struct rescue_sock *s)
{
	uint64_t peer = 0;
	snprintf(s->unix_peer, sizeof s->unix_peer, "unknown");
	if (!r->nl_tried) {
		r->nl = uw_diag_open_for(r->o.pid);
		r->nl_tried = true;
	}
	if (r->nl < 0 || uw_diag_unix_peer(r->nl, s->ps.inode, &peer) != 0 || !peer)
		return;
	struct uw_owner o = {.inode = peer};
	uw_owners_resolve(&o, 1);
	if (o.npids)
		snprintf(s->unix_peer, sizeof s->unix_peer, "pid %d (%s)", (int)o.pids[0], o.program);
}

void rescue_unix_act(struct rescue *r, struct rescue_sock *s)
{
	find_peer(r, s);
	bool ignored = r->ignores_sigpipe == 1;
	if (!ignored && !r->o.force) {
		s->failed = true; /* still wedged: the exit status says so */
		snprintf(s->result, sizeof s->result,
			 "left alone: the only action (shutdown) would raise SIGPIPE, which this process "
			 "does not "
			 "ignore; --force to do it anyway (peer: %s)",
			 s->unix_peer);
		return;
	}
	s->action = RA_SHUTDOWN;
	const char *how =
		ignored ? "EPIPE (SIGPIPE is ignored)" : "EPIPE and SIGPIPE, which it does not ignore";
	if (r->o.dry)
		snprintf(s->result, sizeof s->result,
			 "would shut it down for writing: %s (dry run; peer: %s)", how, s->unix_peer);
	else if (shutdown(s->dup, SHUT_WR) != 0)
		s->failed = true,
		snprintf(s->result, sizeof s->result, "failed: shutdown: %s", strerror(errno));
	else
		snprintf(s->result, sizeof s->result,
			 "shut down for writing%s: the write fails with %s (peer: %s)",
			 ignored ? "" : " (--force)", how, s->unix_peer);
}
