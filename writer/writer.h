/* A writer thread: takes EPB batches from a batch pool's full ring, cuts
 * them into frames, compresses, indexes and writes store files, rotates by
 * size and packet time, applies retention, and gives the batches back.
 *
 * One writer per packet source (an RX queue, or an input file).  The writer
 * owns its files; the caller owns the pool and the store and must keep them
 * alive until writer_destroy().
 *
 * A frame that cannot be written costs its packets (counted as lost, the
 * file cut back to its last whole frame).  A full store (ENOSPC, EDQUOT)
 * is first met by size-based retention (retain_size set: the oldest files
 * go until there is room); otherwise the open file is closed, or, when
 * that fails too, kept open and locked to be sealed later, and writing
 * pauses: packets are counted as lost, and once a second the writer tries
 * again, resuming in a new file when the store has room.  A file that
 * cannot be created pauses writing the same way.
 */
#ifndef CAPTURED_WRITER_H
#define CAPTURED_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "clockprov.h"
#include "feeder.h"
#include "pcapng.h"
#include "store.h"

#define WRITER_LEVEL_ADAPTIVE (-1000)

struct writer_opts {
	struct store *store;
	const char *iface;          /* for file names */
	int queue;                  /* for file names */
	struct pcapng_idb idb;      /* the interface of every file (ifid 0) */
	const char *shb_hardware, *shb_os, *shb_userappl;
	bool plain;                 /* compression none */
	int level;                  /* zstd level, COMP_LEVEL_STORED, or WRITER_LEVEL_ADAPTIVE */
	int adaptive_ceiling;       /* highest level adaptive uses */
	bool lossless_source;       /* source waits for us (file ingest): no pressure */
	size_t frame_size;          /* uncompressed bytes per frame */
	int64_t flush_ns;           /* end a frame open this long (wall time); 0: never */
	uint64_t rotate_size;       /* bytes on disk per file */
	int64_t rotate_ns;          /* packet-time span per file */
	uint64_t retain_size;       /* 0: no limit */
	int64_t retain_age_ns;      /* 0: no limit */
	const struct feeder *feeder; /* producer's counters for the ISBs; may be NULL */
	int64_t isb_ns;             /* write an ISB this often (wall time) too; 0: at close only */
	bool flow_index;            /* flow summaries for pruned queries (flowsum.h) */
	const struct clockprov *clock; /* clock provenance (section text, per-frame quality);
				    * NULL: none recorded.  Owned by the caller */
};

/* Counters the source owns, copied into the ISBs.  Packets the feeder
 * took or dropped are counted by the feeder itself (writer_opts.feeder). */
struct writer_ifstats {
	uint64_t ifrecv;            /* packets the source saw, if it knows more than the feeder */
	uint64_t ifdrop;            /* lost before the source (NIC, kernel ring) */
	uint64_t osdrop;            /* lost between NIC and feeder (bypass ring) */
	uint64_t start_ns;          /* capture start; 0: the first packet's time */
};

struct writer_stats {
	uint64_t packets, bytes, capbytes;  /* stored */
	uint64_t pcapng_bytes;              /* uncompressed bytes written */
	uint64_t disk_bytes;                /* bytes written to disk, records included */
	uint64_t frames, files;
	uint64_t lost_packets;              /* stored nowhere: write errors, store full */
	uint64_t write_errors;
	int store_error;                    /* errno that paused writing (ENOSPC: the
					     * store is full); 0: writing */
	int64_t pause_since_ns;             /* CLOCK_MONOTONIC start of that pause */
	char unsealed[512];                 /* a file whose close failed, kept open
					     * to be sealed by a retry; "" if none */
	uint64_t retained_files, retained_bytes; /* deleted by retention */
	uint64_t level_frames[3];           /* frames: zstd-compressed, stored raw, plain */
	int level;                          /* level of the last frame */
	char current[512];                  /* file being written, "" if none */
};

struct writer *writer_create(const struct writer_opts *o, struct batch_pool *pool);
void writer_destroy(struct writer *w);
/* Starts the thread.  0 or negative errno. */
int writer_start(struct writer *w);
/* Tells the writer that no more batches come; it drains the ring, closes
 * its file and the thread ends.  Returns when it has. */
int writer_finish(struct writer *w);
/* Thread-safe.  writer_rotate: close the open file now (the next packet
 * opens a new one).  writer_reconfigure: take the level, adaptive ceiling,
 * frame, rotation, retention, flush, ISB and flow index settings of o (the rest of o is
 * ignored; a change of plain closes the open file first); applied by the
 * writer thread before the next batch. */
void writer_rotate(struct writer *w);
void writer_reconfigure(struct writer *w, const struct writer_opts *o);
void writer_set_ifstats(struct writer *w, const struct writer_ifstats *s);
void writer_get_stats(struct writer *w, struct writer_stats *s);

#endif
