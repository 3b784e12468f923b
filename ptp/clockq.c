/* Clock quality state machine (see clockq.h).
 *
 * Transitions, at monotonic time t:
 *   any state, a sample arrives: first the time since the last call is
 *     played out as clockq_tick(t) would, then the sample is taken
 *   UNKNOWN/FREERUN/HOLDOVER, good sample (synced, has an offset, |offset|
 *     <= lock_ns): one more in the run; at lock_samples, LOCKED
 *   UNKNOWN/FREERUN/HOLDOVER, any other sample: the run starts over;
 *     UNKNOWN becomes FREERUN
 *   LOCKED, sample not synced or |offset| > unlock_ns: HOLDOVER
 *   LOCKED, synced within unlock_ns (with or without an offset): stays
 *   no sample for more than timeout_ns (a lost sample, counted once per
 *     silence, at last sample + timeout_ns): the run starts over; LOCKED
 *     becomes HOLDOVER and UNKNOWN (samples seen, none lost yet) FREERUN,
 *     both as of that instant, not of the tick that noticed it
 *   HOLDOVER for holdover_ns: FREERUN (as of since + holdover_ns)
 *
 * Error bound (clockq_get), ns, saturating at INT64_MAX:
 *   LOCKED    max over the last 16 samples of |offset| + extra_ns
 *   HOLDOVER  B + drift(t - t0), B the bound when lock was lost (the
 *             LOCKED bound, or the losing sample's |offset| + extra if
 *             larger), t0 the last sample then, the last time the error
 *             was measured; and no less than a fresh sample's own
 *             |offset| + extra + drift since it: a clock measured 5 ms
 *             off is not within a few hundred ns, holdover or not
 *   FREERUN   the latest sample's |offset| + extra + drift since it, when
 *             it has an offset and is at most timeout_ns old; else unknown
 *   UNKNOWN   unknown (INT64_MIN)
 * drift(d) = drift_ppb * d / 1e9, rounded up: a bound errs wide.
 */
#include <errno.h>
#include <stdlib.h>

#include "clockq.h"

#define NS_PER_S 1000000000LL
#define WINDOW 16

struct clockq {
	struct clockq_conf c;
	enum clockq_state state;
	int64_t since;
	int64_t last_lock;      /* when LOCKED was left; INT64_MIN never */
	unsigned run;           /* consecutive good samples, outside LOCKED */
	/* the latest sample */
	bool have_last;         /* any sample yet (every time is a valid time) */
	int64_t last_t;
	bool last_lost;         /* its timeout has been counted */
	bool last_has_off;
	int64_t last_err;       /* |offset| + extra of it */
	/* LOCKED's window: |offset| + extra of the run's latest samples */
	int64_t win[WINDOW];
	unsigned win_n, win_head;
	/* HOLDOVER */
	int64_t hold_bound;
	int64_t hold_ref;
};

static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t s;

	if (__builtin_add_overflow(a, b, &s))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return s;
}

