/* splice into a socket (from a pipe): a ticked call like sendfile (see
 * ticked.h). SPLICE_F_NONBLOCK makes only the pipe side non-blocking; the
 * socket side follows O_NONBLOCK, so a blocking socket can wedge here too. */
#include "route.h"
#include "ticked_route.h"

struct sp_args {
	int in;
	loff_t *off_in, *off_out;
	unsigned flags;
};

static ssize_t sp_call(struct uw_ticked *t, size_t want)
{
	struct sp_args *a = t->ctx;
	return uw_real.splice(a->in, a->off_in, t->out, a->off_out, want, a->flags);
}

static ssize_t sp_pass(struct uw_ticked *t)
{
	return sp_call(t, t->count);
}

UW_EXPORT ssize_t splice(int in, loff_t *off_in, int out, loff_t *off_out, size_t len, unsigned int flags)
{
	struct sp_args a = {in, off_in, off_out, flags};
	struct uw_ticked t = {
		.name = "splice", .out = out, .count = len, .call = sp_call, .pass = sp_pass, .ctx = &a};
	return uw_ticked_call(&t);
}
