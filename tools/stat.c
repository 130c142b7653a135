/* `unwedge stat PID [--prom]` and `unwedge stat --all [--prom]`: the live
 * statistics of processes started with UNWEDGE_STATS=1 (src/stats_file.h).
 *
 * A file is believed only when its directory and the file itself are owned by
 * the uid the directory is named for and writable by nobody else, that uid is
 * root or one of the process's, and its header names the live process: the
 * same pid, the same start time, the same pid namespace, and the process still
 * maps it (when its maps are readable). A file of a process that died (or of
 * an earlier process with the same pid, or one left behind by an exec) is
 * reported as such and removed. */
#include "stat.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cli_args.h"
#include "config.h"
#include "stats_file.h"

static const struct {
	const char *name; /* human output */
	const char *metric;
	const char *help;
} counters[UW_STAT_COUNT] = {
	[UW_STAT_WRITES] = {"writes", "unwedge_writes_total",
			    "Socket write calls that unwedge guarded (write, writev, send, sendto, sendmsg, "
			    "sendmmsg, sendfile, sendfile64, splice)."},
	[UW_STAT_BYTES] = {"bytes", "unwedge_written_bytes_total",
			   "Bytes those write calls reported as written."},
	[UW_STAT_BLOCKED] = {"blocked", "unwedge_blocked_writes_total",
			     "Guarded writes that had to wait for room in the send buffer."},
	[UW_STAT_SLOW] =
		{"slow", "unwedge_slow_writes_total",
		 "Writes that blocked longer than UNWEDGE_WARN_AFTER and finished before the deadline."},
	[UW_STAT_TIMEOUTS] = {"timeouts", "unwedge_timeouts_total",
			      "Writes failed because unwedge's deadline expired."},
	[UW_STAT_KERNEL_TIMEOUTS] =
		{"kernel-timeouts", "unwedge_kernel_timeouts_total",
		 "Connections the kernel ended with the TCP_USER_TIMEOUT that unwedge added."},
	[UW_STAT_TLS_WRITES] = {"tls-writes", "unwedge_tls_writes_total",
				"SSL_write, SSL_write_ex and SSL_shutdown calls guarded (their bytes are in "
				"unwedge_written_bytes_total)."},
	[UW_STAT_STDIO_WRITES] = {"stdio-writes", "unwedge_stdio_writes_total",
				  "stdio calls (fwrite, fprintf, fflush...) on a guarded socket."},
	[UW_STAT_CROSSED] = {"deadline-crossed", "unwedge_deadlines_crossed_total",
			     "Observe mode: writes that blocked past the deadline and were left alone."},
	[UW_STAT_PEERS_OTHER] = {"other-peers", "unwedge_peer_wedged_writes_other_total",
				 "Wedged writes whose peer did not fit in the table of peers."},
};

struct peer {
	uint64_t count;
	char addr[UW_STATS_PEER_LEN + 1];
};

struct snap {
	int pid;
	char comm[UW_STATS_COMM_LEN];
	char path[96];
	uint64_t counter[UW_STAT_COUNT];
	int npeers;
	struct peer peer[UW_STATS_PEERS];
};

struct proc {
	bool alive;
	uint64_t start_ticks;
	unsigned uids[4]; /* real, effective, saved, filesystem */
	char comm[64];
};

enum found { FOUND_OK, FOUND_NONE, FOUND_DENIED, FOUND_STALE, FOUND_OTHER_NS, FOUND_BAD };

static uint64_t my_pidns;

/* ---- reading a file that its owner may truncate under us (SIGBUS) ---- */

static sigjmp_buf bus_jump;
static volatile sig_atomic_t bus_armed;

