/* Unit tests for writer/pcapng.c: encode -> walk -> parse round trips,
 * exact byte layout, and the walker and parsers against damaged input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pcapng.h"

static const uint8_t pkt[] = { 1, 2, 3, 4, 5, 6, 7 };

/* Finds option code in body[start..]; returns its length or -1. */
static int find_opt(const struct pcapng_block *blk, size_t start,
		    uint16_t want, const uint8_t **val)
{
	size_t off = start;
	uint16_t code, len;

	while (off + 4 <= blk->body_len) {
		memcpy(&code, blk->body + off, 2);
		memcpy(&len, blk->body + off + 2, 2);
		if (code == 0)
			return -1;
		if (code == want) {
			*val = blk->body + off + 4;
			return len;
		}
		off += 4 + ((len + 3u) & ~3u);
	}
	return -1;
}

static void walk_one(const uint8_t *buf, size_t len, struct pcapng_block *blk)
{
	size_t off = 0;

	assert_int_equal(pcapng_next_block(buf, len, &off, blk), 1);
	assert_int_equal(off, len);
	assert_int_equal(blk->len, len);
	assert_int_equal(blk->body_len, len - 12);
	assert_int_equal(pcapng_next_block(buf, len, &off, blk), 0);
}

static void test_shb_roundtrip(void **state)
{
	uint8_t buf[256];
	struct pcapng_block blk;
	const uint8_t *v = NULL;
	uint64_t seclen;
	uint32_t u;
	size_t n;

	(void)state;
	n = pcapng_put_shb(buf, sizeof(buf), "hw0", "Linux", "captured 1",
			   "hello");
	/* 12 + 16 + (4+4) + (4+8) + (4+12) + (4+8) + endofopt 4 */
	assert_int_equal(n, 80);
	walk_one(buf, n, &blk);
	assert_int_equal(blk.type, PCAPNG_BT_SHB);
	assert_int_equal(pcapng_check_shb(&blk), 0);
	memcpy(&u, blk.body, 4);
	assert_int_equal(u, PCAPNG_BYTE_ORDER_MAGIC);
	assert_int_equal(blk.body[4] | blk.body[5] << 8, 1);
	assert_int_equal(blk.body[6] | blk.body[7] << 8, 0);
	memcpy(&seclen, blk.body + 8, 8);
	assert_true(seclen == UINT64_MAX);
	assert_int_equal(find_opt(&blk, 16, 2, &v), 3);
	assert_memory_equal(v, "hw0", 3);
	assert_int_equal(find_opt(&blk, 16, 3, &v), 5);
	assert_memory_equal(v, "Linux", 5);
	assert_int_equal(find_opt(&blk, 16, 4, &v), 10);
	assert_memory_equal(v, "captured 1", 10);
	assert_int_equal(find_opt(&blk, 16, 1, &v), 5);
	assert_memory_equal(v, "hello", 5);
	/* the last option before the trailer is opt_endofopt */
	memcpy(&u, buf + n - 8, 4);
	assert_int_equal(u, 0);
}

static void test_shb_no_options(void **state)
{
	uint8_t buf[64];
	struct pcapng_block blk;
	size_t n;

	(void)state;
	n = pcapng_put_shb(buf, sizeof(buf), NULL, NULL, NULL, NULL);
	assert_int_equal(n, 28);        /* no opt_endofopt */
	walk_one(buf, n, &blk);
	assert_int_equal(pcapng_check_shb(&blk), 0);
}

static void test_check_shb_bad(void **state)
{
	uint8_t buf[64];
	struct pcapng_block blk;
	uint32_t magic = __builtin_bswap32(PCAPNG_BYTE_ORDER_MAGIC);
	uint32_t len = __builtin_bswap32(28);
	size_t n;

	(void)state;
	n = pcapng_put_shb(buf, sizeof(buf), NULL, NULL, NULL, NULL);
	/* major version 2 */
	buf[12] = 2;
	buf[13] = 0;
	walk_one(buf, n, &blk);
	assert_int_equal(pcapng_check_shb(&blk), -EBADMSG);
	/* garbage magic */
	n = pcapng_put_shb(buf, sizeof(buf), NULL, NULL, NULL, NULL);
	buf[8] ^= 0xff;
	walk_one(buf, n, &blk);
	assert_int_equal(pcapng_check_shb(&blk), -EBADMSG);
	/* the other byte order, lengths swapped as well */
	n = pcapng_put_shb(buf, sizeof(buf), NULL, NULL, NULL, NULL);
	memcpy(buf + 4, &len, 4);
	memcpy(buf + 8, &magic, 4);
	memcpy(buf + n - 4, &len, 4);
	walk_one(buf, n, &blk);
	assert_int_equal(pcapng_check_shb(&blk), -EPROTONOSUPPORT);
	/* not an SHB at all */
	blk.type = PCAPNG_BT_IDB;
	assert_int_equal(pcapng_check_shb(&blk), -EBADMSG);
}

