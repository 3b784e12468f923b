/* Index records and seek table; see capindex.h and captured-store(5). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "capindex.h"

#define TABLE_HDR 16u

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint32_t crc(const uint8_t *p, size_t len)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)len);
}

/* The 104-byte payload; the record frame and the table share it. */
static void put_payload(uint8_t *p, const struct capindex_entry *e)
{
	memset(p, 0, CAPINDEX_REC_PAYLOAD);
	put32(p + 0, CAPINDEX_REC_TAG);
	put16(p + 4, CAPINDEX_VERSION);
	put32(p + 8, e->seq);
	put32(p + 12, e->flags);
	put64(p + 16, e->offset);
	put32(p + 24, e->csize);
	put32(p + 28, e->usize);
	put64(p + 32, e->ts_first);
	put64(p + 40, e->ts_last);
	put64(p + 48, e->ts_min);
	put64(p + 56, e->ts_max);
	put32(p + 64, e->packets);
	p[68] = (uint8_t)e->level;
	p[69] = e->clock_state;
	put16(p + 70, (uint16_t)(e->flow_size / 4));
	put64(p + 72, e->bytes);
	put64(p + 80, e->capbytes);
	put64(p + 88, (uint64_t)e->clock_worst_ns);
	put32(p + 96, e->ucrc);
	put32(p + 100, crc(p, 100));
}

static int get_payload(const uint8_t *p, struct capindex_entry *e)
{
	if (get32(p) != CAPINDEX_REC_TAG || get16(p + 4) != CAPINDEX_VERSION ||
	    get32(p + 100) != crc(p, 100))
		return -EBADMSG;
	e->seq = get32(p + 8);
	e->flags = get32(p + 12);
	e->offset = get64(p + 16);
	e->csize = get32(p + 24);
	e->usize = get32(p + 28);
	e->ts_first = get64(p + 32);
	e->ts_last = get64(p + 40);
	e->ts_min = get64(p + 48);
	e->ts_max = get64(p + 56);
	e->packets = get32(p + 64);
	e->level = (int8_t)p[68];
	e->clock_state = p[69];
	e->flow_size = (uint32_t)get16(p + 70) * 4;
	e->bytes = get64(p + 72);
	e->capbytes = get64(p + 80);
	e->clock_worst_ns = (int64_t)get64(p + 88);
	e->ucrc = get32(p + 96);
	return 0;
}

void capindex_put_record(uint8_t *dst, const struct capindex_entry *e)
{
	put32(dst, CAPINDEX_SKIP_MAGIC);
	put32(dst + 4, CAPINDEX_REC_PAYLOAD);
	put_payload(dst + 8, e);
}

int capindex_skippable(const uint8_t *src, uint32_t *payload)
{
	uint32_t magic = get32(src);

	if ((magic & 0xFFFFFFF0u) != 0x184D2A50u)
		return 0;
	*payload = get32(src + 4);
	return 1;
}

int capindex_get_record(const uint8_t *src, size_t len, struct capindex_entry *e)
{
	if (len < CAPINDEX_REC_SIZE)
		return -ENODATA;
	if (get32(src) != CAPINDEX_SKIP_MAGIC || get32(src + 4) != CAPINDEX_REC_PAYLOAD)
		return -EBADMSG;
	return get_payload(src + 8, e);
}

size_t capindex_table_size(size_t n)
{
	return 8 + TABLE_HDR + n * CAPINDEX_REC_PAYLOAD + CAPINDEX_TRAILER_SIZE;
}

