#include "libc.h"
#include "backtrace.h"

#include <dlfcn.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backtrace/uwbt.h"
#include "log.h"
#include "runtime.h"

/* Set once at start-up, before any wrapper can report; read-only afterwards. */
static const struct uwbt_ops *ops;

/* About twice what capture and resolve were measured to use: 6 KB built as
 * usual, 10 KB with ASan. A handler running on an alternate signal stack with
 * less room left gets "backtrace=unavailable" rather than a stack overflow. */
#define STACK_NEEDED (24 * 1024)

/* One line on stderr: "unwedge: UNWEDGE_BACKTRACE=1 but WHAT DETAIL; running
 * without backtraces". DETAIL comes from the loader: control bytes become '?'. */
static void say(const char *what, const char *detail)
{
	char line[1024];
	struct uw_buf b;
	uw_buf_init(&b, line, sizeof line - 1);
	uw_buf_str(&b, "unwedge: UNWEDGE_BACKTRACE=1 but ");
	uw_buf_str(&b, what);
	for (size_t i = 0; detail[i] && i < 600; i++) {
		char ch = detail[i] < 0x20 || detail[i] == 0x7f ? '?' : detail[i];
		uw_buf_mem(&b, &ch, 1);
	}
	uw_buf_str(&b, "; running without backtraces");
	line[b.len++] = '\n';
	uw_log_stderr(line, b.len);
}

void uw_backtrace_load(void)
{
	Dl_info self;
	char path[4096];
	if (ops != NULL)
		return;
#ifdef UW_NO_BACKTRACE_HELPER
	say("backtraces are not available in this build (no libunwind for its libc or architecture: the musl "
	    "and arm64 builds)",
	    "");
	return;
#endif
	if (!UW_LIBC(dladdr)((void *)&uw_backtrace_load, &self) || self.dli_fname == NULL) {
		say("the directory of libunwedge.so is unknown", "");
		return;
	}
	const char *slash = strrchr(self.dli_fname, '/');
	size_t dir = slash ? (size_t)(slash - self.dli_fname) + 1 : 0;
	if (dir + sizeof UWBT_FILE > sizeof path) {
		say("the path of libunwedge.so is too long", "");
		return;
	}
	memcpy(path, self.dli_fname, dir);
	memcpy(path + dir, UWBT_FILE, sizeof UWBT_FILE);
	/* Local: libunwind's _Unwind_* and backtrace() must not interpose the
	 * application's. Now: no lazy binding later, in a signal handler. */
	void *h = UW_LIBC(dlopen)(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		const char *why = UW_LIBC(dlerror)();
		say("the helper cannot be loaded: ", why ? why : path);
		return;
	}
	uwbt_entry_fn entry = (uwbt_entry_fn)dlsym(h, UWBT_ENTRY);
	if (entry == NULL) {
		say("the helper lacks its entry point: ", path);
		UW_LIBC(dlclose)(h);
		return;
	}
	char err[256] = "";
	const struct uwbt_ops *o = entry(UWBT_ABI, (const void *)&uw_backtrace_load, err, sizeof err);
	if (o == NULL) {
		say("the helper failed: ", err);
		return; /* never dlclose: it may have started libunwind */
	}
	ops = o;
}

bool uw_backtrace_loaded(void)
{
	return ops != NULL;
}

static bool stack_room(size_t need)
{
	stack_t ss;
	char here;
	if (syscall(SYS_sigaltstack, NULL, &ss) != 0 || !(ss.ss_flags & SS_ONSTACK))
		return true;
	return (uintptr_t)&here - (uintptr_t)ss.ss_sp >= need;
}

static bool enough_stack(void)
{
	return stack_room(STACK_NEEDED);
}

bool uw_backtrace_wanted(size_t caller_needs)
{
	return ops != NULL && !uw_cfg.log_off && stack_room(STACK_NEEDED + caller_needs);
}

int uw_backtrace_capture(void **ips, int max)
{
	if (ops == NULL || max <= 0 || !enough_stack())
		return 0;
	return ops->capture((uintptr_t *)ips, max);
}

int uw_backtrace_each(void *const *ips, int n, bool (*fn)(const struct uw_bt_frame *f, void *arg), void *arg)
{
	if (ops == NULL)
		return 0;
	struct uwbt_session s;
	int i = 0;
	bool after_signal = false;
	ops->begin(&s);
	for (; i < n; i++) {
		struct uwbt_sym y;
		ops->resolve(&s, (uintptr_t)ips[i], after_signal, &y);
		struct uw_bt_frame f = {
			.ip = (uintptr_t)ips[i],
			.module = y.module,
			.module_offset = y.module_offset,
			.symbol = y.symbol,
			.symbol_offset = y.symbol_offset,
			.signal = y.signal != 0,
		};
		after_signal = f.signal;
		if (!fn(&f, arg)) {
			i++;
			break;
		}
	}
	ops->end(&s);
	return i;
}
