/* pcapng block encoding and walking (draft-ietf-opsawg-pcapng).
 *
 * All integers go through memcpy: block buffers are only 4-byte aligned at
 * best, and 64-bit option values need not be 8-byte aligned at all.
 */
#include <errno.h>
#include <string.h>

#include "pcapng.h"

/* Option codes; several block types reuse the same small numbers. */
enum { OPT_ENDOFOPT = 0, OPT_COMMENT = 1 };
enum { SHB_HARDWARE = 2, SHB_OS = 3, SHB_USERAPPL = 4 };
enum { IF_NAME = 2, IF_DESCRIPTION = 3, IF_TSRESOL = 9, IF_FILTER = 11,
       IF_OS = 12, IF_HARDWARE = 15 };
enum { EPB_FLAGS = 2, EPB_QUEUE = 6 };
enum { ISB_STARTTIME = 2, ISB_ENDTIME = 3, ISB_IFRECV = 4, ISB_IFDROP = 5,
       ISB_FILTERACCEPT = 6, ISB_OSDROP = 7, ISB_USRDELIV = 8 };

/* type and length before the body, length again after it */
#define BLOCK_OVERHEAD 12
/* fixed body fields before the options (or the EPB's packet data) */
#define SHB_FIXED 16
#define IDB_FIXED 8
#define EPB_FIXED 20
#define ISB_FIXED 12

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Encoder state: writes are bounds-checked and the first overflow makes the
 * whole block fail, so the callers need no checks of their own. */
struct enc {
	uint8_t *dst;
	size_t cap;
	size_t off;
	int overflow;
	int nopts;
};

/* src NULL writes n zero bytes (padding). */
static void enc_bytes(struct enc *e, const void *src, size_t n)
{
	if (e->overflow || n > e->cap - e->off) {
		e->overflow = 1;
		return;
	}
	if (src && n)
		memcpy(e->dst + e->off, src, n);
	else
		memset(e->dst + e->off, 0, n);
	e->off += n;
}

static void enc_u16(struct enc *e, uint16_t v)
{
	enc_bytes(e, &v, sizeof(v));
}

static void enc_u32(struct enc *e, uint32_t v)
{
	enc_bytes(e, &v, sizeof(v));
}

static void enc_u64(struct enc *e, uint64_t v)
{
	enc_bytes(e, &v, sizeof(v));
}

/* Timestamps are two u32 words, high first, not one u64. */
static void enc_ts(struct enc *e, uint64_t ts)
{
	enc_u32(e, (uint32_t)(ts >> 32));
	enc_u32(e, (uint32_t)ts);
}

static void enc_begin(struct enc *e, uint8_t *dst, size_t cap, uint32_t type)
{
	e->dst = dst;
	e->cap = cap;
	e->off = 0;
	e->overflow = 0;
	e->nopts = 0;
	enc_u32(e, type);
	enc_u32(e, 0);          /* patched by enc_end */
}

/* Option of two parts, so that if_filter can prefix its type byte. */
static void enc_opt2(struct enc *e, uint16_t code, const void *a, size_t alen,
		     const void *b, size_t blen)
{
	size_t len = alen + blen;

	if (len > UINT16_MAX) {
		e->overflow = 1;
		return;
	}
	enc_u16(e, code);
	enc_u16(e, (uint16_t)len);
	enc_bytes(e, a, alen);
	enc_bytes(e, b, blen);
	enc_bytes(e, NULL, pad4(len) - len);
	e->nopts++;
}

static void enc_opt(struct enc *e, uint16_t code, const void *val, size_t len)
{
	enc_opt2(e, code, val, len, NULL, 0);
}

/* NULL and empty strings are absent: the spec has no empty string options. */
static void enc_opt_str(struct enc *e, uint16_t code, const char *s)
{
	if (s && *s)
		enc_opt(e, code, s, strlen(s));
}

static void enc_opt_u32(struct enc *e, uint16_t code, uint32_t v)
{
	enc_opt(e, code, &v, sizeof(v));
}

static void enc_opt_u64(struct enc *e, uint16_t code, uint64_t v)
{
	if (v != PCAPNG_ISB_ABSENT)
		enc_opt(e, code, &v, sizeof(v));
}

static void enc_opt_ts(struct enc *e, uint16_t code, uint64_t ts)
{
	uint32_t w[2] = { (uint32_t)(ts >> 32), (uint32_t)ts };

	if (ts != PCAPNG_ISB_ABSENT)
		enc_opt(e, code, w, sizeof(w));
}

