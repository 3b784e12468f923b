/* Unit tests of ptp/tscale.c: PHC (TAI) time to UTC across leap seconds,
 * the measured-offset fallback, and the published map. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tscale.h"

#define S 1000000000LL
#define DAY (86400 * S)
/* 2017-01-01T00:00:00Z in POSIX seconds: the midnight that ended the day
 * of the last leap second so far (TAI - UTC went from 36 to 37 s). */
#define M2017 1483228800LL

static struct tscale ptp(int16_t off, bool leap61, bool leap59)
{
	return (struct tscale){ .ptp_timescale = true, .utc_offset_valid = true,
				.utc_offset = off, .leap61 = leap61, .leap59 = leap59 };
}

/* The leap second at the end of 2016-12-31, UTC 23:59:60.
 *
 * Before it TAI - UTC = 36 s: UTC 23:59:58 (POSIX M - 2) is TAI M + 34,
 * 23:59:59 is TAI M + 35.  The inserted second 23:59:60 starts at TAI
 * M + 36 (where POSIX time counted with offset 36 would already say
 * 00:00:00), and 00:00:00 of 2017 is TAI M + 37, after which the offset
 * is 37.  So with leap61, leap_at is TAI M + 36 and from there on 37 s
 * are subtracted: the inserted second reads 23:59:59 a second time, as
 * POSIX time (and the kernel's CLOCK_REALTIME) does. */
static void test_leap61_2016(void **state)
{
	struct tscale t = ptp(36, true, false);
	struct tscale_rule r, r2;

	(void)state;
	/* rule taken at noon of the leap day, as the monitor would */
	assert_int_equal(tscale_rule(&t, (M2017 - 43200 + 36) * S, INT64_MIN, &r), 0);
	assert_true(r.offset_ns == 36 * S);
	assert_true(r.leap_at == (M2017 + 36) * S);
	assert_true(r.leap_delta == S);
	/* 2 s before the leap: TAI M + 34 is 23:59:58 */
	assert_true(tscale_apply(&r, (M2017 + 34) * S) == (M2017 - 2) * S);
	/* 23:59:59.5 */
	assert_true(tscale_apply(&r, (M2017 + 35) * S + S / 2) == (M2017 - 1) * S + S / 2);
	/* the last ns before 23:59:60 */
	assert_true(tscale_apply(&r, (M2017 + 36) * S - 1) == M2017 * S - 1);
	/* 23:59:60.0 and 23:59:60.999999999 read 23:59:59 again */
	assert_true(tscale_apply(&r, (M2017 + 36) * S) == (M2017 - 1) * S);
	assert_true(tscale_apply(&r, (M2017 + 37) * S - 1) == M2017 * S - 1);
	/* 00:00:00 and 00:00:02 of 2017 */
	assert_true(tscale_apply(&r, (M2017 + 37) * S) == M2017 * S);
	assert_true(tscale_apply(&r, (M2017 + 39) * S) == (M2017 + 2) * S);

	/* after the leap the grandmaster says 37, no flag: same answers */
	t = ptp(37, false, false);
	assert_int_equal(tscale_rule(&t, (M2017 + 40) * S, INT64_MIN, &r2), 0);
	assert_true(r2.offset_ns == 37 * S);
	assert_true(r2.leap_at == INT64_MAX);
	assert_true(r2.leap_delta == 0);
	assert_true(tscale_apply(&r2, (M2017 + 37) * S) == M2017 * S);
	assert_true(tscale_apply(&r2, (M2017 + 39) * S) == (M2017 + 2) * S);

	/* A rule taken during the inserted second, flags not yet updated
	 * (36, leap61): counted with 36 that instant is 00:00:00.5 of 2017,
	 * the first 6 h of a day, so the flag is the stale one of the
	 * midnight just past, and leap_at is the same instant as above. */
	t = ptp(36, true, false);
	assert_int_equal(tscale_rule(&t, (M2017 + 36) * S + S / 2, INT64_MIN, &r2), 0);
	assert_true(r2.leap_at == r.leap_at);
	assert_true(tscale_apply(&r2, (M2017 + 36) * S + S / 2) == (M2017 - 1) * S + S / 2);
	/* a couple of announce intervals later, still stale: 37 applies */
	assert_int_equal(tscale_rule(&t, (M2017 + 40) * S, INT64_MIN, &r2), 0);
	assert_true(r2.leap_at == r.leap_at);
	assert_true(tscale_apply(&r2, (M2017 + 40) * S) == (M2017 + 3) * S);
	/* the split: 05:59:59 (counted with 36) still belongs to the past
	 * midnight, 06:00:00 already to the coming one */
	assert_int_equal(tscale_rule(&t, (M2017 + 6 * 3600 - 1 + 36) * S, INT64_MIN, &r2), 0);
	assert_true(r2.leap_at == r.leap_at);
	assert_int_equal(tscale_rule(&t, (M2017 + 6 * 3600 + 36) * S, INT64_MIN, &r2), 0);
	assert_true(r2.leap_at == r.leap_at + DAY);
}

