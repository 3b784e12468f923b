/* The producer side of a writer: packs packets into batches and hands full
 * batches to the writer through the pool's ring.
 *
 * Lossless mode (file ingest) waits for the writer when no batch is free;
 * live mode never waits: the packet is dropped and counted, because a NIC
 * cannot be paused.  One feeder per producer thread.
 */
#ifndef CAPTURED_FEEDER_H
#define CAPTURED_FEEDER_H

#include <stdbool.h>
#include <stdint.h>

#include "batch.h"

struct feeder;

/* snaplen: packets are cut to this many bytes (0: no limit). */
struct feeder *feeder_create(struct batch_pool *pool, bool lossless, uint32_t snaplen);
void feeder_destroy(struct feeder *f);   /* does not flush */
/* 0, or -ENOBUFS when the packet was dropped (live mode: no free batch),
 * -EMSGSIZE when it can never fit in a batch (counted as dropped too). */
int feeder_add(struct feeder *f, uint64_t ts_ns, const uint8_t *data, uint32_t caplen,
	       uint32_t origlen, uint32_t flags, int32_t queue);
/* Hands over the partly filled batch, if any (lossless: waits). */
int feeder_flush(struct feeder *f);
/* Hands over the partly filled batch if its first packet came max_age_ns
 * ago or earlier (CLOCK_MONOTONIC), so that a quiet source's packets reach
 * the writer in time.  Live sources call it each time they wake up. */
int feeder_tick(struct feeder *f, int64_t max_age_ns);
/* Counters; any thread may read them (the writer puts them in ISBs). */
uint64_t feeder_packets(const struct feeder *f);   /* accepted */
uint64_t feeder_drops(const struct feeder *f);     /* dropped: no batch free */

#endif
