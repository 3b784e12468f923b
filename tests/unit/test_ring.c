/* Unit tests for writer/ring.c and writer/batch.c (the pool is the ring's
 * main user, and its cycles exercise the ring across threads). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "batch.h"
#include "pcapng.h"
#include "ring.h"

#define SEQ_COUNT 1000000u

/* Items are 1-based sequence numbers: NULL means "empty" to ring_pop. */
static void *seq(uintptr_t i)
{
	return (void *)i;
}

static void test_ring_create(void **state)
{
	static const struct { size_t ask, cap; } cases[] = {
		{ 0, 2 }, { 1, 2 }, { 2, 2 }, { 3, 4 }, { 4, 4 }, { 5, 8 },
		{ 1000, 1024 }, { 1024, 1024 },
	};
	struct ring *r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = ring_create(cases[i].ask);
		assert_non_null(r);
		assert_int_equal(ring_capacity(r), cases[i].cap);
		assert_int_equal(ring_count(r), 0);
		assert_null(ring_pop(r));
		ring_destroy(r);
	}
	errno = 0;
	assert_null(ring_create(SIZE_MAX));
	assert_int_equal(errno, ENOMEM);
	ring_destroy(NULL);
}

static void test_ring_fill(void **state)
{
	struct ring *r = ring_create(8);
	uintptr_t i;

	(void)state;
	assert_non_null(r);
	for (i = 1; i <= 8; i++) {
		assert_true(ring_push(r, seq(i)));
		assert_int_equal(ring_count(r), i);
	}
	assert_false(ring_push(r, seq(99)));
	assert_int_equal(ring_count(r), 8);
	for (i = 1; i <= 8; i++)
		assert_ptr_equal(ring_pop(r), seq(i));
	assert_null(ring_pop(r));
	assert_int_equal(ring_count(r), 0);
	/* the rejected item never got in, and the ring is usable again */
	assert_true(ring_push(r, seq(100)));
	assert_ptr_equal(ring_pop(r), seq(100));
	ring_destroy(r);
}

/* Partial fills that straddle the wrap point many times. */
static void test_ring_wrap(void **state)
{
	struct ring *r = ring_create(4);
	uintptr_t in = 1, out = 1;
	int round, k;

	(void)state;
	assert_non_null(r);
	for (round = 0; round < 1000; round++) {
		for (k = 0; k < 1 + round % 4; k++)
			assert_true(ring_push(r, seq(in++)));
		assert_int_equal(ring_count(r), in - out);
		while (out < in - round % 2)
			assert_ptr_equal(ring_pop(r), seq(out++));
	}
	while (out < in)
		assert_ptr_equal(ring_pop(r), seq(out++));
	assert_null(ring_pop(r));
	ring_destroy(r);
}

static void *producer(void *arg)
{
	struct ring *r = arg;
	uintptr_t i;

	for (i = 1; i <= SEQ_COUNT; i++)
		while (!ring_push(r, seq(i)))
			sched_yield();
	return NULL;
}

