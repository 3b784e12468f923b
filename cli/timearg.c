/* Parsing and formatting of capctl time arguments; see timearg.h.
 *
 * Everything is integer arithmetic on int64 nanoseconds: no mktime(), no TZ,
 * no floating point, so results are exact and independent of the locale and
 * the local time zone.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "timearg.h"

#define NS_PER_SEC 1000000000LL
#define SEC_PER_DAY 86400LL

static const char accepted[] =
	"expected RFC 3339 (2026-11-22T04:16:10.5Z, offsets +HH:MM), "
	"epoch seconds (1700000000[.5], @1700000000) or relative "
	"(now, -30s, now+5m; units ns us ms s m h d)";

static const struct {
	const char *name;
	int64_t ns;
} units[] = {
	{ "ns", 1 },
	{ "us", 1000 },
	{ "ms", 1000000 },
	{ "s", NS_PER_SEC },
	{ "m", 60 * NS_PER_SEC },
	{ "h", 3600 * NS_PER_SEC },
	{ "d", SEC_PER_DAY * NS_PER_SEC },
};

static int fail(char *err, size_t errlen, const char *s, const char *why)
{
	if (errlen)
		snprintf(err, errlen, "'%s': %s; %s", s, why, accepted);
	return -EINVAL;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Exactly n digits at p, or -1.  Stops at the first non-digit, so it never
 * reads past a terminating NUL. */
static int fixed(const char *p, int n)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* One or more digits; -EINVAL if none, -ERANGE if they overflow int64. */
static int parse_uint(const char **pp, int64_t *v)
{
	const char *p = *pp;
	int64_t x = 0;

	if (!is_digit(*p))
		return -EINVAL;
	for (; is_digit(*p); p++) {
		if (__builtin_mul_overflow(x, 10, &x) ||
		    __builtin_add_overflow(x, *p - '0', &x))
			return -ERANGE;
	}
	*pp = p;
	*v = x;
	return 0;
}

/* An optional ".digits" (1 to 9 of them), scaled to nanoseconds. */
static int parse_frac(const char **pp, int64_t *ns, const char **why)
{
	const char *p = *pp;
	int64_t v = 0;
	int n = 0;

	*ns = 0;
	if (*p != '.')
		return 0;
	for (p++; is_digit(*p); p++, n++) {
		if (n == 9) {
			*why = "more than 9 fraction digits";
			return -EINVAL;
		}
		v = v * 10 + (*p - '0');
	}
	if (!n) {
		*why = "no digits after '.'";
		return -EINVAL;
	}
	for (; n < 9; n++)
		v *= 10;
	*ns = v;
	*pp = p;
	return 0;
}

/* secs * 1e9 + frac_ns (0 <= frac_ns < 1e9) without wrapping.  Borrowing a
 * second for negative secs keeps the earliest instant, INT64_MIN, reachable. */
static int to_ns(int64_t secs, int64_t frac_ns, int64_t *out)
{
	if (secs < 0 && frac_ns) {
		secs++;
		frac_ns -= NS_PER_SEC;
	}
	if (__builtin_mul_overflow(secs, NS_PER_SEC, out) ||
	    __builtin_add_overflow(*out, frac_ns, out))
		return -ERANGE;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), valid for any year a 4-digit field can hold. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int month_days(int64_t y, int m)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return mdays[m - 1] + (m == 2 && leap);
}

static int parse_rfc3339(const char *p, int64_t *out, const char **why)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t frac, secs;

	/* Each separator is tested only after the digits before it matched,
	 * so nothing past the terminating NUL is read. */
	*why = "not of the form YYYY-MM-DDTHH:MM:SS[.f](Z|+HH:MM|-HH:MM)";
	if ((y = fixed(p, 4)) < 0 || p[4] != '-' || (mo = fixed(p + 5, 2)) < 0 ||
	    p[7] != '-' || (d = fixed(p + 8, 2)) < 0 ||
	    (p[10] != 'T' && p[10] != 't' && p[10] != ' ') ||
	    (h = fixed(p + 11, 2)) < 0 || p[13] != ':' ||
	    (mi = fixed(p + 14, 2)) < 0 || p[16] != ':' ||
	    (sec = fixed(p + 17, 2)) < 0)
		return -EINVAL;
	p += 19;
	if (parse_frac(&p, &frac, why))
		return -EINVAL;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if ((oh = fixed(p + 1, 2)) < 0 || p[3] != ':' || (om = fixed(p + 4, 2)) < 0)
			return -EINVAL;
		p += 6;
	} else {
		*why = *p ? "bad time zone (expected Z, +HH:MM or -HH:MM)"
			  : "missing time zone (Z, +HH:MM or -HH:MM)";
		return -EINVAL;
	}
	if (*p) {
		*why = "trailing characters";
		return -EINVAL;
	}
	*why = "date or time field out of range";
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 ||
	    mi > 59 || sec > 60 || oh > 23 || om > 59)
		return -EINVAL;
	/* A leap second (sec == 60) simply carries into the next minute. */
	secs = days_from_civil(y, mo, d) * SEC_PER_DAY + h * 3600 + mi * 60 + sec -
	       sign * (oh * 3600 + om * 60);
	*why = "out of the range of int64 nanoseconds (1677..2262)";
	return to_ns(secs, frac, out) ? -EINVAL : 0;
}

