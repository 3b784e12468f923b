/* Unit tests for the compressor backends (writer/comp_*.c): every backend
 * at several levels, input sizes around the 128 KiB block limit, random and
 * repetitive data, fed in one or several calls.  zstd and stored output must
 * be exactly one zstd frame that libzstd decodes to the input; stored frames
 * have an exact size and layout; none copies the input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zstd.h>

#include "comp.h"
#include "obuf.h"

#define BLOCK_MAX (128u * 1024u)

static const size_t sizes[] = { 0, 1, 100, 131071, 131072, 131073, 300000, 1048576 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))
static const int zstd_levels[] = { -7, 1, 3, 19 };

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
	rng_state = seed | 1;
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rnd() >> 56);
}

/* Looks like packets: a repeated 61-byte record with a counter in it. */
static void fill_repetitive(uint8_t *p, size_t n)
{
	static const char rec[] = "GET /index.html HTTP/1.1\r\nHost: example.org\r\nX-Seq: ";

	for (size_t i = 0; i < n; i++) {
		size_t r = i % 61;

		p[i] = r < sizeof(rec) - 1 ? (uint8_t)rec[r] : (uint8_t)('0' + (i / 61) % 10);
	}
}

/* Splits len into chunk sizes: FEED_ONE one call, FEED_SEVERAL a fixed
 * pattern of several calls (with an empty one), FEED_ODD calls of 4093 bytes. */
enum feed_mode { FEED_ONE, FEED_SEVERAL, FEED_ODD };

static size_t split(size_t len, enum feed_mode m, size_t *chunks, size_t max)
{
	size_t n = 0, left = len;

	if (m == FEED_ONE) {
		chunks[n++] = len;
		return n;
	}
	if (m == FEED_SEVERAL) {
		/* empty call first, then uneven pieces, one larger than a block */
		static const size_t pat[] = { 0, 7, 131072 + 5, 1000, 65536, 3 };
		size_t i = 0;

		while (left && n < max - 1) {
			size_t c = pat[i++ % (sizeof(pat) / sizeof(pat[0]))];

			c = c > left ? left : c;
			chunks[n++] = c;
			left -= c;
		}
		if (left || n == 0)
			chunks[n++] = left;
		return n;
	}
	/* FEED_ODD: pieces of 4093 bytes */
	while (left && n < max - 1) {
		size_t c = left < 4093 ? left : 4093;

		chunks[n++] = c;
		left -= c;
	}
	if (left || n == 0)
		chunks[n++] = left;
	return n;
}

/* Compresses src as one frame with ops at level, appended to out. */
static void one_frame(const struct comp_ops *ops, void *ctx, int level, const uint8_t *src,
		      size_t len, enum feed_mode m, struct obuf *out, size_t *nblocks)
{
	size_t chunks[2048], n = split(len, m, chunks, 2048), off = 0;

	assert_int_equal(ops->begin(ctx, level), 0);
	*nblocks = 0;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(ops->feed(ctx, src + off, chunks[i], out), 0);
		*nblocks += (chunks[i] + BLOCK_MAX - 1) / BLOCK_MAX;
		off += chunks[i];
	}
	assert_int_equal(off, len);
	assert_int_equal(ops->end(ctx, out), 0);
}

static void check_decodes(const uint8_t *frame, size_t flen, const uint8_t *src, size_t len)
{
	uint8_t *dec = malloc(len + 16);
	size_t got;

	assert_non_null(dec);
	assert_int_equal(ZSTD_findFrameCompressedSize(frame, flen), flen);
	got = ZSTD_decompress(dec, len + 16, frame, flen);
	if (ZSTD_isError(got))
		fail_msg("ZSTD_decompress: %s", ZSTD_getErrorName(got));
	assert_int_equal(got, len);
	if (len)
		assert_memory_equal(dec, src, len);
	free(dec);
}

/* The raw-block layout of a stored frame: header, blocks of at most 128 KiB,
 * an empty last block. */
