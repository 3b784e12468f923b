/* One store file: writing it (capfile_w_*) and reading it (capfile_r_*).
 *
 * The on-disk layout is described in capindex.h and captured-store(5).  A
 * file being written is named NAME.part and holds an exclusive flock(2) for
 * its whole life; closing writes the seek table, syncs, and renames it to
 * NAME.  Readers take a shared lock without waiting to learn whether a .part
 * file still has a writer (being written) or was left by a dead one (torn).
 */
#ifndef CAPTURED_CAPFILE_H
#define CAPTURED_CAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "capindex.h"
#include "obuf.h"
#include "pcapng.h"

#define CAPFILE_PART_SUFFIX ".part"
#define CAPFILE_IDX_SUFFIX ".idx"
#define CAPFILE_MAX_IF 64          /* interfaces per file a reader keeps */

/* Cuts suffix off the end of s in place; false (s unchanged) if s does not
 * end with it.  For CAPFILE_PART_SUFFIX and the name suffixes. */
bool capfile_strip_suffix(char *s, const char *suffix);

/* ---- writing ---- */

struct capfile_w;

struct capfile_w_opts {
	const char *path;            /* final path; written as path + ".part" */
	bool plain;                  /* compression none: plain pcapng + sidecar */
	const char *shb_hardware, *shb_os, *shb_userappl, *shb_comment;
	const struct pcapng_idb *idbs;
	size_t nidb;
	const char *timeinfo;        /* "key=value" lines for the time record; NULL: none */
	bool flow_index;             /* a flow record (flowsum.h) before every data frame */
};

/* Creates the .part file (never replacing an existing file: EEXIST), locks
 * it and writes the header frame.  NULL and errno on failure. */
struct capfile_w *capfile_w_create(const struct capfile_w_opts *o);
/* Feeds a batch into the open frame, opening one at level if none is. */
int capfile_w_feed(struct capfile_w *w, const struct batch *b, int level);
/* The clock behind the packets just fed: the open frame's entry keeps the
 * worst state (lowest) and the worst bound (highest; INT64_MIN, unknown,
 * wins) of every call since the frame began.  Without a call the frame's
 * clock is unknown (state 0, INT64_MIN).  No effect without an open frame. */
void capfile_w_clock(struct capfile_w *w, uint8_t state, int64_t bound_ns);
/* Uncompressed bytes in the open frame (0: none open). */
size_t capfile_w_pending(const struct capfile_w *w);
/* What the open frame holds so far (its index entry before the offset and
 * sizes are known); NULL when none is open.  Valid until the next call. */
const struct capindex_entry *capfile_w_frame(const struct capfile_w *w);
/* Ends the open frame and writes it with its record.  On a write error the
 * file is cut back to the end of the last good frame, so no partial frame
 * is ever left behind, and the frame's packets are reported lost in *lost. */
int capfile_w_flush(struct capfile_w *w, uint64_t *lost);
/* Flushes the open frame, then writes a frame holding only these ISBs
 * (interface statistics so far; flagged CAPINDEX_F_STATS in the index).
 * Returns 0 or negative errno; *lost as for capfile_w_flush. */
int capfile_w_stats(struct capfile_w *w, const struct pcapng_isb *isb, size_t nisb,
		    uint64_t *lost);
/* Flushes, writes a frame of ISBs, the seek table, fsyncs and renames the
 * file to its final name, then closes it (w must still be destroyed).
 * Returns 0, or negative errno when a step failed (a full disk): the file
 * then stays open and locked, cut back to its last whole frame, and close
 * may be called again: it goes on from the step that failed (a retry that
 * must still write the statistics writes the ISBs it is given, after
 * those of an earlier try that got that far).  capfile_w_destroy instead
 * leaves it as a torn .part file. */
int capfile_w_close(struct capfile_w *w, const struct pcapng_isb *isb, size_t nisb,
		    uint64_t *lost);
