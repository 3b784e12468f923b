/* Unit tests for writer/capindex.c: index records, the seek table and its
 * trailer, as bytes: round trips of every field, exact layout, and every
 * single-bit corruption. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"
#include <zlib.h>

#include "capindex.h"
#include "comp.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Every field distinct and using its high bits. */
static struct capindex_entry sample(uint32_t i)
{
	struct capindex_entry e;

	memset(&e, 0xEE, sizeof(e));   /* padding must not matter */
	e.seq = 0x80000001u + i;
	e.flags = CAPINDEX_F_STATS | 0xA5000000u;
	e.offset = 0xF123456789ABCDEFull + i;
	e.csize = 0xFEDCBA98u - i;
	e.usize = 0xF0E1D2C3u + i;
	e.ts_first = 0xF000000000000001ull + i;
	e.ts_last = 0xE000000000000002ull;
	e.ts_min = 0xD000000000000003ull;
	e.ts_max = UINT64_MAX - i;
	e.packets = 0xC0000004u + i;
	e.bytes = 0xB000000000000005ull + i;
	e.capbytes = 0xA000000000000006ull;
	e.level = (int8_t)(i % 3 == 0 ? -7 : i % 3 == 1 ? COMP_LEVEL_STORED : 19);
	e.clock_state = (uint8_t)(0x90 + i);
	e.clock_worst_ns = i % 2 ? INT64_MIN : -123456789012345ll;
	e.ucrc = 0xFACE0000u + i;
	e.flags |= i % 2 ? CAPINDEX_F_UCRC : 0;
	e.flow_size = 4u * ((0xFFF0u + i) & 0xFFFFu);   /* 4-byte words, up to 65535 */
	return e;
}

static void test_record_roundtrip(void **state)
{
	static const int8_t levels[] = { -7, -1, 0, 1, 3, 19, COMP_LEVEL_STORED, COMP_LEVEL_PLAIN, 127 };
	static const int64_t worst[] = { INT64_MIN, INT64_MAX, -1, 0, 1 };
	uint8_t rec[CAPINDEX_REC_SIZE + 8];
	struct capindex_entry in, out;

	(void)state;
	for (size_t l = 0; l < sizeof(levels); l++) {
		for (size_t w = 0; w < sizeof(worst) / sizeof(worst[0]); w++) {
			in = sample((uint32_t)(l * 7 + w));
			in.level = levels[l];
			in.clock_worst_ns = worst[w];
			memset(rec, 0x55, sizeof(rec));
			capindex_put_record(rec, &in);
			/* nothing written past the record */
			for (size_t i = CAPINDEX_REC_SIZE; i < sizeof(rec); i++)
				assert_int_equal(rec[i], 0x55);
			memset(&out, 0, sizeof(out));
			assert_int_equal(capindex_get_record(rec, CAPINDEX_REC_SIZE, &out), 0);
			testutil_assert_entry_equal(&in, &out);
			/* longer input is fine too */
			assert_int_equal(capindex_get_record(rec, sizeof(rec), &out), 0);
			testutil_assert_entry_equal(&in, &out);
		}
	}
	/* all zeros (the header frame of an empty file looks much like this) */
	memset(&in, 0, sizeof(in));
	capindex_put_record(rec, &in);
	assert_int_equal(capindex_get_record(rec, CAPINDEX_REC_SIZE, &out), 0);
	testutil_assert_entry_equal(&in, &out);
}

/* The documented byte layout: a skippable frame, then the payload fields in
 * little-endian, the CRC-32 of the first 100 payload bytes last. */
static void test_record_layout(void **state)
{
	struct capindex_entry e = sample(1);
	uint8_t rec[CAPINDEX_REC_SIZE];
	const uint8_t *p = rec + 8;

	(void)state;
	assert_int_equal(CAPINDEX_REC_SIZE, 112);
	capindex_put_record(rec, &e);
	assert_int_equal(le32(rec), CAPINDEX_SKIP_MAGIC);
	assert_int_equal(le32(rec + 4), CAPINDEX_REC_PAYLOAD);
	assert_memory_equal(p, "CPIX", 4);
	assert_int_equal(p[4] | p[5] << 8, CAPINDEX_VERSION);
	assert_int_equal(le32(p + 8), e.seq);
	assert_int_equal(le32(p + 12), e.flags);
	assert_true(le64(p + 16) == e.offset);
	assert_int_equal(le32(p + 24), e.csize);
	assert_int_equal(le32(p + 28), e.usize);
	assert_true(le64(p + 32) == e.ts_first);
	assert_true(le64(p + 40) == e.ts_last);
	assert_true(le64(p + 48) == e.ts_min);
	assert_true(le64(p + 56) == e.ts_max);
	assert_int_equal(le32(p + 64), e.packets);
	assert_int_equal((int8_t)p[68], e.level);
	assert_int_equal(p[69], e.clock_state);
	assert_int_equal(p[70] | p[71] << 8, e.flow_size / 4);
	assert_true(le64(p + 72) == e.bytes);
	assert_true(le64(p + 80) == e.capbytes);
	assert_true(le64(p + 88) == (uint64_t)INT64_MIN);
	assert_int_equal(le32(p + 96), e.ucrc);
	assert_int_equal(le32(p + 100), (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, 100));
	/* reserved bytes are zero */
	assert_int_equal(p[6] | p[7], 0);
}

