#include "event.h"

#include <errno.h>
#include <linux/sockios.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backtrace.h"
#include "clock.h"
#include "fdtable.h"
#include "fmt.h"
#include "log.h"
#include "runtime.h"
#include "stats.h"
#include "tls_call.h"

const char *uw_event_name(enum uw_event_kind kind)
{
	switch (kind) {
	case UW_EV_TIMEOUT:
		return "timeout";
	case UW_EV_KERNEL_TIMEOUT:
		return "tcp-user-timeout";
	case UW_EV_CROSSED:
		return "deadline-crossed";
	case UW_EV_COMPLETED:
		return "completed";
	case UW_EV_SLOW:
		return "slow";
	}
	return "unknown";
}

static const char *headline(enum uw_event_kind kind)
{
	switch (kind) {
	case UW_EV_TIMEOUT:
	case UW_EV_KERNEL_TIMEOUT:
		return "write timed out";
	case UW_EV_CROSSED:
		return "write blocked past its deadline (observe mode: left alone)";
	case UW_EV_COMPLETED:
		return "write that blocked past its deadline returned (observe mode)";
	case UW_EV_SLOW:
		return "slow write";
	}
	return "event";
}

/* At most log_rate lines per window; the rest are counted, and the next line
 * that gets out says how many were dropped. Approximate under races (a few
 * lines more or less per window), never blocking. */
static _Atomic int64_t window_start_ms = INT64_MIN;
static atomic_uint window_count;
static atomic_ulong suppressed;

static bool allowed(void)
{
	if (uw_cfg.log_rate == 0)
		return true;
	int64_t now = uw_now_ns() / 1000000;
	int64_t start = atomic_load_explicit(&window_start_ms, memory_order_acquire);
	if (start == INT64_MIN || now - start >= (int64_t)uw_cfg.log_rate_ms) {
		if (atomic_compare_exchange_strong(&window_start_ms, &start, now))
			atomic_store(&window_count, 0);
	}
	if (atomic_fetch_add(&window_count, 1) < uw_cfg.log_rate)
		return true;
	atomic_fetch_add(&suppressed, 1);
	return false;
}

/* The line under construction, in either format. */
struct out {
	struct uw_buf b;
	bool json;
};

static void key(struct out *o, const char *k)
{
	if (o->json) {
		uw_buf_str(&o->b, ",\"");
		uw_buf_str(&o->b, k);
		uw_buf_str(&o->b, "\":");
	} else {
		uw_buf_str(&o->b, " ");
		uw_buf_str(&o->b, k);
		uw_buf_str(&o->b, "=");
	}
}

static void field_str(struct out *o, const char *k, const char *v)
{
	key(o, k);
	if (o->json)
		uw_buf_json_str(&o->b, v, 128);
	else
		uw_buf_str(&o->b, v);
}

static void field_u64(struct out *o, const char *k, uint64_t v)
{
	key(o, k);
	uw_buf_u64(&o->b, v);
}

/* Text shows durations as 1.500s, JSON as milliseconds under a _ms key. */
static void field_ms(struct out *o, const char *k, uint64_t ms)
{
	if (o->json) {
		char name[40];
		struct uw_buf nb;
		uw_buf_init(&nb, name, sizeof name - 1);
		uw_buf_str(&nb, k);
		uw_buf_str(&nb, "_ms");
		name[nb.len] = 0;
		field_u64(o, name, ms);
	} else {
		key(o, k);
		uw_buf_ms(&o->b, ms);
	}
}

static void field_addr(struct out *o, const char *k, int fd, long which)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char a[160];
	struct uw_buf ab;
	uw_buf_init(&ab, a, sizeof a - 1);
	if (syscall(which, fd, (struct sockaddr *)&ss, &len) == 0)
		uw_buf_sockaddr(&ab, (struct sockaddr *)&ss, len);
	else
		uw_buf_str(&ab, "unknown");
	a[ab.len] = 0;
	field_str(o, k, a);
}

static void result(struct out *o, const struct uw_event *ev)
{
	if (ev->result >= 0 && (ev->want == 0 || (size_t)ev->result >= ev->want)) {
		field_str(o, "result", "ok");
	} else if (ev->result >= 0) {
		field_str(o, "result", "partial");
	} else {
		const char *name = strerrorname_np(ev->result_errno);
		field_str(o, "result", "error");
		field_str(o, "errno", name ? name : "unknown");
	}
}

