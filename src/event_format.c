/* The line of one event, text or JSON, from the event and its facts alone. */
#include <string.h>

#include "errno_name.h"
#include "event_facts.h"
#include "fmt.h"

/* The event names used in JSON ("timeout", "deadline-crossed", ...). */
static const char *event_name(enum uw_event_kind kind)
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

/* The line under construction, in either format. */
struct out {
	struct uw_buf b;
	bool json;
};

static void key(struct out *o, const char *k)
{
	uw_buf_str(&o->b, o->json ? ",\"" : " ");
	uw_buf_str(&o->b, k);
	uw_buf_str(&o->b, o->json ? "\":" : "=");
}

/* A value of ours, or one already made safe (an address): JSON-escaped, or in
 * text as it is. */
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

static void field_addr(struct out *o, const char *k, const struct sockaddr_storage *ss, socklen_t len)
{
	char a[160];
	struct uw_buf ab;
	uw_buf_init(&ab, a, sizeof a - 1);
	if (len > 0)
		uw_buf_sockaddr(&ab, (const struct sockaddr *)ss, len > sizeof *ss ? sizeof *ss : len);
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
		const char *name = uw_errno_name(ev->result_errno);
		field_str(o, "result", "error");
		field_str(o, "errno", name ? name : "unknown");
	}
}

static void hex(struct uw_buf *b, uintptr_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[2 + 16];
	int n = 0;
	do {
		tmp[sizeof tmp - 1 - n++] = digits[v & 15];
		v >>= 4;
	} while (v);
	tmp[sizeof tmp - 1 - n++] = 'x';
	tmp[sizeof tmp - 1 - n++] = '0';
	uw_buf_mem(b, tmp + sizeof tmp - n, (size_t)n);
}

struct frames {
	struct out *o;
	size_t limit; /* the frames stop short of this length, so the line stays whole */
	int count;
	bool cut;
};

/* Text: SYMBOL+0xOFF(MODULE), (MODULE+0xOFF) without a symbol, the address
 * alone without a module, [signal] for the trampoline; "<" reads "called from". */
static void text_frame_into(struct uw_buf *fb, const struct uw_bt_frame *f)
{
	if (f->signal) {
		uw_buf_str(fb, "[signal]");
	} else if (f->symbol) {
		uw_buf_printable(fb, f->symbol, 160);
		uw_buf_str(fb, "+");
		hex(fb, f->symbol_offset);
		uw_buf_str(fb, "(");
		uw_buf_printable(fb, f->module ? f->module : "?", 80);
		uw_buf_str(fb, ")");
	} else if (f->module) {
		uw_buf_str(fb, "(");
		uw_buf_printable(fb, f->module, 80);
		uw_buf_str(fb, "+");
		hex(fb, f->module_offset);
		uw_buf_str(fb, ")");
	} else {
		hex(fb, f->ip);
	}
}

static void json_frame_into(struct uw_buf *fb, const struct uw_bt_frame *f)
{
	if (f->signal) {
		uw_buf_str(fb, "{\"signal\":true}");
		return;
	}
	uw_buf_str(fb, "{\"module\":");
	uw_buf_json_str(fb, f->module ? f->module : "?", 128);
	uw_buf_str(fb, ",\"module_offset\":");
	uw_buf_u64(fb, f->module_offset);
	if (f->symbol) {
		uw_buf_str(fb, ",\"symbol\":");
		uw_buf_json_str(fb, f->symbol, 256);
		uw_buf_str(fb, ",\"symbol_offset\":");
		uw_buf_u64(fb, f->symbol_offset);
	}
	uw_buf_str(fb, "}");
}

/* One frame, whole or not at all. */
static bool frame(const struct uw_bt_frame *f, void *arg)
{
	struct frames *t = arg;
	char one[1024];
	struct uw_buf fb;
	uw_buf_init(&fb, one, sizeof one);
	if (t->count > 0)
		uw_buf_str(&fb, t->o->json ? "," : "<");
	if (t->o->json)
		json_frame_into(&fb, f);
	else
		text_frame_into(&fb, f);
	/* Room for this frame and for what closes the list ("<..." or "]"). */
	if (fb.len >= sizeof one || t->o->b.len + fb.len + 4 > t->limit) {
		t->cut = true;
		return false;
	}
	uw_buf_mem(&t->o->b, one, fb.len);
	t->count++;
	return true;
}

/* The call stack: in text F<F<F... (at most UW_BT_TEXT_MAX bytes, "<..." marks
 * a cut); in JSON an array of frames; "unavailable" when it could not be had. */
static void backtrace_field(struct out *o, const struct uw_event_facts *f)
{
	key(o, "backtrace");
	if (f->frames <= 0 || !f->resolve) {
		uw_buf_str(&o->b, o->json ? "\"unavailable\"" : "unavailable");
		return;
	}
	int n = f->frames > UW_BT_FRAMES ? UW_BT_FRAMES : f->frames;
	size_t limit = o->json ? o->b.cap - 64 : o->b.len + UW_BT_TEXT_MAX;
	struct frames t = {o, limit < o->b.cap ? limit : o->b.cap, 0, false};
	if (o->json)
		uw_buf_str(&o->b, "[");
	f->resolve(f->ips, n, frame, &t);
	if (o->json)
		uw_buf_str(&o->b, "]");
	else if (t.cut || f->frames > UW_BT_FRAMES)
		uw_buf_str(&o->b, t.count > 0 ? "<..." : "...");
}

