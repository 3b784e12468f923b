/* See stats.h.  One pass over the indexes chooses the frames in the window,
 * merges flow-summary talkers and decodes the statistics frames (small);
 * then the counts are apportioned to intervals, or, with --exact, the
 * chosen frames are decoded and every packet counted. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capctl.h"
#include "capfile.h"
#include "cursor.h"
#include "flowsum.h"
#include "livefile.h"
#include "stats_int.h"

int stats_grow(void *pv, size_t *cap, size_t n, size_t size)
{
	void **p = pv, *v;
	size_t c = *cap ? *cap * 2 : 64;

	if (n < *cap)
		return 0;
	v = realloc(*p, c * size);
	if (!v)
		return -ENOMEM;
	*p = v;
	*cap = c;
	return 0;
}

void stats_see(struct stats_ctx *c, int64_t lo, int64_t hi)
{
	if (lo < c->lo)
		c->lo = lo;
	if (hi > c->hi)
		c->hi = hi;
}

uint64_t stats_to_ns(uint64_t ts, uint64_t hz)
{
	if (hz == 1000000000u || !hz)
		return ts;
	return ts / hz * 1000000000u + ts % hz * 1000000000u / hz;
}

/* Of v spread evenly over [lo, lo + span), the part before x: integer
 * shares that add up to v exactly. */
static uint64_t cum(uint64_t v, int64_t lo, uint64_t span, int64_t x)
{
	uint64_t dx = x <= lo ? 0 : (uint64_t)(x - lo) > span ? span : (uint64_t)(x - lo);

	return (uint64_t)((unsigned __int128)v * dx / span);
}

/* Frame e's packets in the window, as a fraction of all of them. */
static double in_window(const struct stats_opts *o, const struct capindex_entry *e)
{
	uint64_t span = e->ts_max - e->ts_min + 1;
	int64_t a = (int64_t)e->ts_min > o->from ? (int64_t)e->ts_min : o->from;
	int64_t b = (int64_t)e->ts_max < o->to - 1 ? (int64_t)e->ts_max + 1 : o->to;

	return (double)(cum(e->packets, (int64_t)e->ts_min, span, b) -
			cum(e->packets, (int64_t)e->ts_min, span, a)) / e->packets;
}

static int summarize(struct stats_ctx *c, struct capfile_r *r, size_t i,
		     const struct capindex_entry *e)
{
	struct flowsum fs;
	double f;
	int rc = capfile_r_flowsum(r, i, &c->buf);

	if (rc == -ENOMEM)
		return rc;
	/* none (older files), or damaged: the frame counts for nobody */
	if (rc || flowsum_parse(c->buf.data, c->buf.len, &fs))
		return 0;
	c->res->frames_summarized++;
	f = in_window(c->o, e);
	for (uint32_t k = 0; k < fs.ntop && k < FLOWSUM_TOP; k++) {
		rc = talkers_add(c->talk, fs.top[k].family, fs.top[k].addr,
				 (double)fs.top[k].packets * f, (double)fs.top[k].bytes * f);
		if (rc)
			return rc;
	}
	return 0;
}