static size_t enc_end(struct enc *e)
{
	uint32_t len;

	if (e->nopts)
		enc_u32(e, OPT_ENDOFOPT);  /* code 0 and length 0 */
	enc_u32(e, 0);
	if (e->overflow || e->off > UINT32_MAX)
		return 0;
	len = (uint32_t)e->off;
	memcpy(e->dst + 4, &len, sizeof(len));
	memcpy(e->dst + e->off - 4, &len, sizeof(len));
	return e->off;
}

size_t pcapng_put_shb(uint8_t *dst, size_t cap, const char *hardware,
		      const char *os, const char *userappl, const char *comment)
{
	struct enc e;

	enc_begin(&e, dst, cap, PCAPNG_BT_SHB);
	enc_u32(&e, PCAPNG_BYTE_ORDER_MAGIC);
	enc_u16(&e, 1);
	enc_u16(&e, 0);
	enc_u64(&e, UINT64_MAX);   /* section length not known */
	enc_opt_str(&e, SHB_HARDWARE, hardware);
	enc_opt_str(&e, SHB_OS, os);
	enc_opt_str(&e, SHB_USERAPPL, userappl);
	enc_opt_str(&e, OPT_COMMENT, comment);
	return enc_end(&e);
}

size_t pcapng_put_idb(uint8_t *dst, size_t cap, const struct pcapng_idb *idb)
{
	static const uint8_t libpcap_filter = 0;
	struct enc e;

	enc_begin(&e, dst, cap, PCAPNG_BT_IDB);
	enc_u16(&e, idb->linktype);
	enc_u16(&e, 0);
	enc_u32(&e, idb->snaplen);
	enc_opt_str(&e, IF_NAME, idb->name);
	enc_opt_str(&e, IF_DESCRIPTION, idb->description);
	if (idb->tsresol != 6)
		enc_opt(&e, IF_TSRESOL, &idb->tsresol, 1);
	if (idb->filter && *idb->filter)
		enc_opt2(&e, IF_FILTER, &libpcap_filter, 1, idb->filter,
			 strlen(idb->filter));
	enc_opt_str(&e, IF_OS, idb->os);
	enc_opt_str(&e, IF_HARDWARE, idb->hardware);
	enc_opt_str(&e, OPT_COMMENT, idb->comment);
	return enc_end(&e);
}

void pcapng_isb_init(struct pcapng_isb *isb, uint32_t ifid)
{
	memset(isb, 0, sizeof(*isb));
	isb->ifid = ifid;
	isb->starttime = PCAPNG_ISB_ABSENT;
	isb->endtime = PCAPNG_ISB_ABSENT;
	isb->ifrecv = PCAPNG_ISB_ABSENT;
	isb->ifdrop = PCAPNG_ISB_ABSENT;
	isb->filteraccept = PCAPNG_ISB_ABSENT;
	isb->osdrop = PCAPNG_ISB_ABSENT;
	isb->usrdeliv = PCAPNG_ISB_ABSENT;
}

size_t pcapng_put_isb(uint8_t *dst, size_t cap, const struct pcapng_isb *isb)
{
	struct enc e;

	enc_begin(&e, dst, cap, PCAPNG_BT_ISB);
	enc_u32(&e, isb->ifid);
	enc_ts(&e, isb->ts);
	enc_opt_ts(&e, ISB_STARTTIME, isb->starttime);
	enc_opt_ts(&e, ISB_ENDTIME, isb->endtime);
	enc_opt_u64(&e, ISB_IFRECV, isb->ifrecv);
	enc_opt_u64(&e, ISB_IFDROP, isb->ifdrop);
	enc_opt_u64(&e, ISB_FILTERACCEPT, isb->filteraccept);
	enc_opt_u64(&e, ISB_OSDROP, isb->osdrop);
	enc_opt_u64(&e, ISB_USRDELIV, isb->usrdeliv);
	enc_opt_str(&e, OPT_COMMENT, isb->comment);
	return enc_end(&e);
}

size_t pcapng_epb_size(uint32_t caplen, uint32_t flags, int32_t queue)
{
	size_t opts = 0;

	if (flags)
		opts += 8;
	if (queue >= 0)
		opts += 8;
	if (opts)
		opts += 4;
	return BLOCK_OVERHEAD + EPB_FIXED + pad4(caplen) + opts;
}

