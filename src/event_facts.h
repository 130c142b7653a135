/* An event as data: what was true of the socket, the process and the settings
 * when it happened, beyond the event itself. uw_event_gather asks the kernel
 * (and libssl, and the unwinder); uw_event_format is a pure function of the
 * event and these facts, so that every field and format can be unit-tested and
 * fuzzed on its own (tests/unit/test_event_format.c, tests/fuzz/fuzz_event.c). */
#ifndef UW_EVENT_FACTS_H
#define UW_EVENT_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "backtrace.h"
#include "event.h"

/* Resolves captured frames, one call of fn per frame (uw_backtrace_each). */
typedef int (*uw_frames_fn)(void *const *ips, int n, bool (*fn)(const struct uw_bt_frame *f, void *arg),
			    void *arg);

struct uw_event_facts {
	struct timespec time; /* CLOCK_REALTIME */
	uint64_t pid;
	const char *program; /* the program's short name */
	struct sockaddr_storage local, peer;
	socklen_t local_len, peer_len; /* 0: unknown */
	const char *tls_server;	       /* the TLS server name (SNI); NULL: none */
	unsigned rule;		       /* the UNWEDGE_RULES rule, counted from 1; 0: none */
	bool have_queued;
	uint64_t queued; /* bytes in the socket's send queue (SIOCOUTQ) */
	/* The settings that shape the line. */
	bool json;
	bool timestamp; /* text lines begin with the time (a log file) */
	bool total;	/* UNWEDGE_DEADLINE=total */
	uint32_t warn_after_ms;
	unsigned long suppressed; /* lines dropped by the rate limit since the last one */
	/* The call stack: -1 none asked for; 0 asked for but unavailable; else the
	 * number of frames in ips (more than UW_BT_FRAMES: it was cut). */
	int frames;
	void *ips[UW_BT_FRAMES + 1];
	uw_frames_fn resolve;
};

/* Fills f for ev. with_stack: capture the call stack (there is room for it). */
void uw_event_gather(const struct uw_event *ev, bool with_stack, struct uw_event_facts *f);

/* The event's line, with its newline, in line[0..size): returns its length.
 * JSON always parses and text is always one line, whatever the facts hold;
 * size must be at least 512. */
size_t uw_event_format(const struct uw_event *ev, const struct uw_event_facts *f, char *line, size_t size);

#endif
