/* The engine's two other users, on the same clock: the ticked loop of
 * sendfile and splice (src/ticked.c), driven by a scripted kernel call and a
 * fake clock, and stdio's verdict on what glibc returned (src/stdio_guard.c),
 * on real socket pairs. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "backstop.h"
#include "check.h"
#include "fdtable.h"
#include "runtime.h"
#include "seams.h"
#include "sockinfo.h"
#include "stdio_guard.h"
#include "ticked.h"

static int64_t fake_now = 5000000000;
static int fds[2];

static int64_t clock_fake(void)
{
	return fake_now;
}

/* One kernel call: moves ret bytes (or fails with err) after advance ns. */
struct kcall {
	ssize_t ret;
	int err;
	int64_t advance;
};

static const struct kcall *script;
static int calls;
static size_t last_want;
static long tick_us; /* the SO_SNDTIMEO on the socket during the last call */
static long sndtimeo_us(void);

static ssize_t call_scripted(struct uw_ticked *t, size_t want)
{
	(void)t;
	const struct kcall *k = &script[calls++];
	last_want = want;
	tick_us = sndtimeo_us();
	fake_now += k->advance;
	errno = k->err;
	return k->ret;
}

static ssize_t pass_marker(struct uw_ticked *t)
{
	(void)t;
	return 31337;
}

static void setup(void)
{
	if (fds[0] > 0)
		close(fds[0]), close(fds[1]);
	socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
	uw_fd_replace(fds[0], 0);
	uw_fd_lookup(fds[0]);
	uw_config_defaults(&uw_cfg);
	uw_cfg.timeout_ms = 1000;
	uw_cfg.log_off = true;
	uw_config_finish(&uw_cfg);
	atomic_store(&uw_active, true);
	calls = 0;
}

static ssize_t run(const struct kcall *k, size_t count)
{
	script = k;
	struct uw_ticked t = {.name = "sendfile",
			      .out = fds[0],
			      .count = count,
			      .call = call_scripted,
			      .pass = pass_marker};
	return uw_ticked_run(&t, uw_fd_load(fds[0]));
}

/* The SO_SNDTIMEO the kernel holds now, in microseconds. */
static long sndtimeo_us(void)
{
	struct timeval tv;
	socklen_t l = sizeof tv;
	getsockopt(fds[0], SOL_SOCKET, SO_SNDTIMEO, &tv, &l);
	return tv.tv_sec * 1000000L + tv.tv_usec;
}

static void ticked_moves_everything(void)
{
	setup();
	const struct kcall k[] = {{100, 0, 1000}};
	errno = 55;
	CHECK(run(k, 100) == 100);
	CHECK(errno == 55);
	CHECK(sndtimeo_us() == 1000000); /* the backstop stays between calls */
}

static void ticked_tick_runs_out_and_goes_on(void)
{
	setup();
	/* A partial count after a whole tick: the kernel waited; go on. */
	const struct kcall k[] = {{10, 0, 50000000}, {90, 0, 1000}};
	CHECK(run(k, 100) == 100);
	CHECK(calls == 2);
}

static void ticked_short_inside_the_tick_returns(void)
{
	setup();
	/* Short well inside the tick: end of file, or a signal to see now. */
	const struct kcall k[] = {{10, 0, 1000}};
	CHECK(run(k, 100) == 10);
	CHECK(calls == 1);
}

static void ticked_idle_deadline_fires(void)
{
	setup();
	struct kcall k[30];
	for (int i = 0; i < 30; i++)
		k[i] = (struct kcall){-1, EAGAIN, 50000000};
	CHECK(run(k, 100) == -1);
	CHECK(errno == ETIMEDOUT);
	CHECK(calls == 20);			    /* 20 ticks of 50 ms: the 1 s deadline */
	CHECK(tick_us >= 50000 && tick_us < 60000); /* the kernel rounds up to its tick */
	CHECK(uw_fd_load(fds[0]) & UW_E_TIMED_OUT);
}

static void ticked_last_tick_is_what_is_left(void)
{
	setup();
	uw_cfg.deadline_total = true;
	/* 980 ms pass in one call; the next tick is the 20 ms left of the total. */
	const struct kcall k[] = {{1, 0, 980000000}, {-1, EAGAIN, 20000000}};
	CHECK(run(k, 100) == 1); /* the byte moved; the rest timed out */
	CHECK(calls == 2);
	CHECK(tick_us >= 20000 && tick_us < 30000);
	CHECK(uw_fd_load(fds[0]) & UW_E_TIMED_OUT);
}