/* {"time":...,"event":...,"pid":... : how every JSON line begins. */
static void json_open(struct out *o, const struct uw_event *ev, const struct uw_event_facts *f)
{
	uw_buf_str(&o->b, "{\"time\":\"");
	uw_buf_utc(&o->b, &f->time);
	uw_buf_str(&o->b, "\",\"event\":\"");
	uw_buf_str(&o->b, event_name(ev->kind));
	uw_buf_str(&o->b, "\"");
	field_u64(o, "pid", f->pid);
}

static void head(struct out *o, const struct uw_event *ev, const struct uw_event_facts *f)
{
	if (o->json) {
		json_open(o, ev, f);
		key(o, "program");
		uw_buf_json_str(&o->b, f->program ? f->program : "", 48);
		key(o, "fd");
	} else {
		if (f->timestamp) {
			uw_buf_utc(&o->b, &f->time);
			uw_buf_str(&o->b, " ");
		}
		uw_buf_str(&o->b, "unwedge: ");
		uw_buf_str(&o->b, headline(ev->kind));
		uw_buf_str(&o->b, ": pid=");
		uw_buf_u64(&o->b, f->pid);
		uw_buf_str(&o->b, " fd=");
	}
	uw_buf_i64(&o->b, ev->fd);
}

/* Where the bytes were going, and how many were left. */
static void socket_fields(struct out *o, const struct uw_event *ev, const struct uw_event_facts *f)
{
	field_str(o, "call", ev->call ? ev->call : "?");
	if (f->tls_server) {
		key(o, "tls_server");
		if (o->json)
			uw_buf_json_str(&o->b, f->tls_server, 64);
		else
			uw_buf_printable(&o->b, f->tls_server, 255);
	}
	field_addr(o, "local", &f->local, f->local_len);
	field_addr(o, "peer", &f->peer, f->peer_len);
	if (f->rule)
		field_u64(o, "rule", f->rule);
	if (ev->want > 0) {
		field_u64(o, "moved", ev->moved);
		field_u64(o, "pending", ev->want > ev->moved ? ev->want - ev->moved : 0);
	}
	if (f->have_queued)
		field_u64(o, "queued", f->queued);
}

/* How long it waited, against which deadline. */
static void time_fields(struct out *o, const struct uw_event *ev, const struct uw_event_facts *f)
{
	if (ev->kind == UW_EV_KERNEL_TIMEOUT) {
		field_ms(o, "tcp_user_timeout", ev->deadline_ms);
		return;
	}
	bool ended = ev->kind == UW_EV_COMPLETED || ev->kind == UW_EV_SLOW;
	field_ms(o, ended ? "blocked" : "waited", ev->waited_ms > 0 ? (uint64_t)ev->waited_ms : 0);
	if (ev->deadline_ms == 0) {
		field_str(o, "deadline", "none");
	} else if (o->json) {
		field_str(o, "deadline", f->total ? "total" : "idle");
		field_u64(o, "deadline_ms", ev->deadline_ms);
	} else {
		key(o, "deadline");
		uw_buf_str(&o->b, f->total ? "total:" : "idle:");
		uw_buf_ms(&o->b, ev->deadline_ms);
	}
	if (ev->kind == UW_EV_SLOW)
		field_ms(o, "warn_after", f->warn_after_ms);
}

/* The last resort if a JSON line was cut after all: a shorter one that parses. */
static void json_truncated(struct out *o, const struct uw_event *ev, const struct uw_event_facts *f)
{
	o->b.len = 0;
	json_open(o, ev, f);
	key(o, "fd");
	uw_buf_i64(&o->b, ev->fd);
	field_str(o, "call", ev->call ? ev->call : "?");
	uw_buf_str(&o->b, ",\"truncated\":true");
	if (f->suppressed)
		field_u64(o, "suppressed", f->suppressed);
}

size_t uw_event_format(const struct uw_event *ev, const struct uw_event_facts *f, char *line, size_t size)
{
	struct out o = {.json = f->json};
	/* Room for the newline, and for JSON's closing brace. */
	uw_buf_init(&o.b, line, size - 2);
	head(&o, ev, f);
	socket_fields(&o, ev, f);
	time_fields(&o, ev, f);
	if (ev->kind == UW_EV_COMPLETED || ev->kind == UW_EV_SLOW)
		result(&o, ev);
	if (ev->action)
		field_str(&o, "action", ev->action);
	if (f->frames >= 0)
		backtrace_field(&o, f);
	if (f->suppressed)
		field_u64(&o, "suppressed", f->suppressed);
	if (o.json && o.b.len >= o.b.cap)
		json_truncated(&o, ev, f);
	if (o.json)
		line[o.b.len++] = '}';
	line[o.b.len++] = '\n';
	return o.b.len;
}
