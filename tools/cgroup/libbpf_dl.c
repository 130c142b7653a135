#include "libbpf_dl.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* libbpf's types stay opaque here: we use only functions of its stable 1.x ABI, declared from its
 * documentation, so building the launcher needs no libbpf headers either. */
struct bpf_object;
struct bpf_program;
struct bpf_map;
typedef int (*print_fn)(int level, const char *fmt, va_list ap);

#define LIBBPF_SONAME "libbpf.so.1"
#define LIBBPF_WARN   0

static struct {
	print_fn (*set_print)(print_fn fn);
	struct bpf_object *(*open_mem)(const void *buf, size_t len, const void *opts);
	int (*load)(struct bpf_object *obj);
	struct bpf_program *(*find_prog)(const struct bpf_object *obj, const char *name);
	int (*prog_fd)(const struct bpf_program *prog);
	struct bpf_map *(*find_map)(const struct bpf_object *obj, const char *name);
	int (*map_fd)(const struct bpf_map *map);
	void (*close)(struct bpf_object *obj);
} lb;

/* The first warning libbpf printed: for a refused program it names the cause ("BPF program load
 * failed: Operation not permitted"), the lines after it are the verifier's log. */
static char first_warning[256];

static int capture(int level, const char *fmt, va_list ap)
{
	char line[sizeof first_warning];
	if (level != LIBBPF_WARN || first_warning[0])
		return 0;
	vsnprintf(line, sizeof line, fmt, ap);
	line[strcspn(line, "\n")] = 0;
	/* Unprivileged, libbpf first complains about RLIMIT_MEMLOCK, which is not the problem. */
	if (strstr(line, "RLIMIT_MEMLOCK"))
		return 0;
	const char *p = strncmp(line, "libbpf: ", 8) == 0 ? line + 8 : line;
	snprintf(first_warning, sizeof first_warning, "%s", p);
	return 0;
}

static int bind_libbpf(char *err, size_t errlen)
{
	if (lb.close)
		return 0;
	void *h = dlopen(LIBBPF_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(err, errlen,
			 "cannot load %s (%s): install it (Debian and Ubuntu: libbpf1; Fedora: libbpf)",
			 LIBBPF_SONAME, dlerror());
		return -1;
	}
	struct {
		const char *name;
		void **slot;
	} syms[] = {
		{"libbpf_set_print", (void **)&lb.set_print},
		{"bpf_object__open_mem", (void **)&lb.open_mem},
		{"bpf_object__load", (void **)&lb.load},
		{"bpf_object__find_program_by_name", (void **)&lb.find_prog},
		{"bpf_program__fd", (void **)&lb.prog_fd},
		{"bpf_object__find_map_by_name", (void **)&lb.find_map},
		{"bpf_map__fd", (void **)&lb.map_fd},
		{"bpf_object__close", (void **)&lb.close},
	};
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		*syms[i].slot = dlsym(h, syms[i].name);
		if (!*syms[i].slot) {
			snprintf(err, errlen, "%s has no %s: it is not a usable libbpf 1.x", LIBBPF_SONAME,
				 syms[i].name);
			memset(&lb, 0, sizeof lb);
			dlclose(h);
			return -1;
		}
	}
	return 0;
}

/* Close-on-exec: the command the launcher runs must not inherit them. */
static int fcntl_dup(int fd)
{
	return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

static void close_loaded(struct uw_loaded *l)
{
	if (l->prog_fd >= 0)
		close(l->prog_fd);
	if (l->settings_fd >= 0)
		close(l->settings_fd);
	if (l->stats_fd >= 0)
		close(l->stats_fd);
	l->prog_fd = l->settings_fd = l->stats_fd = -1;
}

static void explain(int e, const char *what, char *err, size_t errlen)
{
	const char *hint = "";
	if (e == EPERM || e == EACCES)
		hint = geteuid() != 0 ? ": loading BPF programs needs root"
				      : ": the kernel refused; it needs CAP_BPF and CAP_NET_ADMIN (or "
					"CAP_SYS_ADMIN), "
					"which a container may not have, and kernel lockdown refuses BPF too";
	else if (e == EINVAL || e == E2BIG || e == ENOTSUP)
		hint = ": the kernel may be too old for this program (Linux 5.9 or later is needed)";
	else if (e == ENOSYS)
		hint = ": this kernel was built without BPF (CONFIG_BPF_SYSCALL)";
	snprintf(err, errlen, "%s: %s%s%s%s%s", what, strerror(e), hint, first_warning[0] ? " (libbpf: " : "",
		 first_warning, first_warning[0] ? ")" : "");
}

int uw_libbpf_load(const void *obj, size_t len, const char *prog_name, const char *settings_map,
		   const char *stats_map, struct uw_loaded *out, char *err, size_t errlen)
{
	out->prog_fd = out->settings_fd = out->stats_fd = -1;
	if (bind_libbpf(err, errlen) != 0)
		return -1;
	first_warning[0] = 0;
	lb.set_print(capture);

	/* The head of libbpf's bpf_object_open_opts, the same in every 1.x: libbpf reads only the
	 * first sz bytes, so naming the object (for its messages) needs nothing more. */
	struct {
		size_t sz;
		const char *object_name;
	} opts = {sizeof opts, prog_name};
	struct bpf_object *o = lb.open_mem(obj, len, &opts);
	if (!o) {
		explain(errno ? errno : EINVAL, "cannot open the embedded BPF object", err, errlen);
		return -1;
	}
	int r = lb.load(o);
	if (r != 0) {
		explain(r < 0 ? -r : EINVAL, "cannot load the BPF program", err, errlen);
		lb.close(o);
		return -1;
	}
	struct bpf_program *p = lb.find_prog(o, prog_name);
	struct bpf_map *s = lb.find_map(o, settings_map);
	struct bpf_map *st = lb.find_map(o, stats_map);
	/* bpf_object__close closes libbpf's fds: keep duplicates, so the attachment and the maps
	 * outlive the object. */
	if (p && s && st) {
		out->prog_fd = fcntl_dup(lb.prog_fd(p));
		out->settings_fd = fcntl_dup(lb.map_fd(s));
		out->stats_fd = fcntl_dup(lb.map_fd(st));
	}
	lb.close(o);
	if (out->prog_fd < 0 || out->settings_fd < 0 || out->stats_fd < 0) {
		snprintf(err, errlen,
			 "the embedded BPF object lacks %s, %s or %s, or they could not be kept: %s",
			 prog_name, settings_map, stats_map, strerror(errno));
		close_loaded(out);
		return -1;
	}
	return 0;
}
