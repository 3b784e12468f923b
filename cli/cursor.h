/* A cursor walks the packets of chosen frames of one store file, in file
 * order, keeping those in the time window that pass the filter. */
#ifndef CAPTURED_CURSOR_H
#define CAPTURED_CURSOR_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

#include "pcapng.h"

struct cursor_pkt {
	uint64_t ts;                 /* ns */
	uint32_t ifid;               /* the file's interface number */
	uint32_t caplen, origlen, flags;
	int32_t queue;
	const uint8_t *data;         /* valid until the next cursor_next */
};

struct cursor;

/* path: the file; frames: indexes of its frames to read, ascending (copied);
 * progs: a compiled filter per interface of the file, or NULL for none.
 * A .part file closed meanwhile is opened under its final name.
 * NULL and errno, message in err (ENOENT: the file is gone). */
struct cursor *cursor_create(const char *path, const size_t *frames, size_t nframes,
			     int64_t from, int64_t to, const struct bpf_program *const *progs,
			     size_t nprogs, char *err, size_t errlen);
void cursor_destroy(struct cursor *c);
/* 1 with *p set, 0 at the end.  Damaged frames are reported on stderr,
 * counted and skipped. */
int cursor_next(struct cursor *c, struct cursor_pkt *p);
uint64_t cursor_frames_read(const struct cursor *c);
uint64_t cursor_damaged(const struct cursor *c);
/* Packets delivered so far from frames whose clock was known not to be
 * locked (HOLDOVER or FREERUN in the index), and the worst error bound
 * among them in *bound (INT64_MIN: some had none). */
uint64_t cursor_unlocked(const struct cursor *c, int64_t *bound);

#endif
