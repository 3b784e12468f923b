/* Clock quality: how far the clock behind a capture's timestamps can be
 * trusted, as a small state machine fed with samples (from ptp4l's
 * management socket, or the kernel's NTP state for the system clock).
 *
 *   UNKNOWN   nothing known yet (no sample ever)
 *   FREERUN   not synchronized (port not SLAVE, offset above the lock
 *             threshold for longer than the holdover, kernel STA_UNSYNC)
 *   HOLDOVER  was LOCKED, lost it (bad offset, port left SLAVE, ptp4l gone
 *             silent) less than holdover ago; the error bound grows by the
 *             assumed drift
 *   LOCKED    lock_samples consecutive synchronized samples within lock_ns
 *
 * Numeric values are what the store records (clock_state); a higher value
 * is a better clock, so the worst state of a range is the minimum.
 * Single-threaded: the owner serializes calls.
 */
#ifndef CAPTURED_CLOCKQ_H
#define CAPTURED_CLOCKQ_H

#include <stdbool.h>
#include <stdint.h>

enum clockq_state {
	CLOCKQ_UNKNOWN = 0,
	CLOCKQ_FREERUN = 1,
	CLOCKQ_HOLDOVER = 2,
	CLOCKQ_LOCKED = 3,
};

struct clockq_conf {
	int64_t lock_ns;        /* |offset| at or below this counts as good */
	int64_t unlock_ns;      /* LOCKED is left when |offset| exceeds this (>= lock_ns) */
	unsigned lock_samples;  /* consecutive good samples to become LOCKED (>= 1) */
	int64_t holdover_ns;    /* HOLDOVER lasts this long, then FREERUN */
	int64_t timeout_ns;     /* no sample for this long counts as a lost sample */
	uint32_t drift_ppb;     /* assumed drift in HOLDOVER, for the error bound */
};

struct clockq_sample {
	bool synced;            /* port SLAVE (or a traceable grandmaster itself) */
	bool has_offset;
	int64_t offset_ns;      /* offset from the master (signed) */
	int64_t extra_ns;       /* error to add to the bound (measurement uncertainty) */
};

struct clockq_view {
	enum clockq_state state;
	int64_t bound_ns;       /* estimated error bound now; INT64_MIN when unknown */
	int64_t last_lock_ns;   /* monotonic time LOCKED was last true; INT64_MIN never */
	int64_t since_ns;       /* monotonic time the current state began; INT64_MIN in UNKNOWN */
};

struct clockq;

/* NULL and errno (EINVAL for an inconsistent conf). */
struct clockq *clockq_create(const struct clockq_conf *c);
void clockq_destroy(struct clockq *q);
/* A sample at monotonic time now_ns (time passed since the last call is
 * played out first, as clockq_tick does).  Returns 1 when the state
 * changed (at least one transition), else 0. */
int clockq_sample(struct clockq *q, int64_t now_ns, const struct clockq_sample *s);
/* Time passing without a sample (timeouts, holdover expiry).  1 when the
 * state changed, else 0. */
int clockq_tick(struct clockq *q, int64_t now_ns);
/* The view at now_ns, as if clockq_tick(now_ns) had been called first (q
 * itself is not changed).  Bounds are described in clockq.c. */
void clockq_get(const struct clockq *q, int64_t now_ns, struct clockq_view *v);
/* "unknown", "freerun", "holdover", "locked"; "?" for other values. */
const char *clockq_state_name(unsigned state);

#endif
