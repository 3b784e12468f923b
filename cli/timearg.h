/* Time arguments of capctl (slice --from T --to T).
 *
 * Times are int64 nanoseconds since the Unix epoch, UTC.  Accepted forms:
 *
 *   RFC 3339   2026-11-22T04:16:10Z, 2026-11-22 04:16:10.5+02:00
 *              (T, t or space between date and time; Z, z or +-HH:MM;
 *              1 to 9 fraction digits; second 60 is a leap second and
 *              means the start of the next second)
 *   epoch      1700000000, 1700000000.123456789, @1700000000
 *   relative   now, -30s, -1.5s, -250ms, now-30s, now+5m
 *              (units ns us ms s m h d; a unit is required)
 *
 * Results that do not fit int64 are rejected, never wrapped.  Dates before
 * 1970 are accepted in RFC 3339 form (they are negative); a negative epoch
 * number is not, since "-5" would be ambiguous with a relative time.
 */
#ifndef CAPTURED_TIMEARG_H
#define CAPTURED_TIMEARG_H

#include <stddef.h>
#include <stdint.h>

/* Parses s; relative forms count from now_ns.  Returns 0, or -EINVAL with a
 * message in err (if errlen > 0) naming s and the accepted forms. */
int timearg_parse(const char *s, int64_t now_ns, int64_t *out_ns, char *err, size_t errlen);

/* Writes ns as RFC 3339 UTC with 9 fraction digits,
 * e.g. 2026-11-22T04:16:10.123456789Z.  Returns what snprintf returns:
 * the length of the full text, even if len was too small for it. */
size_t timearg_format(int64_t ns, char *buf, size_t len);

#endif
