#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "event.h"
#include "stats.h"
#include "check.h"

static char path[96];

static uint64_t counter(enum uw_stat i)
{
	return __atomic_load_n(&uw_stats->counter[i], __ATOMIC_RELAXED);
}

static uint64_t my_start_ticks(void)
{
	char buf[1024];
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')') + 2;
	for (int field = 3; field < 22; field++)
		p = strchr(p, ' ') + 1;
	return strtoull(p, NULL, 10);
}

static void off_until_started(void)
{
	CHECK(uw_stats == NULL);
	CHECK(uw_stats_wrote(5) == 5);
	uw_stats_blocked();
	struct uw_event ev = {.kind = UW_EV_TIMEOUT, .fd = -1};
	uw_stats_event(&ev);
	snprintf(path, sizeof path, UW_STATS_DIR_PREFIX "%u/%d", (unsigned)geteuid(), (int)getpid());
	CHECK(access(path, F_OK) != 0);
}

static void start_creates_the_file(void)
{
	uw_stats_start();
	CHECK(uw_stats != NULL);
	if (!uw_stats)
		return;
	struct stat st;
	CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600);
	CHECK(st.st_uid == geteuid() && st.st_size == UW_STATS_FILE_SIZE);
	char dir[64];
	snprintf(dir, sizeof dir, UW_STATS_DIR_PREFIX "%u", (unsigned)geteuid());
	CHECK(lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && !(st.st_mode & 077));
	CHECK(uw_stats->magic == UW_STATS_MAGIC && uw_stats->version == UW_STATS_VERSION);
	CHECK(uw_stats->pid == getpid() && uw_stats->uid == geteuid());
	CHECK_STR(uw_stats->comm, "test_stats");
	CHECK(uw_stats->start_ticks == my_start_ticks());
	CHECK(counter(UW_STAT_WRITES) == 0);
}

#define THREADS 8
#define WRITES	20000

static void *writer(void *arg)
{
	(void)arg;
	for (int i = 0; i < WRITES; i++)
		uw_stats_wrote(i % 2 ? 3 : -1);
	return NULL;
}

static void counts_from_many_threads(void)
{
	if (!uw_stats)
		return;
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, writer, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	CHECK(counter(UW_STAT_WRITES) == THREADS * WRITES);
	CHECK(counter(UW_STAT_BYTES) == THREADS * WRITES / 2 * 3);
	uw_stats_blocked();
	struct uw_event slow = {.kind = UW_EV_SLOW, .fd = -1}, crossed = {.kind = UW_EV_CROSSED, .fd = -1};
	uw_stats_event(&slow);
	uw_stats_event(&crossed);
	CHECK(counter(UW_STAT_BLOCKED) == 1 && counter(UW_STAT_SLOW) == 1 && counter(UW_STAT_CROSSED) == 1);
	CHECK(uw_stats->peer[0].state == 2 && uw_stats->peer[0].len == 7 &&
	      !memcmp(uw_stats->peer[0].addr, "unknown", 7));
	memset(&uw_stats->peer[0], 0, sizeof uw_stats->peer[0]); /* an empty table for the next test */
}

#define PEERS 20
static int clients[PEERS];

static void *timer(void *arg)
{
	(void)arg;
	for (int i = 0; i < PEERS; i++) {
		struct uw_event ev = {.kind = i % 2 ? UW_EV_KERNEL_TIMEOUT : UW_EV_TIMEOUT, .fd = clients[i]};
		uw_stats_event(&ev);
	}
	return NULL;
}

static void name_of(int i, char *out, size_t len)
{
	snprintf(out, len, "@uw-stats-test-%d-%02d", (int)getpid(), i);
}

/* 8 threads time out on 20 peers at once: every timeout is counted exactly
 * once, in a slot of its peer or in "other", and no slot holds a torn address. */
static void peer_table_under_contention(void)
{
	if (!uw_stats)
		return;
	int listeners[PEERS];
	for (int i = 0; i < PEERS; i++) {
		struct sockaddr_un a = {.sun_family = AF_UNIX};
		char name[64];
		name_of(i, name, sizeof name);
		memcpy(a.sun_path + 1, name + 1, strlen(name) - 1);
		socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name));
		listeners[i] = socket(AF_UNIX, SOCK_STREAM, 0);
		clients[i] = socket(AF_UNIX, SOCK_STREAM, 0);
		CHECK(bind(listeners[i], (struct sockaddr *)&a, len) == 0 && listen(listeners[i], 1) == 0);
		CHECK(connect(clients[i], (struct sockaddr *)&a, len) == 0);
	}
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, timer, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	CHECK(counter(UW_STAT_TIMEOUTS) == THREADS * PEERS / 2);
	CHECK(counter(UW_STAT_KERNEL_TIMEOUTS) == THREADS * PEERS / 2);
	uint64_t in_slots = 0;
	for (int s = 0; s < UW_STATS_PEERS; s++) {
		struct uw_stats_peer *p = &uw_stats->peer[s];
		CHECK(p->state == 2); /* 20 peers: the table is full */
		in_slots += p->count;
		bool known = false;
		for (int i = 0; i < PEERS; i++) {
			char name[64];
			name_of(i, name, sizeof name);
			known |= p->len == strlen(name) && memcmp(p->addr, name, p->len) == 0;
		}
		CHECK(known);
	}
	CHECK(in_slots + counter(UW_STAT_PEERS_OTHER) == THREADS * PEERS);
	CHECK(counter(UW_STAT_PEERS_OTHER) >= THREADS * (PEERS - UW_STATS_PEERS));
	for (int i = 0; i < PEERS; i++)
		close(listeners[i]), close(clients[i]);
}

/* fork(): the child counts into a file of its own, mapped where the parent's
 * was; the parent's counters never see the child's writes. */
static void fork_child_gets_its_own_file(void)
{
	if (!uw_stats)
		return;
	struct uw_stats_file *before = uw_stats;
	uint64_t parent_writes = counter(UW_STAT_WRITES);
	fflush(stdout); /* the child exits through exit(), which flushes */
	pid_t child = fork();
	if (child == 0) {
		int bad = 0;
		bad |= uw_stats != before;
		bad |= uw_stats->pid != getpid() || counter(UW_STAT_WRITES) != 0 ||
		       uw_stats->peer[0].state != 0;
		bad |= uw_stats->start_ticks != my_start_ticks();
		for (int i = 0; i < 5; i++)
			uw_stats_wrote(100);
		bad |= counter(UW_STAT_WRITES) != 5 || counter(UW_STAT_BYTES) != 500;
		char mine[96];
		snprintf(mine, sizeof mine, UW_STATS_DIR_PREFIX "%u/%d", (unsigned)geteuid(), (int)getpid());
		bad |= access(mine, F_OK) != 0;
		exit(bad); /* exit removes the child's file */
	}
	int status = -1;
	waitpid(child, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(counter(UW_STAT_WRITES) == parent_writes);
	CHECK(uw_stats->pid == getpid());
	char theirs[96];
	snprintf(theirs, sizeof theirs, UW_STATS_DIR_PREFIX "%u/%d", (unsigned)geteuid(), (int)child);
	CHECK(access(theirs, F_OK) != 0);
	CHECK(access(path, F_OK) == 0);
}

int main(void)
{
	RUN(off_until_started);
	RUN(start_creates_the_file);
	RUN(counts_from_many_threads);
	RUN(peer_table_under_contention);
	RUN(fork_child_gets_its_own_file);
	return check_failures;
}
