/* Unit tests of cli/timearg.c: time arguments of capctl slice. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "timearg.h"

#define S 1000000000LL
#define NOW (1700000000LL * S)

struct good {
	const char *in;
	int64_t now;
	int64_t want;
};

static const struct good goods[] = {
	/* RFC 3339 */
	{ "1970-01-01T00:00:00Z", NOW, 0 },
	{ "1970-01-01T00:00:00.1Z", NOW, 100000000 },
	{ "1970-01-01T00:00:00.000000001Z", NOW, 1 },
	{ "1970-01-01T00:00:00.123456789Z", NOW, 123456789 },
	{ "2026-11-22T04:16:10Z", NOW, 1795320970 * S },
	{ "2026-11-22T04:16:10.123456789Z", NOW, 1795320970 * S + 123456789 },
	{ "2026-11-22t04:16:10z", NOW, 1795320970 * S },
	{ "2026-11-22 04:16:10Z", NOW, 1795320970 * S },
	{ "2026-11-22T06:16:10+02:00", NOW, 1795320970 * S },
	{ "2026-11-21T22:46:10-05:30", NOW, 1795320970 * S },
	{ "2026-11-22T04:16:10-00:00", NOW, 1795320970 * S },
	{ "2026-11-22T09:46:10.5+00:00", NOW, 1795340770 * S + 500000000 },
	{ "2024-02-29T12:00:00Z", NOW, 1709208000 * S },
	{ "2000-02-29T00:00:00Z", NOW, 951782400 * S },
	/* leap second: the same instant as the next second's start */
	{ "2016-12-31T23:59:60Z", NOW, 1483228800 * S },
	{ "2016-12-31T23:59:60.5Z", NOW, 1483228800 * S + 500000000 },
	{ "1969-12-31T23:59:59Z", NOW, -S },
	{ "1969-12-31T23:59:59.999999999Z", NOW, -1 },
	{ "2262-04-11T23:47:16.854775807Z", NOW, INT64_MAX },
	{ "1677-09-21T00:12:43.145224192Z", NOW, INT64_MIN },
	/* epoch seconds */
	{ "0", NOW, 0 },
	{ "1700000000", 0, 1700000000 * S },
	{ "1700000000.5", 0, 1700000000 * S + 500000000 },
	{ "1700000000.123456789", 0, 1700000000 * S + 123456789 },
	{ "@1700000000", 0, 1700000000 * S },
	{ "@1.25", 0, S + 250000000 },
	{ "2026", 0, 2026 * S },
	{ "9223372036.854775807", 0, INT64_MAX },
	/* relative */
	{ "now", NOW, NOW },
	{ "-30s", NOW, NOW - 30 * S },
	{ "-5m", NOW, NOW - 300 * S },
	{ "-2h", NOW, NOW - 7200 * S },
	{ "-1d", NOW, NOW - 86400 * S },
	{ "-1.5s", NOW, NOW - 1500000000 },
	{ "-1.5m", NOW, NOW - 90 * S },
	{ "-0.000000001d", NOW, NOW - 86400 },
	{ "-250ms", NOW, NOW - 250000000 },
	{ "-10us", NOW, NOW - 10000 },
	{ "-0.5us", NOW, NOW - 500 },
	{ "-100ns", NOW, NOW - 100 },
	{ "-0s", NOW, NOW },
	{ "now-30s", NOW, NOW - 30 * S },
	{ "now+5m", NOW, NOW + 300 * S },
	{ "now+1.000000001s", NOW, NOW + S + 1 },
	{ "-1s", 0, -S },
	{ "now+1ns", INT64_MAX - 1, INT64_MAX },
	{ "-1ns", INT64_MIN + 1, INT64_MIN },
};

static const char *const bads[] = {
	"", "yesterday", "-5", "now-5", "1e9", "1700000000x", "1700000000 ", " 1700000000",
	"1700000000.", "1700000000.1234567890", "@", "@-5", "@now", "-", "-s", "- 5s", "now-",
	"now*5s", "nowx", "NOW", "+5m", "-5x", "-5 s", "-5S", "-1.5ns", "-0.0001us",
	"-1.0000000001s", "-1.s",
	"2026-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
	"2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z",
	"2026-11-00T00:00:00Z", "2026-11-22T25:00:00Z", "2026-11-22T24:00:00Z",
	"2026-11-22T04:60:00Z", "2026-11-22T04:16:61Z", "2026-11-22T04:16:10.1234567890Z",
	"2026-11-22T04:16:10.Z", "2026-11-22T04:16:10", "2026-11-22T04:16:10Zjunk",
	"2026-11-22T04:16:10Z ", "2026-11-22T04:16:10+02", "2026-11-22T04:16:10+0200",
	"2026-11-22T04:16:10+24:00", "2026-11-22T04:16:10+02:60", "2026-11-22T04:16:10UTC",
	"2026-11-22", "2026-11-22X04:16:10Z", "2026-1-22T04:16:10Z", "2026-11-22T4:16:10Z",
	"2026-11-22T04:16Z", "2026-11-2", "2026-",
	/* out of the int64 range */
	"2262-04-11T23:47:16.854775808Z", "1677-09-21T00:12:43.145224191Z",
	"9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "9223372036.854775808", "9223372037",
	"99999999999999999999", "-99999999999999999999s", "-106752d",
};