static void test_record_bitflips(void **state)
{
	struct capindex_entry e = sample(3), out;
	uint8_t rec[CAPINDEX_REC_SIZE], bad[CAPINDEX_REC_SIZE];

	(void)state;
	capindex_put_record(rec, &e);
	for (size_t bit = 0; bit < CAPINDEX_REC_SIZE * 8; bit++) {
		memcpy(bad, rec, sizeof(bad));
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		memset(&out, 0, sizeof(out));
		if (capindex_get_record(bad, sizeof(bad), &out) != -EBADMSG)
			fail_msg("flipped bit %zu (byte %zu) not detected", bit % 8, bit / 8);
	}
	/* a whole byte replaced, every value, at a few places */
	for (size_t at = 0; at < CAPINDEX_REC_SIZE; at += 13)
		for (int v = 0; v < 256; v++) {
			if (v == rec[at])
				continue;
			memcpy(bad, rec, sizeof(bad));
			bad[at] = (uint8_t)v;
			assert_int_equal(capindex_get_record(bad, sizeof(bad), &out), -EBADMSG);
		}
	/* the other skippable magics are not records */
	for (uint32_t m = 0; m < 16; m++) {
		memcpy(bad, rec, sizeof(bad));
		put_le32(bad, 0x184D2A50u + m);
		assert_int_equal(capindex_get_record(bad, sizeof(bad), &out),
				 0x184D2A50u + m == CAPINDEX_SKIP_MAGIC ? 0 : -EBADMSG);
	}
	/* right CRC, wrong version or tag */
	{
		uint8_t *p = bad + 8;

		memcpy(bad, rec, sizeof(bad));
		p[4] = 2;
		put_le32(p + 100, (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, 100));
		assert_int_equal(capindex_get_record(bad, sizeof(bad), &out), -EBADMSG);
		memcpy(bad, rec, sizeof(bad));
		memcpy(p, "CPST", 4);
		put_le32(p + 100, (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, 100));
		assert_int_equal(capindex_get_record(bad, sizeof(bad), &out), -EBADMSG);
		/* a CRC-correct change of a reserved byte is accepted */
		memcpy(bad, rec, sizeof(bad));
		p[7] = 1;
		put_le32(p + 100, (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, 100));
		assert_int_equal(capindex_get_record(bad, sizeof(bad), &out), 0);
		testutil_assert_entry_equal(&e, &out);
	}
}

static void test_record_short(void **state)
{
	struct capindex_entry e = sample(4), out;
	uint8_t rec[CAPINDEX_REC_SIZE];

	(void)state;
	capindex_put_record(rec, &e);
	for (size_t len = 0; len < CAPINDEX_REC_SIZE; len++) {
		/* only len bytes exist: the rest of the buffer is not looked at */
		uint8_t *cut = malloc(len ? len : 1);

		assert_non_null(cut);
		memcpy(cut, rec, len);
		assert_int_equal(capindex_get_record(cut, len, &out), -ENODATA);
		free(cut);
	}
	assert_int_equal(capindex_get_record(rec, CAPINDEX_REC_SIZE, &out), 0);
}

