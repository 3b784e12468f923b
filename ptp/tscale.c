/* PHC time to UTC: the rule, and the map RX workers read it from.
 *
 * Leap seconds.  On the PTP timescale the PHC counts TAI; before a leap,
 * UTC = TAI - off with off = currentUtcOffset (s), and UTC here means
 * POSIX time: a count of seconds that skips or repeats one at a leap.
 * Let M be the POSIX time of the UTC midnight that ends the day carrying
 * the leap (for the end of 2016: M = 1483228800, 2017-01-01T00:00:00Z).
 *
 * leap61, the day ends 23:59:59, 23:59:60, 00:00:00.  TAI reaches the
 * start of 23:59:60 at M + off: that is where POSIX time, counting with
 * the old offset, would say 00:00:00.  That second is inserted, so from
 * TAI M + off on, the offset is off + 1:
 *   TAI M + off - 1   23:59:59   POSIX M - 1   (off)
 *   TAI M + off       23:59:60   POSIX M - 1   (off + 1: 23:59:59 again)
 *   TAI M + off + 1   00:00:00   POSIX M       (off + 1)
 * so leap_at = M + off, leap_delta = +1 s.
 *
 * leap59, the day ends 23:59:58, 00:00:00.  TAI reaches what would have
 * been 23:59:59 at M - 1 + off; that instant is already 00:00:00, so from
 * there on the offset is off - 1:
 *   TAI M + off - 2   23:59:58   POSIX M - 2   (off)
 *   TAI M + off - 1   00:00:00   POSIX M       (off - 1)
 * so leap_at = M + off - 1 s, leap_delta = -1 s.
 *
 * Which midnight is M: the flags speak of the end of the current UTC day,
 * but once the leap has happened the grandmaster's next announce may be a
 * couple of intervals away, and until then the flag is still set with the
 * old offset; during the inserted second itself, counting with the old
 * offset already says 00:00:00 of the next day.  IEEE 1588 sets a flag at
 * most 12 hours before the leap, so a flag seen in the first 6 hours of a
 * day (counted with the announced offset) belongs to the midnight that
 * began it, and one seen later to the midnight that ends it (linuxptp's
 * split).  The first case puts leap_at in the past: the new offset
 * applies, which is right for such stale flags.
 */
#include <errno.h>
#include <sched.h>
#include <stddef.h>

#include "tscale.h"

#define NS_PER_S 1000000000LL
#define NS_PER_DAY (86400 * NS_PER_S)
#define STALE_FLAG_NS (6 * 3600 * NS_PER_S)

/* a / b rounded toward minus infinity (b > 0): days before 1970 too */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b < 0)
		q--;
	return q;
}

/* x rounded to whole seconds, halves away from zero */
static int64_t round_s(int64_t x)
{
	int64_t q = x / NS_PER_S, r = x % NS_PER_S, out;

	if (r >= NS_PER_S / 2)
		q++;
	else if (r <= -NS_PER_S / 2)
		q--;
	/* at the ends of the range the rounded value does not exist: truncate */
	if (__builtin_mul_overflow(q, NS_PER_S, &out))
		out = x / NS_PER_S * NS_PER_S;
	return out;
}

/* leap_at for a leap flag, per the comment at the top.  False when the
 * instant does not fit in int64 ns (PHC time near the year 2262). */
static bool leap_instant(int64_t phc_now, int64_t off, bool leap61, int64_t *at)
{
	int64_t utc, day, tod, m;

	if (__builtin_sub_overflow(phc_now, off, &utc))
		return false;
	day = floor_div(utc, NS_PER_DAY);
	tod = utc - day * NS_PER_DAY;
	if (tod >= STALE_FLAG_NS)
		day++;
	if (__builtin_mul_overflow(day, NS_PER_DAY, &m) ||
	    __builtin_add_overflow(m, off, at))
		return false;
	if (!leap61)
		*at -= NS_PER_S;
	return true;
}

