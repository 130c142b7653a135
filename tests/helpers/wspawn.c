/* Children started with posix_spawn and with vfork + exec while another thread
 * is blocked inside a wrapper and SIGALRM fires every millisecond: nothing
 * deadlocks, and each child (wclient, which inherits LD_PRELOAD and the
 * UNWEDGE_* settings) is protected on its own wedged socket.
 *
 *   wspawn WCLIENT ADDR_1 ADDR_2   children's JSON lines on stdout, then
 *                                  {"writer_errno": E} (the blocked thread's
 *                                  end: 0 while still blocked) and
 *                                  {"spawn_status": S, "vfork_status": S} */
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "common.h"

extern char **environ;

static volatile int writer_errno;

static void *blocked_writer(void *arg)
{
	int fd = (int)(long)arg;
	static char buf[65536];
	while (write(fd, buf, sizeof buf) > 0)
		;
	writer_errno = errno;
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) /* sv[1] never reads */
		die("socketpair");
	pthread_t t;
	pthread_create(&t, NULL, blocked_writer, (void *)(long)sv[0]);
	pthread_detach(t); /* without the preload it never returns */
	usleep(100000);

	struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 1000}, {0, 1000}};
	setitimer(ITIMER_REAL, &it, NULL);

	char *args1[] = {argv[1], argv[2], "write", "--total", "67108864", "--after-fail", "1", NULL};
	pid_t a;
	int spawn_status = -1, vfork_status = -1;
	if (posix_spawn(&a, argv[1], NULL, NULL, args1, environ) == 0) {
		while (waitpid(a, &spawn_status, 0) < 0 && errno == EINTR)
			;
	}
	char *args2[] = {argv[1], argv[3], "write", "--total", "67108864", "--after-fail", "1", NULL};
	pid_t b = vfork();
	if (b == 0) {
		execve(argv[1], args2, environ);
		_exit(127);
	}
	if (b > 0)
		while (waitpid(b, &vfork_status, 0) < 0 && errno == EINTR)
			;
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	printf("{\"writer_errno\": %d}\n", writer_errno);
	printf("{\"spawn_status\": %d, \"vfork_status\": %d}\n", spawn_status, vfork_status);
	fflush(stdout);
	_exit(0); /* the writer thread may still be blocked (without the preload) */
}
