/* `unwedge watch --prom FILE`: a Prometheus textfile (node_exporter's textfile
 * collector) with the connections stuck now, by program and peer address, and
 * the kills so far. Written to FILE.tmp and renamed, so a reader never sees
 * half a file. The peer is its address without the port: a server's stuck
 * clients would otherwise make one series per connection. */
#include "watch_state.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"

static void peer_ip(const struct sockaddr_storage *a, char *buf, size_t len)
{
	const void *ip = a->ss_family == AF_INET ? (const void *)&((const struct sockaddr_in *)a)->sin_addr
						 : (const void *)&((const struct sockaddr_in6 *)a)->sin6_addr;
	if (!inet_ntop(a->ss_family, ip, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

static bool same_series(const struct watch_conn *a, const struct watch_conn *b)
{
	char x[INET6_ADDRSTRLEN], y[INET6_ADDRSTRLEN];
	peer_ip(&a->d.peer, x, sizeof x);
	peer_ip(&b->d.peer, y, sizeof y);
	return !strcmp(a->owner.program, b->owner.program) && !strcmp(x, y);
}

static bool live(const struct watch *w, const struct watch_conn *c)
{
	return c->cookie && c->gen == w->gen && !c->killed;
}

/* One line per (program, peer): counted at the first connection of each. */
static void stuck_series(FILE *f, const struct watch *w)
{
	for (size_t i = 0; i < w->cap; i++) {
		const struct watch_conn *c = &w->t[i];
		bool first = live(w, c);
		unsigned n = 0;
		for (size_t k = 0; first && k < w->cap; k++)
			if (live(w, &w->t[k]) && same_series(c, &w->t[k])) {
				first = k >= i;
				n++;
			}
		if (!first)
			continue;
		char ip[INET6_ADDRSTRLEN];
		peer_ip(&c->d.peer, ip, sizeof ip);
		fprintf(f, "unwedge_watch_stuck_connections{program=\"");
		uw_prom_label(f, c->owner.program);
		fprintf(f, "\",peer=\"%s\"} %u\n", ip, n);
	}
}

int watch_write_prom(const struct watch *w, const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "# HELP unwedge_watch_stuck_connections TCP connections with data waiting and nothing "
		   "acknowledged for --stuck-after, by program and peer address.\n"
		   "# TYPE unwedge_watch_stuck_connections gauge\n");
	stuck_series(f, w);
	fprintf(f,
		"# HELP unwedge_watch_kills_total Stuck connections ended with SOCK_DESTROY (--kill-after).\n"
		"# TYPE unwedge_watch_kills_total counter\nunwedge_watch_kills_total %llu\n"
		"# HELP unwedge_watch_kill_failures_total SOCK_DESTROY attempts the kernel refused.\n"
		"# TYPE unwedge_watch_kill_failures_total counter\nunwedge_watch_kill_failures_total %llu\n",
		w->kills, w->kill_failures);
	int rc = ferror(f) ? -EIO : 0;
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) != 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}
