/* libunwedge-backtrace.so: the call stack of a wedged write, for its log line.
 *
 * libunwedge.so opens this object at start-up, only when UNWEDGE_BACKTRACE=1,
 * so a process that does not ask for backtraces never maps libunwind. What runs
 * at timeout time runs where the wrapper runs: possibly inside a signal handler,
 * in any thread, while another thread holds any lock. So it may not take a lock
 * that the interrupted code could hold, nor allocate with malloc.
 *
 * libunwind documents unw_init_local() and unw_step() as signal-safe for local
 * unwinding, but in libunwind 1.6 (Debian 12) local unwinding
 *   - finds unwind tables with dl_iterate_phdr(), which takes glibc's loader
 *     lock (a recursive mutex: a handler that interrupts its own thread inside
 *     dlopen/dlclose or another dl_iterate_phdr walks a list being changed, and
 *     one that interrupts the lock's acquisition deadlocks on itself);
 *   - validates every memory read (CONSERVATIVE_CHECKS) by reading from and
 *     writing one byte to a pipe it opened once, at fixed descriptor numbers. A
 *     daemon that closes all its descriptors after start-up and reuses those
 *     numbers would have libunwind read a byte from (or block on) one of its
 *     sockets and write a byte of memory into another.
 * unw_get_proc_name() is no better: it parses /proc/self/maps and the ELF file
 * each call, and decompresses MiniDebugInfo with malloc when present.
 *
 * So this file uses libunwind's remote-unwinding interface on the process's own
 * memory, with accessors of our own (the same approach as perf's libunwind
 * support):
 *   - find_proc_info: glibc's _dl_find_object(), documented async-signal-safe
 *     and lock-free, gives the object and its PT_GNU_EH_FRAME (.eh_frame_hdr)
 *     table; libunwind's dwarf_search_unwind_table() does the binary search and
 *     parses the FDE. (That function is exported but not in libunwind's headers;
 *     libunwind-ptrace and perf rely on it too.)
 *   - access_mem: every read is copied by the kernel (process_vm_readv on this
 *     process; where a seccomp filter forbids it, a pipe made for this one
 *     capture and closed after it), so bad unwind data yields EFAULT, never
 *     SIGSEGV, and no descriptor outlives the call.
 *   - access_reg: the registers unw_getcontext() saved.
 *   - the address space has caching off (UNW_CACHE_NONE): no cache lock.
 * What is left of libunwind's locking is its memory pool for parsed CIE data:
 * a mutex taken with every signal blocked, so a handler can never interrupt its
 * own thread while the pool is locked, and another thread holds it only for a
 * few instructions; the pool grows with mmap, not malloc.
 *
 * Names are looked up by symbols.c, again without locks or malloc. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libunwind.h>
#include <link.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#include "helper.h"

#define EXPORT __attribute__((visibility("default")))

/* Exported by libunwind-x86_64.so (libunwind-generic), not declared in its headers. */
extern int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t as, unw_word_t ip, unw_dyn_info_t *di,
					      unw_proc_info_t *pi, int need_unwind_info, void *arg);

#define RAW_MAX 96

static unw_addr_space_t space;
static const struct link_map *self_map, *helper_map;
static bool use_pipe; /* process_vm_readv is forbidden here */
char uwbt_exe_name[256];

/* ---- reading memory without faulting ---- */