static void table_roundtrip(size_t n)
{
	size_t size = capindex_table_size(n), got_n = 12345;
	struct capindex_entry *in = calloc(n ? n : 1, sizeof(*in)), *out = NULL;
	uint8_t *buf = malloc(size + 4);
	uint64_t tsize = 0;
	const uint8_t *p;

	assert_non_null(in);
	assert_non_null(buf);
	assert_int_equal(size, 8 + 16 + n * 104 + 16);
	for (size_t i = 0; i < n; i++)
		in[i] = sample((uint32_t)i);
	memset(buf, 0x77, size + 4);
	capindex_put_table(buf, in, n);
	assert_int_equal(buf[size], 0x77);
	/* layout: skippable frame of the whole table, header, records, trailer */
	assert_int_equal(le32(buf), CAPINDEX_SKIP_MAGIC);
	assert_int_equal(le32(buf + 4), size - 8);
	p = buf + 8;
	assert_memory_equal(p, "CPST", 4);
	assert_int_equal(p[4] | p[5] << 8, CAPINDEX_VERSION);
	assert_int_equal(le32(p + 8), n);
	p = buf + size - CAPINDEX_TRAILER_SIZE;
	assert_memory_equal(p, "CEND", 4);
	assert_int_equal(le32(p + 4),
			 (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf + 8, 16 + n * 104));
	assert_true(le64(p + 8) == size);
	/* trailer, then the table */
	assert_int_equal(capindex_get_trailer(buf + size - CAPINDEX_TRAILER_SIZE, &tsize), 0);
	assert_true(tsize == size);
	assert_int_equal(capindex_get_table(buf, size, &out, &got_n), 0);
	assert_non_null(out);
	assert_int_equal(got_n, n);
	for (size_t i = 0; i < n; i++)
		testutil_assert_entry_equal(&in[i], &out[i]);
	/* each entry is the same payload as its record */
	for (size_t i = 0; i < n && i < 3; i++) {
		uint8_t rec[CAPINDEX_REC_SIZE];

		capindex_put_record(rec, &in[i]);
		assert_memory_equal(rec + 8, buf + 8 + 16 + i * 104, 104);
	}
	free(out);
	free(in);
	free(buf);
}

static void test_table_roundtrip(void **state)
{
	(void)state;
	table_roundtrip(0);
	table_roundtrip(1);
	table_roundtrip(2);
	table_roundtrip(1000);
}

static void test_trailer(void **state)
{
	uint8_t t[CAPINDEX_TRAILER_SIZE];
	uint64_t size;

	(void)state;
	/* sizes 40 + k * 104 are good, everything else is not */
	for (uint64_t s = 0; s < 40 + 3 * 104 + 2; s++) {
		memcpy(t, "CEND", 4);
		put_le32(t + 4, 0xDEADBEEF);   /* the CRC is the table's business */
		put_le32(t + 8, (uint32_t)s);
		put_le32(t + 12, 0);
		size = 7;
		if (s >= 40 && (s - 40) % 104 == 0) {
			assert_int_equal(capindex_get_trailer(t, &size), 0);
			assert_true(size == s);
		} else {
			assert_int_equal(capindex_get_trailer(t, &size), -EBADMSG);
			assert_true(size == 7);
		}
	}
	/* a large size is fine for the trailer (the reader checks it against the file) */
	put_le32(t + 8, 40);
	put_le32(t + 12, 104);
	assert_int_equal(capindex_get_trailer(t, &size), 0);
	assert_true(size == (104ull << 32) + 40);
	put_le32(t + 12, 1);   /* 2^32 + 40 is not 40 + k * 104 */
	assert_int_equal(capindex_get_trailer(t, &size), -EBADMSG);
	/* wrong tag */
	put_le32(t + 12, 0);
	memcpy(t, "CENE", 4);
	assert_int_equal(capindex_get_trailer(t, &size), -EBADMSG);
	memcpy(t, "CPIX", 4);
	assert_int_equal(capindex_get_trailer(t, &size), -EBADMSG);
}

/* Any bit flipped in a table: capindex_get_table refuses it, except in the
 * trailer's size field, which the table does not cover; there the trailer
 * then points elsewhere, so a reader finds no table. */
static void test_table_corrupt(void **state)
{
	size_t n = 3, size = capindex_table_size(n), got_n;
	struct capindex_entry in[3] = { sample(0), sample(1), sample(2) }, *out;
	uint8_t *buf = malloc(size), *bad = malloc(size);
	uint64_t tsize;

	(void)state;
	assert_non_null(buf);
	assert_non_null(bad);
	capindex_put_table(buf, in, n);
	for (size_t bit = 0; bit < size * 8; bit++) {
		int r;

		memcpy(bad, buf, size);
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		out = NULL;
		r = capindex_get_table(bad, size, &out, &got_n);
		if (bit / 8 >= size - 8) {
			/* trailer size field */
			if (r == 0)
				free(out);
			if (capindex_get_trailer(bad + size - 16, &tsize) == 0)
				assert_true(tsize != size);
			continue;
		}
		if (r != -EBADMSG)
			fail_msg("flipped bit %zu of byte %zu not detected (%d)", bit % 8, bit / 8, r);
		assert_null(out);
	}
	/* a table CRC that matches a changed entry whose own CRC does not */
	memcpy(bad, buf, size);
	bad[8 + 16 + 104 + 20] ^= 1;
	put_le32(bad + size - 12, (uint32_t)crc32(crc32(0L, Z_NULL, 0), bad + 8, 16 + n * 104));
	assert_int_equal(capindex_get_table(bad, size, &out, &got_n), -EBADMSG);
	/* sizes that do not match the count */
	assert_int_equal(capindex_get_table(buf, size - 104, &out, &got_n), -EBADMSG);
	assert_int_equal(capindex_get_table(buf, capindex_table_size(0) - 1, &out, &got_n), -EBADMSG);
	/* a count that says more entries than there are, with a right CRC */
	memcpy(bad, buf, size);
	put_le32(bad + 8 + 8, 4);
	assert_int_equal(capindex_get_table(bad, size, &out, &got_n), -EBADMSG);
	free(buf);
	free(bad);
}

