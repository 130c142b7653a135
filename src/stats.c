#include "libc.h"
#include "sys.h"
#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "event.h"
#include "fmt.h"
#include "log.h"

struct uw_stats_file *uw_stats;

/* The file that uw_stats maps, and the process it belongs to: only that
 * process removes it at exit (not a child that inherited the variables). */
static char path[64];
static pid_t owner;

static const char *why(int err)
{
	switch (err) {
	case EACCES:
	case EPERM:
		return "permission denied";
	case ENOENT:
		return "no such directory";
	case ELOOP:
		return "it is a symbolic link";
	case ENOTDIR:
		return "it is not a directory";
	case ENOSPC:
		return "no space left";
	case EROFS:
		return "read-only file system";
	case EISDIR:
		return "a directory is in the way";
	default:
		return "system error";
	}
}

/* One log line: statistics are off in this process (unwedge itself stays on). */
static void off(const char *what, const char *where, const char *detail)
{
	char line[320];
	struct uw_buf b;
	uw_buf_init(&b, line, sizeof line - 1);
	uw_buf_str(&b, "unwedge: pid=");
	uw_buf_u64(&b, (uint64_t)uw_sys_getpid());
	uw_buf_str(&b, ": live statistics are off in this process: ");
	uw_buf_str(&b, what);
	uw_buf_str(&b, where);
	uw_buf_str(&b, ": ");
	uw_buf_str(&b, detail);
	line[b.len++] = '\n';
	uw_log_line(line, b.len);
}

static void sys_close(int fd)
{
	syscall(SYS_close, fd);
}

/* Field 22 of /proc/self/stat: when the process started, in clock ticks after
 * boot. With the pid it names one process for good; 0 if /proc is missing. */
