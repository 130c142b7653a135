/* A wedged write from a known call chain, for the backtrace tests.
 *
 *   wbacktrace plain [--tcp]   main -> do_request -> flush_headers -> write
 *   wbacktrace signal [--tcp]  main -> do_request_and_wait -> wait_for_reply spins;
 *                              a SIGALRM handler on_alarm -> flush_from_handler -> write
 *   wbacktrace threads [--tcp] four threads, each worker -> do_request -> flush_headers
 *                              -> write, all wedged at once
 *   wbacktrace altstack BYTES  as signal, the handler on an alternate signal stack
 *                              of BYTES; reports how much of it was used
 *   wbacktrace hold            prints "ready" and sleeps (up to 30 s)
 *
 * --deny-vm-readv first installs a seccomp filter (with the raw system call,
 * which unwedge does not see) that fails process_vm_readv with EPERM, then
 * re-executes itself without the flag: the preload starts under the filter.
 * The JSON line says what process_vm_readv gives ("vm_readv").
 *
 * The peer is the other end of a socketpair (or, with --tcp, a loopback TCP
 * connection), which nobody ever reads. Built with -DCOUNT_CALLS it also counts
 * the calls to malloc, calloc, realloc, dl_iterate_phdr and dladdr made by the
 * writing thread during the wedged write (the timeout report with its
 * backtrace included); --probe makes one malloc and one dladdr call there, to
 * show that the counters count.
 * Prints one JSON line. */
#include <dlfcn.h>
#include <link.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>

#include "common.h"

#ifdef COUNT_CALLS
static __thread int counting; /* initial-exec TLS of the executable: no malloc */
static int probe;	      /* the counters' own check: call each once in the window */
static volatile long mallocs, loader_calls;
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

void *malloc(size_t n)
{
	if (counting)
		__atomic_add_fetch(&mallocs, 1, __ATOMIC_RELAXED);
	return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
	if (counting)
		__atomic_add_fetch(&mallocs, 1, __ATOMIC_RELAXED);
	return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
	if (counting)
		__atomic_add_fetch(&mallocs, 1, __ATOMIC_RELAXED);
	return __libc_realloc(p, n);
}

static int (*real_iterate)(int (*)(struct dl_phdr_info *, size_t, void *), void *);
static int (*real_dladdr)(const void *, Dl_info *);

int dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *data)
{
	if (counting)
		__atomic_add_fetch(&loader_calls, 1, __ATOMIC_RELAXED);
	if (!real_iterate) /* before main: the preload's constructor */
		real_iterate = dlsym(RTLD_NEXT, "dl_iterate_phdr");
	return real_iterate(cb, data);
}

int dladdr(const void *addr, Dl_info *info)
{
	if (counting)
		__atomic_add_fetch(&loader_calls, 1, __ATOMIC_RELAXED);
	if (!real_dladdr)
		real_dladdr = dlsym(RTLD_NEXT, "dladdr");
	return real_dladdr(addr, info);
}
#define COUNT(on) (counting = (on))
#else
#define COUNT(on) ((void)0)
#endif

static volatile long sink;

static void peer_pair(int sv[2], int tcp)
{
	if (tcp)
		tcp_pair(sv);
	else if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		die("socketpair");
}

/* Writes until a write fails; returns its errno. */
__attribute__((noinline)) int flush_headers(int fd)
{
	static char buf[65536];
	ssize_t r;
	COUNT(1);
#ifdef COUNT_CALLS
	if (probe) {
		Dl_info info;
		void *volatile p = malloc(16);
		free(p);
		dladdr((void *)&flush_headers, &info);
	}
#endif
	do
		r = write(fd, buf, sizeof buf);
	while (r > 0);
	int e = errno;
	COUNT(0);
	return e;
}

__attribute__((noinline)) int do_request(int fd)
{
	int e = flush_headers(fd);
	sink += e;
	return e;
}

static volatile sig_atomic_t done;
static int handler_fd, handler_errno;

__attribute__((noinline)) void flush_from_handler(int fd)
{
	handler_errno = flush_headers(fd);
	sink++;
}

static void on_alarm(int sig)
{
	(void)sig;
	int saved = errno;
	flush_from_handler(handler_fd);
	done = 1;
	errno = saved;
}