/* A small ring so that both full and empty are hit constantly. */
static void test_ring_threads(void **state)
{
	struct ring *r = ring_create(64);
	uintptr_t want = 1, bad = 0;
	pthread_t t;
	void *item;

	(void)state;
	assert_non_null(r);
	assert_int_equal(pthread_create(&t, NULL, producer, r), 0);
	while (want <= SEQ_COUNT) {
		item = ring_pop(r);
		if (!item) {
			sched_yield();
			continue;
		}
		/* no cmocka asserts here: a longjmp would leave the
		 * producer running on a freed ring */
		if (!bad && (item != seq(want) ||
			     ring_count(r) > ring_capacity(r)))
			bad = want;
		want++;
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(bad, 0);
	assert_null(ring_pop(r));
	ring_destroy(r);
}

static void test_pool_cycle(void **state)
{
	static const uint8_t four[4] = { 1, 2, 3, 4 };
	struct batch_pool *p = batch_pool_create(4, 256);
	struct batch *b[4];
	int round, i, j;

	(void)state;
	assert_non_null(p);
	assert_int_equal(batch_pool_size(p), 4);
	for (round = 0; round < 5; round++) {
		assert_int_equal(batch_pool_queued(p), 0);
		for (i = 0; i < 4; i++) {
			b[i] = batch_pool_get_free(p);
			assert_non_null(b[i]);
			/* a fresh batch is empty whatever was left in it */
			assert_int_equal(b[i]->len, 0);
			assert_int_equal(b[i]->packets, 0);
			assert_int_equal(b[i]->cap, 256);
			for (j = 0; j < i; j++)
				assert_ptr_not_equal(b[i], b[j]);
			assert_true(batch_add(b[i], 0, 1, four, 4, 4, 0, -1));
		}
		assert_null(batch_pool_get_free(p));
		assert_null(batch_pool_get_full(p));
		for (i = 0; i < 4; i++)
			assert_true(batch_pool_put_full(p, b[i]));
		assert_int_equal(batch_pool_queued(p), 4);
		for (i = 0; i < 4; i++) {
			assert_ptr_equal(batch_pool_get_full(p), b[i]);
			batch_pool_put_free(p, b[i]);
		}
		assert_null(batch_pool_get_full(p));
	}
	batch_pool_destroy(p);
	batch_pool_destroy(NULL);

	errno = 0;
	assert_null(batch_pool_create(0, 256));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(batch_pool_create(2, SIZE_MAX));
	assert_int_equal(errno, ENOMEM);
}

static void test_batch_add(void **state)
{
	static const uint8_t pkt[20] = { 0xaa, 0xbb };
	static const uint64_t ts[] = { 500, 300, 900 };
	struct batch_pool *p;
	struct pcapng_block blk;
	struct pcapng_epb epb;
	struct batch *b, saved;
	size_t off = 0, esz, k;
	int i;

	(void)state;
	/* 32 bytes of framing, 20 of data, 2 options and opt_endofopt */
	esz = pcapng_epb_size(sizeof(pkt), 1, 2);
	assert_int_equal(esz, 72);
	p = batch_pool_create(1, 2 * esz + esz - 4);
	assert_non_null(p);
	b = batch_pool_get_free(p);
	assert_non_null(b);
	memset(b->data, 0x5a, b->cap);
	for (i = 0; i < 2; i++)
		assert_true(batch_add(b, 1, ts[i], pkt, sizeof(pkt), 1500, 1, 2));
	saved = *b;
	assert_false(batch_add(b, 1, ts[2], pkt, sizeof(pkt), 1500, 1, 2));
	assert_int_equal(b->len, saved.len);
	assert_int_equal(b->packets, saved.packets);
	assert_int_equal(b->bytes, saved.bytes);
	assert_int_equal(b->capbytes, saved.capbytes);
	assert_int_equal(b->ts_last, saved.ts_last);
	assert_int_equal(b->ts_max, saved.ts_max);
	for (k = b->len; k < b->cap; k++)
		assert_int_equal(b->data[k], 0x5a);
	/* a smaller one without options still fits in the rest */
	assert_true(batch_add(b, 0, ts[2], pkt, 8, 60, 0, -1));
	assert_false(batch_add(b, 0, ts[2], pkt, 0, 0, 0, -1));

	assert_int_equal(b->len, 2 * esz + 40);
	assert_int_equal(b->packets, 3);
	assert_int_equal(b->bytes, 1500 + 1500 + 60);
	assert_int_equal(b->capbytes, 20 + 20 + 8);
	assert_int_equal(b->ts_first, 500);
	assert_int_equal(b->ts_last, 900);
	assert_int_equal(b->ts_min, 300);
	assert_int_equal(b->ts_max, 900);

	/* the data are valid EPBs in order */
	for (i = 0; i < 3; i++) {
		assert_int_equal(pcapng_next_block(b->data, b->len, &off, &blk), 1);
		assert_int_equal(pcapng_parse_epb(&blk, &epb), 0);
		assert_true(epb.ts == ts[i]);
		assert_int_equal(epb.ifid, i < 2 ? 1 : 0);
		assert_int_equal(epb.queue, i < 2 ? 2 : -1);
		assert_memory_equal(epb.data, pkt, epb.caplen);
	}
	assert_int_equal(pcapng_next_block(b->data, b->len, &off, &blk), 0);

	batch_reset(b);
	assert_int_equal(b->len, 0);
	assert_int_equal(b->packets, 0);
	assert_int_equal(b->bytes, 0);
	batch_pool_destroy(p);
}

struct pool_run {
	struct batch_pool *p;
	uint32_t packets;
	atomic_bool stop;       /* the consumer gave up */
};

/* Producer: packets carry their sequence number as data and timestamp. */
static void *pool_producer(void *arg)
{
	struct pool_run *run = arg;
	struct batch *b = NULL;
	uint32_t i = 0;

	while (i < run->packets && !atomic_load(&run->stop)) {
		if (!b) {
			b = batch_pool_get_free(run->p);
			if (!b) {
				sched_yield();
				continue;
			}
		}
		if (batch_add(b, 0, i, (const uint8_t *)&i, sizeof(i),
			      sizeof(i), 0, -1)) {
			i++;
			continue;
		}
		batch_pool_put_full(run->p, b);
		b = NULL;
	}
	if (b)
		batch_pool_put_full(run->p, b);
	return NULL;
}

static void test_pool_threads(void **state)
{
	struct pool_run run = { .packets = 200000 };
	uint32_t want = 0, bad = 0, v;
	struct pcapng_block blk;
	struct pcapng_epb epb;
	struct batch *b;
	pthread_t t;
	size_t off;

	(void)state;
	run.p = batch_pool_create(3, 512);
	assert_non_null(run.p);
	assert_int_equal(pthread_create(&t, NULL, pool_producer, &run), 0);
	while (want < run.packets) {
		b = batch_pool_get_full(run.p);
		if (!b) {
			sched_yield();
			continue;
		}
		off = 0;
		while (pcapng_next_block(b->data, b->len, &off, &blk) == 1) {
			if (pcapng_parse_epb(&blk, &epb) || epb.caplen != 4) {
				bad = 1;
				break;
			}
			memcpy(&v, epb.data, 4);
			if (v != want || epb.ts != want)
				bad = 1;
			want++;
		}
		if (off != b->len || bad)
			bad = 1;
		batch_pool_put_free(run.p, b);
		if (bad)
			break;
	}
	/* on failure the producer may be waiting for free batches */
	atomic_store(&run.stop, true);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(want, run.packets);
	batch_pool_destroy(run.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_create),
		cmocka_unit_test(test_ring_fill),
		cmocka_unit_test(test_ring_wrap),
		cmocka_unit_test(test_ring_threads),
		cmocka_unit_test(test_pool_cycle),
		cmocka_unit_test(test_batch_add),
		cmocka_unit_test(test_pool_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
