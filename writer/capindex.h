/* Index records of a store file, kept in zstd skippable frames.
 *
 * Layout of a compressed store file (documented in captured-store(5)):
 *
 *   [Z0: zstd frame, SHB + IDBs][R0: record of Z0]
 *   [R1][Z1: zstd frame, EPBs ...] [R2][Z2] ... [Rn][Zn]
 *   [T: seek table, a skippable frame holding R0..Rn, ending in a trailer]
 *
 * The file starts with a real zstd frame so that readers sniffing the first
 * bytes (Wireshark, file(1)) see zstd.  Every later record precedes the frame
 * it describes, so a forward scan of a torn file needs no decompression to
 * find frame boundaries.  The last 16 bytes of a closed file are the
 * trailer, which locates the seek table.
 *
 * A plain (compression = none) file keeps the same records, in the same
 * order, in a sidecar NAME.pcapng.idx, itself a valid (empty) zstd stream of
 * skippable frames; there "frame" means a byte range of the pcapng file.
 *
 * All integers are little-endian.  Every record carries a CRC-32 (zlib).
 */
#ifndef CAPTURED_CAPINDEX_H
#define CAPTURED_CAPINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAPINDEX_SKIP_MAGIC 0x184D2A5Cu   /* one of zstd's 16 skippable magics */
#define CAPINDEX_REC_TAG    0x58495043u   /* "CPIX" */
#define CAPINDEX_TABLE_TAG  0x54535043u   /* "CPST" */
#define CAPINDEX_TRAILER_TAG 0x444E4543u  /* "CEND" */
#define CAPINDEX_TIME_TAG   0x49545043u   /* "CPTI" */
#define CAPINDEX_FLOW_TAG   0x4C465043u   /* "CPFL" */
#define CAPINDEX_VERSION 1

#define CAPINDEX_F_HEADER 0x1u   /* frame holds the SHB and IDBs */
#define CAPINDEX_F_STATS  0x2u   /* frame holds ISBs */
#define CAPINDEX_F_UCRC   0x4u   /* ucrc holds the CRC-32 of the decoded bytes */

/* One frame's entry. */
struct capindex_entry {
	uint32_t seq;           /* frame number in the file, 0 = header frame */
	uint32_t flags;         /* CAPINDEX_F_* */
	uint64_t offset;        /* file offset of the frame */
	uint32_t csize;         /* bytes on disk */
	uint32_t usize;         /* pcapng bytes it decodes to */
	uint64_t ts_first, ts_last, ts_min, ts_max; /* ns since the epoch; 0 without packets */
	uint32_t packets;
	uint64_t bytes;         /* sum of original lengths */
	uint64_t capbytes;      /* sum of captured lengths */
	int8_t level;           /* zstd level, or COMP_LEVEL_STORED / COMP_LEVEL_PLAIN */
	uint8_t clock_state;    /* reserved for clock provenance; 0 = unknown */
	int64_t clock_worst_ns; /* reserved; INT64_MIN = unknown */
	uint32_t ucrc;          /* with CAPINDEX_F_UCRC: frames without zstd's checksum */
	uint32_t flow_size;     /* bytes of the flow record just before this record; 0 none */
};

/* A record as a skippable frame: 8-byte frame header + payload. */
#define CAPINDEX_REC_PAYLOAD 104u
#define CAPINDEX_REC_SIZE (8u + CAPINDEX_REC_PAYLOAD)
#define CAPINDEX_TRAILER_SIZE 16u

/* Writes one record (CAPINDEX_REC_SIZE bytes) to dst. */
void capindex_put_record(uint8_t *dst, const struct capindex_entry *e);
/* Parses a record at src (len bytes available).  0, -ENODATA when len is
 * short, -EBADMSG when the magic, tag, version, size or CRC is wrong. */
int capindex_get_record(const uint8_t *src, size_t len, struct capindex_entry *e);

/* Seek table: a skippable frame with n records' payloads and the trailer.
 * capindex_table_size(n) bytes are written to dst. */
size_t capindex_table_size(size_t n);
void capindex_put_table(uint8_t *dst, const struct capindex_entry *e, size_t n);
/* Reads the trailer (the last CAPINDEX_TRAILER_SIZE bytes of a file): 0 and
 * the table's total size in *table_size, or -EBADMSG. */
int capindex_get_trailer(const uint8_t *src, uint64_t *table_size);
/* Parses a whole table of table_size bytes; *e is malloc'd (caller frees).
 * 0 or -EBADMSG / -ENOMEM. */
int capindex_get_table(const uint8_t *src, size_t table_size,
		       struct capindex_entry **e, size_t *n);

/* Time information of a file's section: where its timestamps come from
 * (clock source, timescale, UTC offset, grandmaster), as "key=value" lines
 * of text.  One record, a skippable frame, follows the header frame's
 * record R0 (in the sidecar of a plain file):
 *   magic, payload size, "CPTI", u16 version, u16 0, u32 text length,
 *   text, u32 CRC-32 of everything from "CPTI" to the end of the text.
 * Text is at most CAPINDEX_TIME_MAX bytes. */
#define CAPINDEX_TIME_MAX 4096u
size_t capindex_time_size(size_t textlen);
/* Writes the record (capindex_time_size(len) bytes) to dst. */
void capindex_put_time(uint8_t *dst, const char *text, size_t len);
/* Parses a record of avail bytes at src: 0 with the text copied into
 * text (NUL-terminated; textcap >= CAPINDEX_TIME_MAX + 1) and *size the
 * record's size; -ENODATA when avail is short of the record; -ENOENT when
 * it is a skippable frame of another kind; -EBADMSG when damaged. */
int capindex_get_time(const uint8_t *src, size_t avail, char *text, size_t textcap,
		      size_t *size);
/* Flow record: a frame's flow summary (flowsum.h), a skippable frame
 * right before the frame's index record (in a plain file's sidecar too):
 *   magic, payload size, "CPFL", u32 summary length n, the summary,
 *   zeros to a multiple of 4 bytes.
 * Its total size, a multiple of 4 up to CAPINDEX_FLOW_MAX, is in the
 * index record (flow_size; stored as a u16 count of 4-byte words at
 * payload offset 70). */
#define CAPINDEX_FLOW_MAX (65535u * 4)
size_t capindex_flow_size(size_t len);
/* Writes the record (capindex_flow_size(len) bytes) to dst; sum may
 * already sit at dst + 16, where the summary goes. */
void capindex_put_flow(uint8_t *dst, const uint8_t *sum, size_t len);
/* The summary inside a whole flow record of size bytes at src: 0 with
 * *sum pointing into src, or -EBADMSG. */
int capindex_get_flow(const uint8_t *src, size_t size, const uint8_t **sum, size_t *len);

/* Whether the skippable frame whose payload starts at p (at least 4 bytes)
 * is the seek table. */
bool capindex_is_table(const uint8_t *payload);

/* Whether two entries say the same (field by field: structs have padding). */
bool capindex_entry_equal(const struct capindex_entry *a, const struct capindex_entry *b);

/* Reads the 8-byte header of a zstd skippable frame at src: 1 and its
 * payload size when it is one, 0 when it is not. */
int capindex_skippable(const uint8_t *src, uint32_t *payload);

#endif
