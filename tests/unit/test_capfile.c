/* Unit tests for one store file (writer/capfile_w.c, capfile_r.c,
 * capfile_fix.c): files written with known packets and read back exactly
 * (index entries, decoded frames, interfaces, layout on disk), compressed
 * and plain; files torn at every offset, opened and repaired; live and
 * dead writers; a write error; damaged frames and records; garbage and
 * crafted files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"
#include <zlib.h>
#include <zstd.h>

#include "batch.h"
#include "capfile.h"
#include "capindex.h"
#include "comp.h"
#include "obuf.h"
#include "pcapng.h"

#define REC CAPINDEX_REC_SIZE
#define BASE_TS 1700000000000000000ull
#define ZST_NAME "20231114T221320.000000000Z_eth0_q0.pcapng.zst"
#define PLAIN_NAME "20231114T221320.000000000Z_eth0_q0.pcapng"

/* Durability is not what these tests check, and each of the thousands of
 * closes and repairs would wait for the disk: fsync(2) is counted here
 * instead of done (this definition takes the place of libc's for the
 * library objects linked into this program). */
static unsigned long fsync_calls;

int fsync(int fd)
{
	struct stat sb;

	fsync_calls++;
	return fstat(fd, &sb);   /* EBADF for a bad descriptor, like the real one */
}

/* ---- randomness, files ---- */

static uint64_t rng_state;

static void seed(uint64_t s)
{
	rng_state = s * 0x9E3779B97F4A7C15ull + 1;
}

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static char *g_root;

/* A fresh directory under g_root (removed by the group teardown). */
static char *make_dir(void)
{
	char *p;

	assert_true(asprintf(&p, "%s/d.XXXXXX", g_root) > 0);
	assert_non_null(mkdtemp(p));
	return p;
}

static char *join(const char *dir, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static char *cat(const char *a, const char *b)
{
	char *p;

	assert_true(asprintf(&p, "%s%s", a, b) > 0);
	return p;
}

static void put_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	const uint8_t *p = data;

	assert_true(fd >= 0);
	assert_true(len < (64u << 20));
	while (len) {
		ssize_t n = write(fd, p, len);

		assert_true(n > 0);
		p += n;
		len -= (size_t)n;
	}
	close(fd);
}

