/* Runs a command as if the kernel lacked some system calls: a seccomp filter
 * makes each one fail with ENOSYS, the answer of a kernel that predates it.
 *
 *   wnosys NR[,NR...] COMMAND [ARGS...]     (NR: system call numbers) */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>

#include "common.h"

#define MAX_NR 8

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: wnosys NR[,NR...] COMMAND [ARGS...]\n");
		return 2;
	}
	struct sock_filter f[2 + 2 * MAX_NR + 1];
	unsigned n = 0, k = 0;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (char *save = NULL, *t = strtok_r(argv[1], ",", &save); t && k < MAX_NR;
	     t = strtok_r(NULL, ",", &save), k++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)atoi(t), 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog p = {(unsigned short)n, f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p) != 0)
		die("seccomp");
	execvp(argv[2], argv + 2);
	die("exec");
}
