/* `unwedge watch`: every --interval, reads all TCP connections of the network
 * namespace (or of every namespace a process uses, --all-netns) through
 * sock_diag and reports each one that is stuck: data waiting to be sent and no
 * progress for --stuck-after, whether against a zero window or a black hole
 * (tools/live/tcpstall.c). It only observes unless --kill-after is given. */
#include "watch.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../cgroup/cgroup_fs.h"
#include "cli_args.h"
#include "netns.h"
#include "watch_state.h"

#define CMD "watch"

static volatile sig_atomic_t stop;
static void on_stop(int sig)
{
	(void)sig, stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: unwedge watch [--interval D] [--stuck-after D] [--kill-after D] [--json] [--prom "
		"FILE]\n"
		"                     [--once] [--pid P | --cgroup PATH | --all-netns] [--rules RULES]\n\n"
		"Reports TCP connections that are stuck: data waiting to be sent and nothing acknowledged\n"
		"for --stuck-after (default 10s), one line per change (stuck, recovered, killed, gone).\n\n"
		"  --interval D      time between scans (default 1s)\n"
		"  --stuck-after D   how long without progress makes a connection stuck (default 10s)\n"
		"  --kill-after D    end a connection stuck that long (SOCK_DESTROY; at least "
		"--stuck-after)\n"
		"  --json            JSON lines\n"
		"  --prom FILE       keep a Prometheus textfile at FILE (replaced atomically)\n"
		"  --once            one scan; exit 0 if nothing is stuck, 1 if something is\n"
		"  --pid P           only the sockets of process P (in its network namespace)\n"
		"  --cgroup PATH     only the sockets of processes in cgroup PATH or below it\n"
		"  --all-netns       every network namespace a process on this host uses (root)\n"
		"Exit status: --once 0 or 1 as above; 2 bad input; 3 sock_diag unusable.\n");
}

static int duration_flag(const char *a, const char *v, struct watch_opts *o)
{
	uint64_t *dst = !strcmp(a, "--interval")      ? &o->interval_ms
			: !strcmp(a, "--stuck-after") ? &o->stuck_after_ms
						      : &o->kill_after_ms;
	return uw_cli_duration(CMD, a, v, dst);
}

/* --cgroup accepts a directory of the cgroup v2 filesystem (/sys/fs/cgroup/x)
 * as well as a path inside the hierarchy (/x), as /proc/PID/cgroup shows it. */
static const char *cgroup_path(const char *v)
{
	char root[4096], err[300];
	if (uw_cgfs_mount(root, sizeof root, err, sizeof err) != 0)
		return v;
	size_t n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	if (!strncmp(v, root, n) && (v[n] == '/' || v[n] == 0))
		return v[n] ? v + n : "/";
	return v;
}

/* UNWEDGE_RULES' syntax, by the preload's own parser. */
static int parse_rules(const char *v, struct watch_opts *o)
{
	char why[300];
	if (uw_rules_parse(&o->rules, v, why, sizeof why) != 0) {
		fprintf(stderr, "unwedge watch: --rules: %s\n", why);
		return -1;
	}
	o->has_rules = true;
	return 0;
}

static int value_flag(int argc, char **argv, int *i, struct watch_opts *o)
{
	const char *a = argv[*i], *v;
	static const char *const known[] = {"--interval", "--stuck-after", "--kill-after", "--prom",
					    "--pid",	  "--cgroup",	   "--rules"};
	size_t k = 0;
	while (k < sizeof known / sizeof *known && strcmp(a, known[k]) != 0)
		k++;
	if (k == sizeof known / sizeof *known) {
		fprintf(stderr, "unwedge watch: unknown option %s\nTry 'unwedge watch --help'.\n", a);
		return -1;
	}
	if (!(v = uw_cli_value(CMD, argc, argv, i)))
		return -1;
	if (k < 3)
		return duration_flag(a, v, o);
	if (k == 3)
		o->prom = v;
	else if (k == 5)
		o->cgroup = cgroup_path(v);
	else if (k == 6)
		return parse_rules(v, o);
	else
		return uw_cli_int(CMD, a, v, 1, &o->pid);
	return 0;
}

