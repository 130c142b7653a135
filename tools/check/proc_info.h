/* What /proc says about a running process: its program, whether libunwedge.so
 * and TLS libraries are mapped, its initial environment, AT_SECURE, its cgroup.
 * Each part may be unreadable (another user's process): the flags say so. */
#ifndef UW_PROC_INFO_H
#define UW_PROC_INFO_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define UW_PROC_MAX_TLS 8

struct uw_proc {
	int pid;
	char exe_link[64];  /* /proc/PID/exe: opens the program even if it was deleted */
	char exe[PATH_MAX]; /* where it was, as the kernel shows it */
	bool maps_read;
	char preload[PATH_MAX]; /* the libunwedge.so mapped, or empty */
	char tls[UW_PROC_MAX_TLS][PATH_MAX];
	int n_tls;
	char *environ; /* NUL-separated; NULL when unreadable */
	size_t environ_len;
	int at_secure;	       /* -1: auxv unreadable */
	char cgroup[PATH_MAX]; /* the cgroup v2 path ("/system.slice/x.service"), or empty */
};

/* Reads what it can of process pid (decimal digits). Returns 0; or -1 with a
 * one-line message in err when there is no such process or no program to look at. */
int uw_proc_read(struct uw_proc *p, const char *pid, char *err, size_t errlen);
void uw_proc_free(struct uw_proc *p);

/* The value of name in the process's initial environment, or NULL. */
const char *uw_proc_getenv(const struct uw_proc *p, const char *name);

#endif
