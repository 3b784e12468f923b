/* Reading one store file: load the index from the seek table, or rebuild
 * it by a forward scan of the records when the file is being written or
 * was torn; decode frames on demand. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY   /* ZSTD_decompressBound, in libzstd since 1.4.0 */
#include <zstd.h>

#include "capfile.h"
#include "capfile_r.h"
#include "comp.h"
#include "fileio.h"

/* The header frame is small (SHB + IDBs); this bounds the read that finds
 * its end in a file without a seek table. */
#define HEADER_FRAME_MAX (1u << 20)

bool capfile_strip_suffix(char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	if (a < b || strcmp(s + a - b, suffix))
		return false;
	s[a - b] = 0;
	return true;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcmp(s + a - b, suf);
}

void capfile_r_set_damage(struct capfile_r *r, uint64_t off, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (r->damage[0])
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->damage, sizeof(r->damage), "offset %llu: %s",
		 (unsigned long long)off, msg);
}

static int add_entry(struct capfile_r *r, const struct capindex_entry *e)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct capindex_entry *p = realloc(r->ents, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		r->ents = p;
		r->cap = cap;
	}
	r->ents[r->n++] = *e;
	return 0;
}

/* An entry must describe the next frame in sequence and lie in the file. */
static bool entry_fits(const struct capfile_r *r, const struct capindex_entry *e,
		       uint64_t expect_off)
{
	return e->seq == r->n && e->offset == expect_off &&
	       e->offset + e->csize <= r->data_size &&
	       (r->n == 0) == !!(e->flags & CAPINDEX_F_HEADER);
}

/* The size of the time record (capindex.h) at offset at of fd, which has
 * size bytes; 0 when there is none there. */
static uint64_t time_rec_size(int fd, uint64_t size, uint64_t at)
{
	uint8_t hdr[12];
	uint32_t payload;

	if (size < at || size - at < sizeof(hdr) || fileio_pread(fd, hdr, sizeof(hdr), at) ||
	    !capindex_skippable(hdr, &payload) ||
	    (hdr[8] | hdr[9] << 8 | hdr[10] << 16 | (uint32_t)hdr[11] << 24) != CAPINDEX_TIME_TAG ||
	    size - at - 8 < payload)
		return 0;
	return 8 + (uint64_t)payload;
}

/* Scan of a compressed file: Z0 R0 {R Z}*, stopping at the seek table, at
 * the end, or at the first thing that is not what it should be. */
static int scan_zst(struct capfile_r *r)
{
	size_t hlen = r->data_size < HEADER_FRAME_MAX ? r->data_size : HEADER_FRAME_MAX;
	uint8_t hdr[8], rec[CAPINDEX_REC_SIZE];
	struct capindex_entry e;
	uint8_t *buf = malloc(hlen ? hlen : 1);
	uint64_t off, flow = 0;
	size_t z0;
	uint32_t payload;
	int err;

	if (!buf)
		return -ENOMEM;
	err = fileio_pread(r->fd, buf, hlen, 0);
	z0 = err ? 0 : ZSTD_findFrameCompressedSize(buf, hlen);
	free(buf);
	if (err || ZSTD_isError(z0)) {
		capfile_r_set_damage(r, 0, "no whole header frame");
		return 0;
	}
	off = z0;
	while (off < r->data_size) {
		uint64_t expect = r->n == 0 ? 0 : off + CAPINDEX_REC_SIZE;
		bool timerec;

		if (r->data_size - off < 8 || fileio_pread(r->fd, hdr, 8, off)) {
			capfile_r_set_damage(r, off, "file ends inside an index record");
			break;
		}
		if (!capindex_skippable(hdr, &payload)) {
			capfile_r_set_damage(r, off, "no index record where one should be");
			break;
		}
		if (payload != CAPINDEX_REC_PAYLOAD) {
			/* the time record, the seek table, or a skippable frame
			 * of a later version */
			if (r->data_size - off - 8 < payload) {
				capfile_r_set_damage(r, off, "skippable frame cut short");
				break;
			}
			timerec = r->n == 1 && off == r->good_end &&
				  time_rec_size(r->fd, r->data_size, off);
			if (timerec)
				r->good_end = off + 8 + (uint64_t)payload;
			/* a flow record belongs to the index record after it */
			flow = timerec ? 0 : flow + 8 + (uint64_t)payload;
			off += 8 + (uint64_t)payload;
			continue;
		}
		if (r->data_size - off < CAPINDEX_REC_SIZE ||
		    fileio_pread(r->fd, rec, sizeof(rec), off)) {
			capfile_r_set_damage(r, off, "file ends inside an index record");
			break;
		}
		if (capindex_get_record(rec, sizeof(rec), &e)) {
			capfile_r_set_damage(r, off, "index record damaged (bad CRC or tag)");
			break;
		}
		if (r->n == 0 && (e.offset != 0 || e.csize != z0)) {
			capfile_r_set_damage(r, off, "header record does not match the header frame");
			break;
		}
		if (e.seq == r->n && e.offset == expect && e.offset + e.csize > r->data_size) {
			capfile_r_set_damage(r, e.offset, "frame %u cut short: file ends %llu bytes into its %u",
					     e.seq, (unsigned long long)(r->data_size - e.offset),
					     e.csize);
			break;
		}
		if (!entry_fits(r, &e, expect) || e.flow_size != flow) {
			capfile_r_set_damage(r, off, "index record does not match the file");
			break;
		}
		err = add_entry(r, &e);
		if (err)
			return err;
		r->good_end = r->n == 1 ? off + CAPINDEX_REC_SIZE : e.offset + e.csize;
		off = r->good_end;
		flow = 0;
	}
	return 0;
}