__attribute__((noinline)) void wait_for_reply(void)
{
	/* Sleeping rather than spinning: ThreadSanitizer delivers signals only
	 * inside intercepted calls. */
	while (!done) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
}

__attribute__((noinline)) void do_request_and_wait(void)
{
	wait_for_reply();
	sink++;
}

static int worker_fd[4], worker_errno[4];

static void *worker(void *arg)
{
	int i = (int)(intptr_t)arg;
	worker_errno[i] = do_request(worker_fd[i]);
	sink++;
	return NULL;
}

static void deny_vm_readv_and_exec(char **argv)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_process_vm_readv, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
	if (syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
		die("seccomp");
	char *args[8];
	int n = 0;
	for (int i = 0; argv[i] && n < 7; i++)
		if (strcmp(argv[i], "--deny-vm-readv") != 0)
			args[n++] = argv[i];
	args[n] = NULL;
	execv("/proc/self/exe", args);
	die("execv");
}

static const char *vm_readv_result(void)
{
	char a = 1, b = 0;
	struct iovec local = {&b, 1}, remote = {&a, 1};
	return syscall(SYS_process_vm_readv, getpid(), &local, 1UL, &remote, 1UL, 0UL) == 1
		       ? "0"
		       : errno_name(errno);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "plain";
	int tcp = 0;
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--deny-vm-readv") == 0)
			deny_vm_readv_and_exec(argv);
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--tcp") == 0)
			tcp = 1;
#ifdef COUNT_CALLS
		else if (strcmp(argv[i], "--probe") == 0)
			probe = 1;
#endif
	}
	int sv[2], e = 0;
	double start = now_ms();

	if (strcmp(mode, "hold") == 0) {
		printf("ready\n");
		fflush(stdout);
		sleep(30);
		return 0;
	} else if (strcmp(mode, "plain") == 0) {
		peer_pair(sv, tcp);
		e = do_request(sv[0]);
	} else if (strcmp(mode, "signal") == 0) {
		peer_pair(sv, tcp);
		handler_fd = sv[0];
		struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
		sigaction(SIGALRM, &sa, NULL);
		struct itimerval it = {.it_value = {.tv_usec = 100000}};
		setitimer(ITIMER_REAL, &it, NULL);
		do_request_and_wait();
		e = handler_errno;
	} else if (strcmp(mode, "altstack") == 0) {
		size_t size = argc > 2 ? strtoul(argv[2], NULL, 0) : 65536;
		unsigned char *mem = malloc(size);
		memset(mem, 0xa5, size);
		stack_t ss = {.ss_sp = mem, .ss_size = size};
		if (sigaltstack(&ss, NULL) != 0)
			die("sigaltstack");
		peer_pair(sv, 0);
		handler_fd = sv[0];
		struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART | SA_ONSTACK};
		sigaction(SIGALRM, &sa, NULL);
		struct itimerval it = {.it_value = {.tv_usec = 100000}};
		setitimer(ITIMER_REAL, &it, NULL);
		do_request_and_wait();
		e = handler_errno;
		size_t untouched = 0;
		while (untouched < size && mem[untouched] == 0xa5)
			untouched++;
		printf("{\"altstack_used\": %zu, ", size - untouched);
		printf("\"errno\": \"%s\"}\n", errno_name(e));
		return 0;
	} else if (strcmp(mode, "threads") == 0) {
		pthread_t t[4];
		for (int i = 0; i < 4; i++) {
			peer_pair(sv, tcp);
			worker_fd[i] = sv[0];
		}
		for (int i = 0; i < 4; i++)
			pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		for (int i = 0; i < 4; i++)
			if (worker_errno[i] != ETIMEDOUT)
				e = worker_errno[i];
		if (e == 0)
			e = ETIMEDOUT;
	} else {
		fprintf(stderr, "unknown mode %s\n", mode);
		return 2;
	}
	printf("{\"mode\": \"%s\", \"errno\": \"%s\", \"ms\": %.1f, \"vm_readv\": \"%s\"", mode,
	       errno_name(e), now_ms() - start, vm_readv_result());
#ifdef COUNT_CALLS
	printf(", \"mallocs\": %ld, \"loader_calls\": %ld", mallocs, loader_calls);
#endif
	printf("}\n");
	return 0;
}
