/* unwedge's cgroup layer: a sock_ops BPF program that gives every TCP socket of a cgroup a
 * TCP_USER_TIMEOUT, for programs that no preload reaches (Go, static binaries).
 * Every function that can fail returns -1 and puts one line in err, never exits, never crashes;
 * the caller decides whether to go on unprotected. */
#ifndef UW_CGROUP_BPF_H
#define UW_CGROUP_BPF_H

#include <stddef.h>
#include <stdio.h>

#include "cgroup_settings.h"

/* How an attachment lives. */
enum uw_cg_mode {
	/* A BPF link pinned under /sys/fs/bpf/unwedge/cgID: stays, whatever processes come and go,
	 * until uw_cg_detach. Needs the BPF filesystem mounted at /sys/fs/bpf. For cgroups someone
	 * else manages (a service's, a container's). */
	UW_CG_PINNED,
	/* Attached to the cgroup itself, without link or pin: removing the cgroup removes it and
	 * leaves nothing behind. For a cgroup made for one command (uw_cg_enter_new_child). */
	UW_CG_OWNED,
};

/* Whether this kernel can do it at all. 0 and possibly a warning in warn (a kernel that sets the
 * option but does not apply it to a peer that stopped reading), or -1 and the reason in err. */
int uw_cg_kernel_check(char *warn, size_t warnlen, char *err, size_t errlen);

/* Everything short of attaching: kernel version, cgroup v2, libbpf, and the kernel's verdict on
 * loading the program. 0 (and maybe a warning), or -1 and the first obstacle in err. */
int uw_cg_probe(char *warn, size_t warnlen, char *err, size_t errlen);

/* Puts the program on the cgroup (a directory of the cgroup v2 filesystem, or a path inside the
 * hierarchy such as /system.slice/x.service) with these settings. If it is already there, only its
 * settings change, in place: the cgroup is never left unprotected in between. Returns 0 when it
 * attached, 1 when it updated. */
int uw_cg_attach(const char *cgroup, const struct uw_cg_settings *s, enum uw_cg_mode mode, char *err,
		 size_t errlen);

/* Removes every unwedge program from the cgroup, and its pins. 0 when something was removed, 1 when
 * there was nothing. Sockets that already got their options keep them. */
int uw_cg_detach(const char *cgroup, char *err, size_t errlen);

/* Prints what is attached, with settings and counters: for one cgroup, or (cgroup NULL) for every
 * cgroup of the hierarchy, and pins left behind by removed cgroups. */
int uw_cg_status(const char *cgroup, FILE *out, char *err, size_t errlen);

/* Creates a child of the caller's cgroup named unwedge.PID, attaches (UW_CG_OWNED) and moves the
 * caller in; the sockets it creates from then on, and its children's, are covered. dir receives the
 * new cgroup's directory: removing it (rmdir, once no process is left) removes everything. Empty
 * unwedge.PID siblings whose process is gone are removed on the way. */
int uw_cg_enter_new_child(const struct uw_cg_settings *s, char *dir, size_t dirlen, char *err, size_t errlen);

/* Rewrites the settings of the program already on the cgroup. 0, or -1 (none there, or an error). */
int uw_cg_update(const char *cgroup, const struct uw_cg_settings *s, char *err, size_t errlen);

/* 1 if dir is a cgroup uw_cg_enter_new_child left behind: named unwedge.PID, empty, and process
 * PID has ended (its command, which ran as that PID). A PID still alive is never taken for one, so
 * a launcher between mkdir and joining is safe. */
int uw_cg_leftover(const char *dir);

/* After entering the cgroup dir with the program on it (settings s): makes a loopback connection
 * and reads its options back; the program leaves that connection out of its counters. 1 if the
 * program applied the settings, 0 if not (message in err), -1 if it could not tell (no loopback). */
int uw_cg_verify(const char *dir, const struct uw_cg_settings *s, char *err, size_t errlen);

void uw_cg_settings_format(const struct uw_cg_settings *s, char *buf, size_t len);

#endif