void uwbt_reader_open(struct uwbt_reader *r)
{
	memset(r, 0, sizeof *r);
	r->pid = (pid_t)syscall(SYS_getpid);
	r->pipe[0] = r->pipe[1] = -1;
	if (use_pipe && pipe2(r->pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		r->pipe[0] = r->pipe[1] = -1;
}

void uwbt_reader_close(struct uwbt_reader *r)
{
	for (int i = 0; i < 2; i++)
		if (r->pipe[i] >= 0)
			close(r->pipe[i]);
	r->pipe[0] = r->pipe[1] = -1;
}

static int copy_block(struct uwbt_reader *r, uintptr_t base, unsigned char *out)
{
	if (!use_pipe) {
		struct iovec local = {out, UWBT_BLOCK}, remote = {(void *)base, UWBT_BLOCK};
		return syscall(SYS_process_vm_readv, r->pid, &local, 1UL, &remote, 1UL, 0UL) == UWBT_BLOCK
			       ? 0
			       : -1;
	}
	if (r->pipe[0] < 0)
		return -1;
	/* A block never crosses a page: the kernel copies all of it or none. */
	if (syscall(SYS_write, r->pipe[1], (void *)base, (size_t)UWBT_BLOCK) != UWBT_BLOCK)
		return -1;
	return syscall(SYS_read, r->pipe[0], out, (size_t)UWBT_BLOCK) == UWBT_BLOCK ? 0 : -1;
}

int uwbt_read(struct uwbt_reader *r, uintptr_t addr, void *out, size_t n)
{
	unsigned char *o = out;
	while (n > 0) {
		uintptr_t base = addr & ~(uintptr_t)(UWBT_BLOCK - 1);
		if (base == 0)
			return -1;
		int k = -1;
		for (int i = 0; i < 4; i++)
			if (r->c[i].base == base)
				k = i;
		if (k < 0) {
			k = (int)(r->next++ % 4);
			r->c[k].base = 0;
			if (copy_block(r, base, r->c[k].b) != 0)
				return -1;
			r->c[k].base = base;
		}
		size_t off = addr - base, take = UWBT_BLOCK - off < n ? UWBT_BLOCK - off : n;
		memcpy(o, r->c[k].b + off, take);
		o += take;
		addr += take;
		n -= take;
	}
	return 0;
}

bool uwbt_is_sigreturn(struct uwbt_reader *r, uintptr_t ip)
{
	/* glibc's __restore_rt: mov $__NR_rt_sigreturn,%rax; syscall */
	static const unsigned char code[9] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};
	unsigned char got[9];
	return uwbt_read(r, ip, got, sizeof got) == 0 && memcmp(got, code, sizeof code) == 0;
}

/* ---- libunwind accessors ---- */

struct unwind_arg {
	ucontext_t *uc;
	struct uwbt_reader *r;
};

static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
	(void)as;
	struct unwind_arg *a = arg;
	if (write)
		return -UNW_EREADONLYREG;
	return uwbt_read(a->r, addr, val, sizeof *val) == 0 ? 0 : -UNW_EINVAL;
}

static int access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write, void *arg)
{
	(void)as;
	static const int gregs[] = {
		[UNW_X86_64_RAX] = REG_RAX, [UNW_X86_64_RDX] = REG_RDX, [UNW_X86_64_RCX] = REG_RCX,
		[UNW_X86_64_RBX] = REG_RBX, [UNW_X86_64_RSI] = REG_RSI, [UNW_X86_64_RDI] = REG_RDI,
		[UNW_X86_64_RBP] = REG_RBP, [UNW_X86_64_RSP] = REG_RSP, [UNW_X86_64_R8] = REG_R8,
		[UNW_X86_64_R9] = REG_R9,   [UNW_X86_64_R10] = REG_R10, [UNW_X86_64_R11] = REG_R11,
		[UNW_X86_64_R12] = REG_R12, [UNW_X86_64_R13] = REG_R13, [UNW_X86_64_R14] = REG_R14,
		[UNW_X86_64_R15] = REG_R15, [UNW_X86_64_RIP] = REG_RIP,
	};
	struct unwind_arg *a = arg;
	if (reg < 0 || reg > UNW_X86_64_RIP)
		return -UNW_EBADREG;
	if (write)
		return -UNW_EREADONLYREG;
	*val = (unw_word_t)a->uc->uc_mcontext.gregs[gregs[reg]];
	return 0;
}

static int access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write, void *arg)
{
	(void)as, (void)reg, (void)val, (void)write, (void)arg;
	return -UNW_EBADREG;
}

static int resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	(void)as, (void)c, (void)arg;
	return -UNW_EINVAL;
}

static int get_proc_name(unw_addr_space_t as, unw_word_t ip, char *buf, size_t len, unw_word_t *off,
			 void *arg)
{
	(void)as, (void)ip, (void)buf, (void)len, (void)off, (void)arg;
	return -UNW_ENOINFO;
}

static int get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
	(void)as, (void)addr, (void)arg;
	return -UNW_ENOINFO;
}

