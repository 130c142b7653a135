/* See watch_state.h. The table keeps only the connections that are stuck, so
 * its size follows the incident, not the host: a scan of 10,000 healthy
 * connections touches no table and reads no /proc. */
#include "watch_state.h"

#include <errno.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../src/duration.h"

static size_t slot_of(const struct watch *w, uint64_t cookie)
{
	size_t i = (size_t)(cookie * 0x9E3779B97F4A7C15ull) & (w->cap - 1);
	while (w->t[i].cookie && w->t[i].cookie != cookie)
		i = (i + 1) & (w->cap - 1);
	return i;
}

static int grow(struct watch *w)
{
	size_t cap = w->cap ? w->cap * 2 : 64;
	struct watch_conn *old = w->t, *t = calloc(cap, sizeof *t);
	if (!t)
		return -ENOMEM;
	size_t oldcap = w->cap;
	w->t = t, w->cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].cookie)
			w->t[slot_of(w, old[i].cookie)] = old[i];
	free(old);
	return 0;
}

static struct watch_conn *find(struct watch *w, uint64_t cookie)
{
	if (!w->cap)
		return NULL;
	struct watch_conn *c = &w->t[slot_of(w, cookie)];
	return c->cookie ? c : NULL;
}

static struct watch_conn *insert(struct watch *w, uint64_t cookie)
{
	if ((w->n + 1) * 2 > w->cap && grow(w) != 0)
		return NULL;
	struct watch_conn *c = &w->t[slot_of(w, cookie)];
	*c = (struct watch_conn){.cookie = cookie};
	w->n++;
	return c;
}

/* Removes every entry that keep() rejects (reinserting the rest keeps the
 * probe chains intact). */
static void compact(struct watch *w, bool (*keep)(const struct watch *, const struct watch_conn *))
{
	size_t cap = w->cap;
	struct watch_conn *old = w->t;
	if (!cap)
		return;
	w->t = calloc(cap, sizeof *w->t);
	if (!w->t) {
		w->t = old; /* no memory: keep everything, removal waits for the next sweep */
		return;
	}
	w->n = 0;
	for (size_t i = 0; i < cap; i++)
		if (old[i].cookie && keep(w, &old[i])) {
			w->t[slot_of(w, old[i].cookie)] = old[i];
			w->n++;
		}
	free(old);
}

struct scan {
	struct watch *w;
	int nl;
	int err;
};

/* The --stuck-after of a connection: the first --rules rule that matches it
 * decides (off: never watched, 0 here); otherwise the flag. */
static uint64_t stuck_after(const struct watch *w, const struct uw_diag_sock *s)
{
	if (!w->o.has_rules)
		return w->o.stuck_after_ms;
	socklen_t len = s->family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int i = uw_rules_match(&w->o.rules, (const struct sockaddr *)&s->peer, len,
			       (const struct sockaddr *)&s->local, len);
	if (i < 0)
		return w->o.stuck_after_ms;
	return w->o.rules.r[i].off ? 0 : w->o.rules.r[i].timeout_ms;
}

static void on_sock(const struct uw_diag_sock *s, void *arg)
{
	struct scan *sc = arg;
	struct watch *w = sc->w;
	uint64_t after = stuck_after(w, s);
	if (!s->cookie || !after || (w->scoped && !uw_inode_set_has(&w->scope, s->inode)))
		return;
	struct uw_stall st;
	uw_tcp_stall(s, &st);
	bool stuck = st.pending && st.stalled_ms >= after;
	struct watch_conn *c = s->cookie ? find(w, s->cookie) : NULL;
	if (!stuck) {
		if (c && c->reported && !c->killed)
			watch_event(w, "recovered", c, NULL);
		if (c)
			c->gen = 0; /* removed by the sweep, without a "gone" */
		return;
	}
	if (!c && !(c = insert(w, s->cookie))) {
		sc->err = -ENOMEM;
		return;
	}
	c->d = *s, c->st = st, c->gen = w->gen, c->nl = sc->nl;
}

static int by_inode(const void *a, const void *b)
{
	uint64_t x = (*(struct watch_conn *const *)a)->d.inode, y = (*(struct watch_conn *const *)b)->d.inode;
	return x < y ? -1 : x > y;
}

/* The owners of the connections stuck since this scan, in one pass over /proc. */
static void report_new(struct watch *w)
{
	size_t n = 0;
	struct watch_conn **v = calloc(w->n ? w->n : 1, sizeof *v);
	struct uw_owner *o = calloc(w->n ? w->n : 1, sizeof *o);
	for (size_t i = 0; v && o && i < w->cap; i++)
		if (w->t[i].cookie && w->t[i].gen == w->gen && !w->t[i].reported)
			v[n++] = &w->t[i];
	if (n) {
		qsort(v, n, sizeof *v, by_inode);
		for (size_t i = 0; i < n; i++)
			o[i].inode = v[i]->d.inode;
		uw_owners_resolve(o, n);
	}
	static bool warned;
	for (size_t i = 0; i < n; i++) {
		if (!o[i].npids && !warned && geteuid() != 0) {
			fprintf(stderr, "unwedge watch: note: the owner of a socket is unknown (pid=?) when "
					"it belongs to "
					"a process this user may not inspect (run as root)\n");
			warned = true;
		}
		v[i]->owner = o[i];
		v[i]->reported = true;
		watch_event(w, "stuck", v[i], NULL);
	}
	free(v);
	free(o);
}

static void kill_stuck(struct watch *w, struct watch_conn *c)
{
	int e = uw_diag_destroy(c->nl, &c->d);
	if (e == 0) {
		c->killed = true;
		w->kills++;
		watch_event(w, "killed", c, "sock-destroy");
		return;
	}
	char why[96];
	snprintf(why, sizeof why, "none(sock-destroy: %s)", strerror(-e));
	w->kill_failures++;
	c->kill_failed = true;
	watch_event(w, "kill-failed", c, why);
}

int watch_scan(struct watch *w, int nl)
{
	struct scan sc = {w, nl, 0};
	int rc = uw_diag_dump_tcp(nl, on_sock, &sc);
	if (rc == 0 && sc.err)
		rc = sc.err;
	report_new(w);
	for (size_t i = 0; w->o.kill_after_ms && i < w->cap; i++) {
		struct watch_conn *c = &w->t[i];
		if (c->cookie && c->gen == w->gen && !c->killed && !c->kill_failed &&
		    c->st.stalled_ms >= w->o.kill_after_ms)
			kill_stuck(w, c);
	}
	return rc;
}

static bool seen_now(const struct watch *w, const struct watch_conn *c)
{
	return c->gen == w->gen;
}

size_t watch_sweep(struct watch *w)
{
	size_t stuck = 0;
	for (size_t i = 0; i < w->cap; i++) {
		struct watch_conn *c = &w->t[i];
		if (!c->cookie)
			continue;
		if (c->gen == w->gen)
			stuck += !c->killed;
		else if (c->gen && c->reported && !c->killed)
			watch_event(w, "gone", c, NULL);
	}
	compact(w, seen_now);
	return stuck;
}

void watch_free(struct watch *w)
{
	free(w->t);
	uw_inode_set_free(&w->scope);
}
