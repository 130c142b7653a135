/* Loading the BPF object through libbpf.so.1, opened with dlopen at the moment it is needed: the
 * launcher starts, and runs commands unprotected, on machines without libbpf; only the cgroup
 * mode needs it, and then a missing library is one clear message. */
#ifndef UW_LIBBPF_DL_H
#define UW_LIBBPF_DL_H

#include <stddef.h>

struct uw_loaded {
	int prog_fd;
	int settings_fd;
	int stats_fd;
};

/* Loads (verifies) the object in obj and returns fds of its program and its two maps, which the
 * caller closes. On failure -1 and a message in err, with libbpf's last complaint if it had one. */
int uw_libbpf_load(const void *obj, size_t len, const char *prog_name, const char *settings_map,
		   const char *stats_map, struct uw_loaded *out, char *err, size_t errlen);

#endif
