/* uw_cg_status and the one-line form of the settings. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "cgroup_bpf.h"
#include "cgroup_fs.h"
#include "cgroup_ours.h"

void uw_cg_settings_format(const struct uw_cg_settings *s, char *buf, size_t len)
{
	char uto[32] = "off", ka[96] = "off";
	if ((s->flags & UW_CG_F_USER_TIMEOUT) && s->user_timeout_ms)
		snprintf(uto, sizeof uto, "%ums", s->user_timeout_ms);
	if (s->flags & UW_CG_F_KEEPALIVE)
		snprintf(ka, sizeof ka, "idle=%us,intvl=%us,cnt=%u (0: kernel default)", s->keep_idle_s,
			 s->keep_intvl_s, s->keep_cnt);
	snprintf(buf, len, "tcp-user-timeout=%s keepalive=%s%s%s", uto, ka,
		 s->flags & UW_CG_F_AT_CONNECT ? " at-connect" : "",
		 s->flags & UW_CG_F_OVERRIDE ? " override" : " keep-application-values");
}

struct status_ctx {
	FILE *out;
	int shown;
	int failed;
	char err[512];
};

static void show_prog(struct status_ctx *c, const char *dir, uint64_t cgid, uint32_t prog_id)
{
	int sfd, stfd;
	struct uw_cg_settings s;
	uint64_t st[UW_CG_ST_COUNT] = {0};
	char pdir[PATH_MAX], lp[PATH_MAX + 8], how[PATH_MAX + 64] = "attached to the cgroup itself, no pin";
	uw_ours_pin_dir(cgid, pdir, sizeof pdir);
	snprintf(lp, sizeof lp, "%s/link", pdir);
	int link = uw_bpf_get_pinned(lp);
	if (link >= 0) {
		uint64_t lcg;
		uint32_t lprog;
		if (uw_bpf_link_cgroup(link, &lcg, &lprog) == 0 && lprog == prog_id)
			snprintf(how, sizeof how, "link pinned in %s", pdir);
		close(link);
	}
	c->shown++;
	if (uw_ours_maps(prog_id, &sfd, &stfd) != 0) {
		fprintf(c->out, "%s: program %u (%s): cannot find its settings: %s\n", dir, prog_id, how,
			strerror(errno));
		return;
	}
	int r = uw_bpf_map_lookup(sfd, 0, &s);
	int e = errno;
	close(sfd);
	if (r != 0) {
		fprintf(c->out, "%s: program %u (%s): cannot read its settings: %s\n", dir, prog_id, how,
			strerror(e));
		if (stfd >= 0)
			close(stfd);
		return;
	}
	for (uint32_t k = 0; stfd >= 0 && k < UW_CG_ST_COUNT; k++)
		uw_bpf_map_lookup(stfd, k, &st[k]);
	if (stfd >= 0)
		close(stfd);
	char set[256];
	uw_cg_settings_format(&s, set, sizeof set);
	fprintf(c->out, "%s: %s (program %u, %s)\n", dir, set, prog_id, how);
	fprintf(c->out,
		"    sockets %llu: user timeout set %llu, kept %llu; keepalive set %llu, kept %llu; "
		"unreadable %llu, refused %llu\n",
		(unsigned long long)st[UW_CG_ST_SOCKETS], (unsigned long long)st[UW_CG_ST_UTO_SET],
		(unsigned long long)st[UW_CG_ST_UTO_KEPT], (unsigned long long)st[UW_CG_ST_KA_SET],
		(unsigned long long)st[UW_CG_ST_KA_KEPT], (unsigned long long)st[UW_CG_ST_GET_FAILED],
		(unsigned long long)st[UW_CG_ST_SET_FAILED]);
}

static int status_one(const char *dir, void *ctx)
{
	struct status_ctx *c = ctx;
	uint32_t ids[16];
	uint64_t cgid = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* removed meanwhile */
	int n = uw_ours_find(fd, ids, 16);
	int e = errno;
	close(fd);
	if (n < 0) {
		/* Every cgroup would answer the same: stop at the first. */
		snprintf(c->err, sizeof c->err, "cannot query the BPF programs of %s: %s%s", dir, strerror(e),
			 e == EPERM ? " (needs root)" : "");
		c->failed = 1;
		return 1;
	}
	if (n > 0 && uw_cg_leftover(dir)) {
		/* Not attached to anything that runs: the command that ran in it has ended. */
		fprintf(c->out,
			"%s: left over, empty: its command (process %s) has ended; its program goes with the "
			"cgroup, removed by the next unwedge --cgroup run here or by: rmdir %s\n",
			dir, strrchr(dir, '.') + 1, dir);
		c->shown++;
		return 0;
	}
	uw_cgfs_id(dir, &cgid);
	for (int i = 0; i < n; i++)
		show_prog(c, dir, cgid, ids[i]);
	return 0;
}

/* Pins whose link no longer has a cgroup: the cgroup was removed while attached. The pins keep the
 * program and maps in memory until removed. */
static void show_stale_pins(struct status_ctx *c)
{
	DIR *d = opendir(UW_PIN_ROOT);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		char lp[PATH_MAX];
		uint64_t cg = 0;
		uint32_t prog = 0;
		if (strncmp(e->d_name, UW_PIN_PREFIX, strlen(UW_PIN_PREFIX)) != 0)
			continue;
		snprintf(lp, sizeof lp, "%s/%s/link", UW_PIN_ROOT, e->d_name);
		int link = uw_bpf_get_pinned(lp);
		int ok = link >= 0 && uw_bpf_link_cgroup(link, &cg, &prog) == 0 && cg != 0;
		if (link >= 0)
			close(link);
		if (!ok) {
			fprintf(c->out, "%s/%s: pins of a removed cgroup; remove them with: rm -r %s/%s\n",
				UW_PIN_ROOT, e->d_name, UW_PIN_ROOT, e->d_name);
			c->shown++;
		}
	}
	closedir(d);
}

int uw_cg_status(const char *cgroup, FILE *out, char *err, size_t errlen)
{
	struct status_ctx c = {.out = out};
	char dir[PATH_MAX];
	if (cgroup) {
		if (uw_cgfs_resolve(cgroup, dir, sizeof dir, err, errlen) != 0)
			return -1;
		status_one(dir, &c);
	} else {
		if (uw_cgfs_mount(dir, sizeof dir, err, errlen) != 0)
			return -1;
		uw_cgfs_walk(dir, status_one, &c);
		if (!c.failed)
			show_stale_pins(&c);
	}
	if (c.failed) {
		snprintf(err, errlen, "%s", c.err);
		return -1;
	}
	if (!c.shown)
		fprintf(out, "%s: no unwedge program attached\n", cgroup ? dir : "cgroup v2 hierarchy");
	return 0;
}
