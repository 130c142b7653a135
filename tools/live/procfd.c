/* See procfd.h. Everything here is read from /proc: reading another process's
 * descriptors needs the same ptrace-read right as pidfd_getfd needs to attach,
 * so a caller learns about a missing right before it acts on anything. */
#include "procfd.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kcmp.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint64_t link_inode(const char *path)
{
	char target[64];
	ssize_t n = readlink(path, target, sizeof target - 1);
	unsigned long long ino;
	if (n <= 0)
		return 0;
	target[n] = 0;
	return sscanf(target, "socket:[%llu]", &ino) == 1 ? ino : 0;
}

uint64_t uw_proc_fd_inode(pid_t pid, int fd)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, fd);
	return link_inode(path);
}

static int add_sock(struct uw_proc_socks *s, pid_t tid, int fd, uint64_t ino)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].inode != ino)
			continue;
		if (s->v[i].tid == tid && fd < s->v[i].fd)
			s->v[i].fd = fd;
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct uw_proc_sock *v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		s->v = v, s->cap = cap;
	}
	s->v[s->n++] = (struct uw_proc_sock){.tid = tid, .fd = fd, .inode = ino};
	return 0;
}

/* The sockets of one descriptor table. */
static int scan_fd_dir(pid_t pid, pid_t tid, struct uw_proc_socks *out)
{
	char dir[64];
	snprintf(dir, sizeof dir, "/proc/%d/task/%d/fd", (int)pid, (int)tid);
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	int rc = 0;
	for (struct dirent *e; rc == 0 && (e = readdir(d));) {
		char *end, path[96];
		long fd = strtol(e->d_name, &end, 10);
		if (*end || end == e->d_name)
			continue;
		snprintf(path, sizeof path, "%s/%ld", dir, fd);
		uint64_t ino = link_inode(path);
		if (ino)
			rc = add_sock(out, tid, (int)fd, ino);
	}
	closedir(d);
	return rc;
}

/* Whether thread tid shares pid's descriptor table (the usual case: threads
 * are made with CLONE_FILES), so that its fd directory need not be read again:
 * a JVM has hundreds of threads. Unknown (no kcmp) counts as not shared. */
static bool shares_files(pid_t pid, pid_t tid)
{
	return syscall(SYS_kcmp, pid, tid, KCMP_FILES, 0, 0) == 0;
}

int uw_proc_sockets(pid_t pid, struct uw_proc_socks *out)
{
	char dir[64];
	*out = (struct uw_proc_socks){0};
	snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? -ESRCH : -errno;
	/* The leader's table first, so that a shared socket is named by it. */
	int rc = scan_fd_dir(pid, pid, out);
	for (struct dirent *e; rc == 0 && (e = readdir(d));) {
		long tid = strtol(e->d_name, NULL, 10);
		if (tid > 0 && tid != pid && !shares_files(pid, (pid_t)tid) &&
		    scan_fd_dir(pid, (pid_t)tid, out) == -EACCES)
			rc = -EACCES;
	}
	closedir(d);
	if (rc == -ENOENT)
		rc = -ESRCH;
	if (rc)
		uw_proc_socks_free(out);
	return rc;
}

void uw_proc_socks_free(struct uw_proc_socks *s)
{
	free(s->v);
	*s = (struct uw_proc_socks){0};
}

/* The number "Key:\t..." in /proc/PID/status, in base (16 for masks). */
static int status_number(pid_t pid, const char *key, int base, unsigned long long *value)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int rc = -1;
	size_t kl = strlen(key);
	while (rc && fgets(line, sizeof line, f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			*value = strtoull(line + kl + 1, NULL, base);
			rc = 0;
		}
	fclose(f);
	return rc;
}

pid_t uw_proc_tgid(pid_t tid)
{
	unsigned long long tgid;
	return status_number(tid, "Tgid", 10, &tgid) == 0 ? (pid_t)tgid : -1;
}

int uw_proc_ignores_sigpipe(pid_t pid)
{
	unsigned long long mask;
	if (status_number(pid, "SigIgn", 16, &mask) != 0)
		return -1;
	return (int)((mask >> (SIGPIPE - 1)) & 1);
}

static void read_line(const char *path, const char *prefix, char *buf, size_t len)
{
	char line[PATH_MAX];
	FILE *f = fopen(path, "re");
	snprintf(buf, len, "?");
	if (!f)
		return;
	size_t pl = strlen(prefix);
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, prefix, pl) != 0)
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(buf, len, "%s", line + pl);
		break;
	}
	fclose(f);
}

void uw_proc_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	read_line(path, "", buf, len);
}

void uw_proc_cgroup(pid_t pid, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
	read_line(path, "0::", buf, len);
}

void uw_proc_each(void (*fn)(pid_t, void *), void *arg)
{
	DIR *d = opendir("/proc");
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (pid > 0 && !*end)
			fn((pid_t)pid, arg);
	}
	closedir(d);
}
