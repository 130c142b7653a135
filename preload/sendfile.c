/* sendfile and sendfile64: ticked calls (see ticked.h). */
#include <sys/stat.h>

#include "route.h"
#include "ticked_route.h"

typedef ssize_t (*sendfile_fn)(int, int, off_t *, size_t);

struct sf_args {
	sendfile_fn real; /* uw_real.sendfile or uw_real.sendfile64 */
	int in;
	off_t *off;
};

static ssize_t sf_call(struct uw_ticked *t, size_t want)
{
	struct sf_args *a = t->ctx;
	return a->real(t->out, a->in, a->off, want);
}

static ssize_t sf_pass(struct uw_ticked *t)
{
	return sf_call(t, t->count);
}

/* A count far past the end of a regular file ("the rest of the file", as
 * busybox httpd asks) is what is left in it: the kernel stops there anyway,
 * and the log then says how much was really pending (a file that grows during
 * the call is sent up to its size when the call began). */
static size_t meaningful(int in, const off_t *off, size_t count)
{
	struct stat st;
	if (count < ((size_t)1 << 40) || syscall(SYS_fstat, in, &st) != 0 || !S_ISREG(st.st_mode))
		return count;
	off_t at = off ? *off : (off_t)syscall(SYS_lseek, in, 0, SEEK_CUR);
	if (at < 0 || at >= st.st_size)
		return count;
	return (size_t)(st.st_size - at) < count ? (size_t)(st.st_size - at) : count;
}

static ssize_t guarded(const char *name, sendfile_fn real, int out, int in, off_t *off, size_t count)
{
	if (uw_e_kind(uw_fd_load(out)) != UW_KIND_PASS)
		count = meaningful(in, off, count);
	struct sf_args a = {real, in, off};
	struct uw_ticked t = {
		.name = name, .out = out, .count = count, .call = sf_call, .pass = sf_pass, .ctx = &a};
	return uw_ticked_call(&t);
}

UW_EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t count)
{
	return guarded("sendfile", uw_real.sendfile, out, in, off, count);
}

UW_EXPORT ssize_t sendfile64(int out, int in, off_t *off, size_t count)
{
	return guarded("sendfile64", uw_real.sendfile64, out, in, off, count);
}
