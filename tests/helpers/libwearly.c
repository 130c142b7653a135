/* Preloaded next to libunwedge: when WEARLY=1, its constructor writes before
 * unwedge may have run its own. It writes a line to stderr, then 8 KiB of the
 * pattern on an AF_UNIX stream pair (write, then send) and on a loopback TCP
 * pair (write), and leaves the pairs at fds 200/201 (unix) and 202/203 (tcp) for
 * wboot to check and then wedge, once unwedge is in force. */
#include "common.h"

static void say(const char *s)
{
	ssize_t r = write(2, s, strlen(s));
	(void)r;
}

static int fill(int fd, int use_send)
{
	unsigned char buf[4096];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = pattern_byte(i);
	ssize_t a = write(fd, buf, sizeof buf);
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = pattern_byte(sizeof buf + i);
	ssize_t b = use_send ? send(fd, buf, sizeof buf, 0) : write(fd, buf, sizeof buf);
	return a == (ssize_t)sizeof buf && b == (ssize_t)sizeof buf ? 0 : -1;
}

__attribute__((constructor)) static void wearly(void)
{
	const char *on = getenv("WEARLY");
	if (!on || strcmp(on, "1") != 0)
		return;
	say("wearly: constructor writing\n");
	int u[2], t[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, u) != 0 || fill(u[0], 1) != 0) {
		say("wearly: unix pair failed\n");
		return;
	}
	tcp_pair(t);
	if (fill(t[0], 0) != 0) {
		say("wearly: tcp pair failed\n");
		return;
	}
	if (dup2(u[0], 200) != 200 || dup2(u[1], 201) != 201 || dup2(t[0], 202) != 202 ||
	    dup2(t[1], 203) != 203)
		say("wearly: dup2 failed\n");
	close(u[0]);
	close(u[1]);
	close(t[0]);
	close(t[1]);
	say("wearly: constructor done\n");
}
