/* Unit tests of ptp/clockq.c: every transition of the clock quality state
 * machine, the error bounds with exact numbers, and the overflow guards. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "clockq.h"

#define S 1000000000LL

/* lock within 100 ns, unlock beyond 1 us, 3 samples to lock, 60 s of
 * holdover, 5 s timeout, 100 ppb drift (100 ns per second) */
static const struct clockq_conf conf = {
	.lock_ns = 100, .unlock_ns = 1000, .lock_samples = 3,
	.holdover_ns = 60 * S, .timeout_ns = 5 * S, .drift_ppb = 100,
};

static const struct clockq_sample good = { .synced = true, .has_offset = true, .offset_ns = 10 };

/* A synced sample with offset o and extra at t. */
static int feed(struct clockq *q, int64_t t, int64_t o, int64_t extra)
{
	const struct clockq_sample s = { .synced = true, .has_offset = true, .offset_ns = o,
					 .extra_ns = extra };

	return clockq_sample(q, t, &s);
}

static struct clockq_view view(const struct clockq *q, int64_t now)
{
	struct clockq_view v;

	memset(&v, 0x55, sizeof(v));
	clockq_get(q, now, &v);
	return v;
}

/* A queue LOCKED at 3 s by good samples at 1, 2, 3 s. */
static struct clockq *locked(void)
{
	struct clockq *q = clockq_create(&conf);

	assert_non_null(q);
	assert_int_equal(clockq_sample(q, 1 * S, &good), 0);
	assert_int_equal(clockq_sample(q, 2 * S, &good), 0);
	assert_int_equal(clockq_sample(q, 3 * S, &good), 1);
	assert_int_equal(view(q, 3 * S).state, CLOCKQ_LOCKED);
	return q;
}

static void test_conf(void **state)
{
	struct clockq_conf c;
	struct clockq *q;

	(void)state;
	errno = 0;
	assert_null(clockq_create(NULL));
	assert_int_equal(errno, EINVAL);
#define BAD(field, value)                               \
	do {                                            \
		c = conf;                               \
		c.field = value;                        \
		errno = 0;                              \
		assert_null(clockq_create(&c));         \
		assert_int_equal(errno, EINVAL);        \
	} while (0)
	BAD(lock_ns, -1);
	BAD(unlock_ns, 99);         /* below lock_ns */
	BAD(lock_samples, 0);
	BAD(holdover_ns, 0);
	BAD(holdover_ns, -1);
	BAD(timeout_ns, 0);
	BAD(timeout_ns, INT64_MIN);
#undef BAD
	/* the edges that are fine: lock 0, unlock == lock, no drift */
	c = conf;
	c.lock_ns = c.unlock_ns = 0;
	c.drift_ppb = 0;
	c.lock_samples = 1;
	q = clockq_create(&c);
	assert_non_null(q);
	clockq_destroy(q);
	clockq_destroy(NULL);

	assert_string_equal(clockq_state_name(CLOCKQ_UNKNOWN), "unknown");
	assert_string_equal(clockq_state_name(CLOCKQ_FREERUN), "freerun");
	assert_string_equal(clockq_state_name(CLOCKQ_HOLDOVER), "holdover");
	assert_string_equal(clockq_state_name(CLOCKQ_LOCKED), "locked");
	assert_string_equal(clockq_state_name(4), "?");
	assert_string_equal(clockq_state_name(~0u), "?");
}

