/* libFuzzer on the event formatter: hostile addresses (any family, any bytes,
 * any length), unix paths, TLS server names, program and symbol names, sizes
 * and times. JSON lines must always parse (tests/common/json_valid.h), text
 * lines must always be one line; neither may pass the buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/json_valid.h"
#include "event_facts.h"

struct input {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct input *in, size_t bytes)
{
	uint64_t v = 0;
	for (size_t i = 0; i < bytes && in->n; i++, in->p++, in->n--)
		v = v << 8 | *in->p;
	return v;
}

/* A NUL-terminated string of up to max bytes, any bytes but NUL. */
static const char *take_str(struct input *in, char *buf, size_t max)
{
	size_t len = (size_t)take(in, 1) % max;
	size_t i = 0;
	for (; i < len && in->n; i++, in->p++, in->n--)
		buf[i] = *in->p ? (char)*in->p : 'z';
	buf[i] = 0;
	return buf;
}

static void take_addr(struct input *in, struct sockaddr_storage *ss, socklen_t *len)
{
	static const sa_family_t families[] = {AF_INET, AF_INET6, AF_UNIX, AF_UNSPEC, AF_NETLINK};
	memset(ss, 0, sizeof *ss);
	ss->ss_family = families[take(in, 1) % 5];
	*len = (socklen_t)(take(in, 1) % (sizeof *ss + 8)); /* also longer than the storage */
	uint8_t *raw = (uint8_t *)ss + sizeof(sa_family_t);
	size_t room = *len > sizeof(sa_family_t) ? *len - sizeof(sa_family_t) : 0;
	for (size_t i = 0; i < room && i < sizeof *ss - sizeof(sa_family_t); i++)
		raw[i] = (uint8_t)take(in, 1);
}

static char names[3][300]; /* program, module, symbol */
static struct input frames_in;

static int fuzz_frames(void *const *ips, int n, bool (*fn)(const struct uw_bt_frame *f, void *arg), void *arg)
{
	for (int i = 0; i < n; i++) {
		uint64_t how = take(&frames_in, 1);
		struct uw_bt_frame f = {.ip = (uintptr_t)ips[i],
					.module_offset = take(&frames_in, 8),
					.symbol_offset = take(&frames_in, 4),
					.signal = how & 1};
		f.module = how & 2 ? take_str(&frames_in, names[1], sizeof names[1]) : NULL;
		f.symbol = how & 4 ? take_str(&frames_in, names[2], sizeof names[2]) : NULL;
		if (!fn(&f, arg))
			return i + 1;
	}
	return n;
}

static void check_line(const char *line, size_t len, size_t size, bool json)
{
	if (len == 0 || len > size || line[len - 1] != '\n')
		abort();
	if (memchr(line, '\n', len - 1) || memchr(line, '\r', len - 1) || memchr(line, 0, len))
		abort(); /* more than one line */
	if (json && !json_valid(line, len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	struct uw_event ev = {.kind = (enum uw_event_kind)(take(&in, 1) % 6), .fd = (int)take(&in, 4)};
	/* The call's name and the action are unwedge's own words, never input. */
	static const char *calls[] = {"write", "send", "SSL_write", "fputs", "sendfile64"};
	ev.call = calls[take(&in, 1) % 5];
	ev.moved = take(&in, 8), ev.want = take(&in, 8);
	ev.waited_ms = (int64_t)take(&in, 8), ev.deadline_ms = (uint32_t)take(&in, 4);
	ev.result = (ssize_t)take(&in, 8), ev.result_errno = (int)take(&in, 2);
	ev.action = take(&in, 1) & 1 ? "shutdown" : NULL;
	struct uw_event_facts f = {.pid = take(&in, 8), .rule = (unsigned)take(&in, 1)};
	f.time.tv_sec = (time_t)take(&in, 8), f.time.tv_nsec = (long)take(&in, 8);
	uint64_t flags = take(&in, 1);
	f.json = flags & 1, f.timestamp = flags & 2, f.total = flags & 4, f.have_queued = flags & 8;
	f.queued = take(&in, 8), f.warn_after_ms = (uint32_t)take(&in, 4), f.suppressed = take(&in, 8);
	f.program = flags & 16 ? take_str(&in, names[0], sizeof names[0]) : NULL;
	take_addr(&in, &f.local, &f.local_len);
	take_addr(&in, &f.peer, &f.peer_len);
	static char sni[300];
	f.tls_server = flags & 32 ? take_str(&in, sni, sizeof sni) : NULL;
	f.frames = (int)(take(&in, 1) % (UW_BT_FRAMES + 3)) - 1;
	f.resolve = flags & 64 ? fuzz_frames : NULL;
	frames_in = in;
	/* The two buffer sizes the log uses, and the smallest allowed. */
	static char line[2304 + UW_BT_TEXT_MAX * 4];
	size_t sizes[] = {512, 2304, sizeof line};
	size_t sz = sizes[flags >> 7 ? 2 : take(&in, 1) % 2];
	check_line(line, uw_event_format(&ev, &f, line, sz), sz, f.json);
	return 0;
}
