/* The clock of one blocked call: when it began, when it last moved a byte, our
 * deadline (idle: from the last progress; total: from the start) and the
 * application's own SO_SNDTIMEO (per system call, from the start, as the kernel
 * keeps it). Pure arithmetic, no system call: the engine (engine.h) feeds it
 * the time and acts on its answers, and tests drive it with any clock. */
#ifndef UW_DEADLINE_H
#define UW_DEADLINE_H

#include <stdbool.h>
#include <stdint.h>

/* A time that never comes (no deadline): far enough that adding to it is safe. */
#define UW_NEVER (INT64_MAX / 2)

struct uw_deadline {
	int64_t start;	      /* when the call began */
	int64_t ours_start;   /* when a total deadline began (SSL_write's start) */
	int64_t progress;     /* when it last moved a byte */
	int64_t ours_ns;      /* our deadline's length; UW_NEVER: none */
	int64_t app_ns;	      /* the application's SO_SNDTIMEO; 0: none */
	uint32_t deadline_ms; /* our deadline as the policy gave it (0: none), for the log */
	bool total;	      /* UNWEDGE_DEADLINE=total */
	bool observe;	      /* UNWEDGE_MODE=observe: our expiry is only a crossing */
	bool waited;	      /* the call waited at least once (it is worth an event) */
	bool crossed;	      /* observe mode: it blocked past our deadline */
	bool fired;	      /* our deadline failed it */
};

/* What the clock says at a given time. */
enum uw_expiry {
	UW_EXPIRY_NONE,	   /* nothing yet: wait */
	UW_EXPIRY_APP,	   /* the application's SO_SNDTIMEO: EAGAIN, as the kernel gives it */
	UW_EXPIRY_OURS,	   /* our deadline: ETIMEDOUT */
	UW_EXPIRY_CROSSED, /* observe mode: our deadline passed; say so and wait on */
};

/* Starts the clock of a call that began at start. ours_start is start, or
 * earlier when the call is part of a longer one (SSL_write's total deadline). */
void uw_deadline_start(struct uw_deadline *d, int64_t start, int64_t ours_start);

/* At the call's first wait: the deadlines, as the policy and the application
 * gave them (deadline_ms 0: none). */
void uw_deadline_set(struct uw_deadline *d, uint32_t deadline_ms, uint64_t app_us, bool total, bool observe);

/* The call moved a byte at now (an idle deadline starts again). */
void uw_deadline_moved(struct uw_deadline *d, int64_t now);

/* Which expiry has come at now; with UW_EXPIRY_NONE, *left_ns is the time to
 * the earlier of the two (UW_NEVER: none). The application's expiry wins a tie,
 * as it would in the kernel, which checks its own timer first. */
enum uw_expiry uw_deadline_due(const struct uw_deadline *d, int64_t now, int64_t *left_ns);

/* Which deadline would expire first for a call that moved nothing: for stdio,
 * where the kernel did the waiting and only its EAGAIN is seen. */
enum uw_expiry uw_deadline_first(const struct uw_deadline *d);

/* Observe mode, after the crossing was reported: our deadline is spent. */
void uw_deadline_cross(struct uw_deadline *d);

/* How long the call has waited against our deadline, in milliseconds. */
int64_t uw_deadline_waited_ms(const struct uw_deadline *d, int64_t now);

/* A timeout for poll() from a time left: whole milliseconds rounded up, -1 for
 * none, capped at INT_MAX. */
int uw_deadline_poll_ms(int64_t left_ns);

/* A call the kernel waited for itself (stdio, sendfile in observe mode): did it
 * take longer than our deadline? Sets crossed in observe mode. */
void uw_deadline_took(struct uw_deadline *d, int64_t now);

#endif