static void test_unknown(void **state)
{
	struct clockq *q = clockq_create(&conf);
	struct clockq_view v;

	(void)state;
	v = view(q, 0);
	assert_int_equal(v.state, CLOCKQ_UNKNOWN);
	assert_true(v.bound_ns == INT64_MIN);
	assert_true(v.since_ns == INT64_MIN);
	assert_true(v.last_lock_ns == INT64_MIN);
	/* no sample ever: nothing times out */
	assert_int_equal(clockq_tick(q, 1000 * S), 0);
	assert_int_equal(view(q, 1000 * S).state, CLOCKQ_UNKNOWN);
	/* good samples not yet enough: still UNKNOWN, bound unknown */
	assert_int_equal(clockq_sample(q, 1001 * S, &good), 0);
	assert_int_equal(clockq_sample(q, 1002 * S, &good), 0);
	v = view(q, 1002 * S);
	assert_int_equal(v.state, CLOCKQ_UNKNOWN);
	assert_true(v.bound_ns == INT64_MIN);
	/* the first sample that is not good: FREERUN */
	assert_int_equal(clockq_sample(q, 1003 * S, &(struct clockq_sample){ .synced = true }), 1);
	v = view(q, 1003 * S);
	assert_int_equal(v.state, CLOCKQ_FREERUN);
	assert_true(v.since_ns == 1003 * S);
	assert_true(v.bound_ns == INT64_MIN);   /* the sample had no offset */
	clockq_destroy(q);

	/* samples seen, then silence: a lost sample is not good either, and
	 * counts from last sample + timeout */
	q = clockq_create(&conf);
	assert_int_equal(clockq_sample(q, 10 * S, &good), 0);
	assert_int_equal(clockq_tick(q, 15 * S), 0);
	assert_int_equal(clockq_tick(q, 15 * S + 1), 1);
	v = view(q, 20 * S);
	assert_int_equal(v.state, CLOCKQ_FREERUN);
	assert_true(v.since_ns == 15 * S);
	assert_true(v.bound_ns == INT64_MIN);   /* the latest sample is too old */
	assert_true(v.last_lock_ns == INT64_MIN);
	clockq_destroy(q);
}

static void test_lock(void **state)
{
	struct clockq *q = clockq_create(&conf);
	struct clockq_view v;

	(void)state;
	/* |offset| + extra: 60, 80, 25; the bound is the largest */
	assert_int_equal(feed(q, 1 * S, -50, 10), 0);
	assert_int_equal(feed(q, 2 * S, 80, 0), 0);
	assert_int_equal(feed(q, 3 * S, 20, 5), 1);
	v = view(q, 4 * S);
	assert_int_equal(v.state, CLOCKQ_LOCKED);
	assert_true(v.since_ns == 3 * S);
	assert_true(v.last_lock_ns == 4 * S);   /* LOCKED now */
	assert_true(v.bound_ns == 80);
	/* between lock_ns and unlock_ns: stays LOCKED, counts in the bound */
	assert_int_equal(feed(q, 4 * S, -700, 0), 0);
	assert_int_equal(view(q, 4 * S).state, CLOCKQ_LOCKED);
	assert_true(view(q, 4 * S).bound_ns == 700);
	/* unlock_ns itself is still in */
	assert_int_equal(feed(q, 5 * S, 1000, 0), 0);
	assert_true(view(q, 5 * S).bound_ns == 1000);
	/* synced without an offset keeps LOCKED alive, bound unchanged */
	assert_int_equal(clockq_sample(q, 6 * S, &(struct clockq_sample){ .synced = true }), 0);
	assert_int_equal(view(q, 6 * S).state, CLOCKQ_LOCKED);
	assert_true(view(q, 6 * S).bound_ns == 1000);
	/* the window is the last 16 samples with an offset: pushes 1-5 were
	 * 60, 80, 25, 700, 1000; 13 more of 5 make 18, the window 3..18 */
	for (int i = 0; i < 13; i++)
		feed(q, (7 + i) * S, 5, 0);
	assert_true(view(q, 19 * S).bound_ns == 1000);
	/* 19 and 20: the window 5..20, the 1000 is its oldest */
	feed(q, 20 * S, 5, 0);
	feed(q, 21 * S, 5, 0);
	assert_true(view(q, 21 * S).bound_ns == 1000);
	/* 21: it is gone */
	feed(q, 22 * S, 5, 0);
	assert_true(view(q, 22 * S).bound_ns == 5);
	/* LOCKED's bound does not grow between samples (up to the timeout) */
	assert_true(view(q, 27 * S).bound_ns == 5);
	clockq_destroy(q);
}

