#include "libc.h"
#include "sys.h"
#include "event.h"

#include "event_facts.h"

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
#include "peers.h"
#include "runtime.h"
#include "stats.h"
#include "tls_call.h"

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

static void gather_addr(int fd, long which, struct sockaddr_storage *ss, socklen_t *len)
{
	*len = sizeof *ss;
	if (syscall(which, fd, (struct sockaddr *)ss, len) != 0)
		*len = 0;
}

void uw_event_gather(const struct uw_event *ev, bool with_stack, struct uw_event_facts *f)
{
	f->pid = (uint64_t)uw_sys_getpid();
	f->program = *UW_LIBC(program_invocation_short_name);
	clock_gettime(CLOCK_REALTIME, &f->time);
	gather_addr(ev->fd, SYS_getsockname, &f->local, &f->local_len);
	gather_addr(ev->fd, SYS_getpeername, &f->peer, &f->peer_len);
	/* A connection the kernel ended no longer says where it went. */
	if (f->peer_len == 0)
		uw_peer_recall(uw_e_inode(ev->e), &f->local, &f->local_len, &f->peer, &f->peer_len);
	struct uw_tls_call *tls = uw_tls_call_for(ev->fd);
	/* TLSEXT_NAMETYPE_host_name is 0 */
	f->tls_server = tls && uw_tls_api.get_servername ? uw_tls_api.get_servername(tls->ssl, 0) : NULL;
	unsigned rule = (unsigned)((ev->e & UW_E_RULE_MASK) >> UW_E_RULE_SHIFT);
	f->rule = rule >= 2 ? rule - 1 : 0; /* counted from 1, as written */
	int queued = 0;
	f->have_queued = syscall(SYS_ioctl, ev->fd, SIOCOUTQ, &queued) == 0;
	f->queued = (uint64_t)queued;
	f->json = uw_cfg.log_json;
	f->timestamp = uw_cfg.log_path[0] && !uw_cfg.log_syslog;
	f->total = uw_cfg.deadline_total;
	f->warn_after_ms = uw_cfg.warn_after_ms;
	f->resolve = uw_backtrace_each;
	f->frames = -1;
	if (with_stack)
		f->frames = uw_backtrace_capture(f->ips, UW_BT_FRAMES + 1);
	else if (ev->kind != UW_EV_COMPLETED && uw_backtrace_loaded())
		f->frames = 0; /* no room on this stack */
}

/* The fields are capped so that a JSON line always fits SMALL_LINE; frames
 * stop short of the end of BIG_LINE. */
#define SMALL_LINE 2304
#define BIG_LINE   (SMALL_LINE + UW_BT_TEXT_MAX * 4)

void uw_event_log(const struct uw_event *ev)
{
	uw_stats_event(ev); /* counted whether or not the line gets out */
	if (uw_cfg.log_off || !allowed())
		return;
	int saved = errno;
	/* Small unless frames come: this may run on a signal handler's stack. */
	bool with_stack = ev->kind != UW_EV_COMPLETED && uw_backtrace_wanted(BIG_LINE);
	struct uw_event_facts f;
	uw_event_gather(ev, with_stack, &f);
	f.suppressed = atomic_exchange(&suppressed, 0);
	char line[with_stack ? BIG_LINE : SMALL_LINE];
	uw_log_line(line, uw_event_format(ev, &f, line, sizeof line));
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
		uw_buf_u64(&b, (uint64_t)uw_sys_getpid());
		uw_buf_str(&b, ",\"suppressed\":");
		uw_buf_u64(&b, dropped);
		uw_buf_str(&b, "}");
	} else {
		uw_buf_str(&b, "unwedge: log lines suppressed by UNWEDGE_LOG_RATE: pid=");
		uw_buf_u64(&b, (uint64_t)uw_sys_getpid());
		uw_buf_str(&b, " suppressed=");
		uw_buf_u64(&b, dropped);
	}
	line[b.len++] = '\n';
	uw_log_line(line, b.len);
}