static void check_stored_layout(const uint8_t *f, size_t flen, size_t len, size_t nblocks)
{
	size_t off = 6, data = 0, blocks = 0;

	assert_true(flen >= 9);
	assert_int_equal(f[0], 0x28);
	assert_int_equal(f[1], 0xB5);
	assert_int_equal(f[2], 0x2F);
	assert_int_equal(f[3], 0xFD);
	assert_int_equal(f[4], 0x00);       /* no FCS, no checksum, no dict, not single segment */
	assert_int_equal(f[5], 7u << 3);   /* window 128 KiB */
	for (;;) {
		uint32_t h;

		assert_true(off + 3 <= flen);
		h = (uint32_t)f[off] | (uint32_t)f[off + 1] << 8 | (uint32_t)f[off + 2] << 16;
		assert_int_equal((h >> 1) & 3, 0);   /* raw */
		assert_true((h >> 3) <= BLOCK_MAX);
		off += 3 + (h >> 3);
		data += h >> 3;
		if (h & 1) {
			assert_int_equal(h >> 3, 0);  /* the last block is the empty one */
			break;
		}
		assert_true((h >> 3) > 0);
		blocks++;
	}
	assert_int_equal(off, flen);
	assert_int_equal(data, len);
	assert_int_equal(blocks, nblocks);
}

/* Frame_Header_Descriptor of a zstd frame (RFC 8878 3.1.1.1.1). */
static void check_zstd_header(const uint8_t *f, size_t flen)
{
	assert_true(flen >= 6);
	assert_int_equal(f[0] | f[1] << 8 | f[2] << 16 | (uint32_t)f[3] << 24, 0xFD2FB528u);
	assert_int_equal((f[4] >> 2) & 1, 1);   /* content checksum: verify relies on it */
	assert_int_equal(f[4] & 3, 0);          /* no dictionary */
	assert_int_equal((f[4] >> 3) & 1, 0);   /* reserved bit */
}

struct data {
	uint8_t *rand, *rep;
	size_t max;
};

static struct data make_data(void)
{
	struct data d;

	d.max = sizes[NSIZES - 1];
	d.rand = malloc(d.max);
	d.rep = malloc(d.max);
	assert_non_null(d.rand);
	assert_non_null(d.rep);
	fill_random(d.rand, d.max, 42);
	fill_repetitive(d.rep, d.max);
	return d;
}

static void free_data(struct data *d)
{
	free(d->rand);
	free(d->rep);
}

static void test_for_level(void **state)
{
	(void)state;
	assert_ptr_equal(comp_for_level(COMP_LEVEL_STORED), &comp_stored_ops);
	assert_ptr_equal(comp_for_level(COMP_LEVEL_PLAIN), &comp_none_ops);
	for (int l = COMP_LEVEL_MIN; l <= COMP_LEVEL_MAX; l++)
		assert_ptr_equal(comp_for_level(l), &comp_zstd_ops);
	assert_string_equal(comp_zstd_ops.name, "zstd");
	assert_string_equal(comp_stored_ops.name, "stored");
	assert_string_equal(comp_none_ops.name, "none");
}

/* zstd: every level, size, data kind and feed pattern; the output goes after
 * bytes already in the buffer, which must stay. */
static void test_zstd(void **state)
{
	struct data d = make_data();
	void *ctx = comp_zstd_ops.create();
	struct obuf out = { 0 };
	static const uint8_t prefix[] = "PFX";

	(void)state;
	assert_non_null(ctx);
	for (size_t li = 0; li < sizeof(zstd_levels) / sizeof(zstd_levels[0]); li++) {
		int level = zstd_levels[li];

		for (size_t si = 0; si < NSIZES; si++) {
			for (int kind = 0; kind < 2; kind++) {
				const uint8_t *src = kind ? d.rep : d.rand;
				size_t len = sizes[si], nb;

				for (int m = FEED_ONE; m <= FEED_ODD; m++) {
					/* level 19 is slow: several-call patterns only
					 * up to 300000 bytes */
					if (level == 19 && m != FEED_ONE && len > 300000)
						continue;
					if (m == FEED_ODD && len > 300000)
						continue;
					obuf_reset(&out);
					assert_int_equal(obuf_append(&out, prefix, 3), 0);
					one_frame(&comp_zstd_ops, ctx, level, src, len,
						  (enum feed_mode)m, &out, &nb);
					assert_memory_equal(out.data, prefix, 3);
					check_zstd_header(out.data + 3, out.len - 3);
					check_decodes(out.data + 3, out.len - 3, src, len);
					/* repetitive data must actually compress */
					if (kind && len >= 100000)
						assert_true(out.len - 3 < len / 4);
				}
			}
		}
	}
	comp_zstd_ops.destroy(ctx);
	obuf_free(&out);
	free_data(&d);
}