static int parse_epoch(const char *p, int64_t *out, const char **why)
{
	int64_t secs, frac;
	int err;

	if (*p == '@')
		p++;
	if (*p == '-') {
		*why = "negative epoch seconds";
		return -EINVAL;
	}
	err = parse_uint(&p, &secs);
	if (!err && to_ns(secs, 0, &secs))
		err = -ERANGE;
	if (err) {
		*why = err == -ERANGE ? "out of the range of int64 nanoseconds"
				      : "not a number of seconds";
		return -EINVAL;
	}
	if (parse_frac(&p, &frac, why))
		return -EINVAL;
	if (*p) {
		*why = "trailing characters";
		return -EINVAL;
	}
	if (__builtin_add_overflow(secs, frac, out)) {
		*why = "out of the range of int64 nanoseconds";
		return -EINVAL;
	}
	return 0;
}

/* A duration: digits, optional 1..9 fraction digits, a unit. */
static int parse_dur(const char *p, int64_t *out, const char **why)
{
	int64_t n, frac, whole, part;
	size_t i;
	int err;

	err = parse_uint(&p, &n);
	if (err) {
		*why = err == -ERANGE ? "duration too large" : "expected a number after the sign";
		return -EINVAL;
	}
	if (parse_frac(&p, &frac, why))
		return -EINVAL;
	if (!*p) {
		*why = "a relative time needs a unit (ns us ms s m h d)";
		return -EINVAL;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(p, units[i].name))
			break;
	if (i == sizeof(units) / sizeof(units[0])) {
		*why = "unknown unit (expected ns us ms s m h d)";
		return -EINVAL;
	}
	/* frac * unit / 1e9, split so that no intermediate overflows: frac is
	 * below 1e9 and the unit's sub-second part is too. */
	whole = frac * (units[i].ns / NS_PER_SEC);
	part = frac * (units[i].ns % NS_PER_SEC);
	if (part % NS_PER_SEC) {
		*why = "finer than one nanosecond";
		return -EINVAL;
	}
	if (__builtin_mul_overflow(n, units[i].ns, out) ||
	    __builtin_add_overflow(*out, whole + part / NS_PER_SEC, out)) {
		*why = "duration too large";
		return -EINVAL;
	}
	return 0;
}

int timearg_parse(const char *s, int64_t now_ns, int64_t *out_ns, char *err, size_t errlen)
{
	const char *why = "unrecognized time";
	int64_t dur, v;
	const char *p = s;
	int sign;

	if (!*s)
		return fail(err, errlen, s, "empty time");
	if (is_digit(p[0]) && fixed(p, 4) >= 0 && p[4] == '-') {
		if (parse_rfc3339(p, &v, &why))
			return fail(err, errlen, s, why);
	} else if (is_digit(*p) || *p == '@') {
		if (parse_epoch(p, &v, &why))
			return fail(err, errlen, s, why);
	} else if (*p == '-' || !strncmp(p, "now", 3)) {
		if (*p == 'n')
			p += 3;
		v = now_ns;
		if (*p) {
			if (*p != '-' && *p != '+')
				return fail(err, errlen, s, "expected '-' or '+' after 'now'");
			sign = *p++ == '-' ? -1 : 1;
			if (parse_dur(p, &dur, &why))
				return fail(err, errlen, s, why);
			if (sign < 0 ? __builtin_sub_overflow(now_ns, dur, &v)
				     : __builtin_add_overflow(now_ns, dur, &v))
				return fail(err, errlen, s, "out of the range of int64 nanoseconds");
		}
	} else {
		return fail(err, errlen, s, why);
	}
	*out_ns = v;
	return 0;
}

size_t timearg_format(int64_t ns, char *buf, size_t len)
{
	int64_t secs = ns / NS_PER_SEC, frac = ns % NS_PER_SEC, days, sod, y;
	int m, d, n;

	/* Floor division, so that times before 1970 come out right. */
	if (frac < 0) {
		frac += NS_PER_SEC;
		secs--;
	}
	days = secs / SEC_PER_DAY;
	sod = secs % SEC_PER_DAY;
	if (sod < 0) {
		sod += SEC_PER_DAY;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	n = snprintf(buf, len, "%04lld-%02d-%02dT%02d:%02d:%02d.%09lldZ", (long long)y, m, d,
		     (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), (long long)frac);
	return n < 0 ? 0 : (size_t)n;
}
