/* Writing one store file; see capfile.h and capindex.h for the layout. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <zlib.h>

#include "capfile.h"
#include "comp.h"
#include "fileio.h"
#include "flowsum.h"

#define HEADER_LEVEL 3

struct capfile_w {
	int fd, idx_fd;             /* idx_fd: sidecar of a plain file, else -1 */
	bool plain;
	char *part, *final, *idx_part, *idx_final;
	uint64_t off, idx_off;      /* end of the last good frame / record */
	uint64_t synced;            /* writeback started up to here */
	uint64_t bytes_in;
	struct obuf out;
	const struct comp_ops *ops; /* of the open frame; NULL: none open */
	void *zstd_ctx, *stored_ctx, *none_ctx;
	struct capindex_entry cur;
	struct flowsum_builder *fb; /* flow summaries of data frames; NULL: none */
	uint32_t linktype[CAPFILE_MAX_IF];
	size_t nlink;
	uint8_t *frec;              /* the open frame's flow record */
	size_t frec_cap, frec_len;
	bool clock_seen;            /* capfile_w_clock was called for the open frame */
	struct capindex_entry *ents;
	size_t nent, cap;
	int closing;                /* how far a close that failed got (enum close_stage) */
};

/* The steps of capfile_w_close, so that a close that failed (a full
 * disk) can be tried again from where it stopped. */
enum close_stage { CLOSE_OPEN, CLOSE_SEALED, CLOSE_IDX_RENAMED, CLOSE_RENAMED };

static void *ctx_for(struct capfile_w *w, const struct comp_ops *ops)
{
	void **slot = ops == &comp_zstd_ops ? &w->zstd_ctx :
		      ops == &comp_stored_ops ? &w->stored_ctx : &w->none_ctx;

	if (!*slot)
		*slot = ops->create();
	return *slot;
}