/* b - a for b later than a; 0 when time went back, INT64_MAX at most */
static int64_t elapsed(int64_t a, int64_t b)
{
	int64_t d;

	if (__builtin_sub_overflow(b, a, &d))
		return a < b ? INT64_MAX : 0;
	return d < 0 ? 0 : d;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* drift_ppb * d / 1e9 rounded up, d >= 0, saturating */
static int64_t drift(uint32_t ppb, int64_t d)
{
	int64_t whole, part;

	/* split d so that neither product can overflow before the check:
	 * (d % 1e9) * ppb < 1e9 * 2^32 < 2^63 */
	if (__builtin_mul_overflow(d / NS_PER_S, (int64_t)ppb, &whole))
		return INT64_MAX;
	part = (d % NS_PER_S * (int64_t)ppb + NS_PER_S - 1) / NS_PER_S;
	return sat_add(whole, part);
}

/* |x|, INT64_MAX for INT64_MIN */
static int64_t abs_sat(int64_t x)
{
	return x == INT64_MIN ? INT64_MAX : x < 0 ? -x : x;
}

static void win_reset(struct clockq *q)
{
	q->win_n = 0;
	q->win_head = 0;
}

static void win_push(struct clockq *q, int64_t err)
{
	q->win[q->win_head] = err;
	q->win_head = (q->win_head + 1) % WINDOW;
	if (q->win_n < WINDOW)
		q->win_n++;
}

static int64_t win_max(const struct clockq *q)
{
	int64_t m = 0;
	unsigned i;

	for (i = 0; i < q->win_n; i++)
		m = max64(m, q->win[i]);
	return m;
}

static void enter(struct clockq *q, enum clockq_state st, int64_t t)
{
	if (q->state == CLOCKQ_LOCKED)
		q->last_lock = t;
	if (st != CLOCKQ_LOCKED) {
		q->run = 0;
		win_reset(q);
	}
	q->state = st;
	q->since = t;
}

/* LOCKED -> HOLDOVER at t; bound err at least, measured at ref */
static void lose_lock(struct clockq *q, int64_t t, int64_t err, int64_t ref)
{
	q->hold_bound = max64(win_max(q), err);
	q->hold_ref = ref;
	enter(q, CLOCKQ_HOLDOVER, t);
}

/* Time passing until now: timeouts and holdover expiry.  Whether the
 * state changed. */
static bool advance(struct clockq *q, int64_t now)
{
	enum clockq_state before = q->state;
	int64_t t;

	if (q->have_last && !q->last_lost &&
	    elapsed(q->last_t, now) > q->c.timeout_ns) {
		q->last_lost = true;
		t = sat_add(q->last_t, q->c.timeout_ns);
		q->run = 0;
		if (q->state == CLOCKQ_LOCKED)
			lose_lock(q, t, 0, q->last_t);
		else if (q->state == CLOCKQ_UNKNOWN)
			enter(q, CLOCKQ_FREERUN, t);
		else
			win_reset(q);
	}
	if (q->state == CLOCKQ_HOLDOVER && elapsed(q->since, now) >= q->c.holdover_ns)
		enter(q, CLOCKQ_FREERUN, sat_add(q->since, q->c.holdover_ns));
	return q->state != before;
}

struct clockq *clockq_create(const struct clockq_conf *c)
{
	struct clockq *q;

	if (!c || c->lock_ns < 0 || c->unlock_ns < c->lock_ns || !c->lock_samples ||
	    c->holdover_ns <= 0 || c->timeout_ns <= 0) {
		errno = EINVAL;
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->c = *c;
	q->state = CLOCKQ_UNKNOWN;
	q->since = INT64_MIN;
	q->last_lock = INT64_MIN;
	return q;
}

void clockq_destroy(struct clockq *q)
{
	free(q);
}

int clockq_sample(struct clockq *q, int64_t now_ns, const struct clockq_sample *s)
{
	bool changed = advance(q, now_ns);
	int64_t absoff = s->has_offset ? abs_sat(s->offset_ns) : 0;
	/* a negative extra counts as none */
	int64_t err = s->has_offset ? sat_add(absoff, s->extra_ns > 0 ? s->extra_ns : 0) : 0;
	bool good = s->synced && s->has_offset && absoff <= q->c.lock_ns;

	q->have_last = true;
	q->last_t = now_ns;
	q->last_lost = false;
	q->last_has_off = s->has_offset;
	q->last_err = err;
	if (q->state == CLOCKQ_LOCKED) {
		if (!s->synced || absoff > q->c.unlock_ns) {
			lose_lock(q, now_ns, err, now_ns);
			return 1;
		}
		if (s->has_offset)
			win_push(q, err);
		return changed;
	}
	if (!good) {
		q->run = 0;
		win_reset(q);
		if (q->state == CLOCKQ_UNKNOWN) {
			enter(q, CLOCKQ_FREERUN, now_ns);
			return 1;
		}
		return changed;
	}
	win_push(q, err);
	if (++q->run >= q->c.lock_samples) {
		enter(q, CLOCKQ_LOCKED, now_ns);
		return 1;
	}
	return changed;
}

int clockq_tick(struct clockq *q, int64_t now_ns)
{
	return advance(q, now_ns);
}

void clockq_get(const struct clockq *q, int64_t now_ns, struct clockq_view *v)
{
	/* the view of now, as if ticked: a caller that has not ticked since
	 * the timeout still sees HOLDOVER, not a stale LOCKED */
	struct clockq c = *q;
	int64_t fresh = INT64_MIN;

	advance(&c, now_ns);
	if (c.have_last && c.last_has_off &&
	    elapsed(c.last_t, now_ns) <= c.c.timeout_ns)
		fresh = sat_add(c.last_err, drift(c.c.drift_ppb, elapsed(c.last_t, now_ns)));
	v->state = c.state;
	v->since_ns = c.since;
	v->last_lock_ns = c.state == CLOCKQ_LOCKED ? now_ns : c.last_lock;
	switch (c.state) {
	case CLOCKQ_LOCKED:
		v->bound_ns = win_max(&c);
		break;
	case CLOCKQ_HOLDOVER:
		v->bound_ns = max64(sat_add(c.hold_bound, drift(c.c.drift_ppb,
								 elapsed(c.hold_ref, now_ns))),
				    fresh);
		break;
	case CLOCKQ_FREERUN:
		v->bound_ns = fresh;
		break;
	default:
		v->bound_ns = INT64_MIN;
		break;
	}
}

const char *clockq_state_name(unsigned state)
{
	static const char *const names[] = { "unknown", "freerun", "holdover", "locked" };

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}
