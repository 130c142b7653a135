/* The deadline engine (src/blocking_send.c, src/call.c, src/deadline.c) driven
 * through scripted sequences: a fake clock, a scripted poll() and a scripted
 * attempt function, on real sockets (the engine asks the kernel whether the fd
 * is still blocking and still the same socket). Each test names the branch it
 * reaches; together they run in microseconds. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "blocking_send.h"
#include "check.h"
#include "fdtable.h"
#include "runtime.h"
#include "seams.h"
#include "sockinfo.h"

/* One step of the script: what poll() or the attempt returns next. */
struct step {
	int ret;	   /* poll: >0 ready, 0 timed out, -1 error; attempt: bytes or -1 */
	int err;	   /* errno with ret -1 */
	int64_t advance;   /* the fake clock moves this much (ns); -1: by poll's whole timeout */
	void (*act)(void); /* something that happens meanwhile (a dup2, a signal) */
};

static int64_t fake_now = 1000000000;
static const struct step *polls, *attempts;
static int n_polls, n_attempts;
static int last_timeout_ms;
static int fds[2];
static char log_path[] = "/tmp/uw-engine-log-XXXXXX";

static int64_t clock_fake(void)
{
	return fake_now;
}

static int poll_scripted(struct pollfd *p, nfds_t n, int timeout_ms)
{
	(void)p, (void)n;
	last_timeout_ms = timeout_ms;
	const struct step *s = polls++;
	n_polls++;
	fake_now += s->advance >= 0 ? s->advance : (int64_t)timeout_ms * 1000000;
	if (s->act)
		s->act();
	errno = s->err;
	return s->ret;
}

static ssize_t attempt_scripted(struct uw_call *c)
{
	(void)c;
	const struct step *s = attempts++;
	n_attempts++;
	fake_now += s->advance > 0 ? s->advance : 0;
	errno = s->err;
	return s->ret;
}

static ssize_t pass_marker(struct uw_call *c)
{
	(void)c;
	return 4242;
}

/* A fresh connected blocking socket pair, known to the table, and defaults. */
static void setup(const struct step *p, const struct step *a)
{
	if (fds[0] > 0)
		close(fds[0]), close(fds[1]);
	socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
	uw_fd_replace(fds[0], 0);
	uw_fd_lookup(fds[0]);
	uw_config_defaults(&uw_cfg);
	uw_cfg.timeout_ms = 1000;
	strcpy(uw_cfg.log_path, log_path);
	uw_config_finish(&uw_cfg);
	atomic_store(&uw_active, true);
	polls = p, attempts = a, n_polls = n_attempts = 0;
	truncate(log_path, 0);
}

static ssize_t run(size_t want, ssize_t first, int first_err)
{
	struct uw_call c = {.fd = fds[0],
			    .e = uw_fd_load(fds[0]),
			    .saved_errno = 77,
			    .want = want,
			    .name = "write",
			    .attempt = attempt_scripted,
			    .pass = pass_marker};
	errno = first_err;
	return uw_call_finish(&c, first);
}

