/* A process's open sockets, read from /proc without touching the process:
 * the descriptors of every thread (/proc/PID/task/TID/fd), the socket inodes
 * they name, and whether the process ignores SIGPIPE. */
#ifndef UW_TOOLS_PROCFD_H
#define UW_TOOLS_PROCFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct uw_proc_sock {
	pid_t tid; /* the thread whose descriptor table holds fd (the pid for the shared table) */
	int fd;
	uint64_t inode;
};

struct uw_proc_socks {
	struct uw_proc_sock *v;
	size_t n, cap;
};

/* Fills out with every socket descriptor of pid, one entry per socket (a
 * socket reachable from several descriptors or threads is listed once, at
 * its lowest descriptor). Returns 0, or -errno (EACCES: no right to read the
 * process's descriptors; ESRCH: no such process). */
int uw_proc_sockets(pid_t pid, struct uw_proc_socks *out);
void uw_proc_socks_free(struct uw_proc_socks *s);

/* The socket inode fd names in /proc/PID/fd, or 0 if it is not a socket. */
uint64_t uw_proc_fd_inode(pid_t pid, int fd);

/* The process (thread group) that thread tid belongs to; -1 if unreadable. */
pid_t uw_proc_tgid(pid_t tid);

/* Whether pid ignores SIGPIPE (SigIgn in /proc/PID/status); -1 if unreadable. */
int uw_proc_ignores_sigpipe(pid_t pid);

/* The program name (/proc/PID/comm) into buf; "?" if unreadable. */
void uw_proc_comm(pid_t pid, char *buf, size_t len);

/* The cgroup v2 path (/proc/PID/cgroup, line "0::PATH") into buf; "?" if unreadable. */
void uw_proc_cgroup(pid_t pid, char *buf, size_t len);

/* Calls fn(pid, arg) for every process in /proc. */
void uw_proc_each(void (*fn)(pid_t pid, void *arg), void *arg);

#endif