/* LOCKED -> HOLDOVER by a sample, and how the bound grows. */
static void test_holdover_by_sample(void **state)
{
	struct clockq *q = locked();
	struct clockq_view v;

	(void)state;
	/* port left SLAVE: bound at loss = the LOCKED bound, 10 */
	assert_int_equal(clockq_sample(q, 4 * S, &(struct clockq_sample){ .synced = false }), 1);
	v = view(q, 4 * S);
	assert_int_equal(v.state, CLOCKQ_HOLDOVER);
	assert_true(v.since_ns == 4 * S);
	assert_true(v.last_lock_ns == 4 * S);
	assert_true(v.bound_ns == 10);
	/* + 100 ppb: 100 ns a second, rounded up */
	assert_true(view(q, 14 * S).bound_ns == 10 + 1000);
	assert_true(view(q, 4 * S + 15).bound_ns == 10 + 1);
	assert_true(view(q, 4 * S + 10000000).bound_ns == 10 + 1);
	assert_true(view(q, 4 * S + 10000001).bound_ns == 10 + 2);
	assert_true(view(q, 63 * S).bound_ns == 10 + 5900);
	clockq_destroy(q);

	/* a step beyond unlock_ns: the bound at loss includes that sample */
	q = locked();
	assert_int_equal(feed(q, 4 * S, -5000, 7), 1);
	v = view(q, 6 * S);
	assert_int_equal(v.state, CLOCKQ_HOLDOVER);
	assert_true(v.bound_ns == 5007 + 200);
	/* the sample's age beyond the timeout does not matter: holdover's
	 * bound is B + drift since loss */
	assert_true(view(q, 34 * S).bound_ns == 5007 + 3000);
	/* a fresh sample far off raises the bound above the formula */
	assert_int_equal(feed(q, 40 * S, 1000000, 0), 0);
	assert_true(view(q, 41 * S).bound_ns == 1000000 + 100);
	/* and once it is older than the timeout, only the formula counts */
	assert_true(view(q, 46 * S).bound_ns == 5007 + 4200);
	clockq_destroy(q);
}

/* LOCKED -> HOLDOVER by silence, HOLDOVER -> FREERUN, and the view of a
 * caller that has not ticked. */
static void test_timeouts(void **state)
{
	struct clockq *q = locked();
	struct clockq_view v;

	(void)state;
	/* last sample at 3 s: within the timeout up to 8 s inclusive */
	assert_int_equal(clockq_tick(q, 8 * S), 0);
	assert_int_equal(view(q, 8 * S).state, CLOCKQ_LOCKED);
	/* the view without a tick already says HOLDOVER ... */
	v = view(q, 9 * S);
	assert_int_equal(v.state, CLOCKQ_HOLDOVER);
	/* ... as of 8 s; the bound grows from the last sample (3 s) */
	assert_true(v.since_ns == 8 * S);
	assert_true(v.last_lock_ns == 8 * S);
	assert_true(v.bound_ns == 10 + 600);
	/* ... and the queue itself has not changed */
	assert_int_equal(clockq_tick(q, 8 * S + 1), 1);
	assert_int_equal(clockq_tick(q, 9 * S), 0);
	assert_int_equal(view(q, 9 * S).state, CLOCKQ_HOLDOVER);
	/* holdover ends at 8 + 60 s */
	assert_int_equal(clockq_tick(q, 68 * S - 1), 0);
	assert_true(view(q, 68 * S - 1).bound_ns == 10 + 6500);
	assert_int_equal(clockq_tick(q, 68 * S), 1);
	v = view(q, 68 * S);
	assert_int_equal(v.state, CLOCKQ_FREERUN);
	assert_true(v.since_ns == 68 * S);
	assert_true(v.last_lock_ns == 8 * S);
	assert_true(v.bound_ns == INT64_MIN);
	clockq_destroy(q);

	/* one late tick plays out both, each at its own instant */
	q = locked();
	assert_int_equal(clockq_tick(q, 1000 * S), 1);
	v = view(q, 1000 * S);
	assert_int_equal(v.state, CLOCKQ_FREERUN);
	assert_true(v.since_ns == 68 * S);
	assert_true(v.last_lock_ns == 8 * S);
	clockq_destroy(q);

	/* a sample after the silence is taken in the state the silence left:
	 * HOLDOVER, one good sample of three */
	q = locked();
	assert_int_equal(clockq_sample(q, 20 * S, &good), 1);
	v = view(q, 20 * S);
	assert_int_equal(v.state, CLOCKQ_HOLDOVER);
	assert_true(v.since_ns == 8 * S);
	clockq_destroy(q);
}