/* The log lines written so far, as one string. */
static const char *logged(void)
{
	static char buf[8192];
	int fd = open(log_path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : 0;
	buf[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
	return buf;
}

#define FOREVER (-1)

static void eagain_then_progress(void)
{
	const struct step p[] = {{1, 0, 5000000, NULL}};
	const struct step a[] = {{10, 0, 0, NULL}};
	setup(p, a);
	errno = 0;
	CHECK(run(10, -1, EAGAIN) == 10);
	CHECK(errno == 77); /* errno at entry, on success */
	CHECK(n_polls == 1 && n_attempts == 1);
	CHECK(last_timeout_ms == 1000);
}

static void partial_writes_add_up(void)
{
	const struct step p[] = {{1, 0, 1000000, NULL}, {1, 0, 1000000, NULL}};
	const struct step a[] = {{3, 0, 0, NULL}, {4, 0, 0, NULL}};
	setup(p, a);
	CHECK(run(10, 3, 0) == 10);
	CHECK(n_attempts == 2);
}

static void idle_deadline_restarts_with_progress(void)
{
	/* 600 ms, a byte, 600 ms, a byte, 600 ms, done: 1.8 s in all, never 1 s idle. */
	const struct step p[] = {{1, 0, 600000000, NULL}, {1, 0, 600000000, NULL}, {1, 0, 600000000, NULL}};
	const struct step a[] = {{1, 0, 0, NULL}, {1, 0, 0, NULL}, {1, 0, 0, NULL}};
	setup(p, a);
	CHECK(run(3, -1, EAGAIN) == 3);
	CHECK(last_timeout_ms == 1000);
}

static void total_deadline_does_not_restart(void)
{
	const struct step p[] = {{1, 0, 600000000, NULL}, {0, 0, FOREVER, NULL}};
	const struct step a[] = {{1, 0, 0, NULL}};
	setup(p, a);
	uw_cfg.deadline_total = true;
	CHECK(run(3, -1, EAGAIN) == 1); /* a partial count: bytes moved before the deadline */
	CHECK(last_timeout_ms == 400);
	CHECK(strstr(logged(), "write timed out:") != NULL);
	CHECK(strstr(logged(), "moved=1 pending=2 queued=0 waited=1.000s deadline=total:1.000s") != NULL);
}

static void our_expiry_fails_with_etimedout(void)
{
	const struct step p[] = {{0, 0, FOREVER, NULL}};
	setup(p, NULL);
	errno = 0;
	CHECK(run(10, -1, EAGAIN) == -1);
	CHECK(errno == ETIMEDOUT);
	CHECK(uw_fd_load(fds[0]) & UW_E_TIMED_OUT);
	CHECK(strstr(logged(),
		     "moved=0 pending=10 queued=0 waited=1.000s deadline=idle:1.000s action=shutdown") !=
	      NULL);
}

static void set_app_sndtimeo(long ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	setsockopt(fds[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static void shorter_sndtimeo_gives_eagain(void)
{
	const struct step p[] = {{0, 0, FOREVER, NULL}};
	setup(p, NULL);
	set_app_sndtimeo(300);
	CHECK(run(10, -1, EAGAIN) == -1);
	CHECK(errno == EAGAIN);
	CHECK(last_timeout_ms == 300);
	CHECK(!(uw_fd_load(fds[0]) & UW_E_TIMED_OUT));
}

static void longer_sndtimeo_loses_to_ours(void)
{
	const struct step p[] = {{0, 0, FOREVER, NULL}};
	setup(p, NULL);
	set_app_sndtimeo(5000);
	CHECK(run(10, -1, EAGAIN) == -1);
	CHECK(errno == ETIMEDOUT);
	CHECK(last_timeout_ms == 1000);
}

static void on_signal(int sig)
{
	(void)sig;
}

static void handler(int flags)
{
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = flags};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

static void eintr_without_sa_restart(void)
{
	const struct step p[] = {{-1, EINTR, 1000000, NULL}};
	setup(p, NULL);
	handler(0);
	CHECK(run(10, -1, EAGAIN) == -1);
	CHECK(errno == EINTR);
	signal(SIGUSR1, SIG_DFL);
}

static void eintr_with_sa_restart_waits_on(void)
{
	const struct step p[] = {{-1, EINTR, 1000000, NULL}, {1, 0, 1000000, NULL}};
	const struct step a[] = {{10, 0, 0, NULL}};
	setup(p, a);
	handler(SA_RESTART);
	CHECK(run(10, -1, EAGAIN) == 10);
	CHECK(n_polls == 2);
	CHECK(last_timeout_ms == 999); /* the deadline did not restart */
	signal(SIGUSR1, SIG_DFL);
}

static void eintr_after_progress_returns_the_count(void)
{
	const struct step p[] = {{-1, EINTR, 1000000, NULL}};
	setup(p, NULL);
	handler(SA_RESTART);
	CHECK(run(10, 4, 0) == 4);
	signal(SIGUSR1, SIG_DFL);
}

static void eintr_with_sndtimeo_never_restarts(void)
{
	const struct step p[] = {{-1, EINTR, 1000000, NULL}};
	setup(p, NULL);
	handler(SA_RESTART);
	set_app_sndtimeo(5000);
	CHECK(run(10, -1, EAGAIN) == -1);
	CHECK(errno == EINTR);
	signal(SIGUSR1, SIG_DFL);
}

static int other_fd;
static void replace_fd(void)
{
	dup2(other_fd, fds[0]); /* behind the table's back, as a raw dup2 would */
}

static void fd_replaced_during_wait(void)
{
	const struct step p[] = {{1, 0, 1000000, replace_fd}};
	setup(p, NULL);
	other_fd = open("/dev/null", O_WRONLY);
	CHECK(run(10, -1, EAGAIN) == -1);
	CHECK(errno == EBADF);
	CHECK(n_attempts == 0); /* nothing more went to the new object */
	close(other_fd);
}

static void mark_timed_out(void)
{
	uw_fd_update_flags(fds[0], uw_fd_load(fds[0]), UW_E_TIMED_OUT, 0);
}

static void another_thread_timed_it_out(void)
{
	const struct step p[] = {{1, 0, 1000000, mark_timed_out}};
	setup(p, NULL);
	CHECK(run(10, -1, EAGAIN) == -1);
	CHECK(errno == ETIMEDOUT);
	CHECK(n_attempts == 0);
}

static void observe_crossing_waits_on(void)
{
	const struct step p[] = {{0, 0, FOREVER, NULL}, {1, 0, 2000000000, NULL}};
	const struct step a[] = {{10, 0, 0, NULL}};
	setup(p, a);
	uw_cfg.observe = true;
	CHECK(run(10, -1, EAGAIN) == 10);
	CHECK(n_polls == 2);
	CHECK(last_timeout_ms == -1); /* after the crossing: as the kernel would, for ever */
	const char *log = logged();
	const char *crossed = strstr(log, "blocked past its deadline (observe mode: left alone)");
	const char *completed = strstr(log, "returned (observe mode)");
	CHECK(crossed != NULL && completed != NULL && crossed < completed);
	CHECK(strstr(log, "waited=1.000s deadline=idle:1.000s\n") != NULL);
	CHECK(strstr(log, "moved=10 pending=0 queued=0 blocked=3.000s") != NULL);
	CHECK(!(uw_fd_load(fds[0]) & UW_E_TIMED_OUT));
}

static void no_deadline_waits_for_ever(void)
{
	const struct step p[] = {{1, 0, 1000000, NULL}};
	const struct step a[] = {{10, 0, 0, NULL}};
	setup(p, a);
	uw_cfg.timeout_ms = 0;
	uw_cfg.warn_after_ms = 1;
	uw_config_finish(&uw_cfg);
	CHECK(run(10, -1, EAGAIN) == 10);
	CHECK(last_timeout_ms == -1);
	CHECK(strstr(logged(), "slow write:") != NULL);
	CHECK(strstr(logged(), "deadline=none warn_after=0.001s result=ok") != NULL);
}

static void nonblocking_fd_gets_eagain_at_once(void)
{
	setup(NULL, NULL);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	CHECK(run(10, -1, EAGAIN) == -1);
	CHECK(errno == EAGAIN);
	CHECK(n_polls == 0);
	CHECK(logged()[0] == 0);
}

static void enotsock_passes_to_libc(void)
{
	setup(NULL, NULL);
	CHECK(run(10, -1, ENOTSOCK) == 4242);
	CHECK(uw_e_kind(uw_fd_load(fds[0])) == UW_KIND_UNKNOWN); /* looked at again next time */
}

static void epipe_without_nosignal_raises_sigpipe(void)
{
	setup(NULL, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_DFL);
	CHECK(run(10, -1, EPIPE) == -1);
	CHECK(errno == EPIPE);
	sigset_t pending;
	sigpending(&pending);
	CHECK(sigismember(&pending, SIGPIPE));
	signal(SIGPIPE, SIG_IGN); /* discards the pending one */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	signal(SIGPIPE, SIG_DFL);
}

static void epipe_after_timeout_is_etimedout(void)
{
	setup(NULL, NULL);
	mark_timed_out();
	CHECK(run(10, -1, EPIPE) == -1);
	CHECK(errno == ETIMEDOUT);
}

static void other_errors_pass_through(void)
{
	setup(NULL, NULL);
	CHECK(run(10, -1, ECONNRESET) == -1);
	CHECK(errno == ECONNRESET);
}

int main(void)
{
	close(mkstemp(log_path));
	uw_seams = (struct uw_seams){.now = clock_fake, .poll = poll_scripted};
	RUN(eagain_then_progress);
	RUN(partial_writes_add_up);
	RUN(idle_deadline_restarts_with_progress);
	RUN(total_deadline_does_not_restart);
	RUN(our_expiry_fails_with_etimedout);
	RUN(shorter_sndtimeo_gives_eagain);
	RUN(longer_sndtimeo_loses_to_ours);
	RUN(eintr_without_sa_restart);
	RUN(eintr_with_sa_restart_waits_on);
	RUN(eintr_after_progress_returns_the_count);
	RUN(eintr_with_sndtimeo_never_restarts);
	RUN(fd_replaced_during_wait);
	RUN(another_thread_timed_it_out);
	RUN(observe_crossing_waits_on);
	RUN(no_deadline_waits_for_ever);
	RUN(nonblocking_fd_gets_eagain_at_once);
	RUN(enotsock_passes_to_libc);
	RUN(epipe_without_nosignal_raises_sigpipe);
	RUN(epipe_after_timeout_is_etimedout);
	RUN(other_errors_pass_through);
	if (getenv("SHOWLOG"))
		fputs(logged(), stderr);
	unlink(log_path);
	return check_failures;
}
