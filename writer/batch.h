/* Batches of encoded pcapng EPBs, the unit handed from a packet source (an
 * RX worker or a file reader) to a writer thread.
 *
 * A batch pool owns a fixed set of batches and two SPSC rings: "full"
 * (producer to writer) and "free" (writer back to producer).  Nothing is
 * allocated on the data path.
 */
#ifndef CAPTURED_BATCH_H
#define CAPTURED_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct batch {
	uint8_t *data;          /* EPBs back to back */
	size_t len;
	size_t cap;
	uint32_t packets;
	uint64_t bytes;         /* sum of original lengths */
	uint64_t capbytes;      /* sum of captured lengths */
	uint64_t ts_first, ts_last, ts_min, ts_max; /* ns since the epoch */
};

struct batch_pool;

/* count batches of cap bytes each; NULL and errno on failure. */
struct batch_pool *batch_pool_create(size_t count, size_t cap);
void batch_pool_destroy(struct batch_pool *p);

/* Producer side. */
struct batch *batch_pool_get_free(struct batch_pool *p);  /* NULL: none free */
bool batch_pool_put_full(struct batch_pool *p, struct batch *b);
/* Consumer side. */
struct batch *batch_pool_get_full(struct batch_pool *p);  /* NULL: none queued */
/* Sleeps until a batch is queued or timeout_ns passed (or a spurious
 * wakeup); returns at once if one is queued.  Costs the producer a wakeup
 * only while the consumer sleeps here. */
void batch_pool_wait_full(struct batch_pool *p, int64_t timeout_ns);
void batch_pool_put_free(struct batch_pool *p, struct batch *b);

/* Batches queued for the consumer, and the total. */
size_t batch_pool_queued(const struct batch_pool *p);
size_t batch_pool_size(const struct batch_pool *p);

void batch_reset(struct batch *b);
/* Appends one EPB (ts in ns); false when it does not fit (batch unchanged). */
bool batch_add(struct batch *b, uint32_t ifid, uint64_t ts_ns, const uint8_t *data,
	       uint32_t caplen, uint32_t origlen, uint32_t flags, int32_t queue);

#endif