static void test_relock(void **state)
{
	struct clockq_conf c = conf;
	struct clockq *q = locked();
	struct clockq_view v;

	(void)state;
	assert_int_equal(clockq_sample(q, 4 * S, &(struct clockq_sample){ .synced = false }), 1);
	/* HOLDOVER -> LOCKED: three good in a row; a bad one starts over */
	assert_int_equal(clockq_sample(q, 5 * S, &good), 0);
	assert_int_equal(clockq_sample(q, 6 * S, &good), 0);
	assert_int_equal(feed(q, 7 * S, 101, 0), 0);
	assert_int_equal(clockq_sample(q, 8 * S, &good), 0);
	assert_int_equal(clockq_sample(q, 9 * S, &good), 0);
	assert_int_equal(view(q, 9 * S).state, CLOCKQ_HOLDOVER);
	/* a lost sample starts over too */
	assert_int_equal(clockq_tick(q, 14 * S + 1), 0);
	assert_int_equal(clockq_sample(q, 15 * S, &good), 0);
	assert_int_equal(clockq_sample(q, 16 * S, &good), 0);
	assert_int_equal(feed(q, 17 * S, -30, 4), 1);
	v = view(q, 17 * S);
	assert_int_equal(v.state, CLOCKQ_LOCKED);
	assert_true(v.since_ns == 17 * S);
	/* the window holds this run only (10, 10, 34), not the 101 */
	assert_true(v.bound_ns == 34);
	clockq_destroy(q);

	/* FREERUN -> LOCKED the same way; not synced is not good even with
	 * a small offset */
	q = clockq_create(&conf);
	assert_int_equal(feed(q, 1 * S, 500, 20), 1);
	v = view(q, 3 * S);
	assert_int_equal(v.state, CLOCKQ_FREERUN);
	assert_true(v.since_ns == 1 * S);
	/* FREERUN: the latest sample + drift since it */
	assert_true(v.bound_ns == 520 + 200);
	assert_true(view(q, 6 * S).bound_ns == 520 + 500);
	assert_true(view(q, 6 * S + 1).bound_ns == INT64_MIN);
	assert_int_equal(clockq_sample(q, 2 * S, &good), 0);
	assert_int_equal(clockq_sample(q, 3 * S, &good), 0);
	assert_int_equal(clockq_sample(q, 4 * S, &(struct clockq_sample){ .has_offset = true }), 0);
	assert_int_equal(clockq_sample(q, 5 * S, &good), 0);
	assert_int_equal(clockq_sample(q, 6 * S, &good), 0);
	assert_int_equal(view(q, 6 * S).state, CLOCKQ_FREERUN);
	assert_int_equal(clockq_sample(q, 7 * S, &good), 1);
	assert_int_equal(view(q, 7 * S).state, CLOCKQ_LOCKED);
	clockq_destroy(q);

	/* lock_samples 1: a good sample after a silence is a loss and a lock
	 * in one call; 1 although the state is LOCKED again */
	c.lock_samples = 1;
	q = clockq_create(&c);
	assert_int_equal(clockq_sample(q, 1 * S, &good), 1);
	assert_int_equal(clockq_sample(q, 10 * S, &good), 1);
	v = view(q, 10 * S);
	assert_int_equal(v.state, CLOCKQ_LOCKED);
	assert_true(v.since_ns == 10 * S);
	clockq_destroy(q);
}

