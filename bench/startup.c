/* Start-up cost: runs /bin/true again and again, rotating between variants of
 * the environment run by run (so that drift hits all of them alike), and prints
 * each run's time in microseconds.
 *
 *   startup ROUNDS NAME=LD_PRELOAD_VALUE...   (an empty value: no preload) */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: startup ROUNDS NAME=LD_PRELOAD_VALUE...\n");
		return 2;
	}
	int rounds = atoi(argv[1]), nv = argc - 2;
	char *args[] = {"/bin/true", NULL};
	char *envs[16][2];
	for (int v = 0; v < nv && v < 16; v++) {
		char *eq = strchr(argv[v + 2], '=');
		static char buf[16][4096];
		snprintf(buf[v], sizeof buf[v], "LD_PRELOAD=%s", eq ? eq + 1 : "");
		envs[v][0] = eq && eq[1] ? buf[v] : NULL;
		envs[v][1] = NULL;
		if (eq)
			*eq = 0;
	}
	printf("{\"runs\": [");
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < nv; k++) {
			int v = (r + k) % nv; /* rotate the order too */
			pid_t pid;
			double t0 = now_us();
			if (posix_spawn(&pid, args[0], NULL, NULL, args, envs[v]) != 0)
				return 1;
			int st;
			waitpid(pid, &st, 0);
			double t1 = now_us();
			printf("%s{\"round\": %d, \"variant\": \"%s\", \"us\": %.1f}", r || k ? ", " : "", r,
			       argv[v + 2], t1 - t0);
		}
	}
	printf("]}\n");
	return 0;
}