static void test_idb_roundtrip(void **state)
{
	struct pcapng_idb in = {
		.linktype = 1, .snaplen = 65535, .tsresol = 9,
		.name = "eth0", .description = "uplink port",
		.hardware = "Intel i210", .os = "Linux 6.1",
		.filter = "udp port 319", .comment = "c",
	};
	struct pcapng_idb out;
	struct pcapng_block blk;
	const uint8_t *v = NULL;
	uint8_t buf[256];
	char *store;
	size_t n;

	(void)state;
	n = pcapng_put_idb(buf, sizeof(buf), &in);
	assert_true(n > 0);
	walk_one(buf, n, &blk);
	assert_int_equal(blk.type, PCAPNG_BT_IDB);
	/* if_filter is stored with a leading 0 (libpcap string) byte */
	assert_int_equal(find_opt(&blk, 8, 11, &v), 13);
	assert_int_equal(v[0], 0);
	assert_memory_equal(v + 1, "udp port 319", 12);
	assert_int_equal(find_opt(&blk, 8, 9, &v), 1);
	assert_int_equal(v[0], 9);
	/* exactly the documented store size, so ASan sees any overrun */
	store = malloc(blk.body_len + 8);
	assert_non_null(store);
	assert_int_equal(pcapng_parse_idb(&blk, &out, store,
					  blk.body_len + 8), 0);
	assert_int_equal(out.linktype, 1);
	assert_int_equal(out.snaplen, 65535);
	assert_int_equal(out.tsresol, 9);
	assert_string_equal(out.name, "eth0");
	assert_string_equal(out.description, "uplink port");
	assert_string_equal(out.hardware, "Intel i210");
	assert_string_equal(out.os, "Linux 6.1");
	assert_string_equal(out.filter, "udp port 319");
	assert_string_equal(out.comment, "c");
	free(store);
}

static void test_idb_minimal(void **state)
{
	struct pcapng_idb in = { .linktype = 147, .snaplen = 128, .tsresol = 6 };
	struct pcapng_idb out;
	struct pcapng_block blk;
	uint8_t buf[64];
	char store[64];
	size_t n;

	(void)state;
	n = pcapng_put_idb(buf, sizeof(buf), &in);
	assert_int_equal(n, 20);        /* tsresol 6 is the default: no option */
	walk_one(buf, n, &blk);
	assert_int_equal(pcapng_parse_idb(&blk, &out, store, sizeof(store)), 0);
	assert_int_equal(out.linktype, 147);
	assert_int_equal(out.snaplen, 128);
	assert_int_equal(out.tsresol, 6);
	assert_null(out.name);
	assert_null(out.description);
	assert_null(out.hardware);
	assert_null(out.os);
	assert_null(out.filter);
	assert_null(out.comment);
}

