/* Lock-free SPSC ring of pointers.
 *
 * head and tail are free-running counters; slot = counter & mask, and
 * head - tail is the fill level even across wrap-around, so all slots are
 * usable.  The producer owns head, the consumer owns tail; each publishes
 * its counter with a release store after touching the slot, and the other
 * side reads it with an acquire load before touching the slot.
 *
 * Each side keeps a private cached copy of the other side's counter on its
 * own cache line, so the shared line is only pulled over when the cache
 * says the ring looks full (producer) or empty (consumer).
 */
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "ring.h"

#define CACHE_LINE 64

struct ring {
	/* producer's line */
	alignas(CACHE_LINE) atomic_size_t head;
	size_t tail_cache;
	/* consumer's line */
	alignas(CACHE_LINE) atomic_size_t tail;
	size_t head_cache;
	/* read-only after creation */
	alignas(CACHE_LINE) size_t mask;
	void **slots;
};

struct ring *ring_create(size_t slots)
{
	struct ring *r = NULL;
	size_t n = 2;
	int err;

	while (n < slots) {
		if (n > SIZE_MAX / 2 / sizeof(void *)) {
			errno = ENOMEM;
			return NULL;
		}
		n <<= 1;
	}
	/* malloc only promises 16-byte alignment; alignas needs more. */
	err = posix_memalign((void **)&r, CACHE_LINE, sizeof(*r));
	if (err) {
		errno = err;
		return NULL;
	}
	r->slots = calloc(n, sizeof(*r->slots));
	if (!r->slots) {
		err = ENOMEM;
		goto out;
	}
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	r->tail_cache = 0;
	r->head_cache = 0;
	r->mask = n - 1;
	return r;
out:
	free(r);
	errno = err;
	return NULL;
}

void ring_destroy(struct ring *r)
{
	if (!r)
		return;
	free(r->slots);
	free(r);
}

bool ring_push(struct ring *r, void *item)
{
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (head - r->tail_cache > r->mask) {
		/* Acquire: the consumer's read of the slot we are about to
		 * overwrite must be complete. */
		r->tail_cache = atomic_load_explicit(&r->tail,
						     memory_order_acquire);
		if (head - r->tail_cache > r->mask)
			return false;
	}
	r->slots[head & r->mask] = item;
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	return true;
}

void *ring_pop(struct ring *r)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	void *item;

	if (tail == r->head_cache) {
		/* Acquire: pairs with the producer's release of head, so the
		 * slot written before it is visible. */
		r->head_cache = atomic_load_explicit(&r->head,
						     memory_order_acquire);
		if (tail == r->head_cache)
			return NULL;
	}
	item = r->slots[tail & r->mask];
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
	return item;
}

size_t ring_count(const struct ring *r)
{
	/* tail first: tail never passes head, so a later head read cannot be
	 * below it; the count may be stale but never wraps negative. */
	size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	size_t n = head - tail;

	return n > r->mask ? r->mask + 1 : n;
}

size_t ring_capacity(const struct ring *r)
{
	return r->mask + 1;
}