static void test_good(void **state)
{
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		int64_t v = 42;
		int rc;

		err[0] = '\0';
		rc = timearg_parse(goods[i].in, goods[i].now, &v, err, sizeof(err));
		if (rc || v != goods[i].want)
			print_error("input '%s': rc %d err '%s' got %lld want %lld\n", goods[i].in,
				    rc, err, (long long)v, (long long)goods[i].want);
		assert_int_equal(rc, 0);
		assert_true(v == goods[i].want);
	}
}

static void test_bad(void **state)
{
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		int64_t v = 42;
		char quoted[128];
		int rc;

		err[0] = '\0';
		rc = timearg_parse(bads[i], NOW, &v, err, sizeof(err));
		if (rc != -EINVAL)
			print_error("input '%s' accepted as %lld\n", bads[i], (long long)v);
		assert_int_equal(rc, -EINVAL);
		assert_true(v == 42);   /* output untouched on error */
		snprintf(quoted, sizeof(quoted), "'%s'", bads[i]);
		assert_non_null(strstr(err, quoted));
		assert_non_null(strstr(err, "RFC 3339"));
	}
}

static void test_overflow_relative(void **state)
{
	int64_t v = 42;
	char err[512];

	(void)state;
	assert_int_equal(timearg_parse("-1ns", INT64_MIN, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(timearg_parse("now+1ns", INT64_MAX, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(timearg_parse("now+1d", INT64_MAX - 86400 * S + 1, &v, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(timearg_parse("-106751d", INT64_MIN / 2, &v, err, sizeof(err)), -EINVAL);
	assert_true(v == 42);
}

static void test_err_buffers(void **state)
{
	char small[8];
	int64_t v;

	(void)state;
	/* No message buffer, and a short one that must stay terminated. */
	assert_int_equal(timearg_parse("bogus", NOW, &v, NULL, 0), -EINVAL);
	memset(small, 'x', sizeof(small));
	assert_int_equal(timearg_parse("bogus", NOW, &v, small, sizeof(small)), -EINVAL);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(timearg_parse("now", NOW, &v, NULL, 0), 0);
}

static void test_format(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(timearg_format(0, buf, sizeof(buf)), 30);
	assert_string_equal(buf, "1970-01-01T00:00:00.000000000Z");
	timearg_format(1795320970 * S + 123456789, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-22T04:16:10.123456789Z");
	timearg_format(-1, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31T23:59:59.999999999Z");
	timearg_format(1709208000 * S + 7, buf, sizeof(buf));
	assert_string_equal(buf, "2024-02-29T12:00:00.000000007Z");
	timearg_format(INT64_MAX, buf, sizeof(buf));
	assert_string_equal(buf, "2262-04-11T23:47:16.854775807Z");
	timearg_format(INT64_MIN, buf, sizeof(buf));
	assert_string_equal(buf, "1677-09-21T00:12:43.145224192Z");
	/* Like snprintf: the full length, a truncated terminated string. */
	assert_int_equal(timearg_format(0, buf, 5), 30);
	assert_string_equal(buf, "1970");
	assert_int_equal(timearg_format(0, NULL, 0), 30);
}

static void test_round_trip(void **state)
{
	static const struct {
		const char *in, *canon;
	} rt[] = {
		{ "2026-11-22T04:16:10.123456789Z", "2026-11-22T04:16:10.123456789Z" },
		{ "2026-11-22T06:16:10.5+02:00", "2026-11-22T04:16:10.500000000Z" },
		{ "2024-02-29 23:59:59z", "2024-02-29T23:59:59.000000000Z" },
		{ "2016-12-31T23:59:60Z", "2017-01-01T00:00:00.000000000Z" },
		{ "1700000000.000000001", "2023-11-14T22:13:20.000000001Z" },
		{ "1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000000000Z" },
	};
	static const int64_t vals[] = { 0, 1, -1, S, 1795320970 * S + 123456789, INT64_MAX,
					INT64_MIN, 951782400 * S - 1, 4102444800 * S };
	char buf[64], err[512];
	int64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rt) / sizeof(rt[0]); i++) {
		assert_int_equal(timearg_parse(rt[i].in, NOW, &v, err, sizeof(err)), 0);
		timearg_format(v, buf, sizeof(buf));
		assert_string_equal(buf, rt[i].canon);
	}
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		int64_t back;

		timearg_format(vals[i], buf, sizeof(buf));
		assert_int_equal(timearg_parse(buf, NOW, &back, err, sizeof(err)), 0);
		assert_true(back == vals[i]);
	}
}

/* Every day from 1900 to 2200 formats and parses back to the same value. */
static void test_calendar_sweep(void **state)
{
	char buf[64], err[512];
	int64_t day, v;

	(void)state;
	for (day = -25567; day <= 84000; day++) {
		int64_t t = day * 86400 * S + 3723 * S + 17;

		timearg_format(t, buf, sizeof(buf));
		assert_int_equal(timearg_parse(buf, 0, &v, err, sizeof(err)), 0);
		assert_true(v == t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_overflow_relative),
		cmocka_unit_test(test_err_buffers),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_calendar_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