static void on_bus(int sig)
{
	if (bus_armed)
		siglongjmp(bus_jump, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int copy(const struct uw_stats_file *m, struct snap *out)
{
	if (sigsetjmp(bus_jump, 1)) {
		bus_armed = 0;
		return -1;
	}
	bus_armed = 1;
	for (int i = 0; i < UW_STAT_COUNT; i++)
		out->counter[i] = __atomic_load_n(&m->counter[i], __ATOMIC_RELAXED);
	memcpy(out->comm, m->comm, sizeof out->comm);
	out->comm[sizeof out->comm - 1] = 0;
	out->npeers = 0;
	for (int i = 0; i < UW_STATS_PEERS; i++) {
		const struct uw_stats_peer *p = &m->peer[i];
		if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != 2)
			continue;
		uint32_t len = p->len < UW_STATS_PEER_LEN ? p->len : UW_STATS_PEER_LEN;
		struct peer got = {__atomic_load_n(&p->count, __ATOMIC_RELAXED), {0}};
		memcpy(got.addr, p->addr, len);
		/* Two threads may have filled two slots for one new peer: add them up. */
		int k = 0;
		while (k < out->npeers && strcmp(out->peer[k].addr, got.addr) != 0)
			k++;
		if (k < out->npeers)
			out->peer[k].count += got.count;
		else
			out->peer[out->npeers++] = got;
	}
	bus_armed = 0;
	return 0;
}

static int by_count(const void *a, const void *b)
{
	const struct peer *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->addr, y->addr);
}

/* ---- the process ---- */

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