static void put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
	(void)as, (void)pi, (void)arg; /* libunwind frees what dwarf_search_unwind_table made */
}

#define DW_EH_PE_udata4	 0x03
#define DW_EH_PE_sdata4	 0x0b
#define DW_EH_PE_datarel 0x30

static int find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi, int need_unwind_info,
			  void *arg)
{
	struct unwind_arg *a = arg;
	struct dl_find_object fo;
	if (_dl_find_object((void *)ip, &fo) != 0 || fo.dlfo_eh_frame == NULL)
		return -UNW_ENOINFO;
	/* .eh_frame_hdr: version, eh_frame_ptr encoding, fde_count encoding,
	 * table encoding, eh_frame_ptr, fde_count, then (initial location, FDE)
	 * pairs sorted by location. What every linker writes: a 4-byte pointer,
	 * a 4-byte count, and 4-byte entries relative to the header. */
	uintptr_t hdr = (uintptr_t)fo.dlfo_eh_frame;
	unsigned char h[12];
	uint32_t count;
	if (uwbt_read(a->r, hdr, h, sizeof h) != 0 || h[0] != 1 || (h[1] & 0x0f) != DW_EH_PE_sdata4 ||
	    h[2] != DW_EH_PE_udata4 || h[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
		return -UNW_ENOINFO;
	memcpy(&count, h + 8, sizeof count);
	if (count == 0)
		return -UNW_ENOINFO;
	unw_dyn_info_t di;
	memset(&di, 0, sizeof di);
	di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
	di.start_ip = (unw_word_t)fo.dlfo_map_start;
	di.end_ip = (unw_word_t)fo.dlfo_map_end;
	di.u.rti.segbase = hdr;
	di.u.rti.table_data = hdr + 12;
	di.u.rti.table_len = (unw_word_t)count * 8 / sizeof(unw_word_t);
	return _Ux86_64_dwarf_search_unwind_table(as, ip, &di, pi, need_unwind_info, arg);
}

static unw_accessors_t accessors = {
	.find_proc_info = find_proc_info,
	.put_unwind_info = put_unwind_info,
	.get_dyn_info_list_addr = get_dyn_info_list_addr,
	.access_mem = access_mem,
	.access_reg = access_reg,
	.access_fpreg = access_fpreg,
	.resume = resume,
	.get_proc_name = get_proc_name,
};

/* ---- capture ---- */

static const struct link_map *object_of(uintptr_t ip)
{
	struct dl_find_object fo;
	return _dl_find_object((void *)ip, &fo) == 0 ? fo.dlfo_link_map : NULL;
}

enum { OURS = 1, SIGNAL = 2 };

/* The whole stack, innermost first, from our own frame up. */
static __attribute__((noinline)) int unwind(uintptr_t *raw, unsigned char *flags, int max)
{
	struct uwbt_reader r;
	ucontext_t uc;
	unw_cursor_t cursor;
	int n = 0;

	if (space == NULL || unw_getcontext(&uc) != 0)
		return 0;
	uwbt_reader_open(&r);
	struct unwind_arg arg = {&uc, &r};
	if (unw_init_remote(&cursor, space, &arg) == 0) {
		do {
			unw_word_t ip;
			if (unw_get_reg(&cursor, UNW_REG_IP, &ip) != 0 || ip == 0)
				break;
			const struct link_map *m = object_of(ip);
			raw[n] = ip;
			flags[n] = (m != NULL && (m == self_map || m == helper_map) ? OURS : 0) |
				   (uwbt_is_sigreturn(&r, ip) ? SIGNAL : 0);
			n++;
		} while (n < max && unw_step(&cursor) > 0);
	}
	uwbt_reader_close(&r);
	return n;
}

static int capture(uintptr_t *ips, int max)
{
	uintptr_t raw[RAW_MAX];
	unsigned char flags[RAW_MAX];
	int n = unwind(raw, flags, RAW_MAX);

	/* Drop unwedge's own frames: up to the outermost of ours before the first
	 * signal frame. Usually that is the wrapper the application called; for
	 * SSL_write it is our SSL_write, with libssl's frames in between. Past a
	 * signal frame, ours are the interrupted code and stay. */
	int sig = n, last = -1, out = 0;
	for (int i = 0; i < n; i++)
		if (flags[i] & SIGNAL) {
			sig = i;
			break;
		}
	for (int i = 0; i < sig; i++)
		if (flags[i] & OURS)
			last = i;
	for (int i = last + 1; i < n && out < max; i++)
		ips[out++] = raw[i];
	return out;
}

static const struct uwbt_ops ops = {
	.abi = UWBT_ABI,
	.capture = capture,
	.begin = uwbt_begin,
	.resolve = uwbt_resolve,
	.end = uwbt_end,
};

/* ---- start-up ---- */

static void fail(char *err, size_t errlen, const char *why)
{
	if (err && errlen) {
		size_t n = strlen(why) < errlen - 1 ? strlen(why) : errlen - 1;
		memcpy(err, why, n);
		err[n] = 0;
	}
}

static bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

/* libunwind opens a pipe for its own validation of memory reads the first
 * time it initialises (pipe2, the two lowest free numbers). We never use its
 * validation, and a daemon that later closes every descriptor would hand those
 * numbers to its own sockets: close it now. */
static void close_validation_pipe(const int lowest[2])
{
	struct stat a, b;
	if (lowest[0] < 0 || fstat(lowest[0], &a) != 0 || fstat(lowest[1], &b) != 0)
		return;
	if (S_ISFIFO(a.st_mode) && S_ISFIFO(b.st_mode) && a.st_ino == b.st_ino &&
	    (fcntl(lowest[0], F_GETFL) & O_NONBLOCK) && (fcntl(lowest[0], F_GETFD) & FD_CLOEXEC)) {
		close(lowest[0]);
		close(lowest[1]);
	}
}

static void read_exe_name(void)
{
	char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
	if (n < 2) {
		strcpy(uwbt_exe_name, "exe");
		return;
	}
	path[n] = 0;
	char *del = strstr(path, " (deleted)");
	if (del && del[10] == 0)
		*del = 0;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t len = strlen(base) < sizeof uwbt_exe_name - 1 ? strlen(base) : sizeof uwbt_exe_name - 1;
	memcpy(uwbt_exe_name, base, len);
	uwbt_exe_name[len] = 0;
}

EXPORT const struct uwbt_ops *unwedge_backtrace_v1(unsigned abi, const void *self, char *err, size_t errlen)
{
	if (abi != UWBT_ABI) {
		fail(err, errlen, "built for another version of libunwedge.so");
		return NULL;
	}
	if (space != NULL)
		return &ops;
	self_map = object_of((uintptr_t)self);
	helper_map = object_of((uintptr_t)&unwedge_backtrace_v1);
	if (self_map == NULL || helper_map == NULL) {
		fail(err, errlen, "_dl_find_object does not know libunwedge.so");
		return NULL;
	}
	read_exe_name();

	unsigned char probe[UWBT_BLOCK] __attribute__((aligned(UWBT_BLOCK))) = {1};
	struct uwbt_reader r;
	uwbt_reader_open(&r);
	unsigned char copy[8];
	if (uwbt_read(&r, (uintptr_t)probe, copy, sizeof copy) != 0 || copy[0] != 1)
		use_pipe = true; /* e.g. a seccomp filter; read through a pipe instead */

	int lowest[2] = {-1, -1};
	for (int fd = 0, k = 0; fd < 4096 && k < 2; fd++)
		if (!is_open(fd))
			lowest[k++] = fd;
	space = unw_create_addr_space(&accessors, 0);
	if (space == NULL) {
		fail(err, errlen, "unw_create_addr_space failed");
		return NULL;
	}
	unw_set_caching_policy(space, UNW_CACHE_NONE);
	/* One unwind now, so that libunwind's one-time initialisation (locks,
	 * memory pools) happens here and not in a signal handler. */
	uintptr_t raw[4];
	unsigned char flags[4];
	int n = unwind(raw, flags, 4);
	close_validation_pipe(lowest);
	if (n < 2) {
		space = NULL;
		fail(err, errlen, "libunwind could not unwind this process's stack");
		return NULL;
	}
	return &ops;
}
