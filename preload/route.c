#include "route.h"

#include "sockinfo.h"
#include "tcp_uto.h"

enum uw_route uw_route_slow(int fd, uint64_t *e)
{
	if (!uw_is_active())
		return UW_ROUTE_PASS;
	for (int tries = 0; tries < 2; tries++) {
		*e = uw_fd_lookup(fd);
		if (!uw_kind_is_socket(uw_e_kind(*e)))
			return UW_ROUTE_PASS;
		if (!(*e & UW_E_TIMED_OUT))
			break;
		if (uw_fd_refuse_dead(fd, *e) != 0)
			return UW_ROUTE_DEAD;
		/* The mark was stale and is gone: look again. */
	}
	if (*e & UW_E_TIMED_OUT)
		return UW_ROUTE_PASS;
	if (uw_e_kind(*e) == UW_KIND_TCP && !(*e & UW_E_UTO_DONE)) {
		uw_uto_decide(fd, *e, -1);
		uint64_t now = uw_fd_load(fd);
		if (uw_e_kind(now) == uw_e_kind(*e))
			*e = now;
	}
	return uw_cfg.guard ? UW_ROUTE_GUARD : UW_ROUTE_PASS;
}