static void test_epb_roundtrip(void **state)
{
	struct pcapng_epb in = {
		.ifid = 3, .ts = 0x0123456789abcdefULL, .caplen = 7,
		.origlen = 1514, .data = pkt, .flags = PCAPNG_EPB_DIR_OUT,
		.queue = 5,
	};
	struct pcapng_epb out;
	struct pcapng_block blk;
	uint8_t buf[128];
	size_t n;

	(void)state;
	n = pcapng_put_epb(buf, sizeof(buf), &in);
	assert_int_equal(n, pcapng_epb_size(7, PCAPNG_EPB_DIR_OUT, 5));
	assert_int_equal(n, 32 + 8 + 8 + 8 + 4);
	walk_one(buf, n, &blk);
	assert_int_equal(blk.type, PCAPNG_BT_EPB);
	assert_int_equal(pcapng_parse_epb(&blk, &out), 0);
	assert_int_equal(out.ifid, 3);
	assert_true(out.ts == 0x0123456789abcdefULL);
	assert_int_equal(out.caplen, 7);
	assert_int_equal(out.origlen, 1514);
	assert_memory_equal(out.data, pkt, 7);
	assert_int_equal(out.flags, PCAPNG_EPB_DIR_OUT);
	assert_int_equal(out.queue, 5);

	/* no options: absent flags read as 0, absent queue as -1 */
	in.flags = 0;
	in.queue = -1;
	in.caplen = 4;
	n = pcapng_put_epb(buf, sizeof(buf), &in);
	assert_int_equal(n, 36);
	assert_int_equal(n, pcapng_epb_size(4, 0, -1));
	walk_one(buf, n, &blk);
	assert_int_equal(pcapng_parse_epb(&blk, &out), 0);
	assert_int_equal(out.caplen, 4);
	assert_int_equal(out.flags, 0);
	assert_int_equal(out.queue, -1);

	/* queue 0 is a real queue */
	in.queue = 0;
	in.caplen = 0;
	in.data = NULL;
	n = pcapng_put_epb(buf, sizeof(buf), &in);
	assert_int_equal(n, 32 + 8 + 4);
	walk_one(buf, n, &blk);
	assert_int_equal(pcapng_parse_epb(&blk, &out), 0);
	assert_int_equal(out.caplen, 0);
	assert_int_equal(out.queue, 0);
}

