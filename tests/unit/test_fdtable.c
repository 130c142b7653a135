#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fdtable.h"
#include "check.h"

static void untouched_is_unknown(void)
{
	CHECK(uw_fd_load(5) == 0);
	CHECK(uw_fd_load(-1) == 0);
	CHECK(uw_fd_load(1 << 30) == 0);
}

static void generation_defeats_stale_classification(void)
{
	uint64_t seen = uw_fd_load(7);
	uw_fd_replace(7, 0); /* a new object moved in while we classified */
	CHECK(!uw_fd_cas(7, seen, UW_KIND_PASS));
	uint64_t now = uw_fd_load(7);
	CHECK(uw_fd_cas(7, now, UW_KIND_TCP | ((uint64_t)99 << UW_E_INODE_SHIFT)));
	CHECK(uw_e_kind(uw_fd_load(7)) == UW_KIND_TCP);
	CHECK(uw_e_inode(uw_fd_load(7)) == 99);
}

static void flags_only_on_the_same_object(void)
{
	uw_fd_replace(9, UW_KIND_TCP);
	uint64_t e = uw_fd_load(9);
	uw_fd_update_flags(9, e, UW_E_TIMED_OUT, 0);
	CHECK(uw_fd_load(9) & UW_E_TIMED_OUT);
	uw_fd_replace(9, UW_KIND_UNIX_STREAM);
	uw_fd_update_flags(9, e, UW_E_UTO_DONE, 0); /* e is the old object's word */
	CHECK(!(uw_fd_load(9) & UW_E_UTO_DONE));
	CHECK(!(uw_fd_load(9) & UW_E_TIMED_OUT));
}

static int hits;
static void count(int fd, uint64_t e, void *arg)
{
	(void)e, (void)arg, hits += fd == 105;
}

static void ranges_and_inodes(void)
{
	for (int fd = 100; fd < 110; fd++)
		uw_fd_replace(fd, UW_KIND_TCP | ((uint64_t)(fd == 105 ? 7 : 8) << UW_E_INODE_SHIFT));
	hits = 0;
	uw_fd_for_inode(7, count, NULL);
	CHECK(hits == 1);
	uw_fd_replace_range(102, 107);
	CHECK(uw_e_kind(uw_fd_load(101)) == UW_KIND_TCP);
	CHECK(uw_e_kind(uw_fd_load(105)) == UW_KIND_UNKNOWN);
	CHECK(uw_e_kind(uw_fd_load(108)) == UW_KIND_TCP);
	unsigned before = uw_fd_range_epoch();
	uw_fd_replace_range(200000, 300000); /* pages never made */
	CHECK(uw_fd_range_epoch() != before);
}

static void large_fds_cost_pages_only_when_touched(void)
{
	uw_fd_replace(999999, UW_KIND_PASS);
	CHECK(uw_e_kind(uw_fd_load(999999)) == UW_KIND_PASS);
	CHECK(uw_e_kind(uw_fd_load(999998)) == UW_KIND_UNKNOWN);
	CHECK(uw_fd_aux_store(999999, 1234) && uw_fd_aux_load(999999) == 1234);
}

static void *hammer(void *arg)
{
	int base = (int)(long)arg;
	for (int i = 0; i < 100000; i++) {
		int fd = base + i % 64;
		uint64_t e = uw_fd_load(fd);
		if (i % 3 == 0)
			uw_fd_replace(fd, 0);
		else
			uw_fd_cas(fd, e, UW_KIND_TCP);
	}
	return NULL;
}

static void concurrent_updates_stay_consistent(void)
{
	pthread_t t[4];
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, hammer, (void *)(5000 + (i % 2) * 32));
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int fd = 5000; fd < 5096; fd++) {
		enum uw_kind k = uw_e_kind(uw_fd_load(fd));
		CHECK(k == UW_KIND_UNKNOWN || k == UW_KIND_TCP);
	}
}

int main(void)
{
	RUN(untouched_is_unknown);
	RUN(generation_defeats_stale_classification);
	RUN(flags_only_on_the_same_object);
	RUN(ranges_and_inodes);
	RUN(large_fds_cost_pages_only_when_touched);
	RUN(concurrent_updates_stay_consistent);
	return check_failures;
}
