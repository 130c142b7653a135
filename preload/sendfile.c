/* sendfile and sendfile64: ticked calls (see ticked.h). */
#include "route.h"
#include "ticked_route.h"

typedef ssize_t (*sendfile_fn)(int, int, off_t *, size_t);

struct sf_args {
	sendfile_fn real;
	long sysno;
	int in;
	off_t *off;
};

static ssize_t sf_call(struct uw_ticked *t, size_t want)
{
	struct sf_args *a = t->ctx;
	return a->real ? a->real(t->out, a->in, a->off, want)
		       : syscall(a->sysno, t->out, a->in, a->off, want);
}

static ssize_t sf_pass(struct uw_ticked *t)
{
	return sf_call(t, t->count);
}

static ssize_t guarded(const char *name, sendfile_fn real, int out, int in, off_t *off, size_t count)
{
	struct sf_args a = {real, SYS_sendfile, in, off};
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