static void test_stored(void **state)
{
	struct data d = make_data();
	void *ctx = comp_stored_ops.create();
	struct obuf out = { 0 };

	(void)state;
	assert_non_null(ctx);
	for (size_t si = 0; si < NSIZES; si++) {
		for (int kind = 0; kind < 2; kind++) {
			const uint8_t *src = kind ? d.rep : d.rand;
			size_t len = sizes[si], nb;

			for (int m = FEED_ONE; m <= FEED_ODD; m++) {
				obuf_reset(&out);
				assert_int_equal(obuf_append(&out, "AB", 2), 0);
				/* the level is ignored by this backend */
				one_frame(&comp_stored_ops, ctx, m == FEED_ONE ? COMP_LEVEL_STORED : 3,
					  src, len, (enum feed_mode)m, &out, &nb);
				assert_memory_equal(out.data, "AB", 2);
				if (m == FEED_ONE)
					/* the documented size of one feed() */
					assert_int_equal(out.len - 2,
							 len + 6 + 3 * ((len + BLOCK_MAX - 1) / BLOCK_MAX) + 3);
				else
					/* each feed() makes its own raw blocks */
					assert_int_equal(out.len - 2, len + 6 + 3 * nb + 3);
				check_stored_layout(out.data + 2, out.len - 2, len, nb);
				check_decodes(out.data + 2, out.len - 2, src, len);
			}
		}
	}
	/* begin + end without any feed: an empty frame of 9 bytes */
	obuf_reset(&out);
	assert_int_equal(comp_stored_ops.begin(ctx, 0), 0);
	assert_int_equal(comp_stored_ops.end(ctx, &out), 0);
	assert_int_equal(out.len, 9);
	check_stored_layout(out.data, out.len, 0, 0);
	check_decodes(out.data, out.len, NULL, 0);
	comp_stored_ops.destroy(ctx);
	obuf_free(&out);
	free_data(&d);
}

static void test_none(void **state)
{
	struct data d = make_data();
	void *ctx = comp_none_ops.create();
	struct obuf out = { 0 };

	(void)state;
	assert_non_null(ctx);
	for (size_t si = 0; si < NSIZES; si++) {
		for (int kind = 0; kind < 2; kind++) {
			const uint8_t *src = kind ? d.rep : d.rand;
			size_t len = sizes[si], nb;

			for (int m = FEED_ONE; m <= FEED_ODD; m++) {
				obuf_reset(&out);
				assert_int_equal(obuf_append(&out, "Q", 1), 0);
				one_frame(&comp_none_ops, ctx, COMP_LEVEL_PLAIN, src, len,
					  (enum feed_mode)m, &out, &nb);
				assert_int_equal(out.len, len + 1);
				assert_int_equal(out.data[0], 'Q');
				if (len)
					assert_memory_equal(out.data + 1, src, len);
			}
		}
	}
	comp_none_ops.destroy(ctx);
	obuf_free(&out);
	free_data(&d);
}

/* Several frames back to back in one buffer, mixing backends and levels and
 * reusing the contexts: each is one frame, and the whole decodes to the
 * concatenation of the inputs. */