/* Pass 1 over one file: its frames in the window, its ISBs. */
static int scan_file(struct stats_ctx *c, const char *path, const struct store_file *sf)
{
	const struct stats_opts *o = c->o;
	char err[1024];
	struct capfile_r *r = capctl_open_file(path, err, sizeof(err));
	struct stats_file f = { .start_ns = sf->start_ns, .queue = sf->queue };
	size_t *st = NULL, nst = 0, n;
	uint64_t *before = NULL;
	int64_t last = INT64_MIN;
	int rc = -ENOMEM;

	if (!r) {
		if (errno == ENOMEM)
			return -ENOMEM;
		/* gone (retention) is no news, nor a file just created whose
		 * header is not whole yet (it has no packets) */
		if (errno != ENOENT && !livefile_locked(path)) {
			capctl_err("skipping %s", err);
			c->res->files_skipped++;
		}
		return 0;
	}
	c->res->files++;
	n = capfile_r_nframes(r);
	snprintf(f.iface, sizeof(f.iface), "%s", sf->iface);
	for (size_t i = 0; i < capfile_r_nidb(r) && i < CAPFILE_MAX_IF; i++)
		f.linktype[i] = capfile_r_idb(r, i)->linktype;
	f.path = strdup(path);
	f.frames = malloc((n + 1) * sizeof(*f.frames));
	st = malloc((n + 1) * sizeof(*st));
	before = malloc((n + 1) * sizeof(*before));
	if (!f.path || !f.frames || !st || !before)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct capindex_entry *e = capfile_r_entry(r, i);

		if (e->flags & CAPINDEX_F_STATS) {
			before[nst] = f.packets;
			st[nst++] = i;
		}
		if (e->flags & (CAPINDEX_F_HEADER | CAPINDEX_F_STATS) || !e->packets)
			continue;
		f.packets += e->packets;
		if ((int64_t)e->ts_max > last)
			last = (int64_t)e->ts_max;
		if ((int64_t)e->ts_max < o->from || (int64_t)e->ts_min >= o->to)
			continue;
		if (stats_grow(&c->fr, &c->capfr, c->nfr, sizeof(*c->fr)))
			goto out;
		c->fr[c->nfr++] = (struct stats_frame){ (int64_t)e->ts_min, (int64_t)e->ts_max, e->packets,
						 e->bytes };
		f.frames[f.nframes++] = i;
		c->res->frames++;
		stats_see(c, (int64_t)e->ts_min > o->from ? (int64_t)e->ts_min : o->from,
		    (int64_t)e->ts_max < o->to ? (int64_t)e->ts_max : o->to - 1);
		if (!o->exact && o->top && summarize(c, r, i, e))
			goto out;
	}
	/* counters are cumulative: a file wholly before the window only
	 * gives the baseline, its last ISB; one after it gives nothing */
	if (sf->start_ns < o->to) {
		for (size_t k = last < o->from && nst ? nst - 1 : 0; k < nst; k++)
			if (stats_read_isbs(c, r, st[k], before[k]))
				goto out;
	}
	if (stats_grow(&c->files, &c->capfiles, c->nfiles, sizeof(*c->files)))
		goto out;
	c->files[c->nfiles++] = f;
	f.path = NULL;
	f.frames = NULL;
	rc = 0;
out:
	free(f.path);
	free(f.frames);
	free(st);
	free(before);
	capfile_r_close(r);
	return rc;
}

/* Index only: each frame's counts spread over its [ts_min, ts_max]. */
static void apportion(struct stats_ctx *c, int64_t first)
{
	const struct stats_opts *o = c->o;
	struct stats_result *res = c->res;

	for (size_t i = 0; i < c->nfr; i++) {
		const struct stats_frame *f = &c->fr[i];
		uint64_t span = (uint64_t)(f->hi - f->lo) + 1;
		int64_t a = f->lo > o->from ? f->lo : o->from;
		int64_t b = f->hi < o->to - 1 ? f->hi + 1 : o->to;
		size_t k0 = (size_t)((a - first) / o->by), k1 = (size_t)((b - 1 - first) / o->by);
		/* exact only when the whole frame falls in one interval */
		bool approx = k0 != k1 || a != f->lo || b != f->hi + 1;

		for (size_t k = k0; k <= k1 && k < res->niv; k++) {
			struct stats_interval *iv = &res->iv[k];
			int64_t x1 = iv->start > a ? iv->start : a;
			int64_t x2 = b - iv->start > o->by ? iv->start + o->by : b;
			uint64_t p = cum(f->packets, f->lo, span, x2) - cum(f->packets, f->lo, span, x1);
			uint64_t y = cum(f->bytes, f->lo, span, x2) - cum(f->bytes, f->lo, span, x1);

			iv->packets += p;
			iv->bytes += y;
			iv->approximate |= approx;
			iv->packets_min += approx ? 0 : f->packets;
			iv->packets_max += f->packets;
			res->packets += p;
			res->bytes += y;
		}
	}
}

