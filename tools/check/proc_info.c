#include "proc_info.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tls_libs.h"

#define PRELOAD_NAME "libunwedge.so"

/* The whole of a small /proc file; NULL when unreadable. */
static char *slurp(int pid, const char *what, size_t *len)
{
	char name[64];
	snprintf(name, sizeof name, "/proc/%d/%s", pid, what);
	int fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0) {
			free(buf);
			buf = NULL;
			break;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n == cap) {
			char *more = cap < (64u << 20) ? realloc(buf, cap * 2 + 1) : NULL;
			if (!more) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = more;
			cap *= 2;
		}
	}
	close(fd);
	if (buf) {
		buf[n] = 0;
		*len = n;
	}
	return buf;
}

static void read_maps(struct uw_proc *p)
{
	size_t len;
	char *maps = slurp(p->pid, "maps", &len);
	if (!maps)
		return;
	p->maps_read = true;
	for (char *save = NULL, *line = strtok_r(maps, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *path = strchr(line, '/');
		if (!path)
			continue;
		const char *base = strrchr(path, '/') + 1;
		if (strcmp(base, PRELOAD_NAME) == 0) {
			snprintf(p->preload, sizeof p->preload, "%s", path);
			continue;
		}
		if (!uw_tls_lib_of(base) || p->n_tls >= UW_PROC_MAX_TLS)
			continue;
		bool seen = false;
		for (int i = 0; i < p->n_tls; i++)
			seen |= strcmp(p->tls[i], path) == 0;
		if (!seen)
			snprintf(p->tls[p->n_tls++], sizeof p->tls[0], "%s", path);
	}
	free(maps);
}

static void read_auxv(struct uw_proc *p)
{
	size_t len;
	char *auxv = slurp(p->pid, "auxv", &len);
	p->at_secure = -1;
	if (!auxv)
		return;
	for (size_t off = 0; off + sizeof(Elf64_auxv_t) <= len; off += sizeof(Elf64_auxv_t)) {
		Elf64_auxv_t a;
		memcpy(&a, auxv + off, sizeof a);
		if (a.a_type == AT_SECURE)
			p->at_secure = a.a_un.a_val != 0;
	}
	free(auxv);
}

static void read_cgroup(struct uw_proc *p)
{
	size_t len;
	char *cg = slurp(p->pid, "cgroup", &len);
	if (!cg)
		return;
	for (char *save = NULL, *line = strtok_r(cg, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "0::", 3) == 0)
			snprintf(p->cgroup, sizeof p->cgroup, "%s", line + 3);
	free(cg);
}

/* The values of a "Name:\t1\t2..." line of /proc/PID/status, at most max. */
static int status_values(const char *status, const char *name, unsigned long long *v, int max, int base)
{
	const char *line = status ? strstr(status, name) : NULL;
	int n = 0;
	if (!line)
		return 0;
	char *end = (char *)line + strlen(name);
	for (; n < max; n++) {
		const char *at = end;
		v[n] = strtoull(at, &end, base);
		if (end == at)
			break;
	}
	return n;
}

static bool same_ids(const unsigned long long *ids, int n, unsigned ours)
{
	for (int i = 0; i < n && i < 3; i++) /* real, effective, saved */
		if (ids[i] != ours)
			return false;
	return n >= 3;
}

/* Why this user may not read process pid's /proc files. They need ptrace read
 * access (PTRACE_MODE_READ_FSCREDS): the same real, effective and saved user and
 * group ids as ours, a dumpable process (its /proc files are then owned by its
 * user, else by root), and no capability we lack, unless we have CAP_SYS_PTRACE. */
static void explain_denied(int pid, int e, char *err, size_t errlen)
{
	size_t len;
	unsigned long long uid[4] = {0}, gid[4] = {0}, cap = 0, ourcap = 0;
	char *st = slurp(pid, "status", &len), *self = slurp(getpid(), "status", &len), maps[64];
	int nu = status_values(st, "\nUid:", uid, 4, 10), ng = status_values(st, "\nGid:", gid, 4, 10);
	status_values(st, "\nCapPrm:", &cap, 1, 16);
	status_values(self, "\nCapPrm:", &ourcap, 1, 16);
	free(st);
	free(self);
	struct stat owner;
	snprintf(maps, sizeof maps, "/proc/%d/maps", pid);
	const char *how = "; run the check as root (CAP_SYS_PTRACE)";
	if (!same_ids(uid, nu, geteuid()) || !same_ids(gid, ng, getegid()))
		snprintf(err, errlen,
			 "process %d cannot be inspected by this user: it runs as uid %llu gid %llu, this "
			 "user is uid %u gid %u (reading its /proc files needs the same user and group ids, "
			 "or CAP_SYS_PTRACE); run the check as its user, or as root",
			 pid, uid[1], gid[1], (unsigned)geteuid(), (unsigned)getegid());
	else if (stat(maps, &owner) == 0 && owner.st_uid != uid[1])
		snprintf(err, errlen,
			 "process %d runs as this user (uid %llu), but it is not dumpable (it started "
			 "set-user-ID, set-group-ID or with file capabilities, or called "
			 "prctl(PR_SET_DUMPABLE, 0)): reading its /proc files needs ptrace rights over it, "
			 "which the user id alone does not give%s",
			 pid, uid[1], how);
	else if (cap & ~ourcap)
		snprintf(err, errlen,
			 "process %d runs as this user (uid %llu), but it holds capabilities this user lacks "
			 "(CapPrm %llx): reading its /proc files needs ptrace rights over it, which the user "
			 "id alone does not give%s",
			 pid, uid[1], cap & ~ourcap, how);
	else
		snprintf(err, errlen,
			 "process %d runs as this user (uid %llu), but ptrace access to it is refused (%s; a "
			 "security module such as AppArmor or SELinux)%s",
			 pid, uid[1], strerror(e), how);
}

int uw_proc_read(struct uw_proc *p, const char *pid, char *err, size_t errlen)
{
	struct stat st;
	char dir[64];
	memset(p, 0, sizeof *p);
	p->at_secure = -1;
	if (strlen(pid) > 9) {
		snprintf(err, errlen, "no process %s", pid);
		return -1;
	}
	p->pid = atoi(pid);
	snprintf(dir, sizeof dir, "/proc/%d", p->pid);
	if (p->pid <= 0 || stat(dir, &st) != 0) {
		snprintf(err, errlen, "no process %s", pid);
		return -1;
	}
	snprintf(p->exe_link, sizeof p->exe_link, "/proc/%d/exe", p->pid);
	ssize_t n = readlink(p->exe_link, p->exe, sizeof p->exe - 1);
	if (n >= 0) {
		p->exe[n] = 0;
		read_maps(p);
	}
	if (n < 0 || !p->maps_read) {
		int e = errno;
		if (e == EACCES || e == EPERM)
			explain_denied(p->pid, e, err, errlen);
		else
			snprintf(err, errlen,
				 "process %s has no program file (a kernel thread, or it has exited)", pid);
		return -1;
	}
	p->environ = slurp(p->pid, "environ", &p->environ_len);
	read_auxv(p);
	read_cgroup(p);
	return 0;
}

void uw_proc_free(struct uw_proc *p)
{
	free(p->environ);
	p->environ = NULL;
}

const char *uw_proc_getenv(const struct uw_proc *p, const char *name)
{
	size_t n = strlen(name);
	for (size_t off = 0; p->environ && off < p->environ_len; off += strlen(p->environ + off) + 1)
		if (strncmp(p->environ + off, name, n) == 0 && p->environ[off + n] == '=')
			return p->environ + off + n + 1;
	return NULL;
}
