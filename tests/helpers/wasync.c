/* Wrappers re-entered from signal handlers and across fork.
 *
 *   wasync handler WEDGED_ADDR HEALTHY_ADDR
 *       A SIGALRM handler (every 20 ms) writes 32-byte records to the healthy
 *       socket while the main thread is blocked in a write to the wedged one.
 *   wasync fork WEDGED_ADDR
 *       A thread blocks in a write to the wedged socket while the main thread
 *       forks 50 children that each write to a pipe and exit; after the
 *       timeout, a child writes to the timed-out socket.
 * Prints one JSON line. */
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static int healthy;
static volatile sig_atomic_t ok_writes, failed_writes;
static unsigned long long offset;

static void on_alarm(int sig)
{
	(void)sig;
	int saved = errno;
	char rec[32];
	for (int i = 0; i < 32; i++)
		rec[i] = (char)pattern_byte(offset + (unsigned long long)i);
	if (write(healthy, rec, sizeof rec) == (ssize_t)sizeof rec) {
		offset += sizeof rec;
		ok_writes++;
	} else {
		failed_writes++;
	}
	errno = saved;
}

static double wedge(int fd, int *err)
{
	static char buf[65536];
	double start = now_ms();
	ssize_t r;
	do
		r = write(fd, buf, sizeof buf);
	while (r > 0);
	*err = errno;
	return now_ms() - start;
}

static int wedged_fd;
static double thread_ms;
static int thread_err;

static void *blocked_writer(void *arg)
{
	(void)arg;
	thread_ms = wedge(wedged_fd, &thread_err);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "handler")) {
		int wedged = connect_addr(argv[2]);
		healthy = connect_addr(argv[3]);
		struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, NULL);
		struct itimerval it = {{0, 20000}, {0, 20000}};
		setitimer(ITIMER_REAL, &it, NULL);
		int err;
		double ms = wedge(wedged, &err);
		setitimer(ITIMER_REAL, &(struct itimerval){{0, 0}, {0, 0}}, NULL);
		shutdown(healthy, SHUT_WR);
		printf("{\"wedged_errno\": %d, \"wedged_ms\": %.1f, \"handler_ok\": %d, \"handler_failed\": "
		       "%d, "
		       "\"handler_bytes\": %llu}\n",
		       err, ms, (int)ok_writes, (int)failed_writes, offset);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "fork")) {
		wedged_fd = connect_addr(argv[2]);
		pthread_t t;
		pthread_create(&t, NULL, blocked_writer, NULL);
		usleep(100000); /* the thread is inside the wrapper, waiting */
		int children_ok = 0;
		for (int i = 0; i < 50; i++) {
			int p[2];
			if (pipe(p) != 0)
				die("pipe");
			pid_t pid = fork();
			if (pid == 0) {
				_exit(write(p[1], "x", 1) == 1 ? 0 : 1);
			}
			int st;
			waitpid(pid, &st, 0);
			char c;
			children_ok += WIFEXITED(st) && WEXITSTATUS(st) == 0 && read(p[0], &c, 1) == 1;
			close(p[0]);
			close(p[1]);
		}
		pthread_join(t, NULL);
		/* The timed-out socket in a child: the mark is inherited with the table. */
		pid_t pid = fork();
		if (pid == 0) {
			errno = 0;
			double s = now_ms();
			ssize_t r = write(wedged_fd, "x", 1);
			_exit(r == -1 && errno == ETIMEDOUT && now_ms() - s < 50 ? 0 : 1);
		}
		int st;
		waitpid(pid, &st, 0);
		printf("{\"thread_errno\": %d, \"thread_ms\": %.1f, \"children_ok\": %d, \"child_refused\": "
		       "%s, "
		       "\"child_signal\": %d}\n",
		       thread_err, thread_ms, children_ok,
		       WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "true" : "false",
		       WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		return 0;
	}
	fprintf(stderr, "usage: wasync handler WEDGED HEALTHY | wasync fork WEDGED\n");
	return 2;
}
