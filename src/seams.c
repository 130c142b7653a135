#include "seams.h"

#include "clock.h"
#include "libc.h"

static int64_t clock_now(void)
{
	return uw_now_ns();
}

/* libc's poll, not the raw system call: it is a cancellation point, as the
 * blocking write it stands in for is (pthread_cancel must end the wait). */
static int libc_poll(struct pollfd *fds, nfds_t n, int ms)
{
	return UW_LIBC(poll)(fds, n, ms);
}

struct uw_seams uw_seams = {.now = clock_now, .poll = libc_poll};
