/* The call stack of a wedged write (UNWEDGE_BACKTRACE=1). The unwinding itself is
 * in libunwedge-backtrace.so, which links libunwind and is opened at start-up
 * only when asked for; this file is the part inside libunwedge.so. Everything
 * here but uw_backtrace_load is safe where a wrapper runs, signal handlers
 * included (see src/backtrace/unwind_helper.c for why). */
#ifndef UW_BACKTRACE_H
#define UW_BACKTRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "fmt.h"

/* At most this many frames in a log line, and this many bytes of text. */
#define UW_BT_FRAMES   32
#define UW_BT_TEXT_MAX 1024

/* Start-up only (never from a wrapper): opens libunwedge-backtrace.so from the
 * directory of libunwedge.so. On failure prints one line and carries on
 * without backtraces. */
void uw_backtrace_load(void);

bool uw_backtrace_loaded(void);

/* Should an event carry a stack? Backtraces are on, and the stack (an
 * alternate signal stack may be small) has room for the unwinder and for
 * caller_needs bytes more that the caller is about to put on it. */
bool uw_backtrace_wanted(size_t caller_needs);

/* The calling thread's return addresses, innermost first, starting at the
 * application's call into unwedge (write, send, SSL_write...). Returns how
 * many, 0 when backtraces are off or the stack cannot be unwound safely. */
int uw_backtrace_capture(void **ips, int max);

struct uw_bt_frame {
	uintptr_t ip;
	const char *module;	 /* basename of the object ("libc.so.6"), NULL if unknown */
	uintptr_t module_offset; /* ip minus the load bias: `addr2line -e MODULE OFFSET` */
	const char *symbol;	 /* raw symbol name, NULL if unknown */
	uintptr_t symbol_offset; /* ip minus the symbol's address */
	bool signal;		 /* the signal trampoline: the frames after it were interrupted */
};

/* Calls fn for each frame of ips with its names; stops early when fn returns
 * false. The strings are valid only during the call. Returns frames visited. */
int uw_backtrace_each(void *const *ips, int n, bool (*fn)(const struct uw_bt_frame *f, void *arg), void *arg);

#endif