/* Scan of a plain file's sidecar: R0 R1 ... (then the seek table). */
static int scan_plain(struct capfile_r *r)
{
	uint8_t rec[CAPINDEX_REC_SIZE];
	struct capindex_entry e;
	uint64_t off = 0, data_end = 0, flow = 0;
	uint32_t payload;
	int err;

	while (off < r->idx_size) {
		if (r->idx_size - off < 8 || fileio_pread(r->idx_fd, rec, 8, off)) {
			capfile_r_set_damage(r, off, "sidecar ends inside an index record");
			break;
		}
		if (!capindex_skippable(rec, &payload)) {
			capfile_r_set_damage(r, off, "sidecar: no index record where one should be");
			break;
		}
		if (payload != CAPINDEX_REC_PAYLOAD) {
			uint64_t t = r->n == 1 && !flow ?
				     time_rec_size(r->idx_fd, r->idx_size, off) : 0;
			uint8_t tag[4];

			if (t) {
				off += t;
				r->idx_good_end = off;
				continue;
			}
			if (r->idx_size - off < 12 || fileio_pread(r->idx_fd, tag, 4, off + 8) ||
			    capindex_is_table(tag))
				break;  /* the seek table (or a cut one) */
			if (r->idx_size - off - 8 < payload) {
				capfile_r_set_damage(r, off, "sidecar: flow record cut short");
				break;
			}
			/* a flow record: it belongs to the index record after it */
			flow += 8 + (uint64_t)payload;
			off += 8 + (uint64_t)payload;
			continue;
		}
		if (r->idx_size - off < CAPINDEX_REC_SIZE ||
		    fileio_pread(r->idx_fd, rec, sizeof(rec), off) ||
		    capindex_get_record(rec, sizeof(rec), &e)) {
			capfile_r_set_damage(r, off, "sidecar: index record damaged or cut");
			break;
		}
		if (!entry_fits(r, &e, data_end) || e.flow_size != flow) {
			capfile_r_set_damage(r, e.offset, "frame %u %s", e.seq,
				     e.offset + e.csize > r->data_size ? "cut short" :
				     "does not match its index record");
			break;
		}
		err = add_entry(r, &e);
		if (err)
			return err;
		flow = 0;
		off += CAPINDEX_REC_SIZE;
		data_end = e.offset + e.csize;
		r->good_end = data_end;
		r->idx_good_end = off;
	}
	return 0;
}