/* Hand-written per the spec's EPB layout, little-endian host. */
static void test_epb_bytes(void **state)
{
	static const uint8_t want[] = {
		0x06, 0x00, 0x00, 0x00,         /* block type EPB */
		0x3c, 0x00, 0x00, 0x00,         /* total length 60 */
		0x02, 0x00, 0x00, 0x00,         /* interface id 2 */
		0x01, 0x00, 0x00, 0x00,         /* ts high */
		0x02, 0x00, 0x00, 0x00,         /* ts low */
		0x05, 0x00, 0x00, 0x00,         /* captured length 5 */
		0x3c, 0x00, 0x00, 0x00,         /* original length 60 */
		0x01, 0x02, 0x03, 0x04,         /* packet data */
		0x05, 0x00, 0x00, 0x00,         /* ... padded to 32 bits */
		0x02, 0x00, 0x04, 0x00,         /* epb_flags, length 4 */
		0x01, 0x00, 0x00, 0x00,         /* inbound */
		0x06, 0x00, 0x04, 0x00,         /* epb_queue, length 4 */
		0x03, 0x00, 0x00, 0x00,         /* queue 3 */
		0x00, 0x00, 0x00, 0x00,         /* opt_endofopt */
		0x3c, 0x00, 0x00, 0x00,         /* total length 60 */
	};
	struct pcapng_epb in = {
		.ifid = 2, .ts = 0x0000000100000002ULL, .caplen = 5,
		.origlen = 60, .data = pkt, .flags = PCAPNG_EPB_DIR_IN,
		.queue = 3,
	};
	uint8_t buf[128];

	(void)state;
	if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
		skip();
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(pcapng_put_epb(buf, sizeof(buf), &in), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(buf[sizeof(want)], 0xee);
}

static void test_isb_roundtrip(void **state)
{
	struct pcapng_isb in, out;
	struct pcapng_block blk;
	uint8_t buf[256];
	const uint8_t *v = NULL;
	uint32_t w[2];
	size_t n;

	(void)state;
	pcapng_isb_init(&in, 1);
	assert_true(in.ifrecv == PCAPNG_ISB_ABSENT);
	assert_null(in.comment);
	in.ts = 0x1122334455667788ULL;
	in.starttime = 0x0000000a0000000bULL;
	in.endtime = 0xfffffffe00000001ULL;
	in.ifrecv = 1000;
	in.ifdrop = 0;
	in.filteraccept = 990;
	in.osdrop = 7;
	in.usrdeliv = 0x8000000000000001ULL;
	in.comment = "stats";
	n = pcapng_put_isb(buf, sizeof(buf), &in);
	/* 12 + 12 + 7 * (4+8) + (4+8) + 4 */
	assert_int_equal(n, 12 + 12 + 7 * 12 + 12 + 4);
	walk_one(buf, n, &blk);
	assert_int_equal(blk.type, PCAPNG_BT_ISB);
	/* isb_starttime is high word then low word */
	assert_int_equal(find_opt(&blk, 12, 2, &v), 8);
	memcpy(w, v, 8);
	assert_int_equal(w[0], 0xa);
	assert_int_equal(w[1], 0xb);
	assert_int_equal(pcapng_parse_isb(&blk, &out), 0);
	assert_int_equal(out.ifid, 1);
	assert_true(out.ts == in.ts);
	assert_true(out.starttime == in.starttime);
	assert_true(out.endtime == in.endtime);
	assert_true(out.ifrecv == 1000);
	assert_true(out.ifdrop == 0);
	assert_true(out.filteraccept == 990);
	assert_true(out.osdrop == 7);
	assert_true(out.usrdeliv == in.usrdeliv);

	/* absent fields are not written and read back as absent */
	pcapng_isb_init(&in, 9);
	in.ifdrop = 42;
	n = pcapng_put_isb(buf, sizeof(buf), &in);
	assert_int_equal(n, 12 + 12 + 12 + 4);
	walk_one(buf, n, &blk);
	assert_int_equal(pcapng_parse_isb(&blk, &out), 0);
	assert_int_equal(out.ifid, 9);
	assert_true(out.ifdrop == 42);
	assert_true(out.starttime == PCAPNG_ISB_ABSENT);
	assert_true(out.endtime == PCAPNG_ISB_ABSENT);
	assert_true(out.ifrecv == PCAPNG_ISB_ABSENT);
	assert_true(out.filteraccept == PCAPNG_ISB_ABSENT);
	assert_true(out.osdrop == PCAPNG_ISB_ABSENT);
	assert_true(out.usrdeliv == PCAPNG_ISB_ABSENT);

	pcapng_isb_init(&in, 0);
	assert_int_equal(pcapng_put_isb(buf, sizeof(buf), &in), 24);
}

/* Every cap below the block size fails, the exact size succeeds. */
static void test_cap_too_small(void **state)
{
	struct pcapng_idb idb = { .linktype = 1, .snaplen = 9000,
				  .tsresol = 9, .name = "eth1",
				  .filter = "tcp" };
	struct pcapng_epb epb = { .caplen = 7, .origlen = 7, .data = pkt,
				  .flags = 1, .queue = 2 };
	struct pcapng_isb isb;
	uint8_t buf[256];
	size_t need[4], cap;
	int i;

	(void)state;
	pcapng_isb_init(&isb, 0);
	isb.ifrecv = 5;
	need[0] = pcapng_put_shb(buf, sizeof(buf), "a", "b", "c", "d");
	need[1] = pcapng_put_idb(buf, sizeof(buf), &idb);
	need[2] = pcapng_put_epb(buf, sizeof(buf), &epb);
	need[3] = pcapng_put_isb(buf, sizeof(buf), &isb);
	for (i = 0; i < 4; i++) {
		assert_true(need[i] >= 12);
		for (cap = 0; cap <= need[i]; cap++) {
			size_t n = i == 0 ? pcapng_put_shb(buf, cap, "a", "b", "c", "d") :
				   i == 1 ? pcapng_put_idb(buf, cap, &idb) :
				   i == 2 ? pcapng_put_epb(buf, cap, &epb) :
				   pcapng_put_isb(buf, cap, &isb);

			assert_int_equal(n, cap == need[i] ? need[i] : 0);
		}
	}
}

/* SHB + IDB + EPB back to back; returns the offsets of the boundaries. */
static size_t build3(uint8_t *buf, size_t cap, size_t bound[4])
{
	struct pcapng_idb idb = { .linktype = 1, .snaplen = 262144,
				  .tsresol = 9, .name = "eth0" };
	struct pcapng_epb epb = { .ifid = 0, .ts = 12345, .caplen = 7,
				  .origlen = 64, .data = pkt, .flags = 1,
				  .queue = 0 };
	size_t off = 0;

	bound[0] = 0;
	off += pcapng_put_shb(buf + off, cap - off, NULL, "Linux", NULL, NULL);
	bound[1] = off;
	off += pcapng_put_idb(buf + off, cap - off, &idb);
	bound[2] = off;
	off += pcapng_put_epb(buf + off, cap - off, &epb);
	bound[3] = off;
	return off;
}

static void test_walk_prefixes(void **state)
{
	uint8_t full[512];
	size_t bound[4], total, plen;

	(void)state;
	total = build3(full, sizeof(full), bound);
	assert_true(bound[1] > 0 && bound[2] > bound[1] && total > bound[2]);
	for (plen = 0; plen <= total; plen++) {
		/* a heap copy of exactly plen bytes: overreads hit ASan */
		uint8_t *buf = malloc(plen ? plen : 1);
		struct pcapng_block blk;
		size_t off = 0, complete = 0;
		int rc, blocks = 0;

		assert_non_null(buf);
		memcpy(buf, full, plen);
		while ((rc = pcapng_next_block(buf, plen, &off, &blk)) == 1) {
			assert_true(off <= plen);
			blocks++;
		}
		while (complete < 3 && bound[complete + 1] <= plen)
			complete++;
		assert_int_equal(blocks, complete);
		assert_int_equal(off, bound[complete]);
		if (plen == bound[complete])
			assert_int_equal(rc, 0);
		else
			assert_int_equal(rc, -ENODATA);
		free(buf);
	}
}

static void test_walk_damage(void **state)
{
	uint8_t buf[512];
	size_t bound[4], total, off;
	struct pcapng_block blk;
	uint32_t v;

	(void)state;
	total = build3(buf, sizeof(buf), bound);

	/* trailer of the IDB disagrees with its header */
	buf[bound[2] - 4] ^= 0x04;
	off = 0;
	assert_int_equal(pcapng_next_block(buf, total, &off, &blk), 1);
	assert_int_equal(pcapng_next_block(buf, total, &off, &blk), -EBADMSG);
	assert_int_equal(off, bound[1]);
	buf[bound[2] - 4] ^= 0x04;

	/* hostile lengths in the EPB header */
	{
		static const struct { uint32_t len; int rc; } cases[] = {
			{ 0xFFFFFFFCu, -ENODATA }, { 0xFFFFFFFFu, -EBADMSG },
			{ 0x80000000u, -ENODATA }, { 0, -EBADMSG },
			{ 8, -EBADMSG }, { 13, -EBADMSG },
			{ 12, -EBADMSG },  /* trailer then is not 12 */
		};
		size_t i;

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			memcpy(buf + bound[2] + 4, &cases[i].len, 4);
			off = bound[2];
			assert_int_equal(pcapng_next_block(buf, total, &off, &blk),
					 cases[i].rc);
			assert_int_equal(off, bound[2]);
		}
		v = (uint32_t)(total - bound[2]);
		memcpy(buf + bound[2] + 4, &v, 4);
	}

	/* an offset past the end is not a block */
	off = total + 4;
	assert_true(pcapng_next_block(buf, total, &off, &blk) < 0);
}