static uint64_t start_ticks(void)
{
	char buf[1024];
	int fd = uw_sys_open("/proc/self/stat", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	ssize_t n = uw_sys_read(fd, buf, sizeof buf - 1);
	sys_close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *p = strrchr(buf, ')'); /* the command name may hold spaces and ')' */
	if (!p)
		return 0;
	for (int field = 2; *p && field < 22; p++)
		field += *p == ' ';
	uint64_t v = 0;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (uint64_t)(*p++ - '0');
	return v;
}

/* The inode of our pid namespace: pids name processes only within it, and
 * /dev/shm may be shared with other namespaces (a container run with the
 * host's IPC namespace). */
static uint64_t pidns(void)
{
	struct stat st;
	return uw_sys_stat("/proc/self/ns/pid", &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* Opens the per-user directory: only one of our own that nobody else can
 * write to (anyone can create names in /dev/shm, so it may have been planted).
 * Returns its fd, or -1 after one log line. */
static int own_directory(const char *dir, uid_t uid)
{
	if (uw_sys_mkdir(dir, 0700) != 0 && errno != EEXIST)
		return off("cannot create ", dir, why(errno)), -1;
	int dfd = uw_sys_open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (dfd < 0)
		return off("cannot use ", dir, why(errno)), -1;
	struct stat st;
	if (uw_sys_fstat(dfd, &st) != 0 || st.st_uid != uid || (st.st_mode & 022)) {
		sys_close(dfd);
		return off("refusing ", dir,
			   "it is owned by another user or writable by others (it must be owned by the "
			   "process's effective user, mode 0700)"),
		       -1;
	}
	return dfd;
}

/* Creates the file name in dfd with its page allocated (a full /dev/shm fails
 * here, not with SIGBUS at the first count) and maps it. MAP_FAILED with
 * errno on failure, the file then removed. */
static void *map_new_file(int dfd, const char *name, void *at)
{
	static char zero[UW_STATS_FILE_SIZE];
	int fd = uw_sys_openat(dfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		/* Left by an earlier process with this pid that did not exit normally,
		 * or by this very process before it called exec. In a directory only
		 * we can write to, it is ours to replace (a symbolic link is removed,
		 * never followed). */
		uw_sys_unlinkat(dfd, name, 0);
		fd = uw_sys_openat(dfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return MAP_FAILED;
	uw_sys_fchmod(fd, 0600); /* whatever the umask */
	void *m = MAP_FAILED;
	if (uw_sys_pwrite(fd, zero, sizeof zero, 0) == (ssize_t)sizeof zero)
		m = uw_sys_mmap(at, UW_STATS_FILE_SIZE, PROT_READ | PROT_WRITE,
				MAP_SHARED | (at ? MAP_FIXED : 0), fd, 0);
	int err = errno;
	sys_close(fd);
	if (m == MAP_FAILED)
		uw_sys_unlinkat(dfd, name, 0);
	errno = err;
	return m;
}

static void fill_header(struct uw_stats_file *s, pid_t pid, uid_t uid)
{
	s->version = UW_STATS_VERSION;
	s->size = sizeof *s;
	s->pid = pid;
	s->uid = uid;
	s->start_ticks = start_ticks();
	s->pidns = pidns();
	const char *comm = *UW_LIBC(program_invocation_short_name);
	comm = comm ? comm : "";
	size_t n = strlen(comm);
	memcpy(s->comm, comm, n < sizeof s->comm ? n : sizeof s->comm - 1);
	__atomic_store_n(&s->magic, UW_STATS_MAGIC, __ATOMIC_RELEASE);
}

/* Creates this process's file and maps it: anywhere, or at `at` in place of
 * what is mapped there (the parent's file, in a child after fork). Returns
 * the mapping, or NULL after one log line. */
static struct uw_stats_file *create(void *at)
{
	const uid_t uid = uw_sys_geteuid();
	const pid_t pid = uw_sys_getpid();
	char full[64]; /* the directory, then / and the pid */
	struct uw_buf b;
	uw_buf_init(&b, full, sizeof full - 1);
	uw_buf_str(&b, UW_STATS_DIR_PREFIX);
	uw_buf_u64(&b, uid);
	const size_t dir_len = b.len;
	uw_buf_str(&b, "/");
	uw_buf_u64(&b, (uint64_t)pid);
	full[b.len] = 0;

	full[dir_len] = 0;
	int dfd = own_directory(full, uid);
	full[dir_len] = '/';
	if (dfd < 0)
		return NULL;
	void *m = map_new_file(dfd, full + dir_len + 1, at);
	int err = errno;
	sys_close(dfd);
	if (m == MAP_FAILED)
		return off("cannot create ", full, why(err)), NULL;
	fill_header(m, pid, uid);
	memcpy(path, full, sizeof path);
	owner = pid;
	return m;
}

/* In the child after fork(): its own file, at the address of the parent's, so
 * a count already under way lands in the child's file and never in the
 * parent's. If that fails, counting goes to anonymous memory, then stops. */
static void in_child(void)
{
	struct uw_stats_file *s = __atomic_load_n(&uw_stats, __ATOMIC_RELAXED);
	if (!s || create(s))
		return;
	uw_sys_mmap(s, UW_STATS_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		    -1, 0);
	owner = 0;
	__atomic_store_n(&uw_stats, NULL, __ATOMIC_RELAXED);
}

void uw_stats_start(void)
{
	struct uw_stats_file *s = create(NULL);
	if (!s)
		return;
	pthread_atfork(NULL, NULL, in_child);
	__atomic_store_n(&uw_stats, s, __ATOMIC_RELEASE);
}

/* At exit(), the process removes its own file. One that dies by a signal or
 * _exit leaves it: `unwedge stat` tells, and removes it. */
__attribute__((destructor)) static void stats_exit(void)
{
	if (__atomic_load_n(&uw_stats, __ATOMIC_RELAXED) && owner == uw_sys_getpid())
		uw_sys_unlink(path);
}

static void count_peer(struct uw_stats_file *s, const char *addr, uint32_t len)
{
	for (int i = 0; i < UW_STATS_PEERS; i++) {
		struct uw_stats_peer *p = &s->peer[i];
		uint32_t state = __atomic_load_n(&p->state, __ATOMIC_ACQUIRE);
		if (state == 0 && __atomic_compare_exchange_n(&p->state, &state, 1, false, __ATOMIC_ACQUIRE,
							      __ATOMIC_ACQUIRE)) {
			memcpy(p->addr, addr, len);
			p->len = len;
			__atomic_fetch_add(&p->count, 1, __ATOMIC_RELAXED);
			__atomic_store_n(&p->state, 2, __ATOMIC_RELEASE);
			return;
		}
		/* state now holds what is there: another thread may be filling it (1). */
		if (state == 2 && p->len == len && memcmp(p->addr, addr, len) == 0) {
			__atomic_fetch_add(&p->count, 1, __ATOMIC_RELAXED);
			return;
		}
	}
	uw_stats_add(s, UW_STAT_PEERS_OTHER, 1);
}

void uw_stats_event(const struct uw_event *ev)
{
	struct uw_stats_file *s = __atomic_load_n(&uw_stats, __ATOMIC_RELAXED);
	enum uw_stat i;
	if (!s)
		return;
	switch (ev->kind) {
	case UW_EV_TIMEOUT:
		i = UW_STAT_TIMEOUTS;
		break;
	case UW_EV_KERNEL_TIMEOUT:
		i = UW_STAT_KERNEL_TIMEOUTS;
		break;
	case UW_EV_CROSSED:
		i = UW_STAT_CROSSED;
		break;
	case UW_EV_SLOW:
		uw_stats_add(s, UW_STAT_SLOW, 1);
		return;
	default:
		return;
	}
	int saved = errno;
	uw_stats_add(s, i, 1);
	char addr[UW_STATS_PEER_LEN];
	struct uw_buf b;
	uw_buf_init(&b, addr, sizeof addr);
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (syscall(SYS_getpeername, ev->fd, (struct sockaddr *)&ss, &len) == 0)
		uw_buf_sockaddr(&b, (struct sockaddr *)&ss, len);
	else
		uw_buf_str(&b, "unknown");
	count_peer(s, addr, (uint32_t)b.len);
	errno = saved;
}