static int add_entry(struct capfile_w *w, const struct capindex_entry *e)
{
	if (w->nent == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct capindex_entry *p = realloc(w->ents, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		w->ents = p;
		w->cap = cap;
	}
	w->ents[w->nent++] = *e;
	return 0;
}

static int begin_frame(struct capfile_w *w, int level, uint32_t flags)
{
	void *ctx;
	int err;

	if (w->plain)
		level = COMP_LEVEL_PLAIN;
	w->ops = comp_for_level(level);
	ctx = ctx_for(w, w->ops);
	if (!ctx)
		return -ENOMEM;
	err = w->ops->begin(ctx, level);
	if (err)
		return err;
	memset(&w->cur, 0, sizeof(w->cur));
	w->cur.seq = (uint32_t)w->nent;
	w->cur.flags = flags;
	w->cur.level = (int8_t)level;
	w->cur.clock_worst_ns = INT64_MIN;
	w->clock_seen = false;
	w->frec_len = 0;
	if (w->fb)
		flowsum_builder_reset(w->fb);
	/* raw and plain frames have no zstd checksum: keep a CRC of our own */
	if (level == COMP_LEVEL_STORED || level == COMP_LEVEL_PLAIN) {
		w->cur.flags |= CAPINDEX_F_UCRC;
		w->cur.ucrc = (uint32_t)crc32(0L, Z_NULL, 0);
	}
	obuf_reset(&w->out);
	/* a compressed data frame is preceded by its record: leave room */
	if (!w->plain && w->nent > 0) {
		if (obuf_reserve(&w->out, CAPINDEX_REC_SIZE))
			return -ENOMEM;
		w->out.len = CAPINDEX_REC_SIZE;
	}
	return 0;
}

static int feed(struct capfile_w *w, const void *data, size_t len)
{
	int err = w->ops->feed(ctx_for(w, w->ops), data, len, &w->out);

	if (err)
		return err;
	w->cur.usize += (uint32_t)len;
	if (w->cur.flags & CAPINDEX_F_UCRC)
		w->cur.ucrc = (uint32_t)crc32(w->cur.ucrc, data, (uInt)len);
	return 0;
}

/* The flow record of the open data frame into w->frec (frec_len 0: none,
 * also when the summary would not fit the index's size field: the frame
 * is then simply always read). */
static int make_flow_record(struct capfile_w *w)
{
	size_t n, size;
	uint8_t *p;

	w->frec_len = 0;
	if (!w->fb || w->cur.flags & (CAPINDEX_F_HEADER | CAPINDEX_F_STATS))
		return 0;
	n = flowsum_serialize(w->fb, NULL, 0);
	size = capindex_flow_size(n);
	if (size > CAPINDEX_FLOW_MAX)
		return 0;
	if (size > w->frec_cap) {
		p = realloc(w->frec, size);
		if (!p)
			return -ENOMEM;
		w->frec = p;
		w->frec_cap = size;
	}
	/* the summary goes where the record wants it, the header around it */
	if (flowsum_serialize(w->fb, w->frec + 16, size - 16) != n)
		return -EIO;
	capindex_put_flow(w->frec, w->frec + 16, n);
	w->frec_len = size;
	return 0;
}

/* Ends the open frame and puts it (and its record) on disk. */
static int end_frame(struct capfile_w *w)
{
	struct capindex_entry *e = &w->cur;
	uint8_t rec[CAPINDEX_REC_SIZE];
	bool first = w->nent == 0;
	int err;

	err = w->ops->end(ctx_for(w, w->ops), &w->out);
	w->ops = NULL;
	if (!err)
		err = make_flow_record(w);
	if (err)
		return err;
	e->flow_size = (uint32_t)w->frec_len;
	if (w->plain) {
		e->offset = w->off;
		e->csize = (uint32_t)w->out.len;
		err = fileio_pwrite(w->fd, w->out.data, w->out.len, w->off);
		if (!err && w->frec_len)
			err = fileio_pwrite(w->idx_fd, w->frec, w->frec_len, w->idx_off);
		if (!err) {
			capindex_put_record(rec, e);
			err = fileio_pwrite(w->idx_fd, rec, sizeof(rec), w->idx_off + w->frec_len);
		}
		if (err)
			goto undo;
		w->off += e->csize;
		w->idx_off += w->frec_len + sizeof(rec);
	} else if (first) {
		/* the header frame comes first, its record after it */
		e->offset = 0;
		e->csize = (uint32_t)w->out.len;
		capindex_put_record(rec, e);
		err = obuf_append(&w->out, rec, sizeof(rec));
		if (!err)
			err = fileio_pwrite(w->fd, w->out.data, w->out.len, w->off);
		if (err)
			goto undo;
		w->off += w->out.len;
	} else {
		/* [flow record][index record][frame] */
		e->offset = w->off + w->frec_len + CAPINDEX_REC_SIZE;
		e->csize = (uint32_t)(w->out.len - CAPINDEX_REC_SIZE);
		capindex_put_record(w->out.data, e);
		err = w->frec_len ? fileio_pwrite(w->fd, w->frec, w->frec_len, w->off) : 0;
		if (!err)
			err = fileio_pwrite(w->fd, w->out.data, w->out.len, w->off + w->frec_len);
		if (err)
			goto undo;
		w->off += w->frec_len + w->out.len;
	}
	w->bytes_in += e->usize;
	/* start writeback now, so that dirty pages never pile up and the fsync
	 * at close (on the writer thread) has little left to wait for */
	sync_file_range(w->fd, (off64_t)w->synced, (off64_t)(w->off - w->synced),
			SYNC_FILE_RANGE_WRITE);
	w->synced = w->off;
	return add_entry(w, e);
undo:
	/* never leave a partial frame behind: cut back to the last good end */
	if (ftruncate(w->fd, (off_t)w->off) < 0)
		err = err ? err : -errno;
	if (w->plain && ftruncate(w->idx_fd, (off_t)w->idx_off) < 0)
		err = err ? err : -errno;
	return err;
}

static int write_header(struct capfile_w *w, const struct capfile_w_opts *o)
{
	uint8_t *buf = NULL;
	size_t cap = 65536, len, n;
	int err = -ENOMEM;

	buf = malloc(cap);
	if (!buf)
		goto out;
	len = pcapng_put_shb(buf, cap, o->shb_hardware, o->shb_os, o->shb_userappl,
			     o->shb_comment);
	for (size_t i = 0; len && i < o->nidb; i++) {
		n = pcapng_put_idb(buf + len, cap - len, &o->idbs[i]);
		len = n ? len + n : 0;
	}
	err = -EINVAL;
	if (!len)
		goto out;
	err = begin_frame(w, HEADER_LEVEL, CAPINDEX_F_HEADER);
	if (!err)
		err = feed(w, buf, len);
	if (!err)
		err = end_frame(w);
out:
	free(buf);
	return err;
}

/* The time record, after R0: in the file, or in a plain file's sidecar. */
static int write_timeinfo(struct capfile_w *w, const char *text)
{
	size_t len = strlen(text), size = capindex_time_size(len);
	uint8_t *rec;
	int err;

	if (len > CAPINDEX_TIME_MAX)
		return -EINVAL;
	rec = malloc(size);
	if (!rec)
		return -ENOMEM;
	capindex_put_time(rec, text, len);
	if (w->plain) {
		err = fileio_pwrite(w->idx_fd, rec, size, w->idx_off);
		if (!err)
			w->idx_off += size;
	} else {
		err = fileio_pwrite(w->fd, rec, size, w->off);
		if (!err)
			w->off += size;
	}
	free(rec);
	return err;
}

static char *concat(const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, "%s%s", a, b) < 0)
		return NULL;
	return s;
}