static void test_parse_hostile(void **state)
{
	struct pcapng_epb epb = { .caplen = 7, .origlen = 7, .data = pkt,
				  .flags = 1 };
	struct pcapng_idb idb = { .linktype = 1, .tsresol = 9, .name = "x" };
	struct pcapng_epb eout;
	struct pcapng_idb iout;
	struct pcapng_isb isb;
	struct pcapng_block blk;
	uint8_t buf[128];
	char store[128];
	uint32_t v;
	uint16_t h;
	size_t n;

	(void)state;
	/* EPB caplen beyond the body, and caplen that would wrap pad4 */
	n = pcapng_put_epb(buf, sizeof(buf), &epb);
	walk_one(buf, n, &blk);
	v = 100;
	memcpy(buf + 20, &v, 4);
	assert_int_equal(pcapng_parse_epb(&blk, &eout), -EBADMSG);
	v = 0xFFFFFFFFu;
	memcpy(buf + 20, &v, 4);
	assert_int_equal(pcapng_parse_epb(&blk, &eout), -EBADMSG);
	v = 7;
	memcpy(buf + 20, &v, 4);
	assert_int_equal(pcapng_parse_epb(&blk, &eout), 0);
	/* epb_flags option length runs past the body */
	h = 200;
	memcpy(buf + 8 + 28 + 2, &h, 2);
	assert_int_equal(pcapng_parse_epb(&blk, &eout), -EBADMSG);
	/* epb_flags of the wrong size */
	h = 2;
	memcpy(buf + 8 + 28 + 2, &h, 2);
	assert_int_equal(pcapng_parse_epb(&blk, &eout), -EBADMSG);
	/* body too short to hold the fixed fields */
	blk.body_len = 16;
	assert_int_equal(pcapng_parse_epb(&blk, &eout), -EBADMSG);
	blk.type = PCAPNG_BT_IDB;
	assert_int_equal(pcapng_parse_epb(&blk, &eout), -EBADMSG);

	/* IDB: option length past the end, bad if_tsresol, small store */
	n = pcapng_put_idb(buf, sizeof(buf), &idb);
	walk_one(buf, n, &blk);
	assert_int_equal(pcapng_parse_idb(&blk, &iout, store, 2), 0);
	assert_string_equal(iout.name, "x");
	assert_int_equal(pcapng_parse_idb(&blk, &iout, store, 1), -EBADMSG);
	h = 0xFFFF;
	memcpy(buf + 16 + 2, &h, 2);
	assert_int_equal(pcapng_parse_idb(&blk, &iout, store, sizeof(store)),
			 -EBADMSG);
	h = 1;
	memcpy(buf + 16 + 2, &h, 2);
	h = 2;                          /* if_tsresol, second option */
	memcpy(buf + 16 + 8 + 2, &h, 2);
	assert_int_equal(pcapng_parse_idb(&blk, &iout, store, sizeof(store)),
			 -EBADMSG);

	/* ISB: counter of the wrong size */
	pcapng_isb_init(&isb, 0);
	isb.ifrecv = 1;
	n = pcapng_put_isb(buf, sizeof(buf), &isb);
	walk_one(buf, n, &blk);
	h = 4;
	memcpy(buf + 20 + 2, &h, 2);
	assert_int_equal(pcapng_parse_isb(&blk, &isb), -EBADMSG);
}

