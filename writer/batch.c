/* Batch pool: fixed batches cycling producer -> full ring -> consumer ->
 * free ring -> producer.  Both rings hold every batch at once if need be,
 * so a push can only fail if a batch is handed back twice.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "pcapng.h"
#include "ring.h"

struct batch_pool {
	struct ring *full;
	struct ring *free;
	struct batch *batches;
	uint8_t *data;          /* one allocation behind every batch's data */
	size_t count;
	/* the consumer sleeping for a full batch: it sets waiting and sleeps
	 * on pushes (a futex word); the producer bumps pushes and wakes it
	 * only if it waits.  Both sides sequentially consistent, so one of
	 * them always sees the other. */
	_Atomic uint32_t pushes;
	atomic_bool waiting;
};

void batch_reset(struct batch *b)
{
	b->len = 0;
	b->packets = 0;
	b->bytes = 0;
	b->capbytes = 0;
	b->ts_first = 0;
	b->ts_last = 0;
	b->ts_min = 0;
	b->ts_max = 0;
}

struct batch_pool *batch_pool_create(size_t count, size_t cap)
{
	struct batch_pool *p;
	size_t i;
	int err;

	if (!count || !cap) {
		errno = EINVAL;
		return NULL;
	}
	if (cap > SIZE_MAX / count) {
		errno = ENOMEM;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	p->count = count;
	p->batches = calloc(count, sizeof(*p->batches));
	p->data = malloc(count * cap);
	if (!p->batches || !p->data) {
		err = ENOMEM;
		goto out;
	}
	p->full = ring_create(count);
	if (!p->full) {
		err = errno;
		goto out;
	}
	p->free = ring_create(count);
	if (!p->free) {
		err = errno;
		goto out;
	}
	/* touch every page now, on the creating thread: no page faults on the
	 * data path, and the memory lands on that thread's NUMA node */
	memset(p->data, 0, count * cap);
	for (i = 0; i < count; i++) {
		p->batches[i].data = p->data + i * cap;
		p->batches[i].cap = cap;
		batch_reset(&p->batches[i]);
		ring_push(p->free, &p->batches[i]);
	}
	return p;
out:
	batch_pool_destroy(p);
	errno = err;
	return NULL;
}

void batch_pool_destroy(struct batch_pool *p)
{
	if (!p)
		return;
	ring_destroy(p->full);
	ring_destroy(p->free);
	free(p->data);
	free(p->batches);
	free(p);
}

/* A batch always leaves the free ring empty, so the producer never has to
 * remember to reset it. */
struct batch *batch_pool_get_free(struct batch_pool *p)
{
	struct batch *b = ring_pop(p->free);

	if (b)
		batch_reset(b);
	return b;
}

bool batch_pool_put_full(struct batch_pool *p, struct batch *b)
{
	if (!ring_push(p->full, b))
		return false;
	atomic_fetch_add(&p->pushes, 1);
	if (atomic_load(&p->waiting))
		syscall(SYS_futex, &p->pushes, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	return true;
}

void batch_pool_wait_full(struct batch_pool *p, int64_t timeout_ns)
{
	struct timespec ts = { .tv_sec = timeout_ns / 1000000000,
			       .tv_nsec = timeout_ns % 1000000000 };
	uint32_t seen;

	atomic_store(&p->waiting, true);
	seen = atomic_load(&p->pushes);
	if (!batch_pool_queued(p))
		syscall(SYS_futex, &p->pushes, FUTEX_WAIT_PRIVATE, seen, &ts, NULL, 0);
	atomic_store(&p->waiting, false);
}

struct batch *batch_pool_get_full(struct batch_pool *p)
{
	return ring_pop(p->full);
}

void batch_pool_put_free(struct batch_pool *p, struct batch *b)
{
	/* Cannot fail: the free ring has room for every batch. */
	(void)ring_push(p->free, b);
}

size_t batch_pool_queued(const struct batch_pool *p)
{
	return ring_count(p->full);
}

size_t batch_pool_size(const struct batch_pool *p)
{
	return p->count;
}

bool batch_add(struct batch *b, uint32_t ifid, uint64_t ts_ns, const uint8_t *data,
	       uint32_t caplen, uint32_t origlen, uint32_t flags, int32_t queue)
{
	/* The section's IDBs say if_tsresol 9, so the raw ts is ns. */
	struct pcapng_epb epb = {
		.ifid = ifid,
		.ts = ts_ns,
		.caplen = caplen,
		.origlen = origlen,
		.data = data,
		.flags = flags,
		.queue = queue,
	};
	size_t n;

	n = pcapng_put_epb(b->data + b->len, b->cap - b->len, &epb);
	if (!n)
		return false;
	b->len += n;
	if (!b->packets) {
		b->ts_first = ts_ns;
		b->ts_min = ts_ns;
		b->ts_max = ts_ns;
	}
	b->packets++;
	b->bytes += origlen;
	b->capbytes += caplen;
	b->ts_last = ts_ns;
	if (ts_ns < b->ts_min)
		b->ts_min = ts_ns;
	if (ts_ns > b->ts_max)
		b->ts_max = ts_ns;
	return true;
}
