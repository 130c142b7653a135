/* A process that sandboxes itself with a seccomp filter, as OpenSSH's
 * pre-authentication child does: from then on sendto() (and poll) kill it.
 * It then writes to a socket with write(), which its filter allows.
 *
 *   wseccomp   prints {"write": N} and exits 0, or dies of SIGSYS */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "common.h"

int main(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		die("socketpair");
	if (write(sv[0], "x", 1) != 1) /* classified before the sandbox */
		die("write");
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_sendto, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_poll, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	struct sock_fprog p = {sizeof f / sizeof f[0], f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p) != 0)
		die("seccomp");
	ssize_t n = write(sv[0], "hello", 5);
	char line[64];
	int k = snprintf(line, sizeof line, "{\"write\": %zd}\n", n);
	if (write(1, line, (size_t)k) != k)
		return 1;
	return 0;
}
