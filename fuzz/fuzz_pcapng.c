/* pcapng block parsers (writer/pcapng.h): the walker over the whole input,
 * and SHB/IDB/EPB/ISB bodies.  What parses is encoded again and must parse
 * back to the same values.
 *
 * The first byte picks how the rest is read: 0-3 (mod 8): a sequence of
 * blocks for pcapng_next_block; 4-7: one block body, of type IDB, EPB, ISB
 * or SHB, without framing (so options are reached without a valid
 * length pair). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "pcapng.h"

static int same_str(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

static void idb(const struct pcapng_block *blk)
{
	size_t slen = blk->body_len + 8, cap = 2 * (size_t)blk->body_len + 128, n;
	char *store = malloc(slen), *store2;
	struct pcapng_idb a, b;
	struct pcapng_block blk2;
	uint8_t *enc;
	size_t off = 0;

	if (!store || pcapng_parse_idb(blk, &a, store, slen)) {
		free(store);
		return;
	}
	(void)pcapng_tsresol_hz(a.tsresol);
	enc = malloc(cap);
	FUZZ_ASSERT(enc);
	n = pcapng_put_idb(enc, cap, &a);
	FUZZ_ASSERT(n > 0);
	FUZZ_ASSERT(pcapng_next_block(enc, n, &off, &blk2) == 1 && off == n);
	store2 = malloc(blk2.body_len + 8);
	FUZZ_ASSERT(store2);
	FUZZ_ASSERT(pcapng_parse_idb(&blk2, &b, store2, blk2.body_len + 8) == 0);
	FUZZ_ASSERT(a.linktype == b.linktype && a.snaplen == b.snaplen &&
		    a.tsresol == b.tsresol);
	FUZZ_ASSERT(same_str(a.name, b.name) && same_str(a.description, b.description) &&
		    same_str(a.hardware, b.hardware) && same_str(a.os, b.os) &&
		    same_str(a.filter, b.filter) && same_str(a.comment, b.comment));
	free(store2);
	free(enc);
	free(store);
}

static void epb(const struct pcapng_block *blk)
{
	struct pcapng_epb a, b;
	struct pcapng_block blk2;
	uint8_t *enc;
	size_t n, cap, off = 0;
	unsigned sum = 0;

	if (pcapng_parse_epb(blk, &a))
		return;
	/* every packet byte is readable */
	for (uint32_t i = 0; i < a.caplen; i++)
		sum += a.data[i];
	(void)sum;
	cap = pcapng_epb_size(a.caplen, a.flags, a.queue);
	enc = malloc(cap);
	FUZZ_ASSERT(enc);
	n = pcapng_put_epb(enc, cap, &a);
	FUZZ_ASSERT(n == cap);
	FUZZ_ASSERT(pcapng_next_block(enc, n, &off, &blk2) == 1 && off == n);
	FUZZ_ASSERT(pcapng_parse_epb(&blk2, &b) == 0);
	FUZZ_ASSERT(a.ifid == b.ifid && a.ts == b.ts && a.caplen == b.caplen &&
		    a.origlen == b.origlen && a.flags == b.flags &&
		    b.queue == (a.queue < 0 ? -1 : a.queue));
	FUZZ_ASSERT(!a.caplen || !memcmp(a.data, b.data, a.caplen));
	free(enc);
}

static void isb(const struct pcapng_block *blk)
{
	struct pcapng_isb a, b;
	struct pcapng_block blk2;
	uint8_t enc[256];
	size_t n, off = 0;

	if (pcapng_parse_isb(blk, &a))
		return;
	FUZZ_ASSERT(a.comment == NULL);
	n = pcapng_put_isb(enc, sizeof(enc), &a);
	FUZZ_ASSERT(n > 0);
	FUZZ_ASSERT(pcapng_next_block(enc, n, &off, &blk2) == 1 && off == n);
	FUZZ_ASSERT(pcapng_parse_isb(&blk2, &b) == 0);
	FUZZ_ASSERT(a.ifid == b.ifid && a.ts == b.ts && a.starttime == b.starttime &&
		    a.endtime == b.endtime && a.ifrecv == b.ifrecv && a.ifdrop == b.ifdrop &&
		    a.filteraccept == b.filteraccept && a.osdrop == b.osdrop &&
		    a.usrdeliv == b.usrdeliv);
}

static void any_block(const struct pcapng_block *blk)
{
	int rc;

	switch (blk->type) {
	case PCAPNG_BT_SHB:
		rc = pcapng_check_shb(blk);
		FUZZ_ASSERT(rc == 0 || rc == -EBADMSG || rc == -EPROTONOSUPPORT);
		break;
	case PCAPNG_BT_IDB: idb(blk); break;
	case PCAPNG_BT_EPB: epb(blk); break;
	case PCAPNG_BT_ISB: isb(blk); break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t types[4] = { PCAPNG_BT_IDB, PCAPNG_BT_EPB, PCAPNG_BT_ISB,
					   PCAPNG_BT_SHB };
	struct pcapng_block blk;
	size_t off = 0, prev;
	uint8_t *body;
	int rc;

	if (size < 1)
		return 0;
	if ((data[0] & 7) < 4) {
		data++, size--;
		for (;;) {
			prev = off;
			rc = pcapng_next_block(data, size, &off, &blk);
			if (rc != 1) {
				FUZZ_ASSERT(rc == 0 || rc == -EBADMSG || rc == -ENODATA);
				FUZZ_ASSERT(off == prev && (rc != 0 || off == size));
				break;
			}
			FUZZ_ASSERT(off == prev + blk.len && off <= size);
			FUZZ_ASSERT(blk.len >= 12 && blk.len % 4 == 0 &&
				    blk.body_len == blk.len - 12);
			any_block(&blk);
		}
		return 0;
	}
	/* a bare body, a multiple of 4 bytes as framing guarantees, in a
	 * buffer of its own size so that any over-read is caught */
	blk.type = types[data[0] & 3];
	blk.body_len = (uint32_t)((size - 1) & ~(size_t)3);
	blk.len = blk.body_len + 12;
	body = malloc(blk.body_len ? blk.body_len : 1);
	FUZZ_ASSERT(body);
	memcpy(body, data + 1, blk.body_len);
	blk.body = body;
	any_block(&blk);
	free(body);
	return 0;
}
