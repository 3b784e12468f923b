/* pcapng block encoding and walking.
 *
 * Blocks are written in host byte order (the SHB's byte-order magic says so).
 * The encoder writes into caller-owned buffers; it never allocates.  The
 * walker reads blocks out of a caller-owned buffer and never reads past it.
 */
#ifndef CAPTURED_PCAPNG_H
#define CAPTURED_PCAPNG_H

#include <stddef.h>
#include <stdint.h>

#define PCAPNG_BT_SHB 0x0A0D0D0Au
#define PCAPNG_BT_IDB 0x00000001u
#define PCAPNG_BT_SPB 0x00000003u
#define PCAPNG_BT_EPB 0x00000006u
#define PCAPNG_BT_ISB 0x00000005u
#define PCAPNG_BYTE_ORDER_MAGIC 0x1A2B3C4Du

/* EPB flags word (epb_flags): direction in bits 0-1. */
#define PCAPNG_EPB_DIR_UNKNOWN 0u
#define PCAPNG_EPB_DIR_IN 1u
#define PCAPNG_EPB_DIR_OUT 2u

/* Everything an IDB says; strings are NUL-terminated or NULL (absent). */
struct pcapng_idb {
	uint16_t linktype;
	uint32_t snaplen;
	uint8_t tsresol;        /* as the option byte: 9 = nanoseconds */
	const char *name;
	const char *description;
	const char *hardware;
	const char *os;
	const char *filter;     /* if_filter, stored as a libpcap expression */
	const char *comment;
};

/* Interface statistics; a field of UINT64_MAX is absent from the block. */
struct pcapng_isb {
	uint32_t ifid;
	uint64_t ts;            /* block timestamp, in the IDB's units (ns) */
	uint64_t starttime;
	uint64_t endtime;
	uint64_t ifrecv;
	uint64_t ifdrop;
	uint64_t filteraccept;
	uint64_t osdrop;
	uint64_t usrdeliv;
	const char *comment;
};
#define PCAPNG_ISB_ABSENT UINT64_MAX
/* Sets every counter of *isb to absent and the rest to zero. */
void pcapng_isb_init(struct pcapng_isb *isb, uint32_t ifid);

/* A packet: data points into the buffer walked or encoded. */
struct pcapng_epb {
	uint32_t ifid;
	uint64_t ts;            /* raw, in the IDB's units */
	uint32_t caplen;
	uint32_t origlen;
	const uint8_t *data;
	uint32_t flags;         /* epb_flags, 0 when absent */
	int32_t queue;          /* epb_queue, -1 when absent */
};

/* Encoders: each returns the block length written to dst, or 0 when cap is
 * too small (nothing useful is written then). */
size_t pcapng_put_shb(uint8_t *dst, size_t cap, const char *hardware,
		      const char *os, const char *userappl, const char *comment);
size_t pcapng_put_idb(uint8_t *dst, size_t cap, const struct pcapng_idb *idb);
size_t pcapng_put_isb(uint8_t *dst, size_t cap, const struct pcapng_isb *isb);
/* Size an EPB of caplen bytes takes, options included. */
size_t pcapng_epb_size(uint32_t caplen, uint32_t flags, int32_t queue);
size_t pcapng_put_epb(uint8_t *dst, size_t cap, const struct pcapng_epb *epb);

/* A block seen by the walker. */
struct pcapng_block {
	uint32_t type;
	uint32_t len;           /* total length, trailer included */
	const uint8_t *body;    /* after type and length */
	uint32_t body_len;      /* len - 12 */
};

/* Reads the block at buf[*off] and advances *off past it.  Returns 1 for a
 * block, 0 at the exact end of buf, -EBADMSG when the block is damaged
 * (length not a multiple of 4, shorter than 12, trailer length mismatch) and
 * -ENODATA when buf ends inside the block.  *off stays at the bad block. */
int pcapng_next_block(const uint8_t *buf, size_t len, size_t *off,
		      struct pcapng_block *blk);

/* Parse bodies.  Strings of the parsed IDB point into idb_store, which
 * must hold at least blk->body_len + 8 bytes and outlive *idb; absent
 * options are NULL (tsresol defaults to 6 as the spec says).
 * Return 0 or -EBADMSG. */
int pcapng_parse_idb(const struct pcapng_block *blk, struct pcapng_idb *idb,
		     char *idb_store, size_t store_len);
int pcapng_parse_epb(const struct pcapng_block *blk, struct pcapng_epb *epb);
int pcapng_parse_isb(const struct pcapng_block *blk, struct pcapng_isb *isb);
/* Checks an SHB body: 0 for a native-order SHB of major version 1,
 * -EPROTONOSUPPORT for the other byte order, -EBADMSG otherwise. */
int pcapng_check_shb(const struct pcapng_block *blk);

/* Units per second for an if_tsresol byte (10^n or 2^n), 0 if absurd. */
uint64_t pcapng_tsresol_hz(uint8_t tsresol);

#endif
