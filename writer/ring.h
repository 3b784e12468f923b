/* Lock-free single-producer/single-consumer ring of pointers.
 *
 * One thread may call ring_push, one other thread ring_pop; any thread may
 * read ring_count.  The ring never owns what its slots point to.
 */
#ifndef CAPTURED_RING_H
#define CAPTURED_RING_H

#include <stdbool.h>
#include <stddef.h>

struct ring;

/* slots is rounded up to a power of two (>= 2).  NULL and errno on failure. */
struct ring *ring_create(size_t slots);
void ring_destroy(struct ring *r);
/* false when full (the item is not taken) */
bool ring_push(struct ring *r, void *item);
/* NULL when empty */
void *ring_pop(struct ring *r);
size_t ring_count(const struct ring *r);
size_t ring_capacity(const struct ring *r);

#endif