/* A negative leap second (none has happened yet): at the end of 2017,
 * with TAI - UTC = 37, leap59.  23:59:58 (POSIX M - 2) is TAI M + 35;
 * 23:59:59 would have been TAI M + 36, but that instant is already
 * 00:00:00 and the offset 36 from there on: leap_at = TAI M + 36 = the
 * instant that would have been 23:59:59, delta -1 s. */
static void test_leap59(void **state)
{
	const int64_t m = M2017 + 365 * 86400; /* 2018-01-01T00:00:00Z */
	struct tscale t = ptp(37, false, true);
	struct tscale_rule r, r2;

	(void)state;
	assert_int_equal(tscale_rule(&t, (m - 3600 + 37) * S, INT64_MIN, &r), 0);
	assert_true(r.offset_ns == 37 * S);
	assert_true(r.leap_at == (m + 36) * S);
	assert_true(r.leap_delta == -S);
	assert_true(tscale_apply(&r, (m + 35) * S) == (m - 2) * S);          /* 23:59:58 */
	assert_true(tscale_apply(&r, (m + 36) * S - 1) == (m - 1) * S - 1);  /* 23:59:58.999999999 */
	assert_true(tscale_apply(&r, (m + 36) * S) == m * S);                /* 00:00:00 */
	assert_true(tscale_apply(&r, (m + 38) * S) == (m + 2) * S);
	/* after it: 36, no flag, the same UTC */
	t = ptp(36, false, false);
	assert_int_equal(tscale_rule(&t, (m + 60) * S, INT64_MIN, &r2), 0);
	assert_true(tscale_apply(&r2, (m + 38) * S) == (m + 2) * S);
	/* stale flags right after: counted with 37, TAI m + 36.5 is
	 * 23:59:59.5 (a time that did not happen), TAI m + 40 is 00:00:03:
	 * both give the same leap_at */
	t = ptp(37, false, true);
	assert_int_equal(tscale_rule(&t, (m + 36) * S + S / 2, INT64_MIN, &r2), 0);
	assert_true(r2.leap_at == r.leap_at);
	assert_int_equal(tscale_rule(&t, (m + 40) * S, INT64_MIN, &r2), 0);
	assert_true(r2.leap_at == r.leap_at);
}

static void test_flags_odd(void **state)
{
	struct tscale t = ptp(37, true, true);
	struct tscale_rule r;

	(void)state;
	/* both flags: a grandmaster bug, no leap */
	assert_int_equal(tscale_rule(&t, 1000 * S, INT64_MIN, &r), 0);
	assert_true(r.offset_ns == 37 * S);
	assert_true(r.leap_at == INT64_MAX);
	assert_true(r.leap_delta == 0);
	/* a PHC just reset near 0 (TAI 1970): days before the epoch count
	 * too; UTC -37 s is 23:59:23 of 1969-12-31, the day ending at 0 */
	t = ptp(37, true, false);
	assert_int_equal(tscale_rule(&t, 0, INT64_MIN, &r), 0);
	assert_true(r.leap_at == 37 * S);
	/* the ends of the range: no overflow, no leap that cannot be said */
	assert_int_equal(tscale_rule(&t, INT64_MAX, INT64_MIN, &r), 0);
	assert_true(r.leap_at == INT64_MAX);
	assert_true(r.leap_delta == 0);
	assert_int_equal(tscale_rule(&t, INT64_MIN, INT64_MIN, &r), 0);
	assert_true(r.leap_at == INT64_MAX);
	/* a negative offset (a misconfigured grandmaster) works the same way */
	t = ptp(-5, true, false);
	assert_int_equal(tscale_rule(&t, 12 * 3600 * S, INT64_MIN, &r), 0);
	assert_true(r.leap_at == DAY - 5 * S);
	assert_int_equal(tscale_rule(NULL, 0, 0, &r), -EINVAL);
}

/* No valid currentUtcOffset: the measured PHC - CLOCK_REALTIME.  On the
 * PTP timescale the true difference is whole seconds, so 37.000000412 s
 * is 37 s (the 412 ns are the measurement's and the system clock's
 * error); on ARB the PHC's epoch is anything, so it is taken as is. */
