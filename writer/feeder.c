#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "feeder.h"

struct feeder {
	struct batch_pool *pool;
	bool lossless;
	uint32_t snaplen;
	struct batch *cur;
	int64_t cur_since;      /* CLOCK_MONOTONIC when cur was taken */
	/* written by the producer only, read by the writer: relaxed loads and
	 * stores, no locked read-modify-write on the per-packet path */
	_Atomic uint64_t packets, drops;
};

static void bump(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

struct feeder *feeder_create(struct batch_pool *pool, bool lossless, uint32_t snaplen)
{
	struct feeder *f = calloc(1, sizeof(*f));

	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	f->pool = pool;
	f->lossless = lossless;
	f->snaplen = snaplen ? snaplen : UINT32_MAX;
	atomic_init(&f->packets, 0);
	atomic_init(&f->drops, 0);
	return f;
}

void feeder_destroy(struct feeder *f)
{
	if (f && f->cur)
		batch_pool_put_free(f->pool, f->cur);
	free(f);
}

/* The writer gives batches back at its pace; wait without burning the
 * writer's core (on two cores the writer may share ours). */
static void backoff(unsigned *spins)
{
	if (++*spins < 64)
		sched_yield();
	else
		usleep(*spins < 1000 ? 20 : 100);
}

static int64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static struct batch *get_free(struct feeder *f)
{
	unsigned spins = 0;
	struct batch *b;

	while (!(b = batch_pool_get_free(f->pool)) && f->lossless)
		backoff(&spins);
	if (b)
		f->cur_since = mono_ns();
	return b;
}

static void push(struct feeder *f)
{
	unsigned spins = 0;

	/* the full ring holds every batch of the pool, so this cannot spin long */
	while (!batch_pool_put_full(f->pool, f->cur))
		backoff(&spins);
	f->cur = NULL;
}

int feeder_add(struct feeder *f, uint64_t ts_ns, const uint8_t *data, uint32_t caplen,
	       uint32_t origlen, uint32_t flags, int32_t queue)
{
	if (caplen > f->snaplen)
		caplen = f->snaplen;
	for (int tries = 0; tries < 2; tries++) {
		if (!f->cur)
			f->cur = get_free(f);
		if (!f->cur) {
			bump(&f->drops);
			return -ENOBUFS;
		}
		if (batch_add(f->cur, 0, ts_ns, data, caplen, origlen, flags, queue)) {
			bump(&f->packets);
			return 0;
		}
		if (!f->cur->packets)
			break;  /* does not fit even an empty batch */
		push(f);
	}
	bump(&f->drops);
	return -EMSGSIZE;
}

int feeder_flush(struct feeder *f)
{
	if (f->cur && f->cur->packets)
		push(f);
	return 0;
}

int feeder_tick(struct feeder *f, int64_t max_age_ns)
{
	if (f->cur && f->cur->packets && mono_ns() - f->cur_since >= max_age_ns)
		push(f);
	return 0;
}

uint64_t feeder_packets(const struct feeder *f)
{
	return atomic_load_explicit(&f->packets, memory_order_relaxed);
}

uint64_t feeder_drops(const struct feeder *f)
{
	return atomic_load_explicit(&f->drops, memory_order_relaxed);
}