static int threads(int pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	DIR *d = opendir(path);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void proc_info(int pid, struct proc *p)
{
	char path[64], buf[4096];
	memset(p, 0, sizeof *p);
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (read_small(path, buf, sizeof buf) != 0)
		return;
	char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren)
		return;
	/* A zombie has exited, unless it is a main thread that ended while other
	 * threads of the process run on (they are listed in task/ beside it). */
	if (close_paren[1] == ' ' && close_paren[2] == 'Z' && threads(pid) <= 1)
		return;
	snprintf(p->comm, sizeof p->comm, "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
	char *q = close_paren;
	for (int field = 2; *q && field < 22; q++)
		field += *q == ' ';
	p->start_ticks = strtoull(q, NULL, 10);
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	if (read_small(path, buf, sizeof buf) == 0) {
		char *u = strstr(buf, "\nUid:");
		if (u)
			sscanf(u + 5, "%u %u %u %u", &p->uids[0], &p->uids[1], &p->uids[2], &p->uids[3]);
	}
	p->alive = true;
}

/* Does the process map the file (dev, ino)? 1 yes, 0 no, -1 cannot tell. */
static int maps_file(int pid, const struct stat *st)
{
	char path[64], line[4096];
	snprintf(path, sizeof path, "/proc/%d/maps", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int found = 0, any = 0;
	while (fgets(line, sizeof line, f)) {
		unsigned maj, min;
		unsigned long long ino;
		any = 1;
		if (sscanf(line, "%*s %*s %*s %x:%x %llu", &maj, &min, &ino) == 3 && ino == st->st_ino &&
		    makedev(maj, min) == st->st_dev) {
			found = 1;
			break;
		}
	}
	fclose(f);
	return any ? found : -1;
}

/* ---- the files ---- */

/* The directory of uid's files, opened if it is trustworthy; -1 with errno. */
static int open_dir(unsigned uid)
{
	char dir[64];
	snprintf(dir, sizeof dir, UW_STATS_DIR_PREFIX "%u", uid);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	struct stat st;
	if (fstat(dfd, &st) != 0 || st.st_uid != uid || (st.st_mode & 022)) {
		close(dfd);
		errno = EPERM;
		return -1;
	}
	return dfd;
}

/* Removes a stale file, unless another has taken its name meanwhile. */
static void remove_stale(int dfd, const char *name, const struct stat *st)
{
	struct stat now;
	if (fstatat(dfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_ino == st->st_ino &&
	    now.st_dev == st->st_dev)
		unlinkat(dfd, name, 0);
}

/* The file of pid in uid's directory dfd. *why explains FOUND_STALE and FOUND_BAD. */
static enum found load(int dfd, unsigned uid, int pid, const struct proc *p, struct snap *out,
		       const char **why)
{
	char name[16];
	snprintf(name, sizeof name, "%d", pid);
	snprintf(out->path, sizeof out->path, UW_STATS_DIR_PREFIX "%u/%s", uid, name);
	out->pid = pid;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == EACCES ? FOUND_DENIED : FOUND_NONE;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != uid ||
	    st.st_size != UW_STATS_FILE_SIZE) {
		close(fd);
		*why = "not a statistics file (wrong type, owner or size)";
		return FOUND_BAD;
	}
	/* Only root, or the process's own user, can speak for it. */
	if (p->alive && uid != 0 && uid != p->uids[0] && uid != p->uids[1] && uid != p->uids[2] &&
	    uid != p->uids[3]) {
		close(fd);
		*why = "owned by a user the process does not run as";
		return FOUND_BAD;
	}
	const struct uw_stats_file *m = mmap(NULL, UW_STATS_FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		*why = "cannot map it";
		return FOUND_BAD;
	}
	enum found r = FOUND_OK;
	struct uw_stats_file h = {0};
	bool ok = false;
	/* The header is complete once magic is set: the process is creating it
	 * right now if it is not, so look again a few times. */
	for (int tries = 0; tries < 20 && !ok; tries++) {
		if (sigsetjmp(bus_jump, 1) == 0) {
			bus_armed = 1;
			h.magic = __atomic_load_n(&m->magic, __ATOMIC_ACQUIRE);
			memcpy((char *)&h + sizeof h.magic, (const char *)m + sizeof h.magic,
			       offsetof(struct uw_stats_file, comm) - sizeof h.magic);
			ok = h.magic == UW_STATS_MAGIC;
		}
		bus_armed = 0;
		if (!ok && h.magic == 0)
			usleep(5000);
		else
			break;
	}
	if (!ok) {
		*why = h.magic == 0 ? "still being created" : "not a statistics file (bad magic)";
		r = FOUND_BAD;
	} else if (h.version != UW_STATS_VERSION || h.size < offsetof(struct uw_stats_file, peer)) {
		*why = "a format this unwedge does not read (another version of unwedge?)";
		r = FOUND_BAD;
	} else if (h.pidns && my_pidns && h.pidns != my_pidns) {
		r = FOUND_OTHER_NS;
	} else if (h.pid != pid) {
		*why = "its header names another pid";
		r = FOUND_STALE;
	} else if (!p->alive) {
		*why = "the process is gone: it ended without exiting normally (a signal, _exit)";
		r = FOUND_STALE;
	} else if (h.start_ticks && p->start_ticks && h.start_ticks != p->start_ticks) {
		*why = "it was left by an earlier process with the same pid";
		r = FOUND_STALE;
	} else if (maps_file(pid, &st) == 0) {
		*why = "the process does not map it (it called exec since, or the file is not its own)";
		r = FOUND_STALE;
	} else if (copy(m, out) != 0) {
		*why = "it changed size while being read";
		r = FOUND_BAD;
	}
	munmap((void *)m, UW_STATS_FILE_SIZE);
	if (r == FOUND_STALE)
		remove_stale(dfd, name, &st);
	return r;
}

/* ---- output ---- */

static void human(const struct snap *s)
{
	printf("pid %d (%s): live statistics from %s\n", s->pid, s->comm, s->path);
	for (int i = 0; i < UW_STAT_COUNT; i++)
		if (i != UW_STAT_PEERS_OTHER)
			printf("  %-16s %14llu\n", counters[i].name, (unsigned long long)s->counter[i]);
	if (s->npeers == 0 && s->counter[UW_STAT_PEERS_OTHER] == 0)
		return;
	printf("  peers of wedged writes (timeouts and deadlines crossed, peer):\n");
	for (int i = 0; i < s->npeers; i++)
		printf("  %16llu  %s\n", (unsigned long long)s->peer[i].count, s->peer[i].addr);
	if (s->counter[UW_STAT_PEERS_OTHER])
		printf("  %16llu  (other peers)\n", (unsigned long long)s->counter[UW_STAT_PEERS_OTHER]);
}

/* A label value in the text exposition format: \ " and newline escaped; bytes
 * outside printable ASCII (a program name need not be UTF-8) as \\xHH text. */
static void label(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\\')
			fputs("\\\\", stdout);
		else if (c == '"')
			fputs("\\\"", stdout);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\\\x%02x", c);
		else
			putchar(c);
	}
}

static void labels(const struct snap *s)
{
	printf("{pid=\"%d\",comm=\"", s->pid);
	label(s->comm);
	putchar('"');
}

static void prom(const struct snap *s, int n)
{
	for (int i = 0; i < UW_STAT_COUNT; i++) {
		printf("# HELP %s %s\n# TYPE %s counter\n", counters[i].metric, counters[i].help,
		       counters[i].metric);
		for (int k = 0; k < n; k++) {
			printf("%s", counters[i].metric);
			labels(&s[k]);
			printf("} %llu\n", (unsigned long long)s[k].counter[i]);
		}
	}
	printf("# HELP unwedge_peer_wedged_writes_total Timeouts (unwedge's and the kernel's) and deadlines "
	       "crossed in observe mode, by peer address, for the first %d peers.\n"
	       "# TYPE unwedge_peer_wedged_writes_total counter\n",
	       UW_STATS_PEERS);
	for (int k = 0; k < n; k++)
		for (int i = 0; i < s[k].npeers; i++) {
			printf("unwedge_peer_wedged_writes_total");
			labels(&s[k]);
			printf(",peer=\"");
			label(s[k].peer[i].addr);
			printf("\"} %llu\n", (unsigned long long)s[k].peer[i].count);
		}
}

/* ---- commands ---- */

static int usage(FILE *f, int status)
{
	fprintf(f, "usage: unwedge stat PID [--prom]\n       unwedge stat --all [--prom]\n"
		   "The live statistics of processes started with UNWEDGE_STATS=1; --prom in Prometheus text "
		   "format.\n");
	return status;
}

static void setup(void)
{
	struct sigaction sa = {.sa_handler = on_bus};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	struct stat st;
	if (stat("/proc/self/ns/pid", &st) == 0)
		my_pidns = (uint64_t)st.st_ino;
}

/* Calls fn for each statistics directory that can be trusted, with its uid. */
static void each_dir(void (*fn)(int dfd, unsigned uid, void *arg), void *arg)
{
	const char *prefix = strrchr(UW_STATS_DIR_PREFIX, '/') + 1;
	DIR *shm = opendir("/dev/shm");
	if (!shm)
		return;
	for (struct dirent *d; (d = readdir(shm));) {
		size_t n = strlen(prefix);
		if (strncmp(d->d_name, prefix, n) != 0 || !all_digits(d->d_name + n))
			continue;
		unsigned long uid = strtoul(d->d_name + n, NULL, 10);
		if (uid > UINT_MAX)
			continue;
		int dfd = open_dir((unsigned)uid);
		if (dfd < 0)
			continue;
		fn(dfd, (unsigned)uid, arg);
		close(dfd);
	}
	closedir(shm);
}

struct one {
	int pid;
	struct proc p;
	struct snap s;
	enum found best;
	const char *why;
	char stale_path[96];
};

static void look_one(int dfd, unsigned uid, void *arg)
{
	struct one *o = arg;
	if (o->best == FOUND_OK)
		return;
	struct snap s;
	const char *why = NULL;
	enum found r = load(dfd, uid, o->pid, &o->p, &s, &why);
	if (r == FOUND_OK) {
		o->s = s;
		o->best = FOUND_OK;
	} else if (r != FOUND_NONE && (o->best == FOUND_NONE || r == FOUND_STALE)) {
		o->best = r;
		o->why = why;
		snprintf(o->stale_path, sizeof o->stale_path, "%s", s.path);
	}
}

static int stat_one(const char *arg, bool as_prom)
{
	char *end;
	errno = 0;
	long pid = strtol(arg, &end, 10);
	if (!all_digits(arg) || errno || pid <= 0 || pid > INT_MAX) {
		char shown[400];
		uw_config_printable(shown, sizeof shown, arg);
		fprintf(stderr, "unwedge: stat: '%s' is not a process id\n", shown);
		return 2;
	}
	struct one o = {.pid = (int)pid, .best = FOUND_NONE};
	proc_info(o.pid, &o.p);
	each_dir(look_one, &o);
	if (o.best == FOUND_NONE && o.p.alive) {
		/* The directory of the process's own user, if this user may not enter it. */
		char dir[64];
		snprintf(dir, sizeof dir, UW_STATS_DIR_PREFIX "%u", o.p.uids[1]);
		int dfd = access(dir, F_OK) == 0 ? open_dir(o.p.uids[1]) : -1;
		if (dfd >= 0)
			close(dfd);
		else if (errno == EACCES)
			o.best = FOUND_DENIED;
	}
	switch (o.best) {
	case FOUND_OK:
		qsort(o.s.peer, (size_t)o.s.npeers, sizeof o.s.peer[0], by_count);
		if (as_prom)
			prom(&o.s, 1);
		else
			human(&o.s);
		return 0;
	case FOUND_STALE: {
		const char *removed = access(o.stale_path, F_OK) == 0 ? "could not remove it" : "removed it";
		if (!o.p.alive) {
			fprintf(stderr,
				"unwedge: stat: process %ld is gone: it ended without exiting normally (a "
				"signal, or "
				"_exit) and left %s; %s\n",
				pid, o.stale_path, removed);
			return 1;
		}
		fprintf(stderr, "unwedge: stat: %s was stale: %s; %s\n", o.stale_path, o.why, removed);
		break;
	}
	case FOUND_DENIED:
		fprintf(stderr,
			"unwedge: stat: permission denied reading the statistics of process %ld: run as root "
			"or as "
			"its user (uid %u)\n",
			pid, o.p.uids[1]);
		return 1;
	case FOUND_BAD:
		fprintf(stderr, "unwedge: stat: %s: %s\n", o.stale_path, o.why);
		return 1;
	case FOUND_OTHER_NS:
		fprintf(stderr,
			"unwedge: stat: the statistics file for pid %ld belongs to another pid namespace\n",
			pid);
		return 1;
	case FOUND_NONE:
		break;
	}
	if (!o.p.alive) {
		fprintf(stderr, "unwedge: stat: no process %ld\n", pid);
		return 2;
	}
	fprintf(stderr,
		"unwedge: stat: process %ld (%s) has no live statistics: unwedge is not loaded in it, or it "
		"was "
		"started without UNWEDGE_STATS=1\n",
		pid, o.p.comm);
	return 1;
}

struct all {
	struct snap *s;
	int n, cap;
	bool as_prom;
};

static void look_all(int dfd, unsigned uid, void *arg)
{
	struct all *a = arg;
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (struct dirent *e; (e = readdir(d));) {
		if (!all_digits(e->d_name) || strlen(e->d_name) > 10)
			continue;
		long pid = strtol(e->d_name, NULL, 10);
		if (pid <= 0 || pid > INT_MAX)
			continue;
		struct proc p;
		proc_info((int)pid, &p);
		if (a->n == a->cap) {
			int cap = a->cap ? a->cap * 2 : 16;
			struct snap *grown = realloc(a->s, (size_t)cap * sizeof *grown);
			if (!grown)
				break;
			a->s = grown;
			a->cap = cap;
		}
		const char *why = NULL;
		enum found r = load(dfd, uid, (int)pid, &p, &a->s[a->n], &why);
		if (r == FOUND_OK)
			a->n++;
		else if (r == FOUND_STALE && !a->as_prom)
			printf("pid %ld: %s was stale: %s; removed\n\n", pid, a->s[a->n].path, why);
	}
	closedir(d);
}

static int by_pid(const void *a, const void *b)
{
	const struct snap *x = a, *y = b;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int stat_all(bool as_prom)
{
	struct all a = {.as_prom = as_prom};
	each_dir(look_all, &a);
	qsort(a.s, (size_t)a.n, sizeof *a.s, by_pid);
	for (int i = 0; i < a.n; i++)
		qsort(a.s[i].peer, (size_t)a.s[i].npeers, sizeof a.s[i].peer[0], by_count);
	if (as_prom) {
		prom(a.s, a.n);
	} else {
		for (int i = 0; i < a.n; i++) {
			human(&a.s[i]);
			if (i + 1 < a.n)
				putchar('\n');
		}
		if (a.n == 0)
			printf("no process has live statistics that this user can read\n");
	}
	free(a.s);
	return 0;
}

int uw_stat_command(int argc, char **argv)
{
	const char *pid = NULL;
	bool as_prom = false, all = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--prom"))
			as_prom = true;
		else if (!strcmp(argv[i], "--all"))
			all = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return usage(stdout, 0);
		else if (uw_cli_operand("stat", "PID", argv[i], &pid) >= 0)
			return 2;
	}
	if (all && pid)
		return uw_cli_bad("stat", "a PID or --all, not both: got --all and", pid);
	if (!all && !pid)
		return uw_cli_bad("stat", "no PID given (or --all)", NULL);
	setup();
	return all ? stat_all(as_prom) : stat_one(pid, as_prom);
}
