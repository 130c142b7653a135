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

struct series {
	const char *program;
	char peer[INET6_ADDRSTRLEN];
};

static int by_series(const void *a, const void *b)
{
	const struct series *x = a, *y = b;
	int c = strcmp(x->program, y->program);
	return c ? c : strcmp(x->peer, y->peer);
}

/* One line per (program, peer), from the live connections sorted by both:
 * O(n log n), so that an incident of 10,000 stuck connections stays cheap. */
static int stuck_series(FILE *f, const struct watch *w)
{
	struct series *v = calloc(w->n ? w->n : 1, sizeof *v);
	size_t n = 0;
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < w->cap && n < w->n; i++) {
		const struct watch_conn *c = &w->t[i];
		if (!c->cookie || c->gen != w->gen || c->killed)
			continue;
		v[n].program = c->owner.program;
		peer_ip(&c->d.peer, v[n].peer, sizeof v[n].peer);
		n++;
	}
	qsort(v, n, sizeof *v, by_series);
	for (size_t i = 0, run = 1; i < n; i++, run++) {
		if (i + 1 < n && by_series(&v[i], &v[i + 1]) == 0)
			continue;
		fprintf(f, "unwedge_watch_stuck_connections{program=\"");
		uw_prom_label(f, v[i].program);
		fprintf(f, "\",peer=\"%s\"} %zu\n", v[i].peer, run);
		run = 0;
	}
	free(v);
	return 0;
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
	int rc = stuck_series(f, w);
	fprintf(f,
		"# HELP unwedge_watch_kills_total Stuck connections ended with SOCK_DESTROY (--kill-after).\n"
		"# TYPE unwedge_watch_kills_total counter\nunwedge_watch_kills_total %llu\n"
		"# HELP unwedge_watch_kill_failures_total SOCK_DESTROY attempts the kernel refused.\n"
		"# TYPE unwedge_watch_kill_failures_total counter\nunwedge_watch_kill_failures_total %llu\n",
		w->kills, w->kill_failures);
	if (!rc && ferror(f))
		rc = -EIO;
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) != 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}
