/* The lines `unwedge watch` writes, with the preload's field names (pid,
 * program, local, peer, queued, waited, action, suppressed) so that one log
 * pipeline reads both; and its Prometheus textfile. */
#include "watch_state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../src/duration.h"
#include "escape.h"

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Whether a line may go out now; --once reports every connection. */
static bool rate_ok(struct watch *w)
{
	uint64_t now = mono_ms();
	if (w->o.once)
		return true;
	if (now - w->rate_window_ms >= 1000)
		w->rate_window_ms = now, w->rate_used = 0;
	if (w->rate_used >= WATCH_RATE) {
		w->suppressed++;
		return false;
	}
	w->rate_used++;
	return true;
}

static void rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static void json_event(FILE *f, const char *event, const struct watch_conn *c, const char *local,
		       const char *peer, const char *extra, unsigned suppressed)
{
	char when[40];
	rfc3339(when, sizeof when);
	fprintf(f, "{\"event\": \"%s\", \"time\": \"%s\", \"pid\": %d, \"pids\": [", event, when,
		c->owner.npids ? (int)c->owner.pids[0] : 0);
	for (int i = 0; i < c->owner.npids && i < UW_OWNERS_MAX; i++)
		fprintf(f, "%s%d", i ? ", " : "", (int)c->owner.pids[i]);
	fprintf(f, "], \"program\": ");
	uw_json_string(f, c->owner.program);
	fprintf(f, ", \"cgroup\": ");
	uw_json_string(f, c->owner.cgroup);
	fprintf(f,
		", \"local\": \"%s\", \"peer\": \"%s\", \"queued\": %llu, \"waited_ms\": %llu, \"cause\": "
		"\"%s\"",
		local, peer, (unsigned long long)c->st.pending, (unsigned long long)c->st.stalled_ms,
		uw_stall_cause_name(c->st.cause));
	if (extra)
		fprintf(f, ", \"action\": \"%s\"", extra);
	if (suppressed)
		fprintf(f, ", \"suppressed\": %u", suppressed);
	fprintf(f, "}\n");
}

static const char *headline(const char *event)
{
	if (!strcmp(event, "stuck"))
		return "connection stuck";
	if (!strcmp(event, "recovered"))
		return "stuck connection recovered";
	if (!strcmp(event, "killed"))
		return "stuck connection killed";
	if (!strcmp(event, "kill-failed"))
		return "stuck connection could not be killed";
	return "stuck connection gone";
}

static void text_event(FILE *f, const char *event, const struct watch_conn *c, const char *local,
		       const char *peer, const char *extra, unsigned suppressed)
{
	char waited[32] = "0s";
	if (c->st.stalled_ms)
		uw_duration_format(c->st.stalled_ms, waited, sizeof waited);
	fprintf(f, "unwedge: %s: pid=", headline(event));
	for (int i = 0; i < c->owner.npids && i < UW_OWNERS_MAX; i++)
		fprintf(f, "%s%d", i ? "," : "", (int)c->owner.pids[i]);
	fprintf(f, "%s program=", c->owner.npids ? "" : "?");
	uw_text_token(f, c->owner.program);
	fprintf(f, " cgroup=");
	uw_text_token(f, c->owner.cgroup);
	fprintf(f, " local=%s peer=%s queued=%llu waited=%s cause=%s", local, peer,
		(unsigned long long)c->st.pending, waited, uw_stall_cause_name(c->st.cause));
	if (extra)
		fprintf(f, " action=%s", extra);
	if (suppressed)
		fprintf(f, " suppressed=%u", suppressed);
	fprintf(f, "\n");
}

void watch_event(struct watch *w, const char *event, const struct watch_conn *c, const char *extra)
{
	if (!rate_ok(w))
		return;
	char local[80], peer[80];
	uw_addr_format(&c->d.local, local, sizeof local);
	uw_addr_format(&c->d.peer, peer, sizeof peer);
	unsigned suppressed = w->suppressed;
	w->suppressed = 0;
	(w->o.json ? json_event : text_event)(stdout, event, c, local, peer, extra, suppressed);
	fflush(stdout);
}

void watch_event_summary(struct watch *w)
{
	char when[40];
	if (!w->suppressed)
		return;
	rfc3339(when, sizeof when);
	if (w->o.json)
		printf("{\"event\": \"suppressed\", \"time\": \"%s\", \"suppressed\": %u}\n", when,
		       w->suppressed);
	else
		printf("unwedge: event lines dropped by the rate limit: suppressed=%u\n", w->suppressed);
	w->suppressed = 0;
	fflush(stdout);
}
