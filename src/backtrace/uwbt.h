/* The interface between libunwedge.so and libunwedge-backtrace.so, the helper
 * object that links libunwind. libunwedge.so never links libunwind: it opens the
 * helper at start-up, only when UNWEDGE_BACKTRACE=1, and looks up one symbol,
 * UWBT_ENTRY. Both sides are built from the same tree; UWBT_ABI catches a
 * helper left over from another build. */
#ifndef UW_UWBT_H
#define UW_UWBT_H

#include <stddef.h>
#include <stdint.h>

#define UWBT_ABI   1
#define UWBT_ENTRY "unwedge_backtrace_v1"
#define UWBT_FILE  "libunwedge-backtrace.so"

/* One frame, resolved. The strings stay valid until the session ends. */
struct uwbt_sym {
	const char *module;	 /* basename of the object, NULL if no object holds ip */
	uintptr_t module_offset; /* ip minus the object's load bias: what addr2line -e takes */
	const char *symbol;	 /* NULL if unknown (stripped, or the file changed since it was loaded) */
	uintptr_t symbol_offset; /* ip minus the symbol's address */
	int signal;		 /* ip is the kernel's signal return trampoline */
};

/* Room for the files a resolution maps; opaque to libunwedge.so. */
struct uwbt_session {
	uintptr_t opaque[40];
};

struct uwbt_ops {
	unsigned abi;
	/* The calling thread's return addresses, innermost first, without
	 * unwedge's own frames (the wrapper and everything it called). Returns
	 * how many were stored, 0 if the stack could not be unwound. */
	int (*capture)(uintptr_t *ips, int max);
	void (*begin)(struct uwbt_session *s);
	/* exact: ip is where execution resumes (the frame a signal interrupted),
	 * not a return address. */
	void (*resolve)(struct uwbt_session *s, uintptr_t ip, int exact, struct uwbt_sym *out);
	void (*end)(struct uwbt_session *s);
};

/* self: the address of any function of libunwedge.so, whose frames capture()
 * leaves out. Called once, at start-up. NULL with a reason in err on failure. */
typedef const struct uwbt_ops *(*uwbt_entry_fn)(unsigned abi, const void *self, char *err, size_t errlen);

#endif
