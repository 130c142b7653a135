#include "seams.h"

#include "clock.h"
#include "sys.h"

static int64_t clock_now(void)
{
	return uw_now_ns();
}

static int sys_poll(struct pollfd *fds, nfds_t n, int ms)
{
	return uw_sys_poll(fds, n, ms);
}

struct uw_seams uw_seams = {.now = clock_now, .poll = sys_poll};
