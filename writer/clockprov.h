/* Clock provenance, published by the daemon's clock monitor and read by
 * every writer: the quality of the clock behind the timestamps right now
 * (state and error bound, recorded in each frame's index entry), and the
 * time information of a file's section (clock source, timescale, UTC
 * offset, grandmaster: the SHB comment and the store's time record).  A
 * change of the section information makes every writer start a new file,
 * so that one file always has one provenance.
 *
 * Thread-safe: one publisher, any number of readers.  The quality is one
 * atomic word (readers pay a load per batch); the section text sits under
 * a mutex and a generation number tells writers when to fetch it again.
 */
#ifndef CAPTURED_CLOCKPROV_H
#define CAPTURED_CLOCKPROV_H

#include <stddef.h>
#include <stdint.h>

struct clockprov;

/* NULL and errno.  State starts unknown (0, bound INT64_MIN), section
 * text empty at generation 0. */
struct clockprov *clockprov_create(void);
void clockprov_destroy(struct clockprov *p);

/* Publisher: state (clockq's numbering, 0..255) and bound in ns
 * (INT64_MIN: unknown; bounds beyond 2^55 ns are recorded as 2^55). */
void clockprov_set_quality(struct clockprov *p, uint8_t state, int64_t bound_ns);
/* Publisher: the section's text, a one-line comment for people and
 * "key=value" lines for machines.  Bumps the generation when either
 * differs from what was published. */
void clockprov_set_section(struct clockprov *p, const char *comment, const char *kv);

/* Readers. */
void clockprov_quality(const struct clockprov *p, uint8_t *state, int64_t *bound_ns);
uint64_t clockprov_gen(const struct clockprov *p);
/* Copies the section text (cut to fit) and returns its generation. */
uint64_t clockprov_section(const struct clockprov *p, char *comment, size_t clen, char *kv,
			   size_t kvlen);

#endif
