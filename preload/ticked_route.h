/* sendfile and splice: routed like every write, then run by the ticked engine
 * (src/ticked.h). */
#ifndef UW_TICKED_ROUTE_H
#define UW_TICKED_ROUTE_H

#include "ticked.h"
#include "route.h"

static inline ssize_t uw_ticked_call(struct uw_ticked *t)
{
	uint64_t e;
	switch (uw_route(t->out, &e)) {
	case UW_ROUTE_PASS:
		return t->pass(t);
	case UW_ROUTE_DEAD:
		return uw_refused();
	case UW_ROUTE_GUARD:
		break;
	}
	if (t->count == 0)
		return t->pass(t);
	return uw_ticked_run(t, e);
}

#endif
