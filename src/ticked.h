/* Calls that cannot be made non-blocking (sendfile and splice have no
 * MSG_DONTWAIT, and O_NONBLOCK belongs to every holder of the open file): each
 * kernel call gets a short SO_SNDTIMEO (a tick), so that the kernel returns
 * within the tick of blocking with a partial count or EAGAIN, and the deadline,
 * idle or total, is kept here from those returns. The socket keeps our
 * SO_SNDTIMEO between calls (the backstop), while getsockopt still shows the
 * application its own value. A healthy call costs two setsockopt calls besides
 * its own; the payloads these calls move make that small. */
#ifndef UW_TICKED_H
#define UW_TICKED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct uw_ticked {
	const char *name; /* for the log */
	int out;	  /* the socket written to */
	size_t count;	  /* bytes asked for */
	/* One kernel call moving at most want bytes; the plain call for an fd we
	 * do not guard. */
	ssize_t (*call)(struct uw_ticked *t, size_t want);
	ssize_t (*pass)(struct uw_ticked *t);
	void *ctx;
};

/* Runs a call routed to be guarded (e: the socket's word; t->count > 0). */
ssize_t uw_ticked_run(struct uw_ticked *t, uint64_t e);

#endif