/* A new file, locked, under a hidden name (which no store listing
 * matches); capfile_w_create links it to its real name once its header is
 * written.  A reader never sees it unlocked (it would take it for torn, and
 * a repair could seal it under us) nor without its header. */
static int open_tmp(const char *path, char *tmp, size_t len)
{
	const char *slash = strrchr(path, '/');
	int fd, e;

	snprintf(tmp, len, "%.*s.%s.new", slash ? (int)(slash - path + 1) : 0, path,
		 slash ? slash + 1 : path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	return fd;
}

struct capfile_w *capfile_w_create(const struct capfile_w_opts *o)
{
	struct capfile_w *w = calloc(1, sizeof(*w));
	char tmp[4096];
	int err = ENOMEM;

	if (!w)
		goto out;
	w->fd = w->idx_fd = -1;
	w->plain = o->plain;
	if (o->flow_index) {
		w->fb = flowsum_builder_create();
		if (!w->fb)
			goto fail;
		for (size_t i = 0; i < o->nidb && i < CAPFILE_MAX_IF; i++)
			w->linktype[w->nlink++] = o->idbs[i].linktype;
	}
	w->final = strdup(o->path);
	w->part = concat(o->path, CAPFILE_PART_SUFFIX);
	if (!w->final || !w->part)
		goto fail;
	if (access(w->final, F_OK) == 0) {
		err = EEXIST;
		goto fail;
	}
	if (w->plain) {
		w->idx_final = concat(o->path, CAPFILE_IDX_SUFFIX);
		w->idx_part = w->idx_final ? concat(w->idx_final, CAPFILE_PART_SUFFIX) : NULL;
		if (!w->idx_part)
			goto fail;
	}
	/* the .part file appears with its header (and time record) whole and
	 * its lock taken: made under a hidden name (which no store listing
	 * matches), written, then linked to its real name, which fails if
	 * that exists */
	w->fd = open_tmp(w->part, tmp, sizeof(tmp));
	if (w->fd < 0) {
		err = errno;
		goto fail;
	}
	if (w->plain) {
		w->idx_fd = open(w->idx_part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (w->idx_fd < 0) {
			err = errno;
			unlink(tmp);
			goto fail;
		}
	}
	err = -write_header(w, o);
	if (!err && o->timeinfo)
		err = -write_timeinfo(w, o->timeinfo);
	if (!err && link(tmp, w->part) < 0)
		err = errno;
	unlink(tmp);
	if (err) {
		if (w->idx_part)
			unlink(w->idx_part);
		goto fail;
	}
	return w;
fail:
	capfile_w_destroy(w);
out:
	errno = err;
	return NULL;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Every packet of the batch into the flow summary.  Batches come from
 * batch_add, so their EPBs are well formed; the bounds are checked all
 * the same, as cheaply as the walk itself. */
static void summarize(struct capfile_w *w, const struct batch *b)
{
	size_t off = 0;

	while (b->len - off >= 32) {
		const uint8_t *p = b->data + off;
		uint32_t blen = rd32(p + 4), ifid = rd32(p + 8), caplen = rd32(p + 20);

		if (blen < 32 || blen > b->len - off || caplen > blen - 32)
			break;
		flowsum_add_packet(w->fb, ifid < w->nlink ? w->linktype[ifid] : UINT32_MAX,
				   p + 28, caplen, rd32(p + 24));
		off += blen;
	}
}

int capfile_w_feed(struct capfile_w *w, const struct batch *b, int level)
{
	struct capindex_entry *e = &w->cur;
	int err;

	if (!w->ops) {
		err = begin_frame(w, level, 0);
		if (err)
			return err;
	}
	err = feed(w, b->data, b->len);
	if (err || !b->packets)
		return err;
	if (w->fb)
		summarize(w, b);
	if (!e->packets) {
		e->ts_first = b->ts_first;
		e->ts_min = b->ts_min;
		e->ts_max = b->ts_max;
	}
	e->ts_last = b->ts_last;
	e->ts_min = b->ts_min < e->ts_min ? b->ts_min : e->ts_min;
	e->ts_max = b->ts_max > e->ts_max ? b->ts_max : e->ts_max;
	e->packets += b->packets;
	e->bytes += b->bytes;
	e->capbytes += b->capbytes;
	return 0;
}

void capfile_w_clock(struct capfile_w *w, uint8_t state, int64_t bound_ns)
{
	struct capindex_entry *e = &w->cur;

	if (!w->ops)
		return;
	if (!w->clock_seen) {
		e->clock_state = state;
		e->clock_worst_ns = bound_ns;
		w->clock_seen = true;
		return;
	}
	if (state < e->clock_state)
		e->clock_state = state;
	if (e->clock_worst_ns != INT64_MIN &&
	    (bound_ns == INT64_MIN || bound_ns > e->clock_worst_ns))
		e->clock_worst_ns = bound_ns;
}

size_t capfile_w_pending(const struct capfile_w *w)
{
	return w->ops ? w->cur.usize : 0;
}

const struct capindex_entry *capfile_w_frame(const struct capfile_w *w)
{
	return w->ops ? &w->cur : NULL;
}

int capfile_w_flush(struct capfile_w *w, uint64_t *lost)
{
	uint32_t packets = w->cur.packets;
	int err;

	if (!w->ops)
		return 0;
	err = end_frame(w);
	if (err && lost)
		*lost += packets;
	return err;
}

static int write_stats(struct capfile_w *w, const struct pcapng_isb *isb, size_t nisb)
{
	uint8_t buf[1024];
	int err;

	err = begin_frame(w, HEADER_LEVEL, CAPINDEX_F_STATS);
	for (size_t i = 0; !err && i < nisb; i++) {
		size_t n = pcapng_put_isb(buf, sizeof(buf), &isb[i]);

		err = n ? feed(w, buf, n) : -EINVAL;
	}
	if (err) {
		w->ops = NULL;
		return err;
	}
	return end_frame(w);
}

int capfile_w_stats(struct capfile_w *w, const struct pcapng_isb *isb, size_t nisb,
		    uint64_t *lost)
{
	int err;

	if (w->fd < 0)
		return -EBADF;
	err = capfile_w_flush(w, lost);
	return err ? err : write_stats(w, isb, nisb);
}

static int fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, err = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		err = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return err;
}

/* Flush, statistics frame, seek table, fsync.  On failure the file is cut
 * back to its last whole frame, so that another try starts clean. */
static int seal(struct capfile_w *w, const struct pcapng_isb *isb, size_t nisb,
		uint64_t *lost)
{
	size_t tlen;
	uint8_t *table;
	int fd, err;
	uint64_t at;

	err = capfile_w_flush(w, lost);
	if (!err && nisb)
		err = write_stats(w, isb, nisb);
	if (err)
		return err;
	tlen = capindex_table_size(w->nent);
	table = malloc(tlen);
	if (!table)
		return -ENOMEM;
	capindex_put_table(table, w->ents, w->nent);
	fd = w->plain ? w->idx_fd : w->fd;
	at = w->plain ? w->idx_off : w->off;
	err = fileio_pwrite(fd, table, tlen, at);
	free(table);
	if (!err && (fsync(w->fd) < 0 || (w->plain && fsync(w->idx_fd) < 0)))
		err = -errno;
	if (err) {
		/* no table, or one not known to be on disk: take it off again */
		if (ftruncate(fd, (off_t)at) < 0)
			err = -errno;
		return err;
	}
	if (w->plain)
		w->idx_off += tlen;
	else
		w->off += tlen;
	return 0;
}

int capfile_w_close(struct capfile_w *w, const struct pcapng_isb *isb, size_t nisb,
		    uint64_t *lost)
{
	int err = 0;

	if (w->fd < 0)
		return -EBADF;
	if (w->closing == CLOSE_OPEN) {
		err = seal(w, isb, nisb, lost);
		if (err)
			return err;
		w->closing = CLOSE_SEALED;
	}
	if (w->closing == CLOSE_SEALED) {
		if (w->plain && rename(w->idx_part, w->idx_final) < 0)
			return -errno;
		w->closing = CLOSE_IDX_RENAMED;
	}
	if (w->closing == CLOSE_IDX_RENAMED) {
		if (rename(w->part, w->final) < 0)
			return -errno;
		w->closing = CLOSE_RENAMED;
	}
	err = fsync_dir(w->final);
	if (err)
		return err;
	close(w->fd);
	w->fd = -1;
	if (w->idx_fd >= 0)
		close(w->idx_fd);
	w->idx_fd = -1;
	return 0;
}

void capfile_w_destroy(struct capfile_w *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->idx_fd >= 0)
		close(w->idx_fd);
	if (w->zstd_ctx)
		comp_zstd_ops.destroy(w->zstd_ctx);
	if (w->stored_ctx)
		comp_stored_ops.destroy(w->stored_ctx);
	if (w->none_ctx)
		comp_none_ops.destroy(w->none_ctx);
	obuf_free(&w->out);
	flowsum_builder_destroy(w->fb);
	free(w->frec);
	free(w->ents);
	free(w->part);
	free(w->final);
	free(w->idx_part);
	free(w->idx_final);
	free(w);
}

uint64_t capfile_w_size(const struct capfile_w *w)
{
	return w->off + w->idx_off;
}

uint64_t capfile_w_bytes_in(const struct capfile_w *w)
{
	return w->bytes_in;
}

const char *capfile_w_path(const struct capfile_w *w)
{
	return w->closing >= CLOSE_RENAMED ? w->final : w->part;
}
