/* The slicing engine behind capctl slice: chooses frames by index, decodes
 * them, applies the window and the BPF filter, and merges packets of all
 * files into one timestamp-ordered stream. */
#ifndef CAPTURED_SLICE_H
#define CAPTURED_SLICE_H

#include <stdint.h>

#include "pktout.h"
#include "store.h"

struct slice_result {
	uint64_t packets;
	uint64_t frames_read, frames_total;
	uint64_t frames_pruned;         /* in the window, ruled out by their flow summary */
	uint64_t files_read, files_total;
	uint64_t damaged_frames;
	uint64_t files_skipped;         /* unreadable */
	uint64_t unlocked;              /* packets stamped while the clock was not locked */
	int64_t unlocked_bound;         /* their worst error bound, ns; INT64_MIN unknown */
};

struct slice;

/* filter: a libpcap expression, "" for none.  NULL and errno, with a
 * message in err (a filter libpcap rejects, an unreadable store). */
struct slice *slice_create(struct store *st, int64_t from, int64_t to, const char *filter,
			   char *err, size_t errlen);
void slice_destroy(struct slice *sl);
/* Writes the packets to out (NULL: only count).  0, or negative errno with
 * a message in err; -EPIPE when out's reader went away. */
int slice_run(struct slice *sl, struct pktout *out, struct slice_result *res, char *err,
	      size_t errlen);

/* Progress of slice_run: frames decoded so far out of the frames chosen,
 * and packets written.  Called when a file is done and every 4096
 * packets. */
typedef void (*slice_progress_fn)(void *arg, uint64_t frames_read, uint64_t frames_total,
				  uint64_t packets);
void slice_set_progress(struct slice *sl, slice_progress_fn fn, void *arg);

#endif
