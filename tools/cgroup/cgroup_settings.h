/* What the sock_ops program reads from its settings map and counts in its stats map.
 * Shared by the BPF program and the loader: both sides must agree on this layout byte for byte,
 * so only fixed-width fields, no padding. */
#ifndef UW_CGROUP_SETTINGS_H
#define UW_CGROUP_SETTINGS_H

#include <linux/types.h>

/* The program's name as the kernel shows it (at most 15 characters): how status and detach
 * recognise our programs among the others attached to a cgroup. */
#define UW_CG_PROG_NAME	   "unwedge_sockops"
#define UW_CG_SETTINGS_MAP "uw_settings"
#define UW_CG_STATS_MAP	   "uw_stats"

/* Set TCP_USER_TIMEOUT to user_timeout_ms. */
#define UW_CG_F_USER_TIMEOUT (1u << 0)
/* Turn keepalive on with keep_idle_s, keep_intvl_s, keep_cnt (0: the kernel's default). */
#define UW_CG_F_KEEPALIVE (1u << 1)
/* Also apply at TCP_CONNECT_CB, before the SYN: then the user timeout also bounds the handshake
 * (a black-holed SYN fails at T instead of after tcp_syn_retries, about 130 s). */
#define UW_CG_F_AT_CONNECT (1u << 2)
/* Replace a value the application (or its listening socket) already set. Without it, a non-zero
 * value found at the callback is left alone, as the preload does. */
#define UW_CG_F_OVERRIDE (1u << 3)

struct uw_cg_settings {
	__u32 flags;
	__u32 user_timeout_ms;
	__u32 keep_idle_s;
	__u32 keep_intvl_s;
	__u32 keep_cnt;
	/* The launcher's own self-check connection (uw_cg_verify), on 127.0.0.1: its two ports,
	 * local << 16 | peer. Its sockets get the options like any other (that is what the check
	 * reads back) but are not counted: the counters are the command's alone. 0: none. */
	__u32 self_check_ports;
};

/* Counters, one slot each in an array map. Approximate under concurrency only in the sense that
 * a reader may see them mid-update; every increment is atomic. */
enum uw_cg_stat {
	UW_CG_ST_SOCKETS,    /* established sockets seen (active and passive) */
	UW_CG_ST_UTO_SET,    /* TCP_USER_TIMEOUT set by us */
	UW_CG_ST_UTO_KEPT,   /* a non-zero value found and left alone */
	UW_CG_ST_KA_SET,     /* keepalive turned on by us */
	UW_CG_ST_KA_KEPT,    /* keepalive already on, left alone */
	UW_CG_ST_GET_FAILED, /* bpf_getsockopt could not read the current value (kernel < 6.1) */
	UW_CG_ST_SET_FAILED, /* bpf_setsockopt refused (kernel < 5.9, or a socket it cannot change) */
	UW_CG_ST_COUNT,
};

#endif
