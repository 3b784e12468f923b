/* The engine behind capctl follow: which files of the store to watch, and
 * reading their new whole frames as they appear.  See cmd_follow.c. */
#ifndef CAPTURED_FOLLOW_H
#define CAPTURED_FOLLOW_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "pktout.h"
#include "store.h"

struct follow_opts {
	int64_t from;
	bool has_from;              /* false: start at the end of each series */
	const char *out;            /* -w; NULL or "-": stdout */
	bool force, zstd;
	enum pktout_format fmt;
};

#define FOLLOW_WAKE_DATA 0x1u       /* a file may have grown */
#define FOLLOW_WAKE_LIST 0x2u       /* files may have come, gone or been renamed */

struct follow;

/* Compiles the filter (for Ethernet: its syntax is checked before any
 * output exists).  NULL and errno, message in err. */
struct follow *follow_create(struct store *st, const struct follow_opts *o, const char *filter,
			     char *err, size_t errlen);
void follow_destroy(struct follow *fw);
/* Lists the store and takes position: at the end of each series' newest
 * file, or at --from (those packets are written now).  The functions below
 * return 0, -EPIPE when the reader of out went away, -ENOENT when the
 * store directory disappeared, or another negative errno; message in err.
 * They stop early, returning 0, once *stop is set. */
int follow_start(struct follow *fw, struct pktout *out, volatile sig_atomic_t *stop,
		 char *err, size_t errlen);
/* Writes what appeared since the last call; what: FOLLOW_WAKE_* bits. */
int follow_step(struct follow *fw, struct pktout *out, unsigned what,
		volatile sig_atomic_t *stop, char *err, size_t errlen);
/* The exit status for rc (the last result): 0, or 1 for an error or when
 * damaged frames were skipped (said on stderr).  summary: print the
 * packet count on stderr. */
int follow_finish(const struct follow *fw, int rc, bool summary);

#endif
