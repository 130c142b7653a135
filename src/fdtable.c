#include "sys.h"
#include "fdtable.h"

#include <stdatomic.h>
#include <stddef.h>
#include <sys/mman.h>

#define PAGE_BITS UW_FD_PAGE_BITS
#define PAGE_FDS  UW_FD_PAGE_FDS
#define DIR_SIZE  UW_FD_DIR_SIZE

typedef _Atomic uint64_t word;
typedef struct uw_fd_table table_t;

/* Read inline by uw_fd_load on every write; aux only on slow paths. */
struct uw_fd_table uw_fd_entries;
_Atomic uint64_t uw_fd_low[UW_FD_LOW];
/* Which pages of uw_fd_low were ever written: the walks below skip the others. */
static _Atomic uint32_t low_touched;
#define LOW_PAGES (UW_FD_LOW / PAGE_FDS)
static table_t aux;
#define entries uw_fd_entries

/* A page of the main table by its number, or NULL if never written. */
static word *main_page(unsigned d)
{
	if (d < LOW_PAGES)
		return (atomic_load_explicit(&low_touched, memory_order_acquire) >> d) & 1
			       ? &uw_fd_low[d << PAGE_BITS]
			       : NULL;
	return atomic_load_explicit(&entries.dir[d], memory_order_acquire);
}

static word *page_of(table_t *t, int fd, bool create)
{
	if (fd < 0 || (unsigned)fd >= DIR_SIZE * PAGE_FDS)
		return NULL;
	unsigned d = (unsigned)fd >> PAGE_BITS;
	if (t == &entries && d < LOW_PAGES) {
		if (create)
			atomic_fetch_or_explicit(&low_touched, 1u << d, memory_order_acq_rel);
		return &uw_fd_low[d << PAGE_BITS];
	}
	word *p = atomic_load_explicit(&t->dir[d], memory_order_acquire);
	if (p || !create)
		return p;
	/* mmap, not malloc: this can run inside a signal handler. */
	void *m = uw_sys_mmap(NULL, PAGE_FDS * sizeof(word), PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	word *expected = NULL;
	if (atomic_compare_exchange_strong_explicit(&t->dir[d], &expected, (word *)m, memory_order_acq_rel,
						    memory_order_acquire))
		return (word *)m;
	uw_sys_munmap(m, PAGE_FDS * sizeof(word));
	return expected;
}

static word *slot(table_t *t, int fd, bool create)
{
	word *p = page_of(t, fd, create);
	return p ? &p[(unsigned)fd & (PAGE_FDS - 1)] : NULL;
}

bool uw_fd_cas(int fd, uint64_t old, uint64_t desired)
{
	word *w = slot(&entries, fd, true);
	if (!w)
		return false;
	desired = (desired & ~UW_E_GEN_MASK) | (old & UW_E_GEN_MASK);
	return atomic_compare_exchange_strong_explicit(w, &old, desired, memory_order_acq_rel,
						       memory_order_acquire);
}

static void replace_slot(word *w, uint64_t fields)
{
	uint64_t old = atomic_load_explicit(w, memory_order_relaxed);
	uint64_t next;
	do {
		uint64_t gen = ((old & UW_E_GEN_MASK) + (1ULL << UW_E_GEN_SHIFT)) & UW_E_GEN_MASK;
		next = (fields & ~UW_E_GEN_MASK) | gen;
	} while (!atomic_compare_exchange_weak_explicit(w, &old, next, memory_order_acq_rel,
							memory_order_relaxed));
}

void uw_fd_replace(int fd, uint64_t fields)
{
	/* Even "unknown" needs a page: the generation must move, or a classification
	 * that read this fd before the new object arrived could still land. */
	word *w = slot(&entries, fd, true);
	if (w)
		replace_slot(w, fields);
}

static atomic_uint range_epoch;

unsigned uw_fd_range_epoch(void)
{
	return atomic_load_explicit(&range_epoch, memory_order_acquire);
}

void uw_fd_replace_range(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return;
	/* Pages that do not exist are not walked: the epoch tells a classification
	 * in flight on one of their fds that its result is stale. */
	atomic_fetch_add_explicit(&range_epoch, 1, memory_order_acq_rel);
	for (unsigned d = lo >> PAGE_BITS; d < DIR_SIZE && d <= (hi >> PAGE_BITS); d++) {
		word *p = main_page(d);
		if (!p)
			continue;
		for (unsigned i = 0; i < PAGE_FDS; i++) {
			unsigned fd = (d << PAGE_BITS) | i;
			if (fd >= lo && fd <= hi && atomic_load_explicit(&p[i], memory_order_relaxed) != 0)
				replace_slot(&p[i], 0);
		}
	}
}

void uw_fd_update_flags(int fd, uint64_t expected, uint64_t set, uint64_t clear)
{
	word *w = slot(&entries, fd, false);
	if (!w)
		return;
	uint64_t old = atomic_load_explicit(w, memory_order_acquire);
	for (;;) {
		/* Another object moved in since the caller looked: leave it alone. */
		if ((old & UW_E_GEN_MASK) != (expected & UW_E_GEN_MASK) ||
		    (old & UW_E_KIND_MASK) != (expected & UW_E_KIND_MASK))
			return;
		uint64_t next = (old | set) & ~clear;
		if (atomic_compare_exchange_weak_explicit(w, &old, next, memory_order_acq_rel,
							  memory_order_acquire))
			return;
	}
}

void uw_fd_for_inode(uint32_t inode, void (*fn)(int fd, uint64_t e, void *arg), void *arg)
{
	for (unsigned d = 0; d < DIR_SIZE; d++) {
		word *p = main_page(d);
		if (!p)
			continue;
		for (unsigned i = 0; i < PAGE_FDS; i++) {
			uint64_t e = atomic_load_explicit(&p[i], memory_order_acquire);
			if (uw_kind_is_socket(uw_e_kind(e)) && uw_e_inode(e) == inode)
				fn((int)((d << PAGE_BITS) | i), e, arg);
		}
	}
}

uint64_t uw_fd_load_high(int fd)
{
	if ((unsigned)fd >= DIR_SIZE * PAGE_FDS)
		return 0;
	word *p = atomic_load_explicit(&entries.dir[(unsigned)fd >> PAGE_BITS], memory_order_acquire);
	return p ? atomic_load_explicit(&p[(unsigned)fd & (PAGE_FDS - 1)], memory_order_acquire) : 0;
}

uint64_t uw_fd_aux_load(int fd)
{
	word *w = slot(&aux, fd, false);
	return w ? atomic_load_explicit(w, memory_order_acquire) : 0;
}

bool uw_fd_aux_store(int fd, uint64_t v)
{
	word *w = slot(&aux, fd, true);
	if (!w)
		return false;
	atomic_store_explicit(w, v, memory_order_release);
	return true;
}
