/* Internals of the capture-file reader, shared by capfile_r.c and
 * capfile_fix.c (repair).  Not for other modules: use capfile.h. */
#ifndef CAPTURED_CAPFILE_R_H
#define CAPTURED_CAPFILE_R_H

#include <zstd.h>

#include "capfile.h"

#define CAPFILE_R_MAX_IDB CAPFILE_MAX_IF

struct capfile_r_idb {
	struct pcapng_idb idb;
	char *store;               /* the idb's strings */
	const uint8_t *block;      /* raw block, inside hdr */
	size_t len;
};

struct capfile_r {
	char *path, *idx_path;
	int fd, idx_fd;
	bool plain, partial;
	enum capfile_state state;
	uint64_t data_size, idx_size;
	uint64_t good_end;         /* data file: end of the last whole frame (+record) */
	uint64_t idx_good_end;     /* sidecar: end of the last good record */
	uint64_t time_size;        /* the time record after R0 (capindex.h); 0 none */
	uint64_t *recs;            /* plain: sidecar offset of each entry's record */
	struct capindex_entry *ents;
	size_t n, cap;
	struct obuf hdr, cbuf;
	struct capfile_r_idb idbs[CAPFILE_R_MAX_IDB];
	size_t nidb;
	ZSTD_DCtx *dctx;
	char damage[256];
	char errbuf[256];
};

/* Where the index record of frame i lives: in the file after frame 0 or
 * before frame i, or in the sidecar (after R0 and the time record). */
uint64_t capfile_r_record_at(const struct capfile_r *r, size_t i);
void capfile_r_set_damage(struct capfile_r *r, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
