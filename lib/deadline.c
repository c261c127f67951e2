/*
 * NAME
 *	deadline - points in time on the monotonic clock
 * SYNOPSIS
 *	#include "deadline.h"
 *
 *	void deadline_none(struct deadline *d);
 *	void deadline_in_ms(struct deadline *d, long ms);
 *	struct deadline deadline_earliest(const struct deadline *a,
 *	    const struct deadline *b);
 *	long deadline_remaining_ms(const struct deadline *d);
 *	int deadline_poll_ms(const struct deadline *d);
 *	bool deadline_expired(const struct deadline *d);
 *	long deadline_now_ms(void);
 * DESCRIPTION
 *	Every wait in slimrelay is a poll() against a deadline on
 *	CLOCK_MONOTONIC, so that wall-clock changes cannot stretch or cut
 *	a timeout. deadline_none() never expires; deadline_in_ms() with
 *	ms < 0 is the same as deadline_none().
 *
 *	deadline_remaining_ms() returns -1 for a deadline that is not set,
 *	else the milliseconds left, 0 once expired (rounded up, so a wait
 *	never ends a millisecond early). deadline_poll_ms() returns the
 *	same as a poll(2) timeout, clamped to INT_MAX.
 *
 *	deadline_earliest() combines a stage timeout with the run's
 *	overall deadline.
 */
#include "autoconfig.h"

#include <limits.h>
#include <time.h>

#include "deadline.h"

/* now - the monotonic clock */
static struct timespec
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

/* deadline_now_ms - milliseconds on the monotonic clock */
long
deadline_now_ms(void)
{
	struct timespec ts = now();

	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* deadline_none - a deadline that never expires */
void
deadline_none(struct deadline *d)
{
	d->is_set = false;
	d->at.tv_sec = 0;
	d->at.tv_nsec = 0;
}

/* deadline_in_ms - expire ms milliseconds from now (ms < 0: never) */
void
deadline_in_ms(struct deadline *d, long ms)
{
	if (ms < 0) {
		deadline_none(d);
		return;
	}
	d->is_set = true;
	d->at = now();
	d->at.tv_sec += ms / 1000;
	d->at.tv_nsec += (ms % 1000) * 1000000L;
	if (d->at.tv_nsec >= 1000000000L) {
		d->at.tv_sec++;
		d->at.tv_nsec -= 1000000000L;
	}
}

/* deadline_earliest - the one of two deadlines that expires first */
struct deadline
deadline_earliest(const struct deadline *a, const struct deadline *b)
{
	if (!a->is_set)
		return *b;
	if (!b->is_set)
		return *a;
	if (a->at.tv_sec != b->at.tv_sec)
		return a->at.tv_sec < b->at.tv_sec ? *a : *b;
	return a->at.tv_nsec <= b->at.tv_nsec ? *a : *b;
}

/* deadline_remaining_ms - time left, rounded up; -1 if never expires */
long
deadline_remaining_ms(const struct deadline *d)
{
	struct timespec t;
	long long ns;

	if (!d->is_set)
		return -1;
	t = now();
	ns = (long long)(d->at.tv_sec - t.tv_sec) * 1000000000LL +
	    (d->at.tv_nsec - t.tv_nsec);
	if (ns <= 0)
		return 0;
	ns = (ns + 999999) / 1000000;
	return ns > LONG_MAX ? LONG_MAX : (long)ns;
}

/* deadline_poll_ms - a poll(2) timeout for this deadline */
int
deadline_poll_ms(const struct deadline *d)
{
	long ms = deadline_remaining_ms(d);

	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* deadline_expired - true once the deadline has passed */
bool
deadline_expired(const struct deadline *d)
{
	return deadline_remaining_ms(d) == 0;
}
