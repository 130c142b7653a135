/* unwedge's kernel-side layer: a cgroup-v2 sock_ops program that gives the TCP sockets of a cgroup a
 * TCP_USER_TIMEOUT (and optionally keepalive), for programs no preload reaches (Go, static binaries).
 * One compiled object serves every setting: the values come from a one-entry array map that the
 * loader fills before attaching, and may rewrite at any time.
 *
 * Built with: clang -target bpf -O2 -g -c sockops.bpf.c
 *
 * The callbacks run in the kernel for sockets whose cgroup (fixed when the socket is created) has
 * this program attached, or a descendant of such a cgroup:
 *   ACTIVE_ESTABLISHED_CB   our connect() completed (softirq, on the SYN-ACK)
 *   PASSIVE_ESTABLISHED_CB  a connection to our listener completed, before accept() returns it
 *   TCP_CONNECT_CB          just before the SYN is sent (only with UW_CG_F_AT_CONNECT)
 * A value the application set before connect() is already there at ESTABLISHED and is read back with
 * bpf_getsockopt (Linux 6.1+) and left alone; one set after connect() or accept() simply replaces ours:
 * the application's word is always the last. */
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "cgroup_settings.h"

/* The socket-level constants are ABI; the libc headers that define them are not usable under
 * -target bpf. */
#define SOL_SOCKET	 1
#define SO_KEEPALIVE	 9
#define SOL_TCP		 6
#define TCP_KEEPIDLE	 4
#define TCP_KEEPINTVL	 5
#define TCP_KEEPCNT	 6
#define TCP_USER_TIMEOUT 18
#define AF_INET		 2
#define LOOPBACK	 0x7f000001

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct uw_cg_settings);
} uw_settings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, UW_CG_ST_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} uw_stats SEC(".maps");

/* counted is 0 for the launcher's self-check sockets. */
static __always_inline void count(__u32 which, int counted)
{
	if (!counted)
		return;
	__u64 *v = bpf_map_lookup_elem(&uw_stats, &which);
	if (v)
		__sync_fetch_and_add(v, 1);
}

/* The current value of an int option, or -1 if the kernel cannot tell us: before 6.1 bpf_getsockopt
 * knew only TCP_CONGESTION and TCP_SAVED_SYN at SOL_TCP. */
static __always_inline int current(struct bpf_sock_ops *skops, int level, int name, int counted)
{
	int v = 0;
	if (bpf_getsockopt(skops, level, name, &v, sizeof v) != 0) {
		count(UW_CG_ST_GET_FAILED, counted);
		return -1;
	}
	return v;
}

static __always_inline void set_int(struct bpf_sock_ops *skops, int level, int name, int v, int counted)
{
	if (bpf_setsockopt(skops, level, name, &v, sizeof v) != 0)
		count(UW_CG_ST_SET_FAILED, counted);
}

static __always_inline void apply_user_timeout(struct bpf_sock_ops *skops, const struct uw_cg_settings *s,
					       int counted)
{
	/* Unknown (old kernel) counts as unset: better our value than none. */
	if (!(s->flags & UW_CG_F_OVERRIDE) && current(skops, SOL_TCP, TCP_USER_TIMEOUT, counted) > 0) {
		count(UW_CG_ST_UTO_KEPT, counted);
		return;
	}
	int v = (int)s->user_timeout_ms;
	if (bpf_setsockopt(skops, SOL_TCP, TCP_USER_TIMEOUT, &v, sizeof v) == 0)
		count(UW_CG_ST_UTO_SET, counted);
	else
		count(UW_CG_ST_SET_FAILED, counted);
}

static __always_inline void apply_keepalive(struct bpf_sock_ops *skops, const struct uw_cg_settings *s,
					    int counted)
{
	/* Keepalive already on means the application chose its own parameters too. */
	if (!(s->flags & UW_CG_F_OVERRIDE) && current(skops, SOL_SOCKET, SO_KEEPALIVE, counted) > 0) {
		count(UW_CG_ST_KA_KEPT, counted);
		return;
	}
	if (s->keep_idle_s)
		set_int(skops, SOL_TCP, TCP_KEEPIDLE, (int)s->keep_idle_s, counted);
	if (s->keep_intvl_s)
		set_int(skops, SOL_TCP, TCP_KEEPINTVL, (int)s->keep_intvl_s, counted);
	if (s->keep_cnt)
		set_int(skops, SOL_TCP, TCP_KEEPCNT, (int)s->keep_cnt, counted);
	int on = 1;
	if (bpf_setsockopt(skops, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) == 0)
		count(UW_CG_ST_KA_SET, counted);
	else
		count(UW_CG_ST_SET_FAILED, counted);
}

/* A socket of the launcher's self-check: 127.0.0.1 on both ends, between the two ports it named
 * (either end; remote_port is in network byte order, local_port in host order). */
static __always_inline int self_check(const struct bpf_sock_ops *skops, const struct uw_cg_settings *s)
{
	__u32 local = skops->local_port, peer = bpf_ntohl(skops->remote_port) & 0xffff;
	if (!s->self_check_ports || skops->family != AF_INET || skops->local_ip4 != bpf_htonl(LOOPBACK) ||
	    skops->remote_ip4 != bpf_htonl(LOOPBACK))
		return 0;
	return (local << 16 | peer) == s->self_check_ports || (peer << 16 | local) == s->self_check_ports;
}

SEC("sockops")
int unwedge_sockops(struct bpf_sock_ops *skops)
{
	__u32 key = 0;
	const struct uw_cg_settings *s = bpf_map_lookup_elem(&uw_settings, &key);

	/* Always 1: if any program of the cgroup chain returns 0, the kernel discards the chain's
	 * reply (which other programs give for ops such as TIMEOUT_INIT). We only add options. */
	if (!s)
		return 1;
	int counted = !self_check(skops, s);
	switch (skops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		if (!(s->flags & UW_CG_F_AT_CONNECT))
			return 1;
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		count(UW_CG_ST_SOCKETS, counted);
		break;
	default:
		return 1;
	}
	if ((s->flags & UW_CG_F_USER_TIMEOUT) && s->user_timeout_ms)
		apply_user_timeout(skops, s, counted);
	if (s->flags & UW_CG_F_KEEPALIVE)
		apply_keepalive(skops, s, counted);
	return 1;
}

/* No GPL-only helper is used; the string must still be one the kernel knows. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";