/* capindex_entry_equal: every field counts, padding does not. */
static void test_entry_equal(void **state)
{
	struct capindex_entry a = sample(5), b;

	(void)state;
	memcpy(&b, &a, sizeof(b));
	assert_true(capindex_entry_equal(&a, &b));
	/* same fields, different padding */
	memset(&b, 0x11, sizeof(b));
	b.seq = a.seq; b.flags = a.flags; b.offset = a.offset; b.csize = a.csize;
	b.usize = a.usize; b.ts_first = a.ts_first; b.ts_last = a.ts_last;
	b.ts_min = a.ts_min; b.ts_max = a.ts_max; b.packets = a.packets; b.bytes = a.bytes;
	b.capbytes = a.capbytes; b.level = a.level; b.clock_state = a.clock_state;
	b.clock_worst_ns = a.clock_worst_ns; b.ucrc = a.ucrc; b.flow_size = a.flow_size;
	assert_true(capindex_entry_equal(&a, &b));
	assert_true(capindex_entry_equal(&b, &a));
#define DIFFERS(field, v) do { b = a; b.field = v; assert_false(capindex_entry_equal(&a, &b)); \
		assert_false(capindex_entry_equal(&b, &a)); } while (0)
	DIFFERS(seq, a.seq + 1);
	DIFFERS(flags, a.flags ^ CAPINDEX_F_UCRC);
	DIFFERS(offset, a.offset ^ (1ull << 40));
	DIFFERS(csize, a.csize - 1);
	DIFFERS(usize, a.usize + 1);
	DIFFERS(ts_first, a.ts_first - 1);
	DIFFERS(ts_last, a.ts_last + 1);
	DIFFERS(ts_min, 0);
	DIFFERS(ts_max, 0);
	DIFFERS(packets, 0);
	DIFFERS(bytes, a.bytes + 1);
	DIFFERS(capbytes, a.capbytes ^ 1);
	DIFFERS(level, (int8_t)(a.level + 1));
	DIFFERS(clock_state, (uint8_t)(a.clock_state + 1));
	DIFFERS(clock_worst_ns, 0);
	DIFFERS(ucrc, a.ucrc ^ 0x80000000u);
	DIFFERS(flow_size, a.flow_size - 4);
#undef DIFFERS
}

static void test_skippable(void **state)
{
	uint8_t h[8];
	uint32_t payload;

	(void)state;
	for (uint32_t m = 0; m < 16; m++) {
		put_le32(h, 0x184D2A50u + m);
		put_le32(h + 4, 0x01020304u + m);
		payload = 0;
		assert_int_equal(capindex_skippable(h, &payload), 1);
		assert_int_equal(payload, 0x01020304u + m);
	}
	put_le32(h + 4, 0);
	put_le32(h, 0x184D2A5Cu);
	assert_int_equal(capindex_skippable(h, &payload), 1);
	assert_int_equal(payload, 0);
	put_le32(h + 4, UINT32_MAX);
	assert_int_equal(capindex_skippable(h, &payload), 1);
	assert_int_equal(payload, UINT32_MAX);
	/* not skippable: the zstd magic, neighbours, byte-swapped, zero */
	static const uint32_t no[] = { 0xFD2FB528u, 0x184D2A4Fu, 0x184D2A60u, 0x5C2A4D18u,
				       0x284D2A50u, 0x185D2A50u, 0x184C2A50u, 0, UINT32_MAX };
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		put_le32(h, no[i]);
		payload = 77;
		assert_int_equal(capindex_skippable(h, &payload), 0);
		assert_int_equal(payload, 77);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_roundtrip),
		cmocka_unit_test(test_record_layout),
		cmocka_unit_test(test_record_bitflips),
		cmocka_unit_test(test_record_short),
		cmocka_unit_test(test_table_roundtrip),
		cmocka_unit_test(test_trailer),
		cmocka_unit_test(test_table_corrupt),
		cmocka_unit_test(test_entry_equal),
		cmocka_unit_test(test_skippable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