int tscale_rule(const struct tscale *t, int64_t phc_now_ns, int64_t measured_ns,
		struct tscale_rule *r)
{
	int64_t at;

	if (!t || !r)
		return -EINVAL;
	r->leap_at = INT64_MAX;
	r->leap_delta = 0;
	if (t->ptp_timescale && t->utc_offset_valid) {
		r->offset_ns = (int64_t)t->utc_offset * NS_PER_S;
		/* both flags is a grandmaster bug: no way to tell which */
		if (t->leap61 == t->leap59)
			return 0;
		if (leap_instant(phc_now_ns, r->offset_ns, t->leap61, &at)) {
			r->leap_at = at;
			r->leap_delta = t->leap61 ? NS_PER_S : -NS_PER_S;
		}
		return 0;
	}
	/* An ARB PHC has no defined relation to UTC (a utc_offset it may
	 * announce means nothing for its epoch): only a measurement helps. */
	if (measured_ns == INT64_MIN)
		return -EINVAL;
	/* On the PTP timescale the PHC and UTC differ by whole seconds; what
	 * is not whole is the measurement's error and the system clock's own,
	 * which the PHC (the better clock) should not inherit. */
	r->offset_ns = t->ptp_timescale ? round_s(measured_ns) : measured_ns;
	return 0;
}

void tscale_map_init(struct tscale_map *m)
{
	atomic_init(&m->gen, 0);
	atomic_init(&m->offset_ns, 0);
	atomic_init(&m->leap_at, INT64_MAX);
	atomic_init(&m->leap_delta, 0);
	atomic_init(&m->valid, false);
}

void tscale_map_set(struct tscale_map *m, const struct tscale_rule *r, bool valid)
{
	uint64_t g = atomic_load_explicit(&m->gen, memory_order_relaxed);

	/* Enter: gen even -> odd.  Acquire: the previous writer's stores
	 * happen before ours, so ours are the newer ones. */
	for (;;) {
		if (!(g & 1) && atomic_compare_exchange_weak_explicit(
					&m->gen, &g, g + 1, memory_order_acquire,
					memory_order_relaxed))
			break;
		if (g & 1) {
			sched_yield();
			g = atomic_load_explicit(&m->gen, memory_order_relaxed);
		}
	}
	/* The odd gen before any field: a reader that sees one of the new
	 * fields (acquire fence after its loads) then sees gen changed. */
	atomic_thread_fence(memory_order_release);
	if (valid && r) {
		atomic_store_explicit(&m->offset_ns, r->offset_ns, memory_order_relaxed);
		atomic_store_explicit(&m->leap_at, r->leap_at, memory_order_relaxed);
		atomic_store_explicit(&m->leap_delta, r->leap_delta, memory_order_relaxed);
	}
	atomic_store_explicit(&m->valid, valid && r, memory_order_relaxed);
	/* Leave: the fields before the even gen. */
	atomic_store_explicit(&m->gen, g + 2, memory_order_release);
}

bool tscale_map_get(struct tscale_map *m, struct tscale_rule *r)
{
	uint64_t g1, g2;
	unsigned spins = 0;
	bool valid;

	for (;;) {
		g1 = atomic_load_explicit(&m->gen, memory_order_acquire);
		if (!(g1 & 1)) {
			r->offset_ns = atomic_load_explicit(&m->offset_ns, memory_order_relaxed);
			r->leap_at = atomic_load_explicit(&m->leap_at, memory_order_relaxed);
			r->leap_delta = atomic_load_explicit(&m->leap_delta, memory_order_relaxed);
			valid = atomic_load_explicit(&m->valid, memory_order_relaxed);
			/* the field loads before the second look at gen */
			atomic_thread_fence(memory_order_acquire);
			g2 = atomic_load_explicit(&m->gen, memory_order_relaxed);
			if (g1 == g2)
				return valid;
		}
		/* a writer preempted mid-update: let it run rather than burn
		 * the core it may be waiting for */
		if (++spins % 64 == 0)
			sched_yield();
	}
}