struct frame_ctx {
	struct out *o;
	size_t limit; /* the array stops short of this length, so the line stays whole */
	int n;
};

static bool json_frame(const struct uw_bt_frame *f, void *arg)
{
	struct frame_ctx *c = arg;
	struct uw_buf *b = &c->o->b;
	if (b->len + 600 > c->limit)
		return false;
	uw_buf_str(b, c->n ? ",{" : "{");
	if (f->signal) {
		uw_buf_str(b, "\"signal\":true}");
		c->n++;
		return true;
	}
	uw_buf_str(b, "\"module\":");
	uw_buf_json_str(b, f->module ? f->module : "?", 128);
	uw_buf_str(b, ",\"module_offset\":");
	uw_buf_u64(b, f->module_offset);
	if (f->symbol) {
		uw_buf_str(b, ",\"symbol\":");
		uw_buf_json_str(b, f->symbol, 256);
		uw_buf_str(b, ",\"symbol_offset\":");
		uw_buf_u64(b, f->symbol_offset);
	}
	uw_buf_str(b, "}");
	c->n++;
	return true;
}

/* The call stack: in text the backtrace module's own one-line form; in JSON an
 * array of frames, or "unavailable". */
static void backtrace_field(struct out *o)
{
	if (!o->json) {
		uw_backtrace_append(&o->b);
		return;
	}
	void *ips[UW_BT_FRAMES];
	int n = uw_backtrace_capture(ips, UW_BT_FRAMES);
	key(o, "backtrace");
	if (n <= 0) {
		uw_buf_str(&o->b, "\"unavailable\"");
		return;
	}
	uw_buf_str(&o->b, "[");
	struct frame_ctx f = {o, o->b.cap - 64, 0};
	uw_backtrace_each(ips, n, json_frame, &f);
	uw_buf_str(&o->b, "]");
}

/* The fields are capped so that a JSON line always fits SMALL_LINE; frames
 * stop short of the end of BIG_LINE. */
#define SMALL_LINE 2304
#define BIG_LINE   (SMALL_LINE + UW_BT_TEXT_MAX * 4)

/* The last resort if a JSON line was cut after all: a shorter one that parses. */
static void json_truncated(struct out *o, const struct uw_event *ev)
{
	o->b.len = 0;
	uw_buf_str(&o->b, "{\"time\":\"");
	uw_buf_utc_now(&o->b);
	uw_buf_str(&o->b, "\",\"event\":\"");
	uw_buf_str(&o->b, uw_event_name(ev->kind));
	uw_buf_str(&o->b, "\"");
	field_u64(o, "pid", (uint64_t)getpid());
	key(o, "fd");
	uw_buf_i64(&o->b, ev->fd);
	field_str(o, "call", ev->call);
	uw_buf_str(&o->b, ",\"truncated\":true");
}

