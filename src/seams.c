#include "seams.h"

#include "clock.h"

static int64_t clock_now(void)
{
	return uw_now_ns();
}

struct uw_seams uw_seams = {.now = clock_now, .poll = poll};