static void test_overflow(void **state)
{
	struct clockq_conf c = conf;
	struct clockq *q;
	struct clockq_view v;

	(void)state;
	/* the largest drift over the longest time */
	c.drift_ppb = UINT32_MAX;
	c.holdover_ns = INT64_MAX;
	q = clockq_create(&c);
	assert_int_equal(clockq_sample(q, INT64_MIN + 1, &good), 0);
	assert_int_equal(clockq_sample(q, INT64_MIN + 2, &good), 0);
	assert_int_equal(clockq_sample(q, INT64_MIN + 3, &good), 1);
	assert_int_equal(clockq_sample(q, INT64_MIN + 4, &(struct clockq_sample){ 0 }), 1);
	/* INT64_MAX - 1 ns after the loss: still HOLDOVER, drift beyond range */
	v = view(q, 2);
	assert_int_equal(v.state, CLOCKQ_HOLDOVER);
	assert_true(v.bound_ns == INT64_MAX);
	/* 2^64 - 5 ns after it (the difference itself does not fit): over,
	 * as of loss + INT64_MAX = INT64_MIN + 4 + INT64_MAX = 3 */
	v = view(q, INT64_MAX);
	assert_int_equal(v.state, CLOCKQ_FREERUN);
	assert_true(v.since_ns == 3);
	assert_true(v.bound_ns == INT64_MIN);
	/* 2^32 - 1 ppb over 1 s: 4294967295 ns, exact */
	assert_true(view(q, INT64_MIN + 4 + S).bound_ns == 10 + 4294967295LL);
	/* time going back counts as no time */
	assert_true(view(q, INT64_MIN).bound_ns == 10);
	assert_int_equal(clockq_tick(q, INT64_MIN), 0);
	clockq_destroy(q);

	/* offsets and extras at the ends of the range */
	q = locked();
	assert_int_equal(feed(q, 4 * S, INT64_MIN, INT64_MAX), 1);
	v = view(q, 4 * S);
	assert_int_equal(v.state, CLOCKQ_HOLDOVER);
	assert_true(v.bound_ns == INT64_MAX);
	assert_true(view(q, 100 * S).bound_ns == INT64_MIN);   /* FREERUN, old sample */
	clockq_destroy(q);
	q = locked();
	/* a negative extra counts as none */
	assert_int_equal(feed(q, 4 * S, -90, INT64_MIN), 0);
	assert_true(view(q, 4 * S).bound_ns == 90);
	assert_int_equal(feed(q, 5 * S, INT64_MAX, 1), 1);
	assert_true(view(q, 5 * S).bound_ns == INT64_MAX);
	clockq_destroy(q);

	/* timeouts and holdover near the end of time: no wrap to the past */
	c = conf;
	c.timeout_ns = INT64_MAX;
	q = clockq_create(&c);
	assert_int_equal(clockq_sample(q, INT64_MIN, &good), 0);
	assert_int_equal(clockq_tick(q, INT64_MAX), 0);
	assert_int_equal(view(q, INT64_MAX).state, CLOCKQ_UNKNOWN);
	clockq_destroy(q);
	c = conf;
	q = clockq_create(&c);
	assert_int_equal(clockq_sample(q, INT64_MAX - 2, &good), 0);
	assert_int_equal(clockq_sample(q, INT64_MAX - 1, &good), 0);
	assert_int_equal(clockq_sample(q, INT64_MAX, &good), 1);
	assert_int_equal(clockq_sample(q, INT64_MAX, &(struct clockq_sample){ 0 }), 1);
	assert_int_equal(clockq_tick(q, INT64_MAX), 0);
	v = view(q, INT64_MAX);
	assert_int_equal(v.state, CLOCKQ_HOLDOVER);
	assert_true(v.since_ns == INT64_MAX);
	clockq_destroy(q);
	/* a silence from the start of time: holdover at last + timeout,
	 * FREERUN 60 s later, nothing wraps */
	q = clockq_create(&conf);
	clockq_sample(q, INT64_MIN, &good);
	clockq_sample(q, INT64_MIN, &good);
	assert_int_equal(clockq_sample(q, INT64_MIN, &good), 1);
	assert_int_equal(clockq_tick(q, INT64_MAX), 1);
	v = view(q, INT64_MAX);
	assert_int_equal(v.state, CLOCKQ_FREERUN);
	assert_true(v.since_ns == INT64_MIN + 65 * S);
	assert_true(v.last_lock_ns == INT64_MIN + 5 * S);
	clockq_destroy(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_holdover_by_sample),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_relock),
		cmocka_unit_test(test_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