/* A closed file's seek table, checked against the file. */
static int load_table(struct capfile_r *r)
{
	int fd = r->plain ? r->idx_fd : r->fd;
	uint64_t size = r->plain ? r->idx_size : r->data_size, tsize;
	uint8_t trailer[CAPINDEX_TRAILER_SIZE];
	struct capindex_entry *e = NULL;
	uint8_t *buf = NULL;
	uint64_t expect = 0;
	size_t n = 0;
	int err = -EBADMSG;

	if (size < CAPINDEX_TRAILER_SIZE ||
	    fileio_pread(fd, trailer, sizeof(trailer), size - sizeof(trailer)) ||
	    capindex_get_trailer(trailer, &tsize) || tsize > size)
		return -EBADMSG;
	buf = malloc(tsize);
	if (!buf)
		return -ENOMEM;
	if (fileio_pread(fd, buf, tsize, size - tsize) ||
	    capindex_get_table(buf, tsize, &e, &n) || n == 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (i == 1 && !r->plain)
			expect = e[0].csize + CAPINDEX_REC_SIZE * 2 +
				 time_rec_size(r->fd, size, e[0].csize + CAPINDEX_REC_SIZE);
		if (i > 0 && !r->plain)
			expect += e[i].flow_size;
		if (!entry_fits(r, &e[i], expect))
			goto out;
		err = add_entry(r, &e[i]);
		if (err)
			goto out;
		err = -EBADMSG;
		expect = e[i].offset + e[i].csize + (r->plain ? 0 : CAPINDEX_REC_SIZE);
	}
	r->good_end = r->plain ? e[n - 1].offset + e[n - 1].csize : size - tsize;
	r->idx_good_end = r->plain ? size - tsize : 0;
	err = 0;
out:
	if (err)
		r->n = 0;
	free(e);
	free(buf);
	return err;
}

static int load_header(struct capfile_r *r)
{
	struct pcapng_block blk;
	size_t off = 0;
	int err;

	if (r->n == 0)
		return -EBADMSG;
	err = capfile_r_frame(r, 0, &r->hdr);
	if (err)
		return err;
	if (pcapng_next_block(r->hdr.data, r->hdr.len, &off, &blk) != 1 ||
	    blk.type != PCAPNG_BT_SHB || pcapng_check_shb(&blk))
		return -EBADMSG;
	while (r->nidb < CAPFILE_R_MAX_IDB &&
	       pcapng_next_block(r->hdr.data, r->hdr.len, &off, &blk) == 1) {
		struct capfile_r_idb *i = &r->idbs[r->nidb];

		if (blk.type != PCAPNG_BT_IDB)
			continue;
		i->store = malloc(blk.body_len + 8);
		if (!i->store)
			return -ENOMEM;
		if (pcapng_parse_idb(&blk, &i->idb, i->store, blk.body_len + 8)) {
			free(i->store);
			i->store = NULL;
			return -EBADMSG;
		}
		i->block = r->hdr.data + off - blk.len;
		i->len = blk.len;
		r->nidb++;
	}
	return r->nidb ? 0 : -EBADMSG;
}

