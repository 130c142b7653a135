/* What unwedge remembers about each fd: a cache, never the truth.
 *
 * One 64-bit word per fd, read with a single atomic load on the hot path. Pages
 * of words are mapped on first touch, so fds never touched cost nothing. Every
 * event that puts a new object at an fd number (socket, accept, dup, close...)
 * bumps the word's generation: a classification computed from an older object
 * loses its compare-and-swap and is thrown away. Anything unwedge does not see
 * (raw system calls, glibc's internal closes) can leave a stale word; every use
 * of one degrades to looking again (ENOTSOCK, an inode check), never to acting
 * on the wrong object. */
#ifndef UW_FDTABLE_H
#define UW_FDTABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum uw_kind {
	UW_KIND_UNKNOWN = 0, /* not looked at yet, or invalidated */
	UW_KIND_PASS = 1,    /* not a socket we protect: go straight to libc */
	UW_KIND_TCP = 2,     /* TCP over IPv4 or IPv6 */
	UW_KIND_UNIX_STREAM = 3,
	UW_KIND_UNIX_SEQPACKET = 4,
};

#define UW_E_KIND_MASK 0x7ULL
#define UW_E_TIMED_OUT (1ULL << 3) /* a deadline expired on this socket */
#define UW_E_UTO_DONE  (1ULL << 4) /* TCP_USER_TIMEOUT decided for this socket */
#define UW_E_UTO_OURS  (1ULL << 5) /* ... and the value in force is ours */
#define UW_E_UTO_APP   (1ULL << 6) /* the application set its own */
#define UW_E_BACKSTOP  (1ULL << 7) /* our SO_SNDTIMEO is in the kernel, the app's is in aux */
/* Which UNWEDGE_RULES rule applies: 0 not decided yet, 1 none, 2 + index. */
#define UW_E_RULE_SHIFT	 8
#define UW_E_RULE_MASK	 (0x1fULL << UW_E_RULE_SHIFT)
#define UW_E_KA_APP	 (1ULL << 13) /* the application set keepalive options itself */
#define UW_E_GEN_SHIFT	 16
#define UW_E_GEN_MASK	 (0xffffULL << UW_E_GEN_SHIFT)
#define UW_E_INODE_SHIFT 32 /* sockfs inode numbers are 32-bit */

static inline enum uw_kind uw_e_kind(uint64_t e)
{
	return (enum uw_kind)(e & UW_E_KIND_MASK);
}
static inline uint32_t uw_e_inode(uint64_t e)
{
	return (uint32_t)(e >> UW_E_INODE_SHIFT);
}
static inline bool uw_kind_is_socket(enum uw_kind k)
{
	return k >= UW_KIND_TCP;
}

#define UW_FD_PAGE_BITS 12
#define UW_FD_PAGE_FDS	(1u << UW_FD_PAGE_BITS)
#define UW_FD_DIR_SIZE	(1u << 16) /* 2^28 fds: past any RLIMIT_NOFILE Linux allows */
/* The first 2^16 fds (nearly every program's) live in one flat array in .bss:
 * one load, no directory. Untouched, it costs no memory: the kernel gives a
 * page only when a word on it is first written. */
#define UW_FD_LOW (1u << 16)

struct uw_fd_table {
	_Atomic(_Atomic uint64_t *) dir[UW_FD_DIR_SIZE];
};

extern struct uw_fd_table uw_fd_entries __attribute__((visibility("hidden")));
extern _Atomic uint64_t uw_fd_low[UW_FD_LOW] __attribute__((visibility("hidden")));

/* The word of an fd past the flat array (0 when never touched). */
uint64_t uw_fd_load_high(int fd);

/* The word for fd (0 for fds out of range or never touched). Inline: this is
 * the whole cost of a write to a non-socket, ten instructions. */
static inline uint64_t uw_fd_load(int fd)
{
	if (__builtin_expect((unsigned)fd < UW_FD_LOW, 1))
		return atomic_load_explicit(&uw_fd_low[(unsigned)fd], memory_order_acquire);
	return uw_fd_load_high(fd);
}

/* Replaces old with desired unless someone changed the word meanwhile. desired
 * keeps old's generation. Returns false when it lost (or could not map a page). */
bool uw_fd_cas(int fd, uint64_t old, uint64_t desired);

/* A new object now lives at fd: forget what we knew and bump the generation.
 * fields (kind, flags, inode) describe the new object if the caller knows it. */
void uw_fd_replace(int fd, uint64_t fields);

/* As uw_fd_replace(fd, 0) for every fd in [lo, hi]. */
void uw_fd_replace_range(unsigned lo, unsigned hi);

/* Moves on every uw_fd_replace_range. */
unsigned uw_fd_range_epoch(void);

/* Sets or clears flag bits, keeping the generation. */
void uw_fd_update_flags(int fd, uint64_t expected_gen_word, uint64_t set, uint64_t clear);

/* Calls fn for every fd whose word is a socket with the given inode. */
void uw_fd_for_inode(uint32_t inode, void (*fn)(int fd, uint64_t e, void *arg), void *arg);

/* An aux word per fd, in a second sparse table: used for the application's own
 * SO_SNDTIMEO (microseconds) while our backstop is in the kernel. */
uint64_t uw_fd_aux_load(int fd);
bool uw_fd_aux_store(int fd, uint64_t v);

#endif
