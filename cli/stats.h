/* The engine behind capctl stats: packets and bytes per time interval
 * from the index (apportioned) or from the packets (--exact), drops per
 * interval from the interface statistics blocks, and top talkers. */
#ifndef CAPTURED_STATS_H
#define CAPTURED_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "talkers.h"

#define STATS_MAX_INTERVALS 1000000

struct stats_opts {
	int64_t from, to;           /* INT64_MIN / INT64_MAX: open */
	int64_t by;                 /* interval length, ns */
	bool exact;                 /* decode the frames, count per packet */
	size_t top;                 /* top talkers wanted; 0: none */
};

/* Drop counters: differences of consecutive ISBs of one file series. */
struct stats_drops {
	uint64_t isbs;              /* ISBs that contributed */
	uint64_t ifrecv, ifdrop, osdrop;
	uint64_t bypass, writer, write_errors;   /* osdrop's parts (ISB comment) */
};

struct stats_interval {
	int64_t start;              /* ns, a multiple of by */
	uint64_t packets, bytes;
	bool approximate;           /* some frame counted here spans a boundary */
	/* Bounds of the true packet count (index only): packets of frames
	 * wholly inside, and those plus all of frames that reach in. */
	uint64_t packets_min, packets_max;
	struct stats_drops d;
};

enum stats_talk { STATS_TALK_NONE, STATS_TALK_SUMMARIES, STATS_TALK_EXACT };

struct stats_result {
	struct stats_interval *iv;
	size_t niv;
	uint64_t packets, bytes;
	struct stats_drops d;
	uint64_t files, files_skipped, frames, frames_read, damaged_frames;
	uint64_t isb_no_history;    /* series whose first ISB counts from before the store */
	uint64_t frames_summarized; /* frames in the window with a flow summary */
	enum stats_talk talk;
	struct talker *top;
	size_t ntop;
};

/* 0, or negative errno with a message in err (-E2BIG: too many intervals).
 * Unreadable files and damaged frames are reported on stderr and counted. */
int stats_collect(struct store *st, const struct stats_opts *o, struct stats_result *res,
		  char *err, size_t errlen);
void stats_result_free(struct stats_result *res);

#endif