static void test_measured(void **state)
{
	struct tscale t = { .ptp_timescale = true };
	struct tscale_rule r;

	(void)state;
	assert_int_equal(tscale_rule(&t, 0, 37 * S + 412, &r), 0);
	assert_true(r.offset_ns == 37 * S);
	assert_true(r.leap_at == INT64_MAX);
	assert_true(r.leap_delta == 0);
	/* leap flags without an offset say nothing usable */
	t.leap61 = true;
	assert_int_equal(tscale_rule(&t, 0, 37 * S - 412, &r), 0);
	assert_true(r.offset_ns == 37 * S);
	assert_true(r.leap_at == INT64_MAX);
	/* rounding: halves away from zero, negatives symmetric */
	assert_int_equal(tscale_rule(&t, 0, 36 * S + S / 2, &r), 0);
	assert_true(r.offset_ns == 37 * S);
	assert_int_equal(tscale_rule(&t, 0, 36 * S + S / 2 - 1, &r), 0);
	assert_true(r.offset_ns == 36 * S);
	assert_int_equal(tscale_rule(&t, 0, -S / 2, &r), 0);
	assert_true(r.offset_ns == -S);
	assert_int_equal(tscale_rule(&t, 0, -412, &r), 0);
	assert_true(r.offset_ns == 0);
	assert_int_equal(tscale_rule(&t, 0, INT64_MAX, &r), 0);
	assert_true(r.offset_ns == INT64_MAX / S * S);
	/* nothing known */
	assert_int_equal(tscale_rule(&t, 0, INT64_MIN, &r), -EINVAL);

	/* ARB: as measured, even when an offset is announced as valid */
	t = (struct tscale){ .ptp_timescale = false, .utc_offset_valid = true, .utc_offset = 37 };
	assert_int_equal(tscale_rule(&t, 0, 37 * S + 412, &r), 0);
	assert_true(r.offset_ns == 37 * S + 412);
	assert_true(r.leap_at == INT64_MAX);
	assert_int_equal(tscale_rule(&t, 0, -123456789, &r), 0);
	assert_true(r.offset_ns == -123456789);
	assert_true(tscale_apply(&r, 1000) == 1000 + 123456789);
	assert_int_equal(tscale_rule(&t, 0, INT64_MIN, &r), -EINVAL);
}

static void test_map(void **state)
{
	struct tscale_map m;
	struct tscale_rule r = { 1, 2, 3 }, out;

	(void)state;
	tscale_map_init(&m);
	assert_false(tscale_map_get(&m, &out));
	tscale_map_set(&m, &r, true);
	memset(&out, 0, sizeof(out));
	assert_true(tscale_map_get(&m, &out));
	assert_true(out.offset_ns == 1 && out.leap_at == 2 && out.leap_delta == 3);
	r = (struct tscale_rule){ 37 * S, INT64_MAX, 0 };
	tscale_map_set(&m, &r, true);
	assert_true(tscale_map_get(&m, &out));
	assert_true(out.offset_ns == 37 * S && out.leap_at == INT64_MAX && out.leap_delta == 0);
	tscale_map_set(&m, NULL, false);
	assert_false(tscale_map_get(&m, &out));
	tscale_map_set(&m, &r, false);
	assert_false(tscale_map_get(&m, &out));
	/* valid without a rule is a withdrawal too */
	tscale_map_set(&m, NULL, true);
	assert_false(tscale_map_get(&m, &out));
}

/* Two writers publish rules whose fields are tied to one number k while
 * the reader checks them: it must never see fields of two different
 * rules.  The writers run until the reader has seen the rule change 10000
 * times (or 3 s passed), so that reads overlap writes however the
 * threads are scheduled. */
struct race {
	struct tscale_map m;
	atomic_bool stop;
};

static void *writer_thread(void *arg)
{
	struct race *x = arg;
	struct tscale_rule r;
	int64_t k;

	for (k = 1; !atomic_load_explicit(&x->stop, memory_order_relaxed); k++) {
		r = (struct tscale_rule){ k, 2 * k, -3 * k };
		tscale_map_set(&x->m, &r, true);
	}
	return NULL;
}

static void test_map_race(void **state)
{
	struct race x;
	struct tscale_rule r;
	pthread_t w1, w2;
	struct timespec t0, t1;
	int64_t last = 0;
	long seen = 0, changes = 0;
	bool torn = false;

	(void)state;
	tscale_map_init(&x.m);
	atomic_init(&x.stop, false);
	assert_int_equal(pthread_create(&w1, NULL, writer_thread, &x), 0);
	assert_int_equal(pthread_create(&w2, NULL, writer_thread, &x), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (tscale_map_get(&x.m, &r)) {
			seen++;
			changes += r.offset_ns != last;
			last = r.offset_ns;
			torn = r.leap_at != 2 * r.offset_ns || r.leap_delta != -3 * r.offset_ns;
			if (torn || changes >= 10000)
				break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (t1.tv_sec - t0.tv_sec > 3)
			break;
	}
	atomic_store(&x.stop, true);
	pthread_join(w1, NULL);
	pthread_join(w2, NULL);
	if (torn)
		fail_msg("torn read: %lld %lld %lld", (long long)r.offset_ns,
			 (long long)r.leap_at, (long long)r.leap_delta);
	/* the reads did see the rule change under them */
	print_message("%ld reads, %ld changes seen\n", seen, changes);
	assert_true(changes > 1);
	assert_true(tscale_map_get(&x.m, &r));
	assert_true(r.leap_at == 2 * r.offset_ns && r.leap_delta == -3 * r.offset_ns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leap61_2016),
		cmocka_unit_test(test_leap59),
		cmocka_unit_test(test_flags_odd),
		cmocka_unit_test(test_measured),
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_map_race),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
