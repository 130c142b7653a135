/* See tcpstall.h. The kernel keeps two clocks per connection: the time since
 * it last sent data (tcpi_last_data_sent) and since it last received an ACK
 * (tcpi_last_ack_recv). A connection that makes progress keeps both short.
 * Against a zero window the peer answers every probe, so ACKs keep coming but
 * no data leaves (window probes carry none); in a black hole retransmissions
 * keep leaving but no ACK comes back. The longer of the two clocks is
 * therefore how long the connection has gone without progress, in both cases,
 * from a single snapshot. */
#include "tcpstall.h"

#include <stddef.h>

/* tcpi_snd_wnd arrived in Linux 6.2; older kernels fill less of tcp_info. */
#define HAS_FIELD(s, f) ((s)->info_len >= offsetof(struct tcp_info, f) + sizeof((s)->info.f))

void uw_tcp_stall(const struct uw_diag_sock *s, struct uw_stall *out)
{
	const struct tcp_info *ti = &s->info;
	*out = (struct uw_stall){.pending = s->wqueue};
	if (!s->wqueue)
		return;
	uint32_t sent = ti->tcpi_last_data_sent, acked = ti->tcpi_last_ack_recv;
	out->stalled_ms = sent > acked ? sent : acked;
	/* The window the peer advertised, where the kernel reports it; before
	 * that, window probes without retransmissions mean the same. */
	bool closed =
		HAS_FIELD(s, tcpi_snd_wnd) ? ti->tcpi_snd_wnd == 0 : ti->tcpi_probes && !ti->tcpi_retransmits;
	if (acked && acked >= sent)
		out->cause = UW_STALL_NO_ACK; /* the ACK clock is the stalled one: nothing answers */
	else if (closed)
		out->cause = UW_STALL_ZERO_WINDOW;
	else
		out->cause = UW_STALL_OTHER;
}

const char *uw_stall_cause_name(enum uw_stall_cause c)
{
	static const char *const names[] = {"idle", "zero-window", "no-ack", "stalled"};
	return names[c];
}