void capindex_put_table(uint8_t *dst, const struct capindex_entry *e, size_t n)
{
	size_t total = capindex_table_size(n);
	uint8_t *p = dst + 8;
	size_t body;

	put32(dst, CAPINDEX_SKIP_MAGIC);
	put32(dst + 4, (uint32_t)(total - 8));
	memset(p, 0, TABLE_HDR);
	put32(p, CAPINDEX_TABLE_TAG);
	put16(p + 4, CAPINDEX_VERSION);
	put32(p + 8, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		put_payload(p + TABLE_HDR + i * CAPINDEX_REC_PAYLOAD, &e[i]);
	body = TABLE_HDR + n * CAPINDEX_REC_PAYLOAD;
	put32(p + body, CAPINDEX_TRAILER_TAG);
	put32(p + body + 4, crc(p, body));
	put64(p + body + 8, total);
}

int capindex_get_trailer(const uint8_t *src, uint64_t *table_size)
{
	uint64_t t = get64(src + 8);

	if (get32(src) != CAPINDEX_TRAILER_TAG || t < capindex_table_size(0) ||
	    (t - capindex_table_size(0)) % CAPINDEX_REC_PAYLOAD)
		return -EBADMSG;
	*table_size = t;
	return 0;
}

int capindex_get_table(const uint8_t *src, size_t table_size,
		       struct capindex_entry **out, size_t *nout)
{
	const uint8_t *p = src + 8;
	struct capindex_entry *e;
	size_t n, body;
	int err;

	if (table_size < capindex_table_size(0) ||
	    get32(src) != CAPINDEX_SKIP_MAGIC || get32(src + 4) != table_size - 8 ||
	    get32(p) != CAPINDEX_TABLE_TAG || get16(p + 4) != CAPINDEX_VERSION)
		return -EBADMSG;
	n = get32(p + 8);
	if (capindex_table_size(n) != table_size)
		return -EBADMSG;
	body = TABLE_HDR + n * CAPINDEX_REC_PAYLOAD;
	if (get32(p + body) != CAPINDEX_TRAILER_TAG || get32(p + body + 4) != crc(p, body))
		return -EBADMSG;
	e = calloc(n ? n : 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		err = get_payload(p + TABLE_HDR + i * CAPINDEX_REC_PAYLOAD, &e[i]);
		if (err) {
			free(e);
			return err;
		}
	}
	*out = e;
	*nout = n;
	return 0;
}

bool capindex_entry_equal(const struct capindex_entry *a, const struct capindex_entry *b)
{
	return a->seq == b->seq && a->flags == b->flags && a->offset == b->offset &&
	       a->csize == b->csize && a->usize == b->usize && a->ts_first == b->ts_first &&
	       a->ts_last == b->ts_last && a->ts_min == b->ts_min && a->ts_max == b->ts_max &&
	       a->packets == b->packets && a->bytes == b->bytes && a->capbytes == b->capbytes &&
	       a->level == b->level && a->clock_state == b->clock_state &&
	       a->clock_worst_ns == b->clock_worst_ns && a->ucrc == b->ucrc &&
	       a->flow_size == b->flow_size;
}

#define TIME_HDR 12u   /* tag, version, 0, text length */

size_t capindex_time_size(size_t textlen)
{
	return 8 + TIME_HDR + textlen + 4;
}

void capindex_put_time(uint8_t *dst, const char *text, size_t len)
{
	uint8_t *p = dst + 8;

	put32(dst, CAPINDEX_SKIP_MAGIC);
	put32(dst + 4, (uint32_t)(TIME_HDR + len + 4));
	put32(p, CAPINDEX_TIME_TAG);
	put16(p + 4, CAPINDEX_VERSION);
	put16(p + 6, 0);
	put32(p + 8, (uint32_t)len);
	memcpy(p + TIME_HDR, text, len);
	put32(p + TIME_HDR + len, crc(p, TIME_HDR + len));
}

int capindex_get_time(const uint8_t *src, size_t avail, char *text, size_t textcap,
		      size_t *size)
{
	const uint8_t *p = src + 8;
	uint32_t payload, len;

	if (avail < 8 + TIME_HDR)
		return -ENODATA;
	if (!capindex_skippable(src, &payload))
		return -EBADMSG;
	if (get32(p) != CAPINDEX_TIME_TAG)
		return -ENOENT;
	len = get32(p + 8);
	if (get16(p + 4) != CAPINDEX_VERSION || len > CAPINDEX_TIME_MAX ||
	    payload != TIME_HDR + len + 4 || textcap < (size_t)len + 1)
		return -EBADMSG;
	if (avail < capindex_time_size(len))
		return -ENODATA;
	if (get32(p + TIME_HDR + len) != crc(p, TIME_HDR + len) ||
	    memchr(p + TIME_HDR, 0, len))
		return -EBADMSG;
	memcpy(text, p + TIME_HDR, len);
	text[len] = 0;
	*size = capindex_time_size(len);
	return 0;
}

bool capindex_is_table(const uint8_t *payload)
{
	return get32(payload) == CAPINDEX_TABLE_TAG;
}

#define FLOW_HDR 8u   /* tag, summary length */

size_t capindex_flow_size(size_t len)
{
	return (8 + FLOW_HDR + len + 3) & ~(size_t)3;
}

void capindex_put_flow(uint8_t *dst, const uint8_t *sum, size_t len)
{
	size_t size = capindex_flow_size(len);

	put32(dst, CAPINDEX_SKIP_MAGIC);
	put32(dst + 4, (uint32_t)(size - 8));
	put32(dst + 8, CAPINDEX_FLOW_TAG);
	put32(dst + 12, (uint32_t)len);
	memmove(dst + 16, sum, len);   /* the summary may already be in place */
	memset(dst + 16 + len, 0, size - 16 - len);
}

int capindex_get_flow(const uint8_t *src, size_t size, const uint8_t **sum, size_t *len)
{
	uint32_t payload, n;

	if (size < 16 || size % 4 || !capindex_skippable(src, &payload) ||
	    payload != size - 8 || get32(src + 8) != CAPINDEX_FLOW_TAG)
		return -EBADMSG;
	n = get32(src + 12);
	if (n > size - 16 || capindex_flow_size(n) != size)
		return -EBADMSG;
	*sum = src + 16;
	*len = n;
	return 0;
}
