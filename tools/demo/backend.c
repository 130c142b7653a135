/* A demo backend: accepts connections and reads requests as fast as they come.
 * `kill -STOP` it and it stops reading, with its connections still open: the
 * peer that is alive but not reading, as in the incident.
 *
 *   backend PORTFILE */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static void *serve(void *arg)
{
	int fd = (int)(long)arg;
	char buf[65536];
	while (read(fd, buf, sizeof buf) > 0)
		;
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: backend PORTFILE\n");
		return 2;
	}
	int l = socket(AF_INET, SOCK_STREAM, 0);
	int small = 32768; /* a small window, so that a stopped reader wedges its peers quickly */
	setsockopt(l, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	if (bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 64) != 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) != 0) {
		perror("backend");
		return 1;
	}
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		perror(tmp);
		return 1;
	}
	fprintf(f, "%d\n", ntohs(a.sin_port));
	fclose(f);
	rename(tmp, argv[1]);
	for (;;) {
		int c = accept(l, NULL, NULL);
		if (c < 0)
			continue;
		pthread_t t;
		if (pthread_create(&t, NULL, serve, (void *)(long)c) == 0)
			pthread_detach(t);
		else
			close(c);
	}
}