static int check_opts(const struct watch_opts *o)
{
	const char *why = NULL;
	if ((o->pid != 0) + (o->cgroup != NULL) + o->all_netns > 1)
		why = "--pid, --cgroup and --all-netns exclude each other";
	else if (!o->interval_ms || !o->stuck_after_ms)
		why = "--interval and --stuck-after must be greater than zero";
	else if (o->kill_after_ms && o->kill_after_ms < o->stuck_after_ms)
		why = "--kill-after must be at least --stuck-after";
	if (why)
		fprintf(stderr, "unwedge watch: %s\n", why);
	return why ? -1 : 0;
}

/* Returns 0 to go on, 1 when --help was answered, -1 on bad input. */
static int parse_args(int argc, char **argv, struct watch_opts *o)
{
	*o = (struct watch_opts){.interval_ms = 1000, .stuck_after_ms = 10000};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 1;
		}
		if (!strcmp(a, "--json") || !strcmp(a, "--once") || !strcmp(a, "--all-netns")) {
			*(a[2] == 'j' ? &o->json : a[2] == 'o' ? &o->once : &o->all_netns) = true;
			continue;
		}
		if (value_flag(argc, argv, &i, o) != 0)
			return -1;
	}
	return check_opts(o);
}

/* The namespaces one scan visits: this process's own, that of --pid, those of
 * the processes of --cgroup, or all of them. */
static int scan_targets(const struct watch_opts *o, struct uw_netns_list *l)
{
	l->n = 0;
	if (o->all_netns || o->cgroup)
		return uw_netns_collect(o->all_netns ? NULL : o->cgroup, l);
	if (!l->cap && !(l->v = calloc(1, sizeof *l->v)))
		return -ENOMEM;
	l->cap = 1, l->n = 1;
	l->v[0] = (struct uw_netns){.pid = o->pid};
	return 0;
}

/* One namespace: -errno only when this process's own namespace cannot be
 * read (with --all-netns, a namespace that cannot be entered is skipped). */
static int scan_one(struct watch *w, const struct uw_netns *ns, bool *warned)
{
	int nl = ns->pid ? uw_diag_open_for(ns->pid) : uw_diag_open();
	int rc = nl < 0 ? nl : watch_scan(w, nl);
	if (nl >= 0)
		close(nl);
	if (rc && (w->o.all_netns || w->o.cgroup) && ns->pid) {
		if (!*warned)
			fprintf(stderr,
				"unwedge watch: warning: cannot read the network namespace of pid %d: %s\n",
				(int)ns->pid, strerror(-rc));
		*warned = true;
		return 0;
	}
	return rc;
}

static int scan_all(struct watch *w, struct uw_netns_list *l, size_t *stuck)
{
	static bool warned;
	w->gen++;
	if (w->scoped && uw_inodes_of(w->o.pid, w->o.cgroup, &w->scope) == -ESRCH) {
		fprintf(stderr, "unwedge watch: process %d is gone\n", (int)w->o.pid);
		return -ESRCH;
	}
	int rc = scan_targets(&w->o, l);
	if (rc == 0 && l->unreadable && !warned) {
		fprintf(stderr,
			"unwedge watch: warning: the network namespaces of %zu processes cannot be read by "
			"this "
			"user (run as root): namespaces only they use are not watched\n",
			l->unreadable);
		warned = true;
	}
	for (size_t i = 0; rc == 0 && i < l->n; i++)
		rc = scan_one(w, &l->v[i], &warned);
	*stuck = watch_sweep(w);
	if (rc == 0 && w->o.prom && (rc = watch_write_prom(w, w->o.prom)) != 0)
		fprintf(stderr, "unwedge watch: cannot write %s: %s\n", w->o.prom, strerror(-rc));
	return rc;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
	while (!stop && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int uw_watch_command(int argc, char **argv)
{
	struct watch w = {0};
	int p = parse_args(argc, argv, &w.o);
	if (p)
		return p > 0 ? 0 : 2;
	w.scoped = w.o.pid || w.o.cgroup;
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	struct uw_netns_list l = {0};
	size_t stuck = 0;
	int rc = 0;
	while (!stop) {
		rc = scan_all(&w, &l, &stuck);
		if (rc || w.o.once)
			break;
		sleep_ms(w.o.interval_ms);
	}
	if (rc && rc != -ESRCH)
		fprintf(stderr, "unwedge watch: cannot read the TCP sockets (sock_diag): %s\n",
			strerror(-rc));
	watch_event_summary(&w);
	uw_netns_free(&l);
	watch_free(&w);
	if (rc)
		return rc == -ESRCH ? 1 : 3;
	return w.o.once && stuck ? 1 : 0;
}
