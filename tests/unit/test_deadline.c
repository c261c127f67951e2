/*
 * NAME
 *	test_deadline - unit tests for lib/deadline.c
 * DESCRIPTION
 *	Unset deadlines never expire; set ones count down on the monotonic
 *	clock, round up, expire, and clamp for poll(2); the earliest of two
 *	wins.
 */
#include "autoconfig.h"

#include <limits.h>
#include <time.h>

#include "deadline.h"
#include "unit.h"

/* sleep_ms - sleep at least ms milliseconds */
static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* test_deadline_none - never expires; -1 for poll */
static void
test_deadline_none(void)
{
	struct deadline d;

	deadline_none(&d);
	UNIT_ASSERT_INT_EQ(d.is_set, false);
	UNIT_ASSERT_INT_EQ(deadline_remaining_ms(&d), -1);
	UNIT_ASSERT_INT_EQ(deadline_poll_ms(&d), -1);
	UNIT_ASSERT_INT_EQ(deadline_expired(&d), false);
	/* A negative time means the same. */
	deadline_in_ms(&d, -5);
	UNIT_ASSERT_INT_EQ(d.is_set, false);
	UNIT_ASSERT_INT_EQ(deadline_remaining_ms(&d), -1);
}

/* test_deadline_countdown - remaining time falls and reaches 0 */
static void
test_deadline_countdown(void)
{
	struct deadline d;
	long left;

	deadline_in_ms(&d, 1000);
	left = deadline_remaining_ms(&d);
	UNIT_ASSERT_INT_EQ(left > 900 && left <= 1000, 1);
	UNIT_ASSERT_INT_EQ(deadline_expired(&d), false);
	deadline_in_ms(&d, 40);
	sleep_ms(20);
	left = deadline_remaining_ms(&d);
	UNIT_ASSERT_INT_EQ(left > 0 && left <= 20, 1);
	sleep_ms(30);
	UNIT_ASSERT_INT_EQ(deadline_remaining_ms(&d), 0);
	UNIT_ASSERT_INT_EQ(deadline_poll_ms(&d), 0);
	UNIT_ASSERT_INT_EQ(deadline_expired(&d), true);
}

/* test_deadline_zero - 0 ms has expired at once */
static void
test_deadline_zero(void)
{
	struct deadline d;

	deadline_in_ms(&d, 0);
	UNIT_ASSERT_INT_EQ(d.is_set, true);
	UNIT_ASSERT_INT_EQ(deadline_expired(&d), true);
	UNIT_ASSERT_INT_EQ(deadline_remaining_ms(&d), 0);
}

/* test_deadline_rounds_up - 1 ms left is never reported as 0 */
static void
test_deadline_rounds_up(void)
{
	struct deadline d;

	struct timespec now;
	long left;

	/*
	 * A fraction of a millisecond left counts as a whole one: 0 only
	 * once the deadline has really passed.
	 */
	clock_gettime(CLOCK_MONOTONIC, &d.at);
	d.is_set = true;
	d.at.tv_nsec += 900000;
	if (d.at.tv_nsec >= 1000000000L) {
		d.at.tv_sec++;
		d.at.tv_nsec -= 1000000000L;
	}
	left = deadline_remaining_ms(&d);
	clock_gettime(CLOCK_MONOTONIC, &now);
	UNIT_ASSERT_INT_EQ(left <= 1, 1);
	if (left == 0 && (now.tv_sec < d.at.tv_sec ||
	    (now.tv_sec == d.at.tv_sec && now.tv_nsec < d.at.tv_nsec)))
		unit_fail(__FILE__, __LINE__, "0 ms left before the deadline");
	else
		CU_PASS("rounds up");
	deadline_in_ms(&d, 2500);
	UNIT_ASSERT_INT_EQ(deadline_remaining_ms(&d) >= 2490, 1);
	/* The nanosecond field stays normalised for odd milliseconds. */
	deadline_in_ms(&d, 999);
	UNIT_ASSERT_INT_EQ(d.at.tv_nsec >= 0 && d.at.tv_nsec < 1000000000L,
	    1);
	deadline_in_ms(&d, 1999);
	UNIT_ASSERT_INT_EQ(d.at.tv_nsec >= 0 && d.at.tv_nsec < 1000000000L,
	    1);
}

/* test_deadline_poll_clamp - very far deadlines fit in an int */
static void
test_deadline_poll_clamp(void)
{
	struct deadline d;

	deadline_in_ms(&d, (long)INT_MAX + 100000L);
	UNIT_ASSERT_INT_EQ(deadline_poll_ms(&d), INT_MAX);
	UNIT_ASSERT_INT_EQ(deadline_remaining_ms(&d) > INT_MAX, 1);
}

/* test_deadline_earliest - the sooner one; unset loses to set */
static void
test_deadline_earliest(void)
{
	struct deadline a, b, none, e;

	deadline_in_ms(&a, 100);
	deadline_in_ms(&b, 5000);
	deadline_none(&none);
	e = deadline_earliest(&a, &b);
	UNIT_ASSERT_INT_EQ(deadline_remaining_ms(&e) <= 100, 1);
	e = deadline_earliest(&b, &a);
	UNIT_ASSERT_INT_EQ(deadline_remaining_ms(&e) <= 100, 1);
	e = deadline_earliest(&none, &b);
	UNIT_ASSERT_INT_EQ(deadline_remaining_ms(&e) > 4000, 1);
	e = deadline_earliest(&b, &none);
	UNIT_ASSERT_INT_EQ(deadline_remaining_ms(&e) > 4000, 1);
	e = deadline_earliest(&none, &none);
	UNIT_ASSERT_INT_EQ(e.is_set, false);
	/* Same second, different nanoseconds. */
	a.is_set = b.is_set = true;
	a.at.tv_sec = b.at.tv_sec = 10;
	a.at.tv_nsec = 5;
	b.at.tv_nsec = 7;
	e = deadline_earliest(&b, &a);
	UNIT_ASSERT_INT_EQ(e.at.tv_nsec, 5);
}

/* test_deadline_now - the clock moves forward */
static void
test_deadline_now(void)
{
	long t0 = deadline_now_ms(), t1;

	sleep_ms(15);
	t1 = deadline_now_ms();
	UNIT_ASSERT_INT_EQ(t1 - t0 >= 15 && t1 - t0 < 1000, 1);
}

static CU_TestInfo tests[] = {
	{ "test_deadline_none", test_deadline_none },
	{ "test_deadline_countdown", test_deadline_countdown },
	{ "test_deadline_zero", test_deadline_zero },
	{ "test_deadline_rounds_up", test_deadline_rounds_up },
	{ "test_deadline_poll_clamp", test_deadline_poll_clamp },
	{ "test_deadline_earliest", test_deadline_earliest },
	{ "test_deadline_now", test_deadline_now },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return unit_run("deadline", tests);
}
