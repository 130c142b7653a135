/* A program for the live-statistics tests, driven line by line on stdin; one
 * line of reply on stdout per command, so a test can look at its statistics
 * between steps.
 *
 *   conn ADDR          connect a new socket (the previous one stays open)
 *   write N SIZE       N write() calls of SIZE bytes on it   -> ok BYTES
 *   wedge              1 MiB write() calls until one fails   -> fail ERRNO MS
 *   fork CMD;CMD...    a child made by fork() runs the commands (no exec)
 *   exec CMD;CMD...    a child made by fork() + exec of this program (argv[0]
 *                      wstats-exec) runs them               -> child PID REPLY|REPLY...
 *                      (the child then waits until `reap`)
 *   reap               end the child (EOF on its input), wait -> reaped STATUS
 *   reexec             exec this program again in this process (argv[0]
 *                      wstats-reexec); no reply: the new image reads on
 *   die                SIGKILL itself (no exit handlers run)
 *   EOF or exit        exit(0)
 */
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio_ext.h>
#include <sys/wait.h>

#include "common.h"

static int sock = -1;
static unsigned long long offset; /* stream offset on sock, for the pattern */
static pid_t child = -1;
static FILE *child_in, *child_out;

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static ssize_t write_chunk(size_t size)
{
	static char buf[1 << 20];
	for (size_t i = 0; i < size; i++)
		buf[i] = (char)pattern_byte(offset + i);
	ssize_t r = write(sock, buf, size);
	if (r > 0)
		offset += (unsigned long long)r;
	return r;
}

static void spawn_child(bool exec_it, char *cmds)
{
	int in[2], out[2];
	if (pipe(in) || pipe(out))
		die("pipe");
	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		if (exec_it) {
			execl("/proc/self/exe", "wstats-exec", (char *)NULL);
			die("exec");
		}
		/* Carry on as the child: the loop in main reads the new stdin. */
		__fpurge(stdin);
		clearerr(stdin);
		sock = -1;
		offset = 0;
		child = -1;
		return;
	}
	close(in[0]), close(out[1]);
	child_in = fdopen(in[1], "w");
	child_out = fdopen(out[0], "r");
	int n = 0;
	for (char *save = NULL, *c = strtok_r(cmds, ";", &save); c; c = strtok_r(NULL, ";", &save), n++)
		fprintf(child_in, "%s\n", c);
	fflush(child_in);
	char all[4096] = "", line[512];
	for (int i = 0; i < n && fgets(line, sizeof line, child_out); i++) {
		line[strcspn(line, "\n")] = 0;
		snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", i ? "|" : "", line);
	}
	reply("child %d %s", (int)child, all);
}

int main(void)
{
	char line[1024];
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdin, NULL, _IONBF, 0); /* nothing read ahead: reexec loses no command */
	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\n")] = 0;
		char *arg = strchr(line, ' ');
		if (arg)
			*arg++ = 0;
		if (!strcmp(line, "conn") && arg) {
			sock = connect_addr(arg);
			offset = 0;
			reply("ok");
		} else if (!strcmp(line, "write") && arg) {
			long n = 0, size = 0;
			sscanf(arg, "%ld %ld", &n, &size);
			unsigned long long bytes = 0;
			for (long i = 0; i < n; i++) {
				ssize_t r = write_chunk((size_t)size);
				if (r < 0) {
					reply("fail %s", errno_name(errno));
					goto next;
				}
				bytes += (unsigned long long)r;
			}
			reply("ok %llu", bytes);
		} else if (!strcmp(line, "wedge")) {
			for (;;) {
				double t = now_ms();
				if (write_chunk(1 << 20) < 0) {
					reply("fail %s %.0f", errno_name(errno), now_ms() - t);
					break;
				}
			}
		} else if ((!strcmp(line, "fork") || !strcmp(line, "exec")) && arg) {
			spawn_child(line[0] == 'e', arg);
		} else if (!strcmp(line, "reap") && child > 0) {
			fclose(child_in);
			int status = 0;
			waitpid(child, &status, 0);
			fclose(child_out);
			child = -1;
			reply("reaped %d", status);
		} else if (!strcmp(line, "reexec")) {
			fflush(stdout);
			execl("/proc/self/exe", "wstats-reexec", (char *)NULL);
			reply("fail %s", errno_name(errno));
		} else if (!strcmp(line, "die")) {
			fflush(stdout);
			kill(getpid(), SIGKILL);
		} else if (!strcmp(line, "exit")) {
			break;
		} else {
			reply("unknown %s", line);
		}
	next:;
	}
	return 0;
}