static void ticked_total_moves_64k_a_call(void)
{
	setup();
	uw_cfg.deadline_total = true;
	const struct kcall k[] = {{65536, 0, 1000}, {65536, 0, 1000}};
	CHECK(run(k, 131072) == 131072);
	CHECK(last_want == 65536);
}

static void ticked_app_sndtimeo_shorter_gives_eagain(void)
{
	setup();
	struct timeval tv = {0, 300000};
	setsockopt(fds[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	struct kcall k[10];
	for (int i = 0; i < 10; i++)
		k[i] = (struct kcall){-1, EAGAIN, 50000000};
	CHECK(run(k, 100) == -1);
	CHECK(errno == EAGAIN);
	CHECK(calls == 6);
	CHECK(sndtimeo_us() == 300000); /* restored: the application's own, shorter */
}

static void ticked_nonblocking_socket_gets_eagain(void)
{
	setup();
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	const struct kcall k[] = {{-1, EAGAIN, 1000}};
	CHECK(run(k, 100) == -1);
	CHECK(errno == EAGAIN);
	CHECK(calls == 1);
}

static void on_signal(int sig)
{
	(void)sig;
}

static void ticked_eintr_with_and_without_sa_restart(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	setup();
	const struct kcall k[] = {{-1, EINTR, 1000}, {100, 0, 1000}};
	CHECK(run(k, 100) == -1);
	CHECK(errno == EINTR);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	setup();
	CHECK(run(k, 100) == 100);
	CHECK(calls == 2);
	signal(SIGUSR1, SIG_DFL);
}

static void ticked_observe_makes_the_plain_call(void)
{
	setup();
	uw_cfg.observe = true;
	CHECK(run(NULL, 100) == 31337);
	CHECK(sndtimeo_us() == 0); /* no tick, no backstop */
}

/* stdio: glibc saw EAGAIN from its own write; the backstop put it there. */
static void stdio_eagain_from_our_backstop_is_a_timeout(void)
{
	setup();
	CHECK(uw_stdio_before(fds[0]) == 0);
	CHECK(uw_fd_load(fds[0]) & UW_E_BACKSTOP);
	/* glibc retried a short count once: up to twice the deadline went by. */
	fake_now += 2000000000;
	errno = EAGAIN;
	CHECK(uw_stdio_after_failure(fds[0], "fputs", fake_now - 2000000000));
	CHECK(errno == ETIMEDOUT);
	CHECK(uw_fd_load(fds[0]) & UW_E_TIMED_OUT);
}

static void stdio_eagain_from_a_shorter_app_sndtimeo_is_its_own(void)
{
	setup();
	struct timeval tv = {0, 200000};
	setsockopt(fds[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	CHECK(uw_stdio_before(fds[0]) == 0);
	errno = EAGAIN;
	CHECK(!uw_stdio_after_failure(fds[0], "fputs", fake_now - 200000000));
	CHECK(errno == EAGAIN);
	CHECK(!(uw_fd_load(fds[0]) & UW_E_TIMED_OUT));
}

static void stdio_other_errors_are_not_ours(void)
{
	setup();
	CHECK(uw_stdio_before(fds[0]) == 0);
	errno = EPIPE;
	CHECK(!uw_stdio_after_failure(fds[0], "fputs", fake_now));
	CHECK(errno == EPIPE);
}

static void stdio_refuses_a_timed_out_socket(void)
{
	setup();
	uw_fd_update_flags(fds[0], uw_fd_load(fds[0]), UW_E_TIMED_OUT, 0);
	CHECK(uw_stdio_before(fds[0]) == -1);
	CHECK(errno == ETIMEDOUT);
}

int main(void)
{
	uw_seams.now = clock_fake;
	RUN(ticked_moves_everything);
	RUN(ticked_tick_runs_out_and_goes_on);
	RUN(ticked_short_inside_the_tick_returns);
	RUN(ticked_idle_deadline_fires);
	RUN(ticked_last_tick_is_what_is_left);
	RUN(ticked_total_moves_64k_a_call);
	RUN(ticked_app_sndtimeo_shorter_gives_eagain);
	RUN(ticked_nonblocking_socket_gets_eagain);
	RUN(ticked_eintr_with_and_without_sa_restart);
	RUN(ticked_observe_makes_the_plain_call);
	RUN(stdio_eagain_from_our_backstop_is_a_timeout);
	RUN(stdio_eagain_from_a_shorter_app_sndtimeo_is_its_own);
	RUN(stdio_other_errors_are_not_ours);
	RUN(stdio_refuses_a_timed_out_socket);
	return check_failures;
}
