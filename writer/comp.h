/* Compressor backends: turn the uncompressed pcapng bytes of one frame into
 * what is stored on disk.  One file per implementation (comp_zstd.c,
 * comp_stored.c, comp_none.c); the capture-file writer picks one per frame.
 *
 * A frame is begin(), any number of feed(), end(); output is appended to the
 * caller's obuf.  Frames are independent: each can be decoded alone.
 */
#ifndef CAPTURED_COMP_H
#define CAPTURED_COMP_H

#include <stdbool.h>
#include <stddef.h>

#include "obuf.h"

/* Level values besides zstd's own (-7..19). */
#define COMP_LEVEL_STORED (-128) /* zstd frame of raw blocks: no compression work */
#define COMP_LEVEL_PLAIN  (-127) /* not a zstd frame: plain pcapng bytes */
#define COMP_LEVEL_MIN (-7)
#define COMP_LEVEL_MAX 19

struct comp_ops {
	const char *name;
	void *(*create)(void);                  /* NULL and errno on failure */
	void (*destroy)(void *ctx);
	int (*begin)(void *ctx, int level);
	int (*feed)(void *ctx, const void *src, size_t len, struct obuf *out);
	int (*end)(void *ctx, struct obuf *out);
};

extern const struct comp_ops comp_zstd_ops;
extern const struct comp_ops comp_stored_ops;
extern const struct comp_ops comp_none_ops;

/* The backend for a level: stored, plain, or zstd. */
const struct comp_ops *comp_for_level(int level);

#endif