static void test_back_to_back(void **state)
{
	struct data d = make_data();
	void *zctx = comp_zstd_ops.create(), *sctx = comp_stored_ops.create();
	static const struct { int level; size_t off, len; int kind; } fr[] = {
		{ 3, 0, 1000, 0 },
		{ COMP_LEVEL_STORED, 5, 131073, 1 },
		{ -7, 17, 300000, 1 },
		{ COMP_LEVEL_STORED, 0, 0, 0 },
		{ 19, 3, 50000, 0 },
		{ 1, 100, 131072, 1 },
		{ COMP_LEVEL_STORED, 999, 262144, 0 },
		{ 3, 0, 0, 1 },
		{ COMP_LEVEL_STORED, 1, 1, 0 },
	};
	size_t nfr = sizeof(fr) / sizeof(fr[0]), total = 0, pos = 0, got, nb;
	size_t starts[16];
	struct obuf out = { 0 }, want = { 0 };
	uint8_t *dec;

	(void)state;
	assert_non_null(zctx);
	assert_non_null(sctx);
	for (size_t i = 0; i < nfr; i++) {
		const uint8_t *src = (fr[i].kind ? d.rep : d.rand) + fr[i].off;
		const struct comp_ops *ops = comp_for_level(fr[i].level);

		starts[i] = out.len;
		one_frame(ops, ops == &comp_zstd_ops ? zctx : sctx, fr[i].level, src, fr[i].len,
			  i % 2 ? FEED_SEVERAL : FEED_ONE, &out, &nb);
		assert_int_equal(obuf_append(&want, src, fr[i].len), 0);
		total += fr[i].len;
	}
	starts[nfr] = out.len;
	/* frame boundaries as libzstd sees them */
	for (size_t i = 0; i < nfr; i++) {
		assert_int_equal(ZSTD_findFrameCompressedSize(out.data + pos, out.len - pos),
				 starts[i + 1] - starts[i]);
		pos = starts[i + 1];
	}
	dec = malloc(total + 1);
	assert_non_null(dec);
	got = ZSTD_decompress(dec, total + 1, out.data, out.len);
	if (ZSTD_isError(got))
		fail_msg("ZSTD_decompress: %s", ZSTD_getErrorName(got));
	assert_int_equal(got, total);
	assert_memory_equal(dec, want.data, total);
	/* and the same through the streaming API, as zstd(1) would */
	{
		ZSTD_DCtx *dc = ZSTD_createDCtx();
		ZSTD_inBuffer in = { out.data, out.len, 0 };
		ZSTD_outBuffer ob = { dec, total + 1, 0 };
		size_t r;

		assert_non_null(dc);
		do {
			r = ZSTD_decompressStream(dc, &ob, &in);
			if (ZSTD_isError(r))
				fail_msg("ZSTD_decompressStream: %s", ZSTD_getErrorName(r));
		} while (in.pos < in.size && ob.pos < ob.size);
		assert_int_equal(r, 0);  /* ended on a frame boundary */
		assert_int_equal(ob.pos, total);
		assert_memory_equal(dec, want.data, total);
		ZSTD_freeDCtx(dc);
	}
	free(dec);
	comp_zstd_ops.destroy(zctx);
	comp_stored_ops.destroy(sctx);
	obuf_free(&out);
	obuf_free(&want);
	free_data(&d);
}

/* A stored frame cut anywhere is not a whole frame. */
static void test_stored_truncated(void **state)
{
	void *ctx = comp_stored_ops.create();
	struct obuf out = { 0 };
	uint8_t src[300], dec[400];
	size_t nb;

	(void)state;
	fill_random(src, sizeof(src), 7);
	one_frame(&comp_stored_ops, ctx, 0, src, sizeof(src), FEED_SEVERAL, &out, &nb);
	/* (0 bytes is no frame at all: ZSTD_decompress returns 0 for it) */
	assert_true(ZSTD_isError(ZSTD_findFrameCompressedSize(out.data, 0)));
	for (size_t cut = 1; cut < out.len; cut++) {
		assert_true(ZSTD_isError(ZSTD_findFrameCompressedSize(out.data, cut)));
		assert_true(ZSTD_isError(ZSTD_decompress(dec, sizeof(dec), out.data, cut)));
	}
	comp_stored_ops.destroy(ctx);
	obuf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_for_level),
		cmocka_unit_test(test_zstd),
		cmocka_unit_test(test_stored),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_back_to_back),
		cmocka_unit_test(test_stored_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
