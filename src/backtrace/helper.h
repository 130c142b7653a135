/* Internals shared by the two files of libunwedge-backtrace.so. */
#ifndef UW_BT_HELPER_H
#define UW_BT_HELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "uwbt.h"

#define UWBT_BLOCK 256

/* Reads memory of this process without ever faulting: every block is copied
 * by the kernel (process_vm_readv, or through a pipe where a seccomp filter
 * forbids that), which fails with EFAULT instead of raising SIGSEGV when
 * unwind data points somewhere unmapped. A few blocks are kept, because the
 * unwinder reads the same stack and unwind-table words many times. */
struct uwbt_reader {
	pid_t pid;
	int pipe[2]; /* the fallback; -1 when unused */
	unsigned next;
	struct {
		uintptr_t base; /* 0: empty */
		unsigned char b[UWBT_BLOCK];
	} c[4];
};

void uwbt_reader_open(struct uwbt_reader *r);
void uwbt_reader_close(struct uwbt_reader *r);
int uwbt_read(struct uwbt_reader *r, uintptr_t addr, void *out, size_t n);

/* Whether ip is the x86-64 signal return trampoline (mov $15,%rax; syscall). */
bool uwbt_is_sigreturn(struct uwbt_reader *r, uintptr_t ip);

/* The basename of the executable, read at start-up. */
extern char uwbt_exe_name[256];

void uwbt_begin(struct uwbt_session *s);
void uwbt_resolve(struct uwbt_session *s, uintptr_t ip, int exact, struct uwbt_sym *out);
void uwbt_end(struct uwbt_session *s);

#endif