void uw_event_log(const struct uw_event *ev)
{
	uw_stats_event(ev); /* counted whether or not the line gets out */
	if (uw_cfg.log_off || !allowed())
		return;
	int saved = errno;
	/* Small unless frames come: this may run on a signal handler's stack. */
	bool with_stack = ev->kind != UW_EV_COMPLETED && uw_backtrace_wanted(BIG_LINE);
	char line[with_stack ? BIG_LINE : SMALL_LINE];
	struct out o = {.json = uw_cfg.log_json};
	/* Room for the newline, and for JSON's closing brace. */
	uw_buf_init(&o.b, line, sizeof line - 2);
	if (o.json) {
		uw_buf_str(&o.b, "{\"time\":\"");
		uw_buf_utc_now(&o.b);
		uw_buf_str(&o.b, "\",\"event\":\"");
		uw_buf_str(&o.b, uw_event_name(ev->kind));
		uw_buf_str(&o.b, "\"");
		field_u64(&o, "pid", (uint64_t)getpid());
		key(&o, "program");
		uw_buf_json_str(&o.b, program_invocation_short_name, 48);
		key(&o, "fd");
		uw_buf_i64(&o.b, ev->fd);
	} else {
		if (uw_cfg.log_path[0] && !uw_cfg.log_syslog) {
			uw_buf_utc_now(&o.b);
			uw_buf_str(&o.b, " ");
		}
		uw_buf_str(&o.b, "unwedge: ");
		uw_buf_str(&o.b, headline(ev->kind));
		uw_buf_str(&o.b, ": pid=");
		uw_buf_u64(&o.b, (uint64_t)getpid());
		uw_buf_str(&o.b, " fd=");
		uw_buf_i64(&o.b, ev->fd);
	}
	field_str(&o, "call", ev->call);
	struct uw_tls_call *tls = uw_tls_call_for(ev->fd);
	if (tls && uw_tls_api.get_servername) {
		/* TLSEXT_NAMETYPE_host_name is 0 */
		const char *sni = uw_tls_api.get_servername(tls->ssl, 0);
		if (sni) {
			key(&o, "tls_server");
			if (o.json)
				uw_buf_json_str(&o.b, sni, 64);
			else
				uw_buf_printable(&o.b, sni, 255);
		}
	}
	field_addr(&o, "local", ev->fd, SYS_getsockname);
	field_addr(&o, "peer", ev->fd, SYS_getpeername);
	unsigned rule = (unsigned)((ev->e & UW_E_RULE_MASK) >> UW_E_RULE_SHIFT);
	if (rule >= 2)
		field_u64(&o, "rule", rule - 1); /* counted from 1, as written */
	if (ev->want > 0) {
		field_u64(&o, "moved", ev->moved);
		field_u64(&o, "pending", ev->want - ev->moved);
	}
	int queued = 0;
	if (syscall(SYS_ioctl, ev->fd, SIOCOUTQ, &queued) == 0)
		field_u64(&o, "queued", (uint64_t)queued);
	if (ev->kind == UW_EV_KERNEL_TIMEOUT) {
		field_ms(&o, "tcp_user_timeout", ev->deadline_ms);
	} else {
		field_ms(&o, ev->kind == UW_EV_COMPLETED || ev->kind == UW_EV_SLOW ? "blocked" : "waited",
			 (uint64_t)ev->waited_ms);
		if (ev->deadline_ms == 0) {
			field_str(&o, "deadline", "none");
		} else if (o.json) {
			field_str(&o, "deadline", uw_cfg.deadline_total ? "total" : "idle");
			field_u64(&o, "deadline_ms", ev->deadline_ms);
		} else {
			key(&o, "deadline");
			uw_buf_str(&o.b, uw_cfg.deadline_total ? "total:" : "idle:");
			uw_buf_ms(&o.b, ev->deadline_ms);
		}
		if (ev->kind == UW_EV_SLOW)
			field_ms(&o, "warn_after", uw_cfg.warn_after_ms);
	}
	if (ev->kind == UW_EV_COMPLETED || ev->kind == UW_EV_SLOW)
		result(&o, ev);
	if (ev->action)
		field_str(&o, "action", ev->action);
	if (with_stack)
		backtrace_field(&o);
	else if (ev->kind != UW_EV_COMPLETED && uw_backtrace_loaded())
		field_str(&o, "backtrace", "unavailable"); /* no room on this stack */
	unsigned long dropped = atomic_exchange(&suppressed, 0);
	if (dropped)
		field_u64(&o, "suppressed", dropped);
	if (o.json && o.b.len >= o.b.cap) {
		json_truncated(&o, ev);
		if (dropped)
			field_u64(&o, "suppressed", dropped);
	}
	if (o.json)
		line[o.b.len++] = '}';
	line[o.b.len++] = '\n';
	uw_log_line(line, o.b.len);
	errno = saved;
}

/* A storm that ended leaves its count unsaid until the next event: say it at
 * exit, when the process can afford to. */
__attribute__((destructor)) static void say_suppressed(void)
{
	unsigned long dropped = atomic_exchange(&suppressed, 0);
	if (!dropped || uw_cfg.log_off)
		return;
	char line[200];
	struct uw_buf b;
	uw_buf_init(&b, line, sizeof line - 1);
	if (uw_cfg.log_json) {
		uw_buf_str(&b, "{\"time\":\"");
		uw_buf_utc_now(&b);
		uw_buf_str(&b, "\",\"event\":\"suppressed\",\"pid\":");
		uw_buf_u64(&b, (uint64_t)getpid());
		uw_buf_str(&b, ",\"suppressed\":");
		uw_buf_u64(&b, dropped);
		uw_buf_str(&b, "}");
	} else {
		uw_buf_str(&b, "unwedge: log lines suppressed by UNWEDGE_LOG_RATE: pid=");
		uw_buf_u64(&b, (uint64_t)getpid());
		uw_buf_str(&b, " suppressed=");
		uw_buf_u64(&b, dropped);
	}
	line[b.len++] = '\n';
	uw_log_line(line, b.len);
}
