#include "deadline.h"

#include <limits.h>

void uw_deadline_start(struct uw_deadline *d, int64_t start, int64_t ours_start)
{
	*d = (struct uw_deadline){
		.start = start, .ours_start = ours_start, .progress = start, .ours_ns = UW_NEVER};
}

void uw_deadline_set(struct uw_deadline *d, uint32_t deadline_ms, uint64_t app_us, bool total, bool observe)
{
	d->ours_ns = deadline_ms ? (int64_t)deadline_ms * 1000000 : UW_NEVER;
	d->app_ns = (int64_t)app_us * 1000;
	d->deadline_ms = deadline_ms;
	d->total = total;
	d->observe = observe;
	d->waited = true;
}

void uw_deadline_moved(struct uw_deadline *d, int64_t now)
{
	d->progress = now;
}

static int64_t ours_from(const struct uw_deadline *d)
{
	return d->total ? d->ours_start : d->progress;
}

enum uw_expiry uw_deadline_due(const struct uw_deadline *d, int64_t now, int64_t *left_ns)
{
	int64_t ours = ours_from(d) + d->ours_ns;
	int64_t app = d->app_ns ? d->start + d->app_ns : UW_NEVER;
	if (now >= app && app <= ours)
		return UW_EXPIRY_APP;
	if (now >= ours)
		return d->observe ? UW_EXPIRY_CROSSED : UW_EXPIRY_OURS;
	int64_t until = app < ours ? app : ours;
	*left_ns = until >= UW_NEVER / 2 ? UW_NEVER : until - now;
	return UW_EXPIRY_NONE;
}

enum uw_expiry uw_deadline_first(const struct uw_deadline *d)
{
	if (d->app_ns && d->app_ns <= d->ours_ns)
		return UW_EXPIRY_APP;
	if (d->ours_ns >= UW_NEVER)
		return UW_EXPIRY_NONE;
	return d->observe ? UW_EXPIRY_CROSSED : UW_EXPIRY_OURS;
}

void uw_deadline_cross(struct uw_deadline *d)
{
	d->crossed = true;
	d->ours_ns = UW_NEVER;
}

int64_t uw_deadline_waited_ms(const struct uw_deadline *d, int64_t now)
{
	return (now - ours_from(d)) / 1000000;
}

int uw_deadline_poll_ms(int64_t left_ns)
{
	if (left_ns >= UW_NEVER)
		return -1;
	int64_t ms = (left_ns + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

void uw_deadline_took(struct uw_deadline *d, int64_t now)
{
	d->waited = true;
	d->crossed = d->observe && d->deadline_ms && now - d->start >= d->ours_ns;
}
