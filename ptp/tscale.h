/* Time scales: hardware timestamps are raw PHC time, which is TAI when
 * ptp4l runs the PHC on the PTP timescale; pcapng wants UTC.  This turns
 * PHC time into UTC with currentUtcOffset when ptp4l says it is valid,
 * with the leap-second flags (leap61/leap59: the last minute of the
 * current UTC day has 61/59 seconds), and otherwise with an offset
 * measured between the PHC and CLOCK_REALTIME.
 *
 * struct tscale_map is what RX workers read per packet: a few atomics the
 * monitor thread publishes, so applying it costs a compare and a subtract.
 */
#ifndef CAPTURED_TSCALE_H
#define CAPTURED_TSCALE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* What ptp4l says about the time scale (TIME_PROPERTIES_DATA_SET). */
struct tscale {
	bool ptp_timescale;     /* the PHC counts TAI (else ARB: arbitrary epoch) */
	bool utc_offset_valid;
	int16_t utc_offset;     /* currentUtcOffset, s (37 since 2017) */
	bool leap61, leap59;
};

/* From UTC to PHC: how much to subtract, in ns, from a PHC timestamp, and
 * a pending leap second. */
struct tscale_rule {
	int64_t offset_ns;      /* PHC - UTC before the leap */
	int64_t leap_at;        /* PHC time (ns) from which leap_delta also applies; INT64_MAX none */
	int64_t leap_delta;     /* +1 s for leap61, -1 s for leap59 */
};

/* The rule for PHC timestamps near phc_now_ns (PHC time).  With a valid
 * UTC offset on the PTP timescale: offset = utc_offset s, and with a leap
 * flag, leap_at = the end of the current UTC day in PHC time: for leap61
 * the TAI instant of 23:59:60, for leap59 that of the 23:59:59 that does
 * not happen.  A flag seen in the first 6 hours of a UTC day (with the
 * offset of before the leap) is the late-cleared flag of the leap at the
 * midnight just past (IEEE 1588 sets it at most 12 h before and clears it
 * a few announce intervals after; linuxptp splits the same way), so
 * leap_at is that midnight's and the new offset applies.  Both flags set
 * is taken as neither.  Otherwise
 * measured_ns (PHC - CLOCK_REALTIME, from phc_offset), rounded to whole
 * seconds on the PTP timescale where only the second is uncertain, taken
 * as is on ARB.  -EINVAL when neither is available (measured_ns ==
 * INT64_MIN and no valid offset; on ARB an offset never counts: the
 * PHC's epoch is not TAI's). */
int tscale_rule(const struct tscale *t, int64_t phc_now_ns, int64_t measured_ns,
		struct tscale_rule *r);

/* UTC ns for a PHC timestamp under rule r.  The inserted second of leap61
 * (23:59:60) maps onto 23:59:59 a second time, as POSIX time does. */
static inline int64_t tscale_apply(const struct tscale_rule *r, int64_t phc_ns)
{
	int64_t utc = phc_ns - r->offset_ns;

	if (phc_ns >= r->leap_at)
		utc -= r->leap_delta;
	return utc;
}

/* The published rule RX workers apply; valid == false: pass timestamps
 * through unchanged (software stamps, or no rule yet).  A seqlock whose
 * fields are atomics themselves (relaxed loads and stores, ordered by
 * fences), so that a reader racing a writer is not a data race under the
 * C11 memory model; on x86-64 and arm64 these are plain loads and stores.
 * Private: use the functions below. */
struct tscale_map {
	_Atomic uint64_t gen;   /* odd while being written */
	_Atomic int64_t offset_ns;
	_Atomic int64_t leap_at;
	_Atomic int64_t leap_delta;
	_Atomic bool valid;
};

void tscale_map_init(struct tscale_map *m);
/* Monitor thread: publish a new rule (valid == false withdraws it; r may
 * then be NULL).  Writers may be several; they exclude each other. */
void tscale_map_set(struct tscale_map *m, const struct tscale_rule *r, bool valid);
/* RX thread: copy the current rule.  Returns whether it is valid.  Never
 * blocks on a lock; spins only while a writer is between its two stores
 * of gen (a few instructions, unless the writer is preempted there). */
bool tscale_map_get(struct tscale_map *m, struct tscale_rule *r);

#endif
