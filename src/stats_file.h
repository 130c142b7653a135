/* The layout of a live-statistics file (UNWEDGE_STATS=1), shared by the preload,
 * which writes it, and `unwedge stat`, which reads it.
 *
 * Where: /dev/shm/unwedge-EUID/PID, one file per process, created by the
 * process itself with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, in a directory of
 * mode 0700 owned by its effective user (a directory that is a symbolic link,
 * owned by another user, or writable by group or others is refused). Readable
 * by that user and root only: the peer addresses are the same information as
 * the log, which is also 0600.
 *
 * The header is written before magic, which is stored last (release): a reader
 * that sees the magic sees the whole header. The counters are updated with
 * relaxed atomic adds and read with atomic loads. Counter indexes only ever get
 * added (up to UW_STATS_MAX_COUNTERS): a new counter does not change the
 * version, and a reader shows the ones it knows. */
#ifndef UW_STATS_FILE_H
#define UW_STATS_FILE_H

#include <stdint.h>

#define UW_STATS_DIR_PREFIX   "/dev/shm/unwedge-"	   /* then the effective uid */
#define UW_STATS_MAGIC	      UINT64_C(0x0165676465776e75) /* "unwedge\1" in memory order */
#define UW_STATS_VERSION      1
#define UW_STATS_FILE_SIZE    4096 /* the file's length and the mapping's */
#define UW_STATS_PEERS	      16
#define UW_STATS_PEER_LEN     112
#define UW_STATS_COMM_LEN     64
#define UW_STATS_MAX_COUNTERS 32

enum uw_stat {
	UW_STAT_WRITES,		 /* socket write calls guarded (write ... sendfile, splice) */
	UW_STAT_BYTES,		 /* bytes those calls reported as moved */
	UW_STAT_BLOCKED,	 /* guarded writes that had to wait for room */
	UW_STAT_SLOW,		 /* writes slower than UNWEDGE_WARN_AFTER that finished in time */
	UW_STAT_TIMEOUTS,	 /* writes failed by unwedge's deadline */
	UW_STAT_KERNEL_TIMEOUTS, /* connections the kernel ended with our TCP_USER_TIMEOUT */
	UW_STAT_CROSSED,	 /* observe mode: writes blocked past the deadline, left alone */
	UW_STAT_TLS_WRITES,	 /* SSL_write, SSL_write_ex, SSL_shutdown calls guarded */
	UW_STAT_STDIO_WRITES,	 /* stdio calls on a guarded socket stream */
	UW_STAT_PEERS_OTHER,	 /* wedged writes whose peer found no free slot in the table */
	UW_STAT_COUNT
};

/* A slot of the table of peers of wedged writes (timeouts, and deadlines
 * crossed in observe mode). state: 0 free, 1 being filled
 * by the thread that claimed it (compare-and-swap from 0), 2 ready. Two threads
 * timing out on the same new peer at once may fill two slots with the same
 * address: readers add up slots with equal addresses. */
struct uw_stats_peer {
	uint32_t state;
	uint32_t len; /* bytes of addr used; no terminating 0 */
	uint64_t count;
	char addr[UW_STATS_PEER_LEN]; /* as in the log: 10.0.0.7:443, [::1]:80, /run/x.sock */
};

struct uw_stats_file {
	uint64_t magic;
	uint32_t version;
	uint32_t size; /* sizeof(struct uw_stats_file) */
	int32_t pid;
	uint32_t uid;		      /* effective uid that created it */
	uint64_t start_ticks;	      /* the process's start time: field 22 of /proc/PID/stat (0: unknown) */
	uint64_t pidns;		      /* inode of its pid namespace, /proc/self/ns/pid (0: unknown) */
	char comm[UW_STATS_COMM_LEN]; /* basename of argv[0], 0-terminated */
	uint64_t counter[UW_STATS_MAX_COUNTERS];
	struct uw_stats_peer peer[UW_STATS_PEERS];
};

_Static_assert(sizeof(struct uw_stats_file) <= UW_STATS_FILE_SIZE, "the statistics must fit in the file");
_Static_assert(UW_STAT_COUNT <= UW_STATS_MAX_COUNTERS, "room for the counters");

#endif