/* Random corruption of a valid file: the walker and parsers must only ever
 * return a result code (ASan/UBSan catch the rest). */
static void test_walk_fuzz(void **state)
{
	uint8_t full[512], buf[512];
	size_t bound[4], total, off;
	uint32_t seed = 1;
	int iter, i;

	(void)state;
	total = build3(full, sizeof(full), bound);
	for (iter = 0; iter < 20000; iter++) {
		struct pcapng_block blk;
		struct pcapng_epb epb;
		struct pcapng_idb idb;
		struct pcapng_isb isb;
		char *store;
		int rc;

		memcpy(buf, full, total);
		for (i = 0; i < 4; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[(seed >> 8) % total] = (uint8_t)(seed >> 20);
		}
		off = 0;
		while ((rc = pcapng_next_block(buf, total, &off, &blk)) == 1) {
			/* every parser on every block, whatever its type */
			struct pcapng_block as = blk;

			assert_true(off <= total);
			store = malloc(blk.body_len + 8);
			assert_non_null(store);
			as.type = PCAPNG_BT_SHB;
			(void)pcapng_check_shb(&as);
			as.type = PCAPNG_BT_IDB;
			(void)pcapng_parse_idb(&as, &idb, store,
					       blk.body_len + 8);
			as.type = PCAPNG_BT_EPB;
			if (pcapng_parse_epb(&as, &epb) == 0)
				assert_true(epb.data + epb.caplen <=
					    blk.body + blk.body_len);
			as.type = PCAPNG_BT_ISB;
			(void)pcapng_parse_isb(&as, &isb);
			free(store);
		}
		assert_true(rc == 0 || rc == -EBADMSG || rc == -ENODATA);
	}
}

static void test_tsresol_hz(void **state)
{
	(void)state;
	assert_true(pcapng_tsresol_hz(0) == 1);
	assert_true(pcapng_tsresol_hz(6) == 1000000);
	assert_true(pcapng_tsresol_hz(9) == 1000000000);
	assert_true(pcapng_tsresol_hz(19) == 10000000000000000000ULL);
	assert_true(pcapng_tsresol_hz(20) == 0);
	assert_true(pcapng_tsresol_hz(0x7f) == 0);
	assert_true(pcapng_tsresol_hz(0x80) == 1);
	assert_true(pcapng_tsresol_hz(0x80 | 10) == 1024);
	assert_true(pcapng_tsresol_hz(0x80 | 63) == 1ULL << 63);
	assert_true(pcapng_tsresol_hz(0x80 | 64) == 0);
	assert_true(pcapng_tsresol_hz(0xff) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shb_roundtrip),
		cmocka_unit_test(test_shb_no_options),
		cmocka_unit_test(test_check_shb_bad),
		cmocka_unit_test(test_idb_roundtrip),
		cmocka_unit_test(test_idb_minimal),
		cmocka_unit_test(test_epb_roundtrip),
		cmocka_unit_test(test_epb_bytes),
		cmocka_unit_test(test_isb_roundtrip),
		cmocka_unit_test(test_cap_too_small),
		cmocka_unit_test(test_walk_prefixes),
		cmocka_unit_test(test_walk_damage),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_walk_fuzz),
		cmocka_unit_test(test_tsresol_hz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
