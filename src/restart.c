#include "restart.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's struct sigaction for rt_sigaction on x86_64 and aarch64. */
struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

bool uw_restart_after_signal(void)
{
	int saved = errno;
	unsigned long blocked = 0;
	bool restart = true;

	if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &blocked, sizeof blocked) != 0)
		blocked = 0;
	for (int sig = 1; sig <= 64 && restart; sig++) {
		struct kernel_sigaction ka;
		/* 32 and 33 are glibc's own (cancellation, setxid), restarted by design.
		 * Fault signals (SIGSEGV...) are raised by the faulting thread's own
		 * instruction, not delivered to a sleeping poll(); runtimes such as the
		 * JVM or ASan install handlers for them without SA_RESTART. */
		if (sig == SIGKILL || sig == SIGSTOP || sig == 32 || sig == 33 || sig == SIGSEGV ||
		    sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP || sig == SIGSYS ||
		    (blocked & (1UL << (sig - 1))))
			continue;
		memset(&ka, 0, sizeof ka);
		if (syscall(SYS_rt_sigaction, sig, NULL, &ka, sizeof ka.mask) != 0)
			continue;
		if (ka.handler == (void *)SIG_DFL || ka.handler == (void *)SIG_IGN)
			continue;
		if (!(ka.flags & SA_RESTART))
			restart = false;
	}
	errno = saved;
	return restart;
}
