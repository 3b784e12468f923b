/* Internals of capctl stats shared by stats.c (index, packets, talkers)
 * and stats_drops.c (interface statistics).  Not for other modules. */
#ifndef CAPTURED_STATS_INT_H
#define CAPTURED_STATS_INT_H

#include "capfile.h"
#include "stats.h"

/* A file of the store as the first pass saw it. */
struct stats_file {
	char *path;
	int64_t start_ns;
	char iface[STORE_IFACE_MAX];
	int queue;
	uint64_t packets;                   /* in all its data frames */
	uint16_t linktype[CAPFILE_MAX_IF];
	size_t *frames, nframes;            /* data frames in the window */
};

/* A data frame in the window, from its index entry. */
struct stats_frame {
	int64_t lo, hi;                     /* ts_min, ts_max (included) */
	uint64_t packets, bytes;
};

/* An Interface Statistics Block, counters since the capture's start. */
struct stats_isb {
	size_t file;
	uint32_t ifid;
	int64_t ts, start;
	uint64_t pk_before;                 /* packets of its file before it */
	uint64_t usrdeliv;
	struct stats_drops d;
};

/* One stats_collect. */
struct stats_ctx {
	const struct stats_opts *o;
	struct stats_result *res;
	struct talkers *talk;
	struct stats_file *files;
	size_t nfiles, capfiles;
	struct stats_frame *fr;
	size_t nfr, capfr;
	struct stats_isb *isb;
	size_t nisb, capisb;
	struct obuf buf;
	int64_t lo, hi;                     /* what the window holds; hi included */
};

/* Room for one more element in the array at *pv (n used of *cap). */
int stats_grow(void *pv, size_t *cap, size_t n, size_t size);
/* Widens what the window is known to hold to [lo, hi]. */
void stats_see(struct stats_ctx *c, int64_t lo, int64_t hi);
uint64_t stats_to_ns(uint64_t ts, uint64_t hz);
/* Decodes statistics frame i of r (c->nfiles is its file's number) and
 * keeps its ISBs; pk_before: packets of the file before it.  0, or
 * -ENOMEM (a damaged frame is reported, counted and skipped). */
int stats_read_isbs(struct stats_ctx *c, struct capfile_r *r, size_t i, uint64_t pk_before);
/* Drops per interval (intervals from first, already in c->res). */
int stats_drops(struct stats_ctx *c, int64_t first);

#endif