/* --exact: every packet of the chosen frames, into its interval. */
static int count_packets(struct stats_ctx *c, int64_t first, char *err, size_t errlen)
{
	struct stats_result *res = c->res;

	for (size_t i = 0; i < c->nfiles; i++) {
		struct stats_file *f = &c->files[i];
		struct cursor_pkt p;
		struct cursor *cu;

		if (!f->nframes)
			continue;
		cu = cursor_create(f->path, f->frames, f->nframes, c->o->from, c->o->to, NULL, 0,
				   err, errlen);
		if (!cu && errno == ENOENT) {
			capctl_err("%s was deleted (retention) while it was read", f->path);
			res->files_skipped++;
			continue;
		}
		if (!cu)
			return -errno;
		while (cursor_next(cu, &p) == 1) {
			uint64_t k = (uint64_t)((int64_t)p.ts - first) / (uint64_t)c->o->by;

			if ((int64_t)p.ts < first || k >= res->niv)
				continue;
			res->iv[k].packets++;
			res->iv[k].packets_min++;
			res->iv[k].packets_max++;
			res->iv[k].bytes += p.origlen;
			res->packets++;
			res->bytes += p.origlen;
			if (c->talk && p.ifid < CAPFILE_MAX_IF &&
			    talkers_packet(c->talk, f->linktype[p.ifid], p.data, p.caplen, p.origlen)) {
				cursor_destroy(cu);
				return -ENOMEM;
			}
		}
		res->frames_read += cursor_frames_read(cu);
		res->damaged_frames += cursor_damaged(cu);
		cursor_destroy(cu);
	}
	return 0;
}

static int64_t floor_to(int64_t t, int64_t by)
{
	int64_t q = t / by;

	return (q - (t % by < 0)) * by;
}

int stats_collect(struct store *st, const struct stats_opts *o, struct stats_result *res,
		  char *err, size_t errlen)
{
	struct stats_ctx c = { .o = o, .res = res, .lo = INT64_MAX, .hi = INT64_MIN };
	struct store_file *list = NULL;
	char path[4096];
	size_t n = 0;
	int64_t first = 0, lo, hi;
	int rc;

	memset(res, 0, sizeof(*res));
	snprintf(err, errlen, "out of memory");
	if (o->top && !(c.talk = talkers_create()))
		return -ENOMEM;
	rc = store_list(st, &list, &n);
	if (rc) {
		snprintf(err, errlen, "%s: %s", store_dir(st), strerror(-rc));
		goto out;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		snprintf(path, sizeof(path), "%s/%s", store_dir(st), list[i].name);
		rc = scan_file(&c, path, &list[i]);
	}
	if (rc)
		goto out;
	/* intervals: the window when given, else what it holds; aligned to
	 * multiples of by since the epoch, so that 1m means whole minutes */
	lo = o->from != INT64_MIN ? o->from : c.lo;
	hi = o->to != INT64_MAX ? o->to - 1 : c.hi;
	if (lo <= hi) {
		uint64_t niv;

		first = floor_to(lo, o->by);
		niv = (uint64_t)(hi - first) / (uint64_t)o->by + 1;
		if (niv > STATS_MAX_INTERVALS) {
			snprintf(err, errlen, "%" PRIu64 " intervals of --by: more than %d; use a "
				 "larger --by or a shorter window", niv, STATS_MAX_INTERVALS);
			rc = -E2BIG;
			goto out;
		}
		res->iv = calloc(niv, sizeof(*res->iv));
		if (!res->iv) {
			rc = -ENOMEM;
			goto out;
		}
		res->niv = niv;
		for (size_t k = 0; k < niv; k++)
			res->iv[k].start = first + (int64_t)k * o->by;
	}
	if (o->exact) {
		rc = count_packets(&c, first, err, errlen);
		if (rc)
			goto out;
	} else {
		apportion(&c, first);
	}
	rc = stats_drops(&c, first);
	if (rc)
		goto out;
	res->talk = !o->top ? STATS_TALK_NONE : o->exact ? STATS_TALK_EXACT :
		    res->frames_summarized ? STATS_TALK_SUMMARIES : STATS_TALK_NONE;
	if (res->talk != STATS_TALK_NONE) {
		res->top = calloc(o->top, sizeof(*res->top));
		if (!res->top) {
			rc = -ENOMEM;
			goto out;
		}
		res->ntop = talkers_top(c.talk, res->top, o->top);
	}
out:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	for (size_t i = 0; i < c.nfiles; i++) {
		free(c.files[i].path);
		free(c.files[i].frames);
	}
	free(c.files);
	free(c.fr);
	free(c.isb);
	obuf_free(&c.buf);
	talkers_destroy(c.talk);
	free(list);
	return rc;
}

void stats_result_free(struct stats_result *res)
{
	free(res->iv);
	free(res->top);
	memset(res, 0, sizeof(*res));
}