static int open_files(struct capfile_r *r, const char *path, char *err, size_t errlen)
{
	char base[4096];
	struct stat st;
	size_t blen;

	r->path = strdup(path);
	if (!r->path)
		return -ENOMEM;
	snprintf(base, sizeof(base), "%s", path);
	r->partial = capfile_strip_suffix(base, CAPFILE_PART_SUFFIX);
	if (has_suffix(base, ".pcapng"))
		r->plain = true;
	else if (!has_suffix(base, ".pcapng.zst")) {
		snprintf(err, errlen, "%s: not a store file name (*.pcapng.zst or *.pcapng)", path);
		return -EINVAL;
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0 || fstat(r->fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	r->data_size = (uint64_t)st.st_size;
	if (r->plain) {
		blen = strlen(base);
		snprintf(base + blen, sizeof(base) - blen, "%s%s", CAPFILE_IDX_SUFFIX,
			 r->partial ? CAPFILE_PART_SUFFIX : "");
		r->idx_fd = open(base, O_RDONLY | O_CLOEXEC);
		if (r->idx_fd < 0 && errno == ENOENT && r->partial) {
			/* the writer renames the sidecar first: it may have died
			 * between the two renames */
			base[blen + strlen(CAPFILE_IDX_SUFFIX)] = 0;
			r->idx_fd = open(base, O_RDONLY | O_CLOEXEC);
		}
		if (r->idx_fd < 0 || fstat(r->idx_fd, &st) < 0) {
			snprintf(err, errlen, "%s: index sidecar %s: %s", path, base,
				 strerror(errno));
			return -errno;
		}
		r->idx_path = strdup(base);
		if (!r->idx_path)
			return -ENOMEM;
		r->idx_size = (uint64_t)st.st_size;
	}
	return 0;
}

struct capfile_r *capfile_r_open(const char *path, char *err, size_t errlen)
{
	struct capfile_r *r = calloc(1, sizeof(*r));
	int e = ENOMEM;

	snprintf(err, errlen, "%s: out of memory", path);
	if (!r)
		goto out;
	r->fd = r->idx_fd = -1;
	r->dctx = ZSTD_createDCtx();
	if (!r->dctx)
		goto fail;
	e = -open_files(r, path, err, errlen);
	if (e)
		goto fail;
	if (r->partial) {
		/* a live writer holds an exclusive lock for the file's whole life */
		if (flock(r->fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
			r->state = CAPFILE_WRITING;
		else
			r->state = CAPFILE_TORN;
		flock(r->fd, LOCK_UN);
	} else {
		r->state = CAPFILE_COMPLETE;
		e = -load_table(r);
		if (e == ENOMEM)
			goto fail;
		if (e) {
			r->state = CAPFILE_TORN;
			capfile_r_set_damage(r, r->plain ? r->idx_size : r->data_size,
					     "no valid seek table at the end");
		}
	}
	if (r->state != CAPFILE_COMPLETE) {
		char keep[sizeof(r->damage)];

		/* the scan reports where it stopped; that is the damage to show */
		memcpy(keep, r->damage, sizeof(keep));
		r->damage[0] = 0;
		e = -(r->plain ? scan_plain(r) : scan_zst(r));
		if (e)
			goto fail;
		if (!r->damage[0] && r->state == CAPFILE_TORN)
			memcpy(r->damage, keep, sizeof(keep));
		/* a live writer's unfinished tail is not damage */
		if (r->state == CAPFILE_WRITING)
			r->damage[0] = 0;
	}
	if (r->n)
		r->time_size = r->plain ? time_rec_size(r->idx_fd, r->idx_size, CAPINDEX_REC_SIZE) :
			       time_rec_size(r->fd, r->data_size,
					     r->ents[0].csize + CAPINDEX_REC_SIZE);
	if (r->plain && r->n) {
		/* sidecar: R0 [TI] {[Fk] Rk}: where each record is */
		r->recs = malloc(r->n * sizeof(*r->recs));
		if (!r->recs) {
			e = ENOMEM;
			goto fail;
		}
		r->recs[0] = 0;
		for (size_t i = 1; i < r->n; i++)
			r->recs[i] = r->recs[i - 1] + CAPINDEX_REC_SIZE + r->ents[i].flow_size +
				     (i == 1 ? r->time_size : 0);
	}
	e = -load_header(r);
	if (e) {
		snprintf(err, errlen, "%s: %s", path, e == ENOMEM ? "out of memory" :
			 r->damage[0] ? r->damage : "header frame (SHB, IDB) unreadable");
		if (e != ENOMEM)
			e = EBADMSG;
		goto fail;
	}
	err[0] = 0;
	return r;
fail:
	capfile_r_close(r);
out:
	errno = e;
	return NULL;
}

void capfile_r_close(struct capfile_r *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->idx_fd >= 0)
		close(r->idx_fd);
	for (size_t i = 0; i < r->nidb; i++)
		free(r->idbs[i].store);
	ZSTD_freeDCtx(r->dctx);
	obuf_free(&r->hdr);
	obuf_free(&r->cbuf);
	free(r->ents);
	free(r->recs);
	free(r->path);
	free(r->idx_path);
	free(r);
}

/* Frames without zstd's checksum carry a CRC-32 in their record. */
static int check_ucrc(struct capfile_r *r, size_t i, const struct obuf *out)
{
	const struct capindex_entry *e = &r->ents[i];

	if (!(e->flags & CAPINDEX_F_UCRC) ||
	    (uint32_t)crc32(crc32(0L, Z_NULL, 0), out->data, (uInt)out->len) == e->ucrc)
		return 0;
	snprintf(r->errbuf, sizeof(r->errbuf), "frame %zu at offset %llu: content does not "
		 "match the CRC-32 in its index record", i, (unsigned long long)e->offset);
	return -EBADMSG;
}

int capfile_r_frame(struct capfile_r *r, size_t i, struct obuf *out)
{
	const struct capindex_entry *e;
	unsigned long long bound;
	size_t got;
	int err;

	if (i >= r->n)
		return -EINVAL;
	e = &r->ents[i];
	obuf_reset(out);
	/* usize is only what the index record says: nothing is allocated for
	 * it before the frame on disk (csize bytes, which lie in the file) is
	 * known to be able to hold that much */
	if (r->plain || e->level == COMP_LEVEL_PLAIN) {
		err = e->csize != e->usize ? -ENODATA :
		      obuf_reserve(out, e->usize ? e->usize : 1) ? -ENOMEM :
		      fileio_pread(r->fd, out->data, e->csize, e->offset);
		if (err == -ENOMEM)
			return err;
		if (err) {
			snprintf(r->errbuf, sizeof(r->errbuf), "frame %zu at offset %llu: %s", i,
				 (unsigned long long)e->offset, err == -ENODATA ?
				 "shorter than its index record says" : strerror(-err));
			return err == -ENODATA ? -EBADMSG : -EIO;
		}
		out->len = e->csize;
		return check_ucrc(r, i, out);
	}
	obuf_reset(&r->cbuf);
	if (obuf_reserve(&r->cbuf, e->csize ? e->csize : 1))
		return -ENOMEM;
	err = fileio_pread(r->fd, r->cbuf.data, e->csize, e->offset);
	if (err) {
		snprintf(r->errbuf, sizeof(r->errbuf), "frame %zu at offset %llu: read: %s",
			 i, (unsigned long long)e->offset, strerror(-err));
		return err == -ENODATA ? -EBADMSG : -EIO;
	}
	bound = ZSTD_decompressBound(r->cbuf.data, e->csize);
	if (bound == ZSTD_CONTENTSIZE_ERROR || e->usize > bound) {
		snprintf(r->errbuf, sizeof(r->errbuf), "frame %zu at offset %llu: %s", i,
			 (unsigned long long)e->offset, bound == ZSTD_CONTENTSIZE_ERROR ?
			 "not a whole zstd frame" : "decodes to less than its index record says");
		return -EBADMSG;
	}
	if (obuf_reserve(out, e->usize ? e->usize : 1))
		return -ENOMEM;
	got = ZSTD_decompressDCtx(r->dctx, out->data, e->usize, r->cbuf.data, e->csize);
	if (ZSTD_isError(got) || got != e->usize) {
		snprintf(r->errbuf, sizeof(r->errbuf), "frame %zu at offset %llu: %s", i,
			 (unsigned long long)e->offset,
			 ZSTD_isError(got) ? ZSTD_getErrorName(got) : "decoded size differs from the index");
		return -EBADMSG;
	}
	out->len = got;
	return check_ucrc(r, i, out);
}

uint64_t capfile_r_record_at(const struct capfile_r *r, size_t i)
{
	if (r->plain)
		return r->recs[i];
	return i == 0 ? r->ents[0].csize : r->ents[i].offset - CAPINDEX_REC_SIZE;
}

int capfile_r_flowsum(struct capfile_r *r, size_t i, struct obuf *buf)
{
	const struct capindex_entry *e;
	const uint8_t *sum;
	uint8_t *rec;
	size_t len;
	int err;

	if (i >= r->n)
		return -EINVAL;
	e = &r->ents[i];
	if (!e->flow_size)
		return -ENOENT;
	/* a damaged entry may put the flow record before the file's start */
	if (capfile_r_record_at(r, i) < e->flow_size)
		return -EBADMSG;
	rec = malloc(e->flow_size);
	if (!rec)
		return -ENOMEM;
	err = fileio_pread(r->plain ? r->idx_fd : r->fd, rec, e->flow_size,
			   capfile_r_record_at(r, i) - e->flow_size);
	if (err)
		err = err == -ENODATA ? -EBADMSG : -EIO;
	if (!err)
		err = capindex_get_flow(rec, e->flow_size, &sum, &len);
	if (!err) {
		obuf_reset(buf);
		err = obuf_append(buf, sum, len);
	}
	free(rec);
	return err;
}

int capfile_r_check_record(struct capfile_r *r, size_t i)
{
	const struct capindex_entry *e;
	struct capindex_entry got;
	uint8_t rec[CAPINDEX_REC_SIZE];
	uint64_t at;
	int fd;

	if (i >= r->n)
		return -EINVAL;
	e = &r->ents[i];
	/* where capfile_w put it: after frame 0, before every later frame, or
	 * in order in the sidecar */
	fd = r->plain ? r->idx_fd : r->fd;
	at = capfile_r_record_at(r, i);
	if (fileio_pread(fd, rec, sizeof(rec), at) ||
	    capindex_get_record(rec, sizeof(rec), &got)) {
		snprintf(r->errbuf, sizeof(r->errbuf), "index record of frame %zu at %s offset "
			 "%llu: damaged (bad CRC or tag)", i, r->plain ? "sidecar" : "file",
			 (unsigned long long)at);
		return -EBADMSG;
	}
	if (!capindex_entry_equal(&got, e)) {
		snprintf(r->errbuf, sizeof(r->errbuf), "index record of frame %zu at %s offset "
			 "%llu differs from the seek table", i, r->plain ? "sidecar" : "file",
			 (unsigned long long)at);
		return -EBADMSG;
	}
	return 0;
}

enum capfile_state capfile_r_state(const struct capfile_r *r) { return r->state; }
bool capfile_r_plain(const struct capfile_r *r) { return r->plain; }
size_t capfile_r_nframes(const struct capfile_r *r) { return r->n; }
size_t capfile_r_nidb(const struct capfile_r *r) { return r->nidb; }
const char *capfile_r_path(const struct capfile_r *r) { return r->path; }
uint64_t capfile_r_good_end(const struct capfile_r *r) { return r->good_end; }
uint64_t capfile_r_disk_size(const struct capfile_r *r) { return r->data_size + r->idx_size; }

const struct capindex_entry *capfile_r_entry(const struct capfile_r *r, size_t i)
{
	return i < r->n ? &r->ents[i] : NULL;
}

const struct pcapng_idb *capfile_r_idb(const struct capfile_r *r, size_t i)
{
	return i < r->nidb ? &r->idbs[i].idb : NULL;
}

const uint8_t *capfile_r_idb_block(const struct capfile_r *r, size_t i, size_t *len)
{
	if (i >= r->nidb)
		return NULL;
	*len = r->idbs[i].len;
	return r->idbs[i].block;
}

const char *capfile_r_damage(const struct capfile_r *r)
{
	return r->damage[0] ? r->damage : NULL;
}

const char *capfile_r_error(const struct capfile_r *r)
{
	return r->errbuf;
}

int capfile_r_timeinfo(struct capfile_r *r, char *text, size_t textcap)
{
	int fd = r->plain ? r->idx_fd : r->fd;
	uint64_t size = r->plain ? r->idx_size : r->data_size, at, len;
	uint8_t *buf;
	size_t got;
	int err;

	if (r->n == 0 || !r->time_size)
		return -ENOENT;
	at = r->plain ? CAPINDEX_REC_SIZE : r->ents[0].csize + CAPINDEX_REC_SIZE;
	len = r->time_size;
	(void)size;
	if (len > capindex_time_size(CAPINDEX_TIME_MAX))
		return -EBADMSG;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	err = fileio_pread(fd, buf, len, at) ? -EIO :
	      capindex_get_time(buf, len, text, textcap, &got);
	free(buf);
	return err == -ENODATA ? -EBADMSG : err;
}