/* Frees w; a file not closed is left as a .part file (readable, torn). */
void capfile_w_destroy(struct capfile_w *w);
uint64_t capfile_w_size(const struct capfile_w *w);          /* bytes on disk */
uint64_t capfile_w_bytes_in(const struct capfile_w *w);      /* pcapng bytes written */
const char *capfile_w_path(const struct capfile_w *w);       /* the .part path (final once renamed) */

/* ---- reading ---- */

enum capfile_state {
	CAPFILE_COMPLETE,   /* closed, seek table present */
	CAPFILE_WRITING,    /* .part with a live writer */
	CAPFILE_TORN,       /* .part without a writer, or a closed file without a valid table */
};

struct capfile_r;

/* Opens a store file (NAME.pcapng.zst, NAME.pcapng, or either with .part)
 * and loads its index: the seek table when there is one, a forward scan of
 * the records otherwise.  Damage stops the scan; what came before it stays
 * readable (capfile_r_damage() says where).  NULL and errno on failure, with
 * a message in err. */
struct capfile_r *capfile_r_open(const char *path, char *err, size_t errlen);
void capfile_r_close(struct capfile_r *r);

enum capfile_state capfile_r_state(const struct capfile_r *r);
bool capfile_r_plain(const struct capfile_r *r);
/* Data frames and the header frame, in file order (entry 0 = header). */
size_t capfile_r_nframes(const struct capfile_r *r);
const struct capindex_entry *capfile_r_entry(const struct capfile_r *r, size_t i);
/* Decodes frame i into out (replacing its content).  0, -EBADMSG when the
 * frame is damaged (message via capfile_r_error), -EIO on read errors,
 * -ENOENT when the file disappeared (retention). */
int capfile_r_frame(struct capfile_r *r, size_t i, struct obuf *out);
/* Checks the index record kept beside frame i (in the file, or the sidecar)
 * against the entry in use (from the seek table or the scan).  0, or
 * -EBADMSG with the reason in capfile_r_error. */
int capfile_r_check_record(struct capfile_r *r, size_t i);
/* Interfaces of the section (from the header frame), and their raw blocks. */
size_t capfile_r_nidb(const struct capfile_r *r);
const struct pcapng_idb *capfile_r_idb(const struct capfile_r *r, size_t i);
const uint8_t *capfile_r_idb_block(const struct capfile_r *r, size_t i, size_t *len);
/* The section's time information (capindex.h, CAPINDEX_TIME_TAG) into
 * text (textcap >= CAPINDEX_TIME_MAX + 1).  0; -ENOENT when the file has
 * none (written without a clock source, or by an older version); -EBADMSG
 * when the record is damaged; -EIO. */
int capfile_r_timeinfo(struct capfile_r *r, char *text, size_t textcap);
/* The flow summary of frame i (flowsum.h) into buf (replacing its
 * content): 0; -ENOENT when the frame has none (header and statistics
 * frames, files written without one); -EBADMSG when the flow record is
 * damaged; -EIO. */
int capfile_r_flowsum(struct capfile_r *r, size_t i, struct obuf *buf);
/* Where the scan stopped early ("offset N: why"), or NULL. */
const char *capfile_r_damage(const struct capfile_r *r);
/* The last error of capfile_r_frame, as text. */
const char *capfile_r_error(const struct capfile_r *r);
/* End of the last whole frame (and its record): where a repair cuts. */
uint64_t capfile_r_good_end(const struct capfile_r *r);
uint64_t capfile_r_disk_size(const struct capfile_r *r);   /* data + sidecar */
const char *capfile_r_path(const struct capfile_r *r);

/* Repairs a torn file: truncates it after its last whole frame, appends a
 * seek table built from the records, and renames .part files to their
 * final names.  Refuses (-EBUSY) a file that has a live writer.  *final
 * gets the resulting path (malloc'd) when not NULL.  Message in msg. */
int capfile_repair(const char *path, char **final, char *msg, size_t msglen);

#endif