static uint8_t *get_file(const char *path, size_t *len)
{
	struct stat sb;
	uint8_t *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	buf = malloc(sb.st_size ? (size_t)sb.st_size : 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*len = (size_t)sb.st_size;
	return buf;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static long long file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* ---- what a test file holds ---- */

struct pkt {
	uint32_t ifid;
	uint64_t ts;
	uint32_t caplen, origlen, flags;
	int32_t queue;
	uint8_t *data;
};

struct fexp {
	uint32_t flags;
	int level;
	size_t first, npkts;    /* packets [first, first + npkts) */
	uint32_t nfeeds;        /* non-empty feeds: raw blocks of a stored frame */
	uint64_t bytes, capbytes, ts_first, ts_last, ts_min, ts_max;
	struct obuf exp;        /* the pcapng bytes the frame must decode to */
};

struct spec {
	bool plain;
	size_t nframes;         /* data frames */
	const int *levels;      /* per data frame, cycled */
	size_t nlevels;
	unsigned max_batches, max_pkts;
	uint32_t max_caplen;
	bool empty_frame;       /* one data frame of an empty batch only */
	size_t nisb;            /* 0: no stats frame */
	uint64_t seed;
	bool mid_stats;         /* an ISB frame (capfile_w_stats) after every third frame */
};

struct cfile {
	bool plain;
	char *dir, *path;       /* final path */
	struct pkt *pkts;
	size_t npkts, cap;
	struct fexp *fr;        /* header, data frames, stats */
	size_t nfr;
	struct capindex_entry *ents;   /* read back from the complete file */
	uint8_t *data, *idx;    /* the complete file(s) */
	size_t size, idx_size;
};

static const struct pcapng_idb idbs[2] = {
	{ .linktype = 1, .snaplen = 262144, .tsresol = 9, .name = "eth0",
	  .description = "test NIC", .filter = "tcp port 80" },
	{ .linktype = 101, .snaplen = 65535, .tsresol = 9, .name = "any" },
};

static void make_isbs(struct pcapng_isb *isb, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		pcapng_isb_init(&isb[i], (uint32_t)(i % 2));
		isb[i].ts = BASE_TS + 999;
		isb[i].starttime = BASE_TS - 5;
		isb[i].endtime = BASE_TS + 999;
		isb[i].ifrecv = 1000 + i;
		isb[i].ifdrop = 7 * i;
		isb[i].usrdeliv = 990 + i;
		isb[i].comment = "counters";
	}
}

static void new_pkt(struct cfile *c, uint32_t max_caplen)
{
	struct pkt *p;
	size_t idx = c->npkts;

	if (c->npkts == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->pkts = realloc(c->pkts, c->cap * sizeof(*c->pkts));
		assert_non_null(c->pkts);
	}
	p = &c->pkts[c->npkts++];
	p->ifid = (uint32_t)(rnd() % 2);
	/* not in order: ts_min and ts_max differ from first and last */
	p->ts = BASE_TS + idx * 1000 + rnd() % 1700;
	p->caplen = (uint32_t)(rnd() % (max_caplen + 1));
	p->origlen = p->caplen + (rnd() % 4 == 0 ? (uint32_t)(rnd() % 3000) : 0);
	p->flags = rnd() % 3 == 0 ? (uint32_t)(1 + rnd() % 2) : 0;
	p->queue = rnd() % 3 == 0 ? -1 : (int32_t)(rnd() % 16);
	p->data = malloc(p->caplen ? p->caplen : 1);
	assert_non_null(p->data);
	if (idx % 3 == 0) {
		for (uint32_t i = 0; i < p->caplen; i++)
			p->data[i] = (uint8_t)rnd();
	} else {
		for (uint32_t i = 0; i < p->caplen; i++)
			p->data[i] = (uint8_t)("0123456789abcdefXYZ"[(i + idx) % 19]);
	}
}

static size_t put_epb_of(const struct pkt *p, uint8_t *dst, size_t cap)
{
	struct pcapng_epb e = {
		.ifid = p->ifid, .ts = p->ts, .caplen = p->caplen, .origlen = p->origlen,
		.data = p->data, .flags = p->flags, .queue = p->queue,
	};

	return pcapng_put_epb(dst, cap, &e);
}

static void fexp_add_pkt(struct fexp *f, const struct pkt *p)
{
	uint8_t buf[70000];
	size_t n = put_epb_of(p, buf, sizeof(buf));

	assert_true(n > 0);
	assert_int_equal(obuf_append(&f->exp, buf, n), 0);
	if (!f->npkts) {
		f->ts_first = f->ts_min = f->ts_max = p->ts;
	}
	f->ts_last = p->ts;
	f->ts_min = p->ts < f->ts_min ? p->ts : f->ts_min;
	f->ts_max = p->ts > f->ts_max ? p->ts : f->ts_max;
	f->npkts++;
	f->bytes += p->origlen;
	f->capbytes += p->caplen;
}

static void cfile_free(struct cfile *c)
{
	for (size_t i = 0; i < c->npkts; i++)
		free(c->pkts[i].data);
	for (size_t i = 0; i < c->nfr; i++)
		obuf_free(&c->fr[i].exp);
	free(c->pkts);
	free(c->fr);
	free(c->ents);
	free(c->data);
	free(c->idx);
	free(c->path);
	free(c->dir);
	memset(c, 0, sizeof(*c));
}

/* Writes a file from spec s into a new directory; fills the expectation. */
static void cfile_write(struct cfile *c, const struct spec *s)
{
	struct capfile_w_opts o = {
		.plain = s->plain,
		.shb_hardware = "test hw", .shb_os = "Linux", .shb_userappl = "test_capfile",
		.idbs = idbs, .nidb = 2,
	};
	struct batch_pool *pool = batch_pool_create(2, 65536);
	struct pcapng_isb isb[4];
	struct capfile_w *w;
	uint8_t buf[4096];
	uint64_t lost = 0, bytes_in = 0;
	size_t n;

	assert_non_null(pool);
	memset(c, 0, sizeof(*c));
	seed(s->seed);
	c->plain = s->plain;
	c->dir = make_dir();
	c->path = join(c->dir, s->plain ? PLAIN_NAME : ZST_NAME);
	c->fr = calloc(s->nframes * 2 + 2, sizeof(*c->fr));
	assert_non_null(c->fr);
	o.path = c->path;
	w = capfile_w_create(&o);
	if (!w)
		fail_msg("capfile_w_create: %s", strerror(errno));
	{
		char *part = cat(c->path, ".part");

		assert_string_equal(capfile_w_path(w), part);
		free(part);
	}
	assert_true(exists(capfile_w_path(w)));
	assert_false(exists(c->path));
	assert_int_equal(capfile_w_pending(w), 0);
	/* the header frame: SHB and IDBs */
	c->fr[0].flags = CAPINDEX_F_HEADER;
	c->fr[0].level = s->plain ? COMP_LEVEL_PLAIN : 3;
	c->fr[0].flags |= s->plain ? CAPINDEX_F_UCRC : 0;
	n = pcapng_put_shb(buf, sizeof(buf), o.shb_hardware, o.shb_os, o.shb_userappl, NULL);
	assert_true(n > 0);
	assert_int_equal(obuf_append(&c->fr[0].exp, buf, n), 0);
	for (size_t i = 0; i < 2; i++) {
		n = pcapng_put_idb(buf, sizeof(buf), &idbs[i]);
		assert_true(n > 0);
		assert_int_equal(obuf_append(&c->fr[0].exp, buf, n), 0);
	}
	c->nfr = 1;
	for (size_t f = 0; f < s->nframes; f++) {
		struct fexp *fe = &c->fr[c->nfr++];
		int level = s->levels[f % s->nlevels];
		unsigned nb = 1 + (unsigned)(rnd() % s->max_batches);

		fe->level = s->plain ? COMP_LEVEL_PLAIN : level;
		/* frames without zstd's checksum carry a CRC of their own */
		if (fe->level == COMP_LEVEL_STORED || fe->level == COMP_LEVEL_PLAIN)
			fe->flags |= CAPINDEX_F_UCRC;
		fe->first = c->npkts;
		if (s->empty_frame && f == s->nframes / 2)
			nb = 1;
		for (unsigned b = 0; b < nb; b++) {
			struct batch *bt = batch_pool_get_free(pool);
			unsigned np = 1 + (unsigned)(rnd() % s->max_pkts);

			assert_non_null(bt);
			assert_int_equal(bt->len, 0);
			if (s->empty_frame && f == s->nframes / 2)
				np = 0;
			for (unsigned k = 0; k < np; k++) {
				new_pkt(c, s->max_caplen);
				assert_true(batch_add(bt, c->pkts[c->npkts - 1].ifid,
						      c->pkts[c->npkts - 1].ts,
						      c->pkts[c->npkts - 1].data,
						      c->pkts[c->npkts - 1].caplen,
						      c->pkts[c->npkts - 1].origlen,
						      c->pkts[c->npkts - 1].flags,
						      c->pkts[c->npkts - 1].queue));
				fexp_add_pkt(fe, &c->pkts[c->npkts - 1]);
			}
			assert_int_equal(capfile_w_feed(w, bt, level), 0);
			fe->nfeeds += bt->len > 0;
			assert_int_equal(capfile_w_pending(w), fe->exp.len);
			batch_pool_put_free(pool, bt);
		}
		assert_int_equal(capfile_w_flush(w, &lost), 0);
		assert_int_equal(capfile_w_pending(w), 0);
		assert_true(lost == 0);
		if (s->mid_stats && f % 3 == 2) {
			struct fexp *st = &c->fr[c->nfr++];

			make_isbs(isb, 1);
			st->flags = CAPINDEX_F_STATS | (s->plain ? CAPINDEX_F_UCRC : 0);
			st->level = s->plain ? COMP_LEVEL_PLAIN : 3;
			n = pcapng_put_isb(buf, sizeof(buf), &isb[0]);
			assert_int_equal(obuf_append(&st->exp, buf, n), 0);
			assert_int_equal(capfile_w_stats(w, isb, 1, &lost), 0);
		}
	}
	/* a flush with no open frame does nothing */
	assert_int_equal(capfile_w_flush(w, &lost), 0);
	make_isbs(isb, s->nisb);
	if (s->nisb) {
		struct fexp *fe = &c->fr[c->nfr++];

		fe->flags = CAPINDEX_F_STATS | (s->plain ? CAPINDEX_F_UCRC : 0);
		fe->level = s->plain ? COMP_LEVEL_PLAIN : 3;
		for (size_t i = 0; i < s->nisb; i++) {
			n = pcapng_put_isb(buf, sizeof(buf), &isb[i]);
			assert_true(n > 0);
			assert_int_equal(obuf_append(&fe->exp, buf, n), 0);
		}
	}
	for (size_t i = 0; i < c->nfr; i++)
		bytes_in += c->fr[i].exp.len;
	n = fsync_calls;
	assert_int_equal(capfile_w_close(w, isb, s->nisb, &lost), 0);
	/* the file (and sidecar) and the directory */
	assert_true(fsync_calls >= n + (s->plain ? 3 : 2));
	assert_true(lost == 0);
	assert_true(capfile_w_bytes_in(w) == bytes_in);
	c->data = get_file(c->path, &c->size);
	if (s->plain) {
		char *idx = cat(c->path, ".idx");

		c->idx = get_file(idx, &c->idx_size);
		free(idx);
	}
	assert_true(capfile_w_size(w) == c->size + c->idx_size);
	capfile_w_destroy(w);
	batch_pool_destroy(pool);
}

/* ---- checking what a reader gives ---- */

/* Every EPB of a decoded data frame is the packet that was written. */
static void check_epbs(const struct cfile *c, const struct fexp *f, const struct obuf *dec)
{
	struct pcapng_block blk;
	struct pcapng_epb epb;
	size_t off = 0, n = 0;
	int r;

	while ((r = pcapng_next_block(dec->data, dec->len, &off, &blk)) == 1) {
		const struct pkt *p = &c->pkts[f->first + n];

		assert_true(n < f->npkts);
		assert_int_equal(blk.type, PCAPNG_BT_EPB);
		assert_int_equal(pcapng_parse_epb(&blk, &epb), 0);
		assert_int_equal(epb.ifid, p->ifid);
		assert_true(epb.ts == p->ts);
		assert_int_equal(epb.caplen, p->caplen);
		assert_int_equal(epb.origlen, p->origlen);
		assert_int_equal(epb.flags, p->flags);
		assert_int_equal(epb.queue, p->queue);
		if (p->caplen)
			assert_memory_equal(epb.data, p->data, p->caplen);
		n++;
	}
	assert_int_equal(r, 0);
	assert_int_equal(n, f->npkts);
}

/* Frame i of r decodes to exactly what was written. */
static void check_frame(const struct cfile *c, struct capfile_r *r, size_t i, struct obuf *dec)
{
	const struct fexp *f = &c->fr[i];
	int rc = capfile_r_frame(r, i, dec);

	if (rc)
		fail_msg("frame %zu: %d %s", i, rc, capfile_r_error(r));
	assert_int_equal(dec->len, f->exp.len);
	if (f->exp.len)
		assert_memory_equal(dec->data, f->exp.data, f->exp.len);
	if (!(f->flags & (CAPINDEX_F_HEADER | CAPINDEX_F_STATS)))
		check_epbs(c, f, dec);
}

static void check_idbs(struct capfile_r *r)
{
	uint8_t buf[512];
	size_t len, n;

	assert_int_equal(capfile_r_nidb(r), 2);
	for (size_t i = 0; i < 2; i++) {
		const struct pcapng_idb *idb = capfile_r_idb(r, i);
		const uint8_t *blk;

		assert_non_null(idb);
		assert_int_equal(idb->linktype, idbs[i].linktype);
		assert_int_equal(idb->snaplen, idbs[i].snaplen);
		assert_int_equal(idb->tsresol, 9);
		assert_string_equal(idb->name, idbs[i].name);
		if (idbs[i].description)
			assert_string_equal(idb->description, idbs[i].description);
		else
			assert_null(idb->description);
		if (idbs[i].filter)
			assert_string_equal(idb->filter, idbs[i].filter);
		blk = capfile_r_idb_block(r, i, &len);
		n = pcapng_put_idb(buf, sizeof(buf), &idbs[i]);
		assert_non_null(blk);
		assert_int_equal(len, n);
		assert_memory_equal(blk, buf, n);
	}
	assert_null(capfile_r_idb(r, 2));
	assert_null(capfile_r_idb_block(r, 2, &len));
}

/* The first k frames of r are the first k of c (entries and contents). */
static void check_prefix(const struct cfile *c, struct capfile_r *r, size_t k)
{
	struct obuf dec = { 0 };

	assert_int_equal(capfile_r_nframes(r), k);
	for (size_t i = 0; i < k; i++) {
		assert_non_null(capfile_r_entry(r, i));
		testutil_assert_entry_equal(capfile_r_entry(r, i), &c->ents[i]);
		check_frame(c, r, i, &dec);
		if (capfile_r_check_record(r, i))
			fail_msg("record of frame %zu: %s", i, capfile_r_error(r));
	}
	assert_int_equal(capfile_r_check_record(r, k), -EINVAL);
	assert_null(capfile_r_entry(r, k));
	assert_int_equal(capfile_r_frame(r, k, &dec), -EINVAL);
	check_idbs(r);
	obuf_free(&dec);
}

/* Where frame i ends, its record included (what a cut keeps). */
static uint64_t frame_end(const struct cfile *c, size_t i)
{
	if (!c->plain && i == 0)
		return c->ents[0].csize + REC;
	return c->ents[i].offset + c->ents[i].csize;
}

/* Opens the complete file and checks everything against the expectation,
 * then keeps the entries in c->ents. */
static void check_complete(struct cfile *c)
{
	char err[512];
	struct capfile_r *r = capfile_r_open(c->path, err, sizeof(err));
	struct capindex_entry *e;
	uint8_t *table;
	size_t n = 0;

	if (!r)
		fail_msg("capfile_r_open: %s", err);
	assert_string_equal(err, "");
	assert_int_equal(capfile_r_state(r), CAPFILE_COMPLETE);
	assert_int_equal(capfile_r_plain(r), c->plain);
	assert_null(capfile_r_damage(r));
	assert_string_equal(capfile_r_path(r), c->path);
	assert_int_equal(capfile_r_nframes(r), c->nfr);
	assert_true(capfile_r_disk_size(r) == c->size + c->idx_size);
	c->ents = calloc(c->nfr, sizeof(*c->ents));
	assert_non_null(c->ents);
	for (size_t i = 0; i < c->nfr; i++) {
		const struct fexp *f = &c->fr[i];

		e = &c->ents[i];
		*e = *capfile_r_entry(r, i);
		assert_int_equal(e->seq, i);
		assert_int_equal(e->flags, f->flags);
		assert_int_equal(e->level, f->level);
		assert_int_equal(e->usize, f->exp.len);
		assert_int_equal(e->packets, f->npkts);
		assert_true(e->bytes == f->bytes);
		assert_true(e->capbytes == f->capbytes);
		assert_true(e->ts_first == f->ts_first);
		assert_true(e->ts_last == f->ts_last);
		assert_true(e->ts_min == f->ts_min);
		assert_true(e->ts_max == f->ts_max);
		assert_int_equal(e->clock_state, 0);
		assert_true(e->clock_worst_ns == INT64_MIN);
		if (e->flags & CAPINDEX_F_UCRC)
			assert_int_equal(e->ucrc, (uint32_t)crc32(crc32(0L, Z_NULL, 0), f->exp.data,
								  (uInt)f->exp.len));
		else
			assert_int_equal(e->ucrc, 0);
		/* layout */
		if (c->plain) {
			assert_true(e->offset == (i ? c->ents[i - 1].offset + c->ents[i - 1].csize : 0));
			assert_int_equal(e->csize, e->usize);
		} else {
			uint64_t want = i == 0 ? 0 : i == 1 ? c->ents[0].csize + 2 * REC :
					c->ents[i - 1].offset + c->ents[i - 1].csize + REC;
			struct capindex_entry rec;

			assert_true(e->offset == want);
			assert_int_equal(ZSTD_findFrameCompressedSize(c->data + e->offset,
								      c->size - e->offset), e->csize);
			/* the record next to the frame */
			assert_int_equal(capindex_get_record(c->data + (i ? e->offset - REC : e->csize),
							     REC, &rec), 0);
			testutil_assert_entry_equal(&rec, e);
			if (e->level == COMP_LEVEL_STORED)
				assert_int_equal(e->csize, e->usize + 9 + 3 * f->nfeeds);
		}
	}
	assert_true(capfile_r_good_end(r) == frame_end(c, c->nfr - 1));
	check_prefix(c, r, c->nfr);
	capfile_r_close(r);
	/* the seek table at the end (of the sidecar, plain) */
	if (c->plain) {
		assert_int_equal(c->size, frame_end(c, c->nfr - 1));
		assert_int_equal(c->idx_size, c->nfr * REC + capindex_table_size(c->nfr));
		for (size_t i = 0; i < c->nfr; i++) {
			struct capindex_entry rec;

			assert_int_equal(capindex_get_record(c->idx + i * REC, REC, &rec), 0);
			testutil_assert_entry_equal(&rec, &c->ents[i]);
		}
		table = c->idx + c->nfr * REC;
	} else {
		assert_int_equal(c->size, frame_end(c, c->nfr - 1) + capindex_table_size(c->nfr));
		table = c->data + frame_end(c, c->nfr - 1);
	}
	{
		uint64_t tsize;
		struct capindex_entry *te = NULL;

		assert_int_equal(capindex_get_trailer(table + capindex_table_size(c->nfr) - 16,
						      &tsize), 0);
		assert_true(tsize == capindex_table_size(c->nfr));
		assert_int_equal(capindex_get_table(table, tsize, &te, &n), 0);
		assert_int_equal(n, c->nfr);
		for (size_t i = 0; i < n; i++)
			testutil_assert_entry_equal(&te[i], &c->ents[i]);
		free(te);
	}
	/* no .part left */
	{
		char *part = cat(c->path, ".part"), *ip = cat(c->path, ".idx.part");

		assert_false(exists(part));
		assert_false(exists(ip));
		free(part);
		free(ip);
	}
}

/* ---- write and read ---- */

static const int lv_mixed[] = { 3, COMP_LEVEL_STORED, 3, 3, COMP_LEVEL_STORED, COMP_LEVEL_STORED };

static void test_roundtrip_zst(void **state)
{
	struct spec s = {
		.nframes = 12, .levels = lv_mixed, .nlevels = 6, .max_batches = 3, .max_pkts = 20,
		.max_caplen = 1600, .nisb = 2, .seed = 1, .empty_frame = true,
	};
	struct cfile c;

	(void)state;
	cfile_write(&c, &s);
	check_complete(&c);
	/* the whole file is a zstd stream: it decodes to the pcapng of every frame */
	{
		size_t total = 0, got;
		uint8_t *dec;

		for (size_t i = 0; i < c.nfr; i++)
			total += c.fr[i].exp.len;
		dec = malloc(total + 1);
		assert_non_null(dec);
		got = ZSTD_decompress(dec, total + 1, c.data, c.size);
		assert_false(ZSTD_isError(got));
		assert_int_equal(got, total);
		for (size_t i = 0, off = 0; i < c.nfr; off += c.fr[i].exp.len, i++)
			assert_memory_equal(dec + off, c.fr[i].exp.data, c.fr[i].exp.len);
		free(dec);
	}
	/* capfile_repair leaves a complete file alone */
	{
		char msg[512], *final = NULL;
		size_t len;
		uint8_t *again;

		assert_int_equal(capfile_repair(c.path, &final, msg, sizeof(msg)), 0);
		assert_string_equal(final, c.path);
		assert_non_null(strstr(msg, "nothing to repair"));
		free(final);
		again = get_file(c.path, &len);
		assert_int_equal(len, c.size);
		assert_memory_equal(again, c.data, len);
		free(again);
	}
	cfile_free(&c);
}

/* ISB frames in the middle of a file (the daemon's periodic statistics)
 * are indexed as stats frames and read back like the last one. */
static void test_roundtrip_mid_stats(void **state)
{
	struct spec s = {
		.nframes = 9, .levels = lv_mixed, .nlevels = 6, .max_batches = 2, .max_pkts = 8,
		.max_caplen = 200, .nisb = 1, .seed = 5, .mid_stats = true,
	};
	struct cfile c;

	(void)state;
	cfile_write(&c, &s);
	check_complete(&c);
	cfile_free(&c);
	s.plain = true;
	cfile_write(&c, &s);
	check_complete(&c);
	cfile_free(&c);
}

static void test_roundtrip_levels(void **state)
{
	static const int lv[] = { -7, -1, 1, 3, 19, COMP_LEVEL_STORED, 0, 9 };
	struct spec s = {
		.nframes = 8, .levels = lv, .nlevels = 8, .max_batches = 2, .max_pkts = 10,
		.max_caplen = 300, .nisb = 1, .seed = 2,
	};
	struct cfile c;

	(void)state;
	cfile_write(&c, &s);
	check_complete(&c);
	cfile_free(&c);
}

static void test_roundtrip_plain(void **state)
{
	struct spec s = {
		.plain = true, .nframes = 10, .levels = lv_mixed, .nlevels = 6, .max_batches = 3,
		.max_pkts = 15, .max_caplen = 1600, .nisb = 2, .seed = 3, .empty_frame = true,
	};
	struct cfile c;
	struct obuf all = { 0 };

	(void)state;
	cfile_write(&c, &s);
	check_complete(&c);
	/* the data file is plain pcapng: exactly every frame's bytes */
	for (size_t i = 0; i < c.nfr; i++)
		assert_int_equal(obuf_append(&all, c.fr[i].exp.data, c.fr[i].exp.len), 0);
	assert_int_equal(all.len, c.size);
	assert_memory_equal(all.data, c.data, c.size);
	/* the sidecar is a zstd stream of skippable frames only: empty output */
	{
		uint8_t out[1];

		assert_int_equal(ZSTD_decompress(out, sizeof(out), c.idx, c.idx_size), 0);
	}
	obuf_free(&all);
	cfile_free(&c);
}

/* No data frames; with and without a stats frame. */
static void test_roundtrip_empty(void **state)
{
	static const int lv[] = { 3 };
	struct cfile c;

	(void)state;
	for (int plain = 0; plain < 2; plain++) {
		for (size_t nisb = 0; nisb < 2; nisb++) {
			struct spec s = {
				.plain = plain, .nframes = 0, .levels = lv, .nlevels = 1,
				.max_batches = 1, .max_pkts = 1, .nisb = nisb, .seed = 4,
			};

			cfile_write(&c, &s);
			assert_int_equal(c.nfr, 1 + nisb);
			check_complete(&c);
			cfile_free(&c);
		}
	}
}

/* A second writer for the same name: EEXIST, and the first is untouched. */
static void test_create_exists(void **state)
{
	char *dir = make_dir(), *path = join(dir, ZST_NAME), *part = cat(path, ".part");
	struct capfile_w_opts o = { .path = path, .idbs = idbs, .nidb = 1 };
	struct capfile_w *w, *w2;
	long long size;

	(void)state;
	w = capfile_w_create(&o);
	assert_non_null(w);
	size = file_size(part);
	assert_true(size > 0);
	errno = 0;
	w2 = capfile_w_create(&o);
	assert_null(w2);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(file_size(part), size);
	assert_int_equal(capfile_w_close(w, NULL, 0, NULL), 0);
	capfile_w_destroy(w);
	assert_true(exists(path));
	/* the final name exists now */
	errno = 0;
	w2 = capfile_w_create(&o);
	assert_null(w2);
	assert_int_equal(errno, EEXIST);
	assert_false(exists(part));
	free(part);
	free(path);
	free(dir);
}

/* ---- torn files ---- */

/* Number of whole frames in the first t bytes of the file (data file for
 * plain). */
static size_t frames_within(const struct cfile *c, uint64_t t)
{
	size_t k = 0;

	while (k < c->nfr && frame_end(c, k) <= t)
		k++;
	return k;
}

enum torn_what { TORN_DATA, TORN_IDX };

/* Writes the complete file cut at t (the data file, or for plain the
 * sidecar), under its name or as .part, then opens and repairs it. */
/* Whether a reader of the cut file must report damage: a .part file cut
 * exactly after a frame (or after its whole table) ended cleanly as far as
 * anybody can tell; anything else stops inside something. */
static bool damage_expected(const struct cfile *c, enum torn_what what, size_t t, size_t k)
{
	if (what == TORN_IDX)
		return !(t == k * REC || (k == c->nfr && t >= k * REC + 8));
	if (c->plain)
		return k < c->nfr;
	return !(k > 0 && t == frame_end(c, k - 1)) && t != c->size;
}

/* The cut .part file while somebody holds the writer's lock on it: being
 * written, its tail is no damage, and the repair keeps off. */
static void torn_locked(const struct cfile *c, const char *path, const char *idx, size_t k,
			size_t dsize, size_t isize)
{
	char err[512], msg[1024], *got_final = NULL;
	struct capfile_r *r;
	int lfd = open(path, O_RDONLY | O_CLOEXEC), rc;

	assert_true(lfd >= 0);
	assert_int_equal(flock(lfd, LOCK_EX | LOCK_NB), 0);
	r = capfile_r_open(path, err, sizeof(err));
	if (k == 0) {
		assert_null(r);
	} else {
		if (!r)
			fail_msg("locked cut file: %s", err);
		assert_int_equal(capfile_r_state(r), CAPFILE_WRITING);
		assert_null(capfile_r_damage(r));
		check_prefix(c, r, k);
		capfile_r_close(r);
	}
	msg[0] = 0;
	rc = capfile_repair(path, &got_final, msg, sizeof(msg));
	assert_true(rc < 0);
	if (k)
		assert_int_equal(rc, -EBUSY);
	assert_null(got_final);
	assert_true(msg[0] != 0);
	assert_int_equal(file_size(path), (long long)dsize);
	if (c->plain)
		assert_int_equal(file_size(idx), (long long)isize);
	close(lfd);
}

static void torn_one(const struct cfile *c, enum torn_what what, size_t t, bool part,
		     bool repair)
{
	const char *name = c->plain ? PLAIN_NAME : ZST_NAME;
	char *final = join(c->dir, name), *idx_final = cat(final, ".idx");
	char *path = part ? cat(final, ".part") : strdup(final);
	char *idx = part ? cat(idx_final, ".part") : strdup(idx_final);
	char err[512], msg[1024], *got_final = NULL;
	struct capfile_r *r;
	size_t k, dsize, isize;
	int rc;

	assert_false(exists(final));
	if (what == TORN_DATA) {
		put_file(path, c->data, t);
		if (c->plain)
			put_file(idx, c->idx, c->idx_size);
		k = frames_within(c, t);
		dsize = t;
		isize = c->idx_size;
	} else {
		put_file(path, c->data, c->size);
		put_file(idx, c->idx, t);
		k = t / REC < c->nfr ? t / REC : c->nfr;
		dsize = c->size;
		isize = t;
	}
	if (part && t % 5 == 0)
		torn_locked(c, path, idx, k, dsize, isize);
	errno = 0;
	err[0] = 0;
	r = capfile_r_open(path, err, sizeof(err));
	if (k == 0) {
		if (r)
			fail_msg("cut at %zu: opened with %zu frames", t, capfile_r_nframes(r));
		assert_true(errno != 0);
		assert_non_null(strstr(err, path));
	} else {
		if (!r)
			fail_msg("cut at %zu (%s%s): %s", t, what == TORN_IDX ? "sidecar" : "data",
				 part ? ", .part" : "", err);
		assert_int_equal(capfile_r_state(r), CAPFILE_TORN);
		check_prefix(c, r, k);
		assert_true(capfile_r_good_end(r) == frame_end(c, k - 1));
		assert_true(capfile_r_disk_size(r) == dsize + (c->plain ? isize : 0));
		if (!part)
			assert_non_null(capfile_r_damage(r));
		else if (damage_expected(c, what, t, k) != (capfile_r_damage(r) != NULL))
			fail_msg("cut at %zu (%s, .part): damage '%s'", t,
				 what == TORN_IDX ? "sidecar" : "data",
				 capfile_r_damage(r) ? capfile_r_damage(r) : "(none)");
		capfile_r_close(r);
	}
	if (!repair)
		goto out;
	msg[0] = 0;
	rc = capfile_repair(path, &got_final, msg, sizeof(msg));
	assert_true(msg[0] != 0);
	if (k == 0) {
		assert_true(rc < 0);
		assert_null(got_final);
		/* untouched */
		assert_int_equal(file_size(path), (long long)dsize);
		if (c->plain)
			assert_int_equal(file_size(idx), (long long)isize);
		goto out;
	}
	if (rc)
		fail_msg("repair of a cut at %zu: %d %s", t, rc, msg);
	assert_string_equal(got_final, final);
	free(got_final);
	if (part) {
		assert_false(exists(path));
		assert_false(exists(idx));
	}
	r = capfile_r_open(final, err, sizeof(err));
	if (!r)
		fail_msg("repaired cut at %zu: %s", t, err);
	assert_int_equal(capfile_r_state(r), CAPFILE_COMPLETE);
	assert_null(capfile_r_damage(r));
	check_prefix(c, r, k);
	capfile_r_close(r);
	/* no bigger than needed: the frames kept and a table for them */
	if (c->plain) {
		assert_int_equal(file_size(final), (long long)frame_end(c, k - 1));
		assert_int_equal(file_size(idx_final), (long long)(k * REC + capindex_table_size(k)));
	} else {
		assert_int_equal(file_size(final),
				 (long long)(frame_end(c, k - 1) + capindex_table_size(k)));
	}
	/* all frames kept: the very same bytes as the file closed cleanly */
	if (k == c->nfr) {
		size_t len;
		uint8_t *b = get_file(final, &len);

		assert_int_equal(len, c->size);
		assert_memory_equal(b, c->data, len);
		free(b);
		if (c->plain) {
			b = get_file(idx_final, &len);
			assert_int_equal(len, c->idx_size);
			assert_memory_equal(b, c->idx, len);
			free(b);
		}
	}
out:
	unlink(path);
	unlink(idx);
	unlink(final);
	unlink(idx_final);
	free(path);
	free(idx);
	free(final);
	free(idx_final);
}

/* The original, renamed to .part (a writer that died just before its
 * rename): torn, all frames there; the repair gives back the same bytes. */
static void torn_full_part(const struct cfile *c)
{
	torn_one(c, TORN_DATA, c->size, true, true);
}

static const int lv_small[] = { 3, COMP_LEVEL_STORED };

static void test_torn_zst_every_offset(void **state)
{
	struct spec s = {
		.nframes = 3, .levels = lv_small, .nlevels = 2, .max_batches = 2, .max_pkts = 2,
		.max_caplen = 40, .nisb = 1, .seed = 5,
	};
	struct cfile c;

	(void)state;
	cfile_write(&c, &s);
	check_complete(&c);
	assert_true(c.size < 6000);
	unlink(c.path);
	for (size_t t = 0; t < c.size; t++)
		torn_one(&c, TORN_DATA, t, t % 3 == 1, true);
	torn_full_part(&c);
	cfile_free(&c);
}

static void test_torn_plain_every_offset(void **state)
{
	struct spec s = {
		.plain = true, .nframes = 3, .levels = lv_small, .nlevels = 2, .max_batches = 2,
		.max_pkts = 2, .max_caplen = 40, .nisb = 1, .seed = 6,
	};
	struct cfile c;
	char *idx;

	(void)state;
	cfile_write(&c, &s);
	check_complete(&c);
	assert_true(c.size < 6000);
	idx = cat(c.path, ".idx");
	unlink(c.path);
	unlink(idx);
	free(idx);
	for (size_t t = 0; t < c.size; t++)
		torn_one(&c, TORN_DATA, t, t % 3 == 2, true);
	for (size_t t = 0; t < c.idx_size; t++)
		torn_one(&c, TORN_IDX, t, t % 3 == 0, true);
	torn_full_part(&c);
	cfile_free(&c);
}

static void test_torn_large(void **state)
{
	static const int lv[] = { 3, COMP_LEVEL_STORED, 1, COMP_LEVEL_STORED, -7 };
	struct cfile c;

	(void)state;
	for (int plain = 0; plain < 2; plain++) {
		struct spec s = {
			.plain = plain, .nframes = 16, .levels = lv, .nlevels = 5, .max_batches = 3,
			.max_pkts = 12, .max_caplen = 1500, .nisb = 2, .seed = 7 + (uint64_t)plain,
		};

		cfile_write(&c, &s);
		check_complete(&c);
			assert_true(c.size > 100000);
		unlink(c.path);
		if (plain) {
			char *idx = cat(c.path, ".idx");

			unlink(idx);
			free(idx);
		}
		seed(99 + (uint64_t)plain);
		for (int i = 0; i < (plain ? 150 : 500); i++) {
			/* half anywhere, half near frame boundaries */
			size_t t = (size_t)(rnd() % c.size);

			if (i % 2) {
				size_t f = (size_t)(rnd() % c.nfr);

				t = (size_t)frame_end(&c, f) + (size_t)(rnd() % 9) - 4;
				t = t >= c.size ? c.size - 1 : t;
			}
			torn_one(&c, TORN_DATA, t, i % 4 == 0, i % 3 == 0);
		}
		if (plain)
			for (int i = 0; i < 50; i++)
				torn_one(&c, TORN_IDX, (size_t)(rnd() % c.idx_size), i % 2, true);
		torn_full_part(&c);
		cfile_free(&c);
	}
}

/* A crash can leave a record whose frame has the right length but not the
 * right bytes: the reader lists it, decoding fails, and the repair keeps
 * only the frames before it. */
static void test_torn_zeroed_frame(void **state)
{
	struct spec s = {
		.nframes = 4, .levels = lv_small, .nlevels = 2, .max_batches = 2, .max_pkts = 4,
		.max_caplen = 200, .nisb = 0, .seed = 8,
	};
	struct cfile c;
	char *part, err[512], msg[512], *final = NULL;
	struct capfile_r *r;
	struct obuf dec = { 0 };
	uint8_t *cut;
	size_t end, last = 3;   /* data frame 3 of 4 (entry 3), then frame 4 */

	(void)state;
	cfile_write(&c, &s);
	check_complete(&c);
	unlink(c.path);
	part = cat(c.path, ".part");
	end = frame_end(&c, 4);
	cut = malloc(end);
	assert_non_null(cut);
	memcpy(cut, c.data, end);
	memset(cut + c.ents[last].offset, 0, c.ents[last].csize);
	put_file(part, cut, end);
	r = capfile_r_open(part, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(capfile_r_state(r), CAPFILE_TORN);
	assert_int_equal(capfile_r_nframes(r), 5);
	assert_int_equal(capfile_r_frame(r, last, &dec), -EBADMSG);
	assert_non_null(strstr(capfile_r_error(r), "frame 3"));
	check_frame(&c, r, 4, &dec);
	capfile_r_close(r);
	assert_int_equal(capfile_repair(part, &final, msg, sizeof(msg)), 0);
	assert_string_equal(final, c.path);
	free(final);
	r = capfile_r_open(c.path, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(capfile_r_state(r), CAPFILE_COMPLETE);
	check_prefix(&c, r, last);
	capfile_r_close(r);
	assert_int_equal(file_size(c.path),
			 (long long)(frame_end(&c, last - 1) + capindex_table_size(last)));
	obuf_free(&dec);
	free(cut);
	free(part);
	cfile_free(&c);
}

/* capfile_w_close of a plain file renames the sidecar, then the data file:
 * a writer that dies between the two leaves NAME.pcapng.part beside
 * NAME.pcapng.idx.  That is a torn file like any other: it must open, and
 * the repair must complete it. */
static void test_plain_dead_between_renames(void **state)
{
	static const int lv[] = { 3 };
	struct spec s = {
		.plain = true, .nframes = 3, .levels = lv, .nlevels = 1, .max_batches = 2,
		.max_pkts = 4, .max_caplen = 100, .nisb = 1, .seed = 16,
	};
	struct cfile c;
	char *part, *idx, err[512], msg[1024], *final = NULL;
	struct capfile_r *r;
	int rc;

	(void)state;
	cfile_write(&c, &s);
	check_complete(&c);
	part = cat(c.path, ".part");
	idx = cat(c.path, ".idx");
	assert_int_equal(rename(c.path, part), 0);
	r = capfile_r_open(part, err, sizeof(err));
	if (r) {
		assert_int_equal(capfile_r_nframes(r), c.nfr);
		capfile_r_close(r);
	}
	rc = capfile_repair(part, &final, msg, sizeof(msg));
	if (!r || rc) {
		/* leave the directory as it was for the other checks */
		free(part);
		free(idx);
		free(final);
		cfile_free(&c);
		fail_msg("open: %s; repair: %d %s", r ? "ok" : err, rc, msg);
	}
	assert_string_equal(final, c.path);
	assert_true(exists(idx));
	r = capfile_r_open(c.path, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(capfile_r_state(r), CAPFILE_COMPLETE);
	check_prefix(&c, r, c.nfr);
	capfile_r_close(r);
	free(final);
	free(part);
	free(idx);
	cfile_free(&c);
}

/* ---- child processes ---- */

typedef int (*child_fn)(const char *path);

/* Runs fn(path) in a child that exits with its result; 0 is a pass.  Under
 * ASan a memory error or a leak makes the child exit non-zero.  Returns the
 * wait status, for check_child once the caller has freed what it holds. */
static int in_child(child_fn fn, const char *path)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		exit(fn(path));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void check_child(int status, const char *what)
{
	if (WIFSIGNALED(status))
		fail_msg("%s: child killed by signal %d", what, WTERMSIG(status));
	if (WEXITSTATUS(status))
		fail_msg("%s: child exited with %d", what, WEXITSTATUS(status));
}

/* ---- a write error ---- */

static const uint8_t *werr_pkt(void)
{
	static uint8_t pkt[1500];

	if (!pkt[1])
		for (size_t i = 0; i < sizeof(pkt); i++)
			pkt[i] = (uint8_t)(i * 7919 >> 3 ^ i);
	return pkt;
}

/* In a child (RLIMIT_FSIZE is per process): frame A goes out, frame B hits
 * the file size limit and must be cut back and counted lost, frame C (the
 * limit lifted) and the close work.  Exit codes say which check failed. */
static int write_error_child(const char *path)
{
	struct capfile_w_opts o = { .path = path, .idbs = idbs, .nidb = 2 };
	struct batch_pool *pool = batch_pool_create(1, 65536);
	struct batch *b;
	struct capfile_w *w;
	struct rlimit rl, lim;
	struct pcapng_isb isb;
	uint64_t lost = 0;
	char *part, *idxp;
	long long size, isize = -1;
	int rc;

	o.plain = !strstr(path, ".zst");
	if (!pool || asprintf(&part, "%s.part", path) < 0 || asprintf(&idxp, "%s.idx.part", path) < 0)
		return 10;
	w = capfile_w_create(&o);
	if (!w)
		return 11;
	b = batch_pool_get_free(pool);
	for (int i = 0; i < 3; i++)
		batch_add(b, 0, BASE_TS + (uint64_t)i, werr_pkt(), 100, 100, 0, -1);
	if (capfile_w_feed(w, b, 3) || capfile_w_flush(w, &lost) || lost)
		return 12;
	size = file_size(part);
	if (o.plain)
		isize = file_size(idxp);
	/* B: 30 packets of 1500 random-ish bytes, stored: far past the limit */
	batch_reset(b);
	for (int i = 0; i < 30; i++)
		batch_add(b, 0, BASE_TS + 100 + (uint64_t)i, werr_pkt(), 1500, 1500, 0, -1);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &rl);
	lim = rl;
	lim.rlim_cur = (rlim_t)size + 1000;
	if (setrlimit(RLIMIT_FSIZE, &lim))
		return 13;
	if (capfile_w_feed(w, b, COMP_LEVEL_STORED))
		return 14;
	rc = capfile_w_flush(w, &lost);
	if (rc != -EFBIG)
		return 15;
	if (lost != 30)
		return 16;
	/* cut back: no partial frame */
	if (file_size(part) != size || (o.plain && file_size(idxp) != isize))
		return 17;
	if (capfile_w_pending(w))
		return 18;
	setrlimit(RLIMIT_FSIZE, &rl);
	/* C */
	batch_reset(b);
	for (int i = 0; i < 2; i++)
		batch_add(b, 1, BASE_TS + 200 + (uint64_t)i, werr_pkt(), 60, 64, 0, -1);
	if (capfile_w_feed(w, b, COMP_LEVEL_STORED))
		return 19;
	pcapng_isb_init(&isb, 0);
	isb.ifrecv = 35;
	if (capfile_w_close(w, &isb, 1, &lost) || lost != 30)
		return 20;
	capfile_w_destroy(w);
	batch_pool_put_free(pool, b);
	batch_pool_destroy(pool);
	free(part);
	free(idxp);
	return 0;
}

static void write_error(bool plain)
{
	char *dir = make_dir(), *path = join(dir, plain ? PLAIN_NAME : ZST_NAME);
	char err[512];
	struct capfile_r *r;
	struct obuf dec = { 0 };
	int st = in_child(write_error_child, path);

	check_child(st, plain ? "write error, plain" : "write error");
	r = capfile_r_open(path, err, sizeof(err));
	if (!r)
		fail_msg("%s", err);
	assert_int_equal(capfile_r_state(r), CAPFILE_COMPLETE);
	/* header, A, C, stats */
	assert_int_equal(capfile_r_nframes(r), 4);
	assert_int_equal(capfile_r_entry(r, 1)->packets, 3);
	assert_true(capfile_r_entry(r, 1)->ts_last == BASE_TS + 2);
	assert_int_equal(capfile_r_entry(r, 2)->seq, 2);
	assert_int_equal(capfile_r_entry(r, 2)->packets, 2);
	assert_true(capfile_r_entry(r, 2)->ts_first == BASE_TS + 200);
	assert_true(capfile_r_entry(r, 2)->bytes == 128);
	assert_int_equal(capfile_r_entry(r, 3)->flags & CAPINDEX_F_STATS, CAPINDEX_F_STATS);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(capfile_r_frame(r, i, &dec), 0);
		assert_int_equal(capfile_r_check_record(r, i), 0);
	}
	capfile_r_close(r);
	obuf_free(&dec);
	free(path);
	free(dir);
}

static void test_write_error(void **state)
{
	(void)state;
	write_error(false);
	write_error(true);
}

/* ---- a live writer ---- */

static void live_writer(bool plain)
{
	char *dir = make_dir(), *path = join(dir, plain ? PLAIN_NAME : ZST_NAME);
	char *part = cat(path, ".part"), err[512], msg[512], *final = NULL;
	struct capfile_w_opts o = { .path = path, .plain = plain, .idbs = idbs, .nidb = 2 };
	struct batch_pool *pool = batch_pool_create(1, 8192);
	struct batch *b;
	struct capfile_w *w;
	struct capfile_r *r;
	struct obuf dec = { 0 };
	uint8_t pkt[100];
	long long size;

	assert_non_null(pool);
	memset(pkt, 0xAB, sizeof(pkt));
	w = capfile_w_create(&o);
	assert_non_null(w);
	b = batch_pool_get_free(pool);
	assert_true(batch_add(b, 0, BASE_TS, pkt, 100, 100, 0, -1));
	assert_int_equal(capfile_w_feed(w, b, 3), 0);
	assert_int_equal(capfile_w_flush(w, NULL), 0);
	/* and a frame still open */
	assert_int_equal(capfile_w_feed(w, b, COMP_LEVEL_STORED), 0);
	assert_true(capfile_w_pending(w) > 0);
	r = capfile_r_open(part, err, sizeof(err));
	if (!r)
		fail_msg("%s", err);
	assert_int_equal(capfile_r_state(r), CAPFILE_WRITING);
	assert_int_equal(capfile_r_nframes(r), 2);
	assert_null(capfile_r_damage(r));
	assert_int_equal(capfile_r_frame(r, 1, &dec), 0);
	assert_int_equal(capfile_r_entry(r, 1)->packets, 1);
	assert_int_equal(dec.len, b->len);
	assert_memory_equal(dec.data, b->data, b->len);
	capfile_r_close(r);
	/* the final name does not exist yet */
	assert_null(capfile_r_open(path, err, sizeof(err)));
	/* repair refuses, and touches nothing */
	size = file_size(part);
	msg[0] = 0;
	assert_int_equal(capfile_repair(part, &final, msg, sizeof(msg)), -EBUSY);
	assert_null(final);
	assert_true(msg[0] != 0);
	assert_int_equal(file_size(part), size);
	assert_true(exists(part));
	assert_false(exists(path));
	/* the writer goes on */
	assert_int_equal(capfile_w_feed(w, b, COMP_LEVEL_STORED), 0);
	assert_int_equal(capfile_w_close(w, NULL, 0, NULL), 0);
	capfile_w_destroy(w);
	assert_false(exists(part));
	r = capfile_r_open(path, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(capfile_r_state(r), CAPFILE_COMPLETE);
	assert_int_equal(capfile_r_nframes(r), 3);
	assert_int_equal(capfile_r_entry(r, 2)->packets, 2);
	assert_int_equal(capfile_r_entry(r, 2)->level, plain ? COMP_LEVEL_PLAIN : COMP_LEVEL_STORED);
	assert_int_equal(capfile_r_frame(r, 2, &dec), 0);
	assert_int_equal(dec.len, 2 * b->len);
	capfile_r_close(r);
	batch_pool_put_free(pool, b);
	batch_pool_destroy(pool);
	obuf_free(&dec);
	free(part);
	free(path);
	free(dir);
}

static void test_live_writer(void **state)
{
	(void)state;
	live_writer(false);
	live_writer(true);
}

/* A writer that dies (destroyed without close): a torn .part that the
 * repair completes with the frames flushed before. */
static void dead_writer(bool plain)
{
	char *dir = make_dir(), *path = join(dir, plain ? PLAIN_NAME : ZST_NAME);
	char *part = cat(path, ".part"), err[512], msg[512], *final = NULL;
	struct capfile_w_opts o = { .path = path, .plain = plain, .idbs = idbs, .nidb = 2 };
	struct batch_pool *pool = batch_pool_create(1, 8192);
	struct batch *b;
	struct capfile_w *w;
	struct capfile_r *r;
	uint8_t pkt[60];
	unsigned long calls;

	assert_non_null(pool);
	memset(pkt, 0x11, sizeof(pkt));
	w = capfile_w_create(&o);
	assert_non_null(w);
	b = batch_pool_get_free(pool);
	for (int f = 0; f < 3; f++) {
		assert_true(batch_add(b, 1, BASE_TS + (uint64_t)f, pkt, 60, 60, 0, -1));
		assert_int_equal(capfile_w_feed(w, b, f % 2 ? COMP_LEVEL_STORED : 3), 0);
		assert_int_equal(capfile_w_flush(w, NULL), 0);
	}
	assert_int_equal(capfile_w_feed(w, b, 3), 0);   /* lost with the writer */
	capfile_w_destroy(w);
	r = capfile_r_open(part, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(capfile_r_state(r), CAPFILE_TORN);
	assert_int_equal(capfile_r_nframes(r), 4);
	capfile_r_close(r);
	calls = fsync_calls;
	assert_int_equal(capfile_repair(part, &final, msg, sizeof(msg)), 0);
	assert_true(fsync_calls >= calls + (plain ? 2 : 1));
	assert_string_equal(final, path);
	assert_false(exists(part));
	r = capfile_r_open(path, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(capfile_r_state(r), CAPFILE_COMPLETE);
	assert_int_equal(capfile_r_nframes(r), 4);
	for (size_t i = 1; i < 4; i++) {
		assert_int_equal(capfile_r_entry(r, i)->packets, i);
		assert_true(capfile_r_entry(r, i)->ts_last == BASE_TS + i - 1);
	}
	capfile_r_close(r);
	batch_pool_put_free(pool, b);
	batch_pool_destroy(pool);
	free(final);
	free(part);
	free(path);
	free(dir);
}

static void test_dead_writer(void **state)
{
	(void)state;
	dead_writer(false);
	dead_writer(true);
}

/* ---- damage inside a frame ---- */

/* Size of a zstd frame header (RFC 8878 3.1.1.1). */
static size_t zstd_header_size(const uint8_t *f)
{
	static const size_t did[4] = { 0, 1, 2, 4 }, fcs[4] = { 0, 2, 4, 8 };
	uint8_t fhd = f[4];
	bool single = fhd & 0x20;
	size_t fcs_size = fcs[fhd >> 6];

	if (single && (fhd >> 6) == 0)
		fcs_size = 1;
	return 4 + 1 + (single ? 0 : 1) + did[fhd & 3] + fcs_size;
}

static void test_bitflip_zstd(void **state)
{
	static const int lv[] = { 3, 1, 19, -7 };
	struct spec s = {
		.nframes = 6, .levels = lv, .nlevels = 4, .max_batches = 3, .max_pkts = 10,
		.max_caplen = 400, .nisb = 1, .seed = 9,
	};
	struct cfile c;
	struct obuf dec = { 0 };
	char err[512], msg[512], *final = NULL;
	uint8_t *bad;

	(void)state;
	cfile_write(&c, &s);
	check_complete(&c);
	bad = malloc(c.size);
	assert_non_null(bad);
	seed(1234);
	for (int trial = 0; trial < 200; trial++) {
		size_t f = 1 + (size_t)(rnd() % (c.nfr - 1));
		const struct capindex_entry *e = &c.ents[f];
		size_t h = zstd_header_size(c.data + e->offset);
		size_t at = e->offset + h + (size_t)(rnd() % (e->csize - h));
		uint8_t x = (uint8_t)(1 + rnd() % 255);
		struct capfile_r *r;
		size_t len;
		uint8_t *after;

		memcpy(bad, c.data, c.size);
		bad[at] ^= x;
		put_file(c.path, bad, c.size);
		r = capfile_r_open(c.path, err, sizeof(err));
		assert_non_null(r);
		assert_int_equal(capfile_r_state(r), CAPFILE_COMPLETE);
		for (size_t i = 0; i < c.nfr; i++) {
			if (i != f) {
				check_frame(&c, r, i, &dec);
				continue;
			}
			if (capfile_r_frame(r, i, &dec) != -EBADMSG)
				fail_msg("frame %zu (level %d): byte %zu of %u xor 0x%02x not detected",
					 f, e->level, at - e->offset, e->csize, x);
			assert_true(capfile_r_error(r)[0] != 0);
		}
		capfile_r_close(r);
		/* repair does not cut a closed file at a damaged frame */
		if (trial % 8 == 0) {
			assert_int_equal(capfile_repair(c.path, &final, msg, sizeof(msg)), -EBADMSG);
			after = get_file(c.path, &len);
			assert_int_equal(len, c.size);
			assert_memory_equal(after, bad, len);
			free(after);
		}
	}
	free(bad);
	obuf_free(&dec);
	cfile_free(&c);
}

/* Stored and plain frames have no zstd checksum; the CRC-32 in their
 * record must catch any flipped byte of the content (and a stored frame's
 * block headers).  The 6 bytes of a stored frame's header are left out: a
 * window size changed there may decode the same content. */
static void bitflip_nochecksum(bool plain, uint64_t sd)
{
	static const int lv[] = { COMP_LEVEL_STORED };
	struct spec s = {
		.plain = plain, .nframes = 4, .levels = lv, .nlevels = 1, .max_batches = 3,
		.max_pkts = 10, .max_caplen = 400, .nisb = 1, .seed = sd,
	};
	struct cfile c;
	struct obuf dec = { 0 };
	char err[512];
	uint8_t *bad;

	cfile_write(&c, &s);
	check_complete(&c);
	bad = malloc(c.size);
	assert_non_null(bad);
	seed(sd * 31);
	for (int trial = 0; trial < 150; trial++) {
		size_t f = 1 + (size_t)(rnd() % (c.nfr - 1));
		const struct capindex_entry *e = &c.ents[f];
		size_t h = plain ? 0 : 6;
		size_t at = e->offset + h + (size_t)(rnd() % (e->csize - h));
		uint8_t x = (uint8_t)(1 + rnd() % 255);
		struct capfile_r *r;
		int rc;

		if (!plain && e->level != COMP_LEVEL_STORED)
			continue;   /* the stats frame: zstd, see test_bitflip_zstd */
		memcpy(bad, c.data, c.size);
		bad[at] ^= x;
		put_file(c.path, bad, c.size);
		r = capfile_r_open(c.path, err, sizeof(err));
		if (!r)
			fail_msg("%s", err);
		assert_int_equal(capfile_r_state(r), CAPFILE_COMPLETE);
		rc = capfile_r_frame(r, f, &dec);
		if (rc != -EBADMSG)
			fail_msg("%s frame %zu: byte %zu of %u xor 0x%02x: %d", plain ? "plain" : "stored",
				 f, at - e->offset, e->csize, x, rc);
		assert_true(capfile_r_error(r)[0] != 0);
		for (size_t i = 0; i < c.nfr; i++)
			if (i != f)
				check_frame(&c, r, i, &dec);
		capfile_r_close(r);
	}
	free(bad);
	obuf_free(&dec);
	cfile_free(&c);
}

static void test_bitflip_stored(void **state)
{
	(void)state;
	bitflip_nochecksum(false, 10);
}

static void test_bitflip_plain(void **state)
{
	(void)state;
	bitflip_nochecksum(true, 13);
}

/* A flipped byte in the record kept beside a frame (or in the sidecar):
 * the seek table still opens the file, capfile_r_check_record finds it,
 * and every frame still decodes. */
static void record_flip(bool plain)
{
	static const int lv[] = { 3, COMP_LEVEL_STORED };
	struct spec s = {
		.plain = plain, .nframes = 4, .levels = lv, .nlevels = 2, .max_batches = 2,
		.max_pkts = 4, .max_caplen = 100, .nisb = 1, .seed = 14 + plain,
	};
	struct cfile c;
	struct obuf dec = { 0 };
	char err[512], *idx;
	uint8_t *bad;
	size_t len;

	cfile_write(&c, &s);
	check_complete(&c);
	len = plain ? c.idx_size : c.size;
	bad = malloc(len);
	assert_non_null(bad);
	idx = cat(c.path, ".idx");
	seed(55 + plain);
	for (int trial = 0; trial < 60; trial++) {
		size_t f = (size_t)(rnd() % c.nfr);
		size_t at = plain ? f * REC : f == 0 ? c.ents[0].csize : c.ents[f].offset - REC;
		struct capfile_r *r;

		memcpy(bad, plain ? c.idx : c.data, len);
		if (trial % 3 == 0) {
			/* a well-formed record (right CRC) that says something else */
			struct capindex_entry e = c.ents[f];

			e.packets += 1;
			capindex_put_record(bad + at, &e);
		} else {
			at += (size_t)(rnd() % REC);
			bad[at] ^= (uint8_t)(1 + rnd() % 255);
		}
		put_file(plain ? idx : c.path, bad, len);
		r = capfile_r_open(c.path, err, sizeof(err));
		if (!r)
			fail_msg("%s", err);
		assert_int_equal(capfile_r_state(r), CAPFILE_COMPLETE);
		assert_int_equal(capfile_r_nframes(r), c.nfr);
		for (size_t i = 0; i < c.nfr; i++) {
			int rc = capfile_r_check_record(r, i);

			if (i == f) {
				assert_int_equal(rc, -EBADMSG);
				assert_non_null(strstr(capfile_r_error(r), "index record"));
			} else {
				assert_int_equal(rc, 0);
			}
			check_frame(&c, r, i, &dec);
		}
		capfile_r_close(r);
	}
	free(idx);
	free(bad);
	obuf_free(&dec);
	cfile_free(&c);
}

static void test_record_flip(void **state)
{
	(void)state;
	record_flip(false);
	record_flip(true);
}

/* ---- garbage ---- */

static void fill_rand(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

/* Opens path, decodes whatever it lists; returns the reader's frame count
 * or -1 when it did not open. */
static long poke(const char *path)
{
	char err[512];
	struct capfile_r *r;
	struct obuf dec = { 0 };
	long n;

	err[0] = 0;
	errno = 0;
	r = capfile_r_open(path, err, sizeof(err));
	if (!r) {
		assert_true(errno != 0);
		assert_true(err[0] != 0);
		return -1;
	}
	assert_int_equal(err[0], 0);
	n = (long)capfile_r_nframes(r);
	assert_true(n >= 1);
	assert_true(capfile_r_nidb(r) >= 1);
	for (long i = 0; i < n; i++) {
		const struct capindex_entry *e = capfile_r_entry(r, (size_t)i);
		int rc;

		assert_non_null(e);
		assert_true(e->offset + e->csize <= capfile_r_disk_size(r));
		rc = capfile_r_frame(r, (size_t)i, &dec);
		assert_true(rc == 0 || rc == -EBADMSG);
		if (rc == 0)
			assert_int_equal(dec.len, e->usize);
	}
	capfile_r_close(r);
	obuf_free(&dec);
	return n;
}

/* After a successful repair, the file is complete and every frame decodes. */
static void repair_and_check(const char *path)
{
	char msg[1024], *final = NULL, err[512];
	struct capfile_r *r;
	struct obuf dec = { 0 };
	int rc = capfile_repair(path, &final, msg, sizeof(msg));

	assert_true(msg[0] != 0);
	if (rc) {
		assert_true(rc < 0);
		assert_null(final);
		return;
	}
	r = capfile_r_open(final, err, sizeof(err));
	if (!r)
		fail_msg("repaired %s: %s", final, err);
	assert_int_equal(capfile_r_state(r), CAPFILE_COMPLETE);
	for (size_t i = 0; i < capfile_r_nframes(r); i++)
		assert_int_equal(capfile_r_frame(r, i, &dec), 0);
	capfile_r_close(r);
	unlink(final);
	free(final);
	obuf_free(&dec);
}

static void test_garbage(void **state)
{
	static const int lv[] = { 3, COMP_LEVEL_STORED };
	struct spec s = {
		.nframes = 4, .levels = lv, .nlevels = 2, .max_batches = 2, .max_pkts = 4,
		.max_caplen = 100, .nisb = 1, .seed = 11,
	};
	struct spec sp = s;
	struct cfile c, p;
	char *zst, *zst_part, *pl, *pl_idx, *pl_part, *pl_idx_part;
	uint8_t *buf = malloc(16384), *buf2 = malloc(16384);
	size_t hdr_end;

	(void)state;
	assert_non_null(buf);
	assert_non_null(buf2);
	cfile_write(&c, &s);
	check_complete(&c);
	sp.plain = true;
	sp.seed = 12;
	cfile_write(&p, &sp);
	check_complete(&p);
	zst = strdup(c.path);
	zst_part = cat(zst, ".part");
	pl = strdup(p.path);
	pl_idx = cat(pl, ".idx");
	pl_part = cat(pl, ".part");
	pl_idx_part = cat(pl_idx, ".part");
	hdr_end = (size_t)frame_end(&c, 0);
	assert_true(c.size < 12000);
	assert_true(p.size < 12000);
	assert_true(p.idx_size < 12000);
	seed(777);
	for (int it = 0; it < 2400; it++) {
		int mode = it % 6;
		bool part = (it / 6) % 2;
		const char *path = part ? zst_part : zst;
		size_t len = 0, len2 = 0;
		long n;

		unlink(zst);
		unlink(zst_part);
		unlink(pl);
		unlink(pl_idx);
		unlink(pl_part);
		unlink(pl_idx_part);
		switch (mode) {
		case 0:   /* random bytes, sometimes with a zstd or skippable magic */
			len = (size_t)(rnd() % 3000);
			fill_rand(buf, len);
			if (len >= 4 && rnd() % 2)
				memcpy(buf, rnd() % 2 ? "\x28\xb5\x2f\xfd" : "\x5c\x2a\x4d\x18", 4);
			break;
		case 1:   /* a valid header frame and record, then random bytes */
			len = hdr_end + (size_t)(rnd() % 3000);
			memcpy(buf, c.data, hdr_end);
			fill_rand(buf + hdr_end, len - hdr_end);
			break;
		case 2: { /* the complete file with a random range overwritten */
			size_t at = (size_t)(rnd() % c.size), n2 = 1 + (size_t)(rnd() % 64);

			len = c.size;
			memcpy(buf, c.data, len);
			n2 = at + n2 > len ? len - at : n2;
			fill_rand(buf + at, n2);
			break;
		}
		case 3: { /* whole frames, then records with right CRCs and random
			   * sizes and levels over random or real bytes */
			size_t k = 1 + (size_t)(rnd() % (c.nfr - 1));
			uint64_t off = frame_end(&c, k - 1);
			int nrec = 1 + (int)(rnd() % 3);

			len = (size_t)off;
			memcpy(buf, c.data, len);
			for (int j = 0; j < nrec && len + REC + 3000 < 16384; j++) {
				struct capindex_entry e = c.ents[1 + rnd() % (c.nfr - 1)];
				size_t fl = (size_t)(rnd() % 1500);
				static const int lvs[] = { 3, -7, 19, COMP_LEVEL_STORED, 0 };

				e.seq = (uint32_t)(k + (size_t)j);
				e.offset = len + REC;
				e.csize = rnd() % 4 ? (uint32_t)fl : (uint32_t)(rnd() % 3000);
				e.usize = (uint32_t)(rnd() % 4000);
				e.level = (int8_t)lvs[rnd() % 5];
				e.flags = rnd() % 8 ? 0 : (uint32_t)(rnd() % 4);
				capindex_put_record(buf + len, &e);
				len += REC;
				if (rnd() % 2) {
					fill_rand(buf + len, fl);
				} else {   /* a real frame, maybe the wrong one */
					const struct capindex_entry *o =
						&c.ents[1 + rnd() % (c.nfr - 1)];

					fl = o->csize;
					memcpy(buf + len, c.data + o->offset, fl);
				}
				len += fl;
			}
			break;
		}
		case 4: { /* plain: random sidecar, or real sidecar with damage */
			memcpy(buf, p.data, p.size);
			len = p.size;
			if (rnd() % 2) {
				len2 = (size_t)(rnd() % 1000);
				fill_rand(buf2, len2);
			} else {
				size_t at = (size_t)(rnd() % p.idx_size);

				len2 = p.idx_size;
				memcpy(buf2, p.idx, len2);
				buf2[at] ^= (uint8_t)(1 + rnd() % 255);
			}
			if (rnd() % 3 == 0)
				len = (size_t)(rnd() % (p.size + 1));
			break;
		}
		case 5:   /* plain: random data with the real sidecar */
			len = (size_t)(rnd() % (p.size + 100));
			fill_rand(buf, len);
			if (len >= 4)
				memcpy(buf, p.data, len < 64 ? len : 64);
			len2 = p.idx_size;
			memcpy(buf2, p.idx, len2);
			break;
		}
		if (mode >= 4) {
			path = part ? pl_part : pl;
			put_file(path, buf, len);
			put_file(part ? pl_idx_part : pl_idx, buf2, len2);
		} else {
			put_file(path, buf, len);
		}
		n = poke(path);
		if (mode == 0)
			assert_int_equal(n, -1);
		if (mode == 1)
			assert_int_equal(n, 1);
		if (mode == 3)
			assert_true(n >= 1);
		if (it % 8 == 0)
			repair_and_check(path);
	}
	unlink(zst);
	unlink(zst_part);
	unlink(pl);
	unlink(pl_idx);
	unlink(pl_part);
	unlink(pl_idx_part);
	free(zst);
	free(zst_part);
	free(pl);
	free(pl_idx);
	free(pl_part);
	free(pl_idx_part);
	free(buf);
	free(buf2);
	cfile_free(&c);
	cfile_free(&p);
}

/* ---- crafted files (run in a child: memory errors must fail one test,
 * and LeakSanitizer reports at exit) ---- */

static int open_expect_fail(const char *path)
{
	char err[512];
	struct capfile_r *r = capfile_r_open(path, err, sizeof(err));

	if (r) {
		capfile_r_close(r);
		return 2;
	}
	return 0;
}

/* A record (right CRC) that says the header frame is plain pcapng of 1 byte
 * while it is 8008 bytes on disk: the reader must not read 8008 bytes into
 * a buffer sized for 1. */
static void test_crafted_plain_level_in_zst(void **state)
{
	char *dir = make_dir(), *path = join(dir, ZST_NAME);
	size_t skip = 8000, len = 8 + skip + REC;
	uint8_t *f = calloc(1, len);
	struct capindex_entry e;
	int st;

	(void)state;
	assert_non_null(f);
	f[0] = 0x50; f[1] = 0x2A; f[2] = 0x4D; f[3] = 0x18;
	f[4] = (uint8_t)skip; f[5] = (uint8_t)(skip >> 8);
	memset(&e, 0, sizeof(e));
	e.flags = CAPINDEX_F_HEADER;
	e.offset = 0;
	e.csize = (uint32_t)(8 + skip);
	e.usize = 1;
	e.level = COMP_LEVEL_PLAIN;
	e.clock_worst_ns = INT64_MIN;
	capindex_put_record(f + 8 + skip, &e);
	put_file(path, f, len);
	st = in_child(open_expect_fail, path);
	free(f);
	free(path);
	free(dir);
	check_child(st, "zst file with a plain-level header record");
}

/* The same through a plain file's sidecar: csize > usize. */
static void test_crafted_plain_csize(void **state)
{
	char *dir = make_dir(), *path = join(dir, PLAIN_NAME), *idx = cat(path, ".idx");
	uint8_t data[20000], rec[REC];
	struct capindex_entry e;
	int st;

	(void)state;
	memset(data, 0x41, sizeof(data));
	memset(&e, 0, sizeof(e));
	e.flags = CAPINDEX_F_HEADER;
	e.csize = sizeof(data);
	e.usize = 8;
	e.level = COMP_LEVEL_PLAIN;
	capindex_put_record(rec, &e);
	put_file(path, data, sizeof(data));
	put_file(idx, rec, sizeof(rec));
	st = in_child(open_expect_fail, path);
	free(idx);
	free(path);
	free(dir);
	check_child(st, "plain file whose record has csize > usize");
}

/* A header frame whose IDB does not parse (if_tsresol of 2 bytes): the
 * open fails, and must not leak. */
static int open_bad_idb_many(const char *path)
{
	struct mallinfo2 a, b;

	for (int i = 0; i < 3; i++)
		if (open_expect_fail(path))
			return 2;
	a = mallinfo2();
	for (int i = 0; i < 200; i++)
		if (open_expect_fail(path))
			return 2;
	b = mallinfo2();
	/* glibc's count (ASan has its own allocator: LeakSanitizer reports) */
	if (b.uordblks > a.uordblks + 4096) {
		fprintf(stderr, "capfile_r_open leaked %zu bytes in 200 opens\n",
			b.uordblks - a.uordblks);
		return 3;
	}
	return 0;
}

static void test_crafted_bad_idb(void **state)
{
	char *dir = make_dir(), *path = join(dir, ZST_NAME);
	uint8_t hdr[256], z[512], file[1024];
	uint32_t u;
	size_t n, zn;
	struct capindex_entry e;
	int st;

	(void)state;
	n = pcapng_put_shb(hdr, sizeof(hdr), NULL, NULL, NULL, NULL);
	assert_true(n > 0);
	/* IDB: linktype 1, snaplen 65535, if_tsresol with length 2 */
	u = PCAPNG_BT_IDB; memcpy(hdr + n, &u, 4);
	u = 32; memcpy(hdr + n + 4, &u, 4);
	hdr[n + 8] = 1; hdr[n + 9] = 0; hdr[n + 10] = 0; hdr[n + 11] = 0;
	u = 65535; memcpy(hdr + n + 12, &u, 4);
	hdr[n + 16] = 9; hdr[n + 17] = 0; hdr[n + 18] = 2; hdr[n + 19] = 0;
	hdr[n + 20] = 9; hdr[n + 21] = 9; hdr[n + 22] = 0; hdr[n + 23] = 0;
	memset(hdr + n + 24, 0, 4);
	u = 32; memcpy(hdr + n + 28, &u, 4);
	n += 32;
	zn = ZSTD_compress(z, sizeof(z), hdr, n, 3);
	assert_false(ZSTD_isError(zn));
	memset(&e, 0, sizeof(e));
	e.flags = CAPINDEX_F_HEADER;
	e.csize = (uint32_t)zn;
	e.usize = (uint32_t)n;
	e.level = 3;
	memcpy(file, z, zn);
	capindex_put_record(file + zn, &e);
	put_file(path, file, zn + REC);
	st = in_child(open_bad_idb_many, path);
	free(path);
	free(dir);
	check_child(st, "header frame with a bad IDB (capfile_r.c load_header leaks the IDB's string store)");
}

/* Names the reader does not take. */
static void test_open_names(void **state)
{
	char *dir = make_dir(), err[512];
	static const char *bad[] = { "x.pcap", "x.zst", "x.pcapng.gz", "x.pcapng.zst.tmp", "x.part" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *p = join(dir, bad[i]);

		put_file(p, "", 0);
		errno = 0;
		assert_null(capfile_r_open(p, err, sizeof(err)));
		assert_int_equal(errno, EINVAL);
		assert_non_null(strstr(err, p));
		free(p);
	}
	{
		char *p = join(dir, "missing.pcapng.zst");

		errno = 0;
		assert_null(capfile_r_open(p, err, sizeof(err)));
		assert_int_equal(errno, ENOENT);
		free(p);
		/* plain without its sidecar */
		p = join(dir, "nosidecar.pcapng");
		put_file(p, "abcd", 4);
		errno = 0;
		assert_null(capfile_r_open(p, err, sizeof(err)));
		assert_int_equal(errno, ENOENT);
		assert_non_null(strstr(err, "sidecar"));
		free(p);
	}
	free(dir);
}

static int group_setup(void **state)
{
	(void)state;
	return testutil_make_root(&g_root, "test_capfile");
}

static int group_teardown(void **state)
{
	(void)state;
	testutil_rm_rf(g_root);
	free(g_root);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_zst),
		cmocka_unit_test(test_roundtrip_levels),
		cmocka_unit_test(test_roundtrip_mid_stats),
		cmocka_unit_test(test_roundtrip_plain),
		cmocka_unit_test(test_roundtrip_empty),
		cmocka_unit_test(test_create_exists),
		cmocka_unit_test(test_open_names),
		cmocka_unit_test(test_torn_zst_every_offset),
		cmocka_unit_test(test_torn_plain_every_offset),
		cmocka_unit_test(test_torn_large),
		cmocka_unit_test(test_torn_zeroed_frame),
		cmocka_unit_test(test_plain_dead_between_renames),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_live_writer),
		cmocka_unit_test(test_dead_writer),
		cmocka_unit_test(test_bitflip_zstd),
		cmocka_unit_test(test_bitflip_stored),
		cmocka_unit_test(test_bitflip_plain),
		cmocka_unit_test(test_record_flip),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_crafted_plain_level_in_zst),
		cmocka_unit_test(test_crafted_plain_csize),
		cmocka_unit_test(test_crafted_bad_idb),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