size_t pcapng_put_epb(uint8_t *dst, size_t cap, const struct pcapng_epb *epb)
{
	size_t need = pcapng_epb_size(epb->caplen, epb->flags, epb->queue);
	struct enc e;

	/* Checked up front: the data path should not copy a packet only to
	 * find that the options do not fit. */
	if (need > cap || need > UINT32_MAX)
		return 0;
	enc_begin(&e, dst, cap, PCAPNG_BT_EPB);
	enc_u32(&e, epb->ifid);
	enc_ts(&e, epb->ts);
	enc_u32(&e, epb->caplen);
	enc_u32(&e, epb->origlen);
	enc_bytes(&e, epb->data, epb->caplen);
	enc_bytes(&e, NULL, pad4(epb->caplen) - epb->caplen);
	if (epb->flags)
		enc_opt_u32(&e, EPB_FLAGS, epb->flags);
	if (epb->queue >= 0)
		enc_opt_u32(&e, EPB_QUEUE, (uint32_t)epb->queue);
	return enc_end(&e);
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint16_t get_u16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get_ts(const uint8_t *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

int pcapng_next_block(const uint8_t *buf, size_t len, size_t *off,
		      struct pcapng_block *blk)
{
	size_t left;
	uint32_t type, blen;

	if (*off >= len)
		return *off == len ? 0 : -EBADMSG;
	left = len - *off;
	if (left < 8)
		return -ENODATA;
	type = get_u32(buf + *off);
	blen = get_u32(buf + *off + 4);
	/* A foreign-order SHB is framed here so that pcapng_check_shb gets to
	 * say -EPROTONOSUPPORT instead of the length looking like garbage. */
	if (type == PCAPNG_BT_SHB && left >= 12 &&
	    get_u32(buf + *off + 8) == __builtin_bswap32(PCAPNG_BYTE_ORDER_MAGIC))
		blen = __builtin_bswap32(blen);
	if (blen < BLOCK_OVERHEAD || blen % 4)
		return -EBADMSG;
	/* Compared as size_t: no addition, so hostile lengths cannot wrap. */
	if (blen > left)
		return -ENODATA;
	if (memcmp(buf + *off + 4, buf + *off + blen - 4, 4))
		return -EBADMSG;
	blk->type = type;
	blk->len = blen;
	blk->body = buf + *off + 8;
	blk->body_len = blen - BLOCK_OVERHEAD;
	*off += blen;
	return 1;
}

/* Option walker over the rest of a body after its fixed fields. */
struct opt {
	const uint8_t *p;
	size_t left;
	uint16_t code;
	uint16_t len;
	const uint8_t *val;
};

static void opt_init(struct opt *o, const struct pcapng_block *blk,
		     size_t start)
{
	o->p = blk->body + start;
	o->left = blk->body_len - start;
}

/* 1 with code, len and val set; 0 at opt_endofopt or the end of the body;
 * -EBADMSG when an option runs past the end. */
static int opt_next(struct opt *o)
{
	if (o->left < 4)
		return o->left ? -EBADMSG : 0;
	o->code = get_u16(o->p);
	o->len = get_u16(o->p + 2);
	if (o->code == OPT_ENDOFOPT)
		return 0;
	if (pad4(o->len) > o->left - 4)
		return -EBADMSG;
	o->val = o->p + 4;
	o->p += 4 + pad4(o->len);
	o->left -= 4 + pad4(o->len);
	return 1;
}

int pcapng_parse_idb(const struct pcapng_block *blk, struct pcapng_idb *idb,
		     char *idb_store, size_t store_len)
{
	const char **str;
	size_t used = 0, skip;
	struct opt o;
	int err;

	if (blk->type != PCAPNG_BT_IDB || blk->body_len < IDB_FIXED)
		return -EBADMSG;
	memset(idb, 0, sizeof(*idb));
	idb->linktype = get_u16(blk->body);
	idb->snaplen = get_u32(blk->body + 4);
	idb->tsresol = 6;
	opt_init(&o, blk, IDB_FIXED);
	while ((err = opt_next(&o)) > 0) {
		str = NULL;
		skip = 0;
		switch (o.code) {
		case IF_NAME: str = &idb->name; break;
		case IF_DESCRIPTION: str = &idb->description; break;
		case IF_OS: str = &idb->os; break;
		case IF_HARDWARE: str = &idb->hardware; break;
		case OPT_COMMENT: str = &idb->comment; break;
		case IF_TSRESOL:
			if (o.len != 1)
				return -EBADMSG;
			idb->tsresol = o.val[0];
			break;
		case IF_FILTER:
			if (o.len < 1)
				return -EBADMSG;
			/* Only a libpcap string (type 0) means anything to
			 * us; BPF bytecode is skipped. */
			if (o.val[0] == 0)
				str = &idb->filter;
			skip = 1;
			break;
		}
		if (!str)
			continue;
		/* On disk the string has no NUL; the copy gets one. */
		if (o.len - skip + 1 > store_len - used)
			return -EBADMSG;
		memcpy(idb_store + used, o.val + skip, o.len - skip);
		idb_store[used + o.len - skip] = '\0';
		*str = idb_store + used;
		used += o.len - skip + 1;
	}
	return err;
}

int pcapng_parse_epb(const struct pcapng_block *blk, struct pcapng_epb *epb)
{
	struct opt o;
	int err;

	if (blk->type != PCAPNG_BT_EPB || blk->body_len < EPB_FIXED)
		return -EBADMSG;
	memset(epb, 0, sizeof(*epb));
	epb->ifid = get_u32(blk->body);
	epb->ts = get_ts(blk->body + 4);
	epb->caplen = get_u32(blk->body + 12);
	epb->origlen = get_u32(blk->body + 16);
	epb->queue = -1;
	/* pad4 on size_t: caplen near UINT32_MAX must not wrap to 0. */
	if (pad4(epb->caplen) > blk->body_len - EPB_FIXED)
		return -EBADMSG;
	epb->data = blk->body + EPB_FIXED;
	opt_init(&o, blk, EPB_FIXED + pad4(epb->caplen));
	while ((err = opt_next(&o)) > 0) {
		if (o.code != EPB_FLAGS && o.code != EPB_QUEUE)
			continue;
		if (o.len != 4)
			return -EBADMSG;
		if (o.code == EPB_FLAGS)
			epb->flags = get_u32(o.val);
		else
			epb->queue = (int32_t)get_u32(o.val);
	}
	return err;
}

/* The comment is left NULL: the on-disk string is not NUL-terminated and
 * this API has no store to copy it into. */
int pcapng_parse_isb(const struct pcapng_block *blk, struct pcapng_isb *isb)
{
	uint64_t *field[ISB_USRDELIV + 1] = {
		[ISB_STARTTIME] = &isb->starttime,
		[ISB_ENDTIME] = &isb->endtime,
		[ISB_IFRECV] = &isb->ifrecv,
		[ISB_IFDROP] = &isb->ifdrop,
		[ISB_FILTERACCEPT] = &isb->filteraccept,
		[ISB_OSDROP] = &isb->osdrop,
		[ISB_USRDELIV] = &isb->usrdeliv,
	};
	struct opt o;
	int err;

	if (blk->type != PCAPNG_BT_ISB || blk->body_len < ISB_FIXED)
		return -EBADMSG;
	pcapng_isb_init(isb, get_u32(blk->body));
	isb->ts = get_ts(blk->body + 4);
	opt_init(&o, blk, ISB_FIXED);
	while ((err = opt_next(&o)) > 0) {
		if (o.code > ISB_USRDELIV || !field[o.code])
			continue;
		if (o.len != 8)
			return -EBADMSG;
		/* start and end are timestamps (high word first), the
		 * counters plain u64 */
		if (o.code == ISB_STARTTIME || o.code == ISB_ENDTIME)
			*field[o.code] = get_ts(o.val);
		else
			*field[o.code] = get_u64(o.val);
	}
	return err;
}

int pcapng_check_shb(const struct pcapng_block *blk)
{
	struct opt o;
	uint32_t magic;
	int err;

	if (blk->type != PCAPNG_BT_SHB || blk->body_len < SHB_FIXED)
		return -EBADMSG;
	magic = get_u32(blk->body);
	if (magic == __builtin_bswap32(PCAPNG_BYTE_ORDER_MAGIC))
		return -EPROTONOSUPPORT;
	if (magic != PCAPNG_BYTE_ORDER_MAGIC || get_u16(blk->body + 4) != 1)
		return -EBADMSG;
	/* the options are not needed, but a damaged SHB is worth knowing */
	opt_init(&o, blk, SHB_FIXED);
	while ((err = opt_next(&o)) > 0)
		;
	return err;
}

uint64_t pcapng_tsresol_hz(uint8_t tsresol)
{
	unsigned int n = tsresol & 0x7f;
	uint64_t hz = 1;

	if (tsresol & 0x80)
		return n <= 63 ? (uint64_t)1 << n : 0;
	/* 10^19 is the largest power of ten below 2^64. */
	if (n > 19)
		return 0;
	while (n--)
		hz *= 10;
	return hz;
}
