/* The slicing engine; see slice.h.
 *
 * Plan: every file whose index shows frames overlapping the window becomes
 * a pending source, ordered by the smallest timestamp of those frames.
 * Merge: a min-heap of open cursors keyed by (timestamp, file order); a
 * pending file is opened only once the merge front reaches its smallest
 * timestamp, so a long window over many files keeps few files open. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capctl.h"
#include "bpfset.h"
#include "capfile.h"
#include "cursor.h"
#include "flowsum.h"
#include "prune.h"
#include "slice.h"


struct plan_idb {
	uint8_t *block;         /* as output: with if_tsresol=9 */
	size_t len;
	struct pcapng_idb idb;
};

struct plan_file {
	char *path;
	struct plan_idb idbs[CAPFILE_MAX_IF];
	size_t *frames, nframes;
	int64_t min_ts;
	size_t order;
	int ifmap[CAPFILE_MAX_IF];
	const struct bpf_program *progs[CAPFILE_MAX_IF];
	size_t nidb;
};

struct slice {
	struct store *st;
	int64_t from, to;
	char *filter;
	struct bpfset *bpf;         /* the filter, compiled per link type */
	struct plan_file *files;
	size_t nfiles;
	struct plan_file fallback;  /* interfaces for an empty result */
	uint64_t files_total, frames_total, files_skipped;
	struct prune *pr;           /* NULL: the filter can never rule a frame out */
	struct obuf fsbuf;          /* a frame's flow summary */
	uint64_t frames_pruned;
	/* progress (slice_set_progress): callback, frames chosen, last report */
	slice_progress_fn progress;
	void *progress_arg;
	uint64_t progress_total, progress_pk, progress_fr;
};

static bool overlaps(const struct capindex_entry *e, int64_t from, int64_t to)
{
	return e->packets && !(e->flags & (CAPINDEX_F_HEADER | CAPINDEX_F_STATS)) &&
	       (int64_t)e->ts_max >= from && (int64_t)e->ts_min < to;
}

static void free_plan(struct plan_file *pf)
{
	for (size_t i = 0; i < pf->nidb; i++)
		free(pf->idbs[i].block);
	free(pf->frames);
	free(pf->path);
}

/* Keeps interface i of r for the output.  Packets leave the cursor in ns,
 * so an IDB with another if_tsresol is written anew with 9. */
static int copy_idb(const struct capfile_r *r, size_t i, struct plan_idb *out)
{
	const struct pcapng_idb *idb = capfile_r_idb(r, i);
	const uint8_t *blk;
	size_t len;

	blk = capfile_r_idb_block(r, i, &len);
	out->idb = *idb;
	if (idb->tsresol == 9) {
		out->block = malloc(len);
		if (!out->block)
			return -ENOMEM;
		memcpy(out->block, blk, len);
		out->len = len;
	} else {
		struct pcapng_idb ns = *idb;

		ns.tsresol = 9;
		out->block = malloc(len + 64);
		if (!out->block)
			return -ENOMEM;
		out->len = pcapng_put_idb(out->block, len + 64, &ns);
		if (!out->len)
			return -EINVAL;
	}
	/* the strings of idb point into r; only linktype and snaplen are used */
	out->idb.name = out->idb.description = out->idb.hardware = NULL;
	out->idb.os = out->idb.filter = out->idb.comment = NULL;
	return 0;
}

/* Whether frame i of r may hold a packet the filter matches: false only
 * when its flow summary proves it holds none.  A frame without one, or
 * whose summary cannot be read, is read. */
static bool may_match(struct slice *sl, struct capfile_r *r, size_t i)
{
	struct flowsum fs;

	if (capfile_r_flowsum(r, i, &sl->fsbuf) ||
	    flowsum_parse(sl->fsbuf.data, sl->fsbuf.len, &fs))
		return true;
	return prune_may_match(sl->pr, &fs);
}

/* Chooses the frames of one file; keeps the file in the plan if any. */
static int plan_file(struct slice *sl, const char *path, size_t order, char *err,
		     size_t errlen)
{
	struct plan_file pf = { .order = order, .min_ts = INT64_MAX };
	struct capfile_r *r = capctl_open_file(path, err, errlen);
	struct plan_file *v;
	int e = 0;

	if (!r) {
		if (errno == ENOMEM)
			return -ENOMEM;
		/* gone (retention) is normal; an unreadable file must not hide
		 * the packets of all the others */
		if (errno != ENOENT) {
			fprintf(stderr, "capctl: skipping %s\n", err);
			sl->files_skipped++;
		}
		return 0;
	}
	pf.frames = malloc((capfile_r_nframes(r) + 1) * sizeof(size_t));
	pf.path = strdup(path);
	if (!pf.frames || !pf.path) {
		e = -ENOMEM;
		goto out;
	}
	/* the filter compiles for every interface before any frame is ruled
	 * out, so that a filter libpcap rejects is an error even when the index
	 * alone could answer */
	pf.nidb = capfile_r_nidb(r) < CAPFILE_MAX_IF ? capfile_r_nidb(r) : CAPFILE_MAX_IF;
	for (size_t i = 0; i < pf.nidb; i++) {
		const struct pcapng_idb *idb = capfile_r_idb(r, i);

		e = copy_idb(r, i, &pf.idbs[i]);
		if (e)
			goto out;
		pf.ifmap[i] = -1;
		pf.progs[i] = bpfset_get(sl->bpf, idb->linktype, idb->snaplen, err, errlen);
		if (!pf.progs[i] && sl->filter[0]) {
			e = -errno;
			goto out;
		}
	}
	for (size_t i = 0; i < capfile_r_nframes(r); i++) {
		const struct capindex_entry *en = capfile_r_entry(r, i);

		if (!(en->flags & (CAPINDEX_F_HEADER | CAPINDEX_F_STATS)))
			sl->frames_total++;
		if (!overlaps(en, sl->from, sl->to))
			continue;
		if (sl->pr && !may_match(sl, r, i)) {
			sl->frames_pruned++;
			continue;
		}
		pf.frames[pf.nframes++] = i;
		if ((int64_t)en->ts_min < pf.min_ts)
			pf.min_ts = (int64_t)en->ts_min;
	}
	if (!pf.nframes) {
		/* an empty result still names an interface, so that readers
		 * (editcap, tcpdump) accept the file */
		if (!sl->fallback.nidb && capfile_r_nidb(r) && !copy_idb(r, 0, &sl->fallback.idbs[0]))
			sl->fallback.nidb = 1;
		free_plan(&pf);
		goto return_ok;
	}
	v = realloc(sl->files, (sl->nfiles + 1) * sizeof(*v));
	if (!v) {
		e = -ENOMEM;
		goto out;
	}
	sl->files = v;
	sl->files[sl->nfiles++] = pf;
	return_ok:
	capfile_r_close(r);
	return 0;
out:
	free_plan(&pf);
	capfile_r_close(r);
	return e;
}

static int cmp_plan(const void *a, const void *b)
{
	const struct plan_file *x = a, *y = b;

	if (x->min_ts != y->min_ts)
		return x->min_ts < y->min_ts ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

struct slice *slice_create(struct store *st, int64_t from, int64_t to, const char *filter,
			   char *err, size_t errlen)
{
	struct slice *sl = calloc(1, sizeof(*sl));
	struct store_file *list = NULL;
	char path[4096];
	size_t n = 0;
	int e = ENOMEM;

	snprintf(err, errlen, "out of memory");
	if (!sl || !(sl->filter = strdup(filter ? filter : "")) ||
	    !(sl->bpf = bpfset_create(sl->filter)))
		goto fail;
	sl->st = st;
	sl->from = from;
	sl->to = to;
	if (sl->filter[0]) {
		sl->pr = prune_create(sl->filter);
		if (!sl->pr)
			goto fail;
		if (!prune_useful(sl->pr)) {
			prune_destroy(sl->pr);
			sl->pr = NULL;
		}
	}
	e = -store_list(st, &list, &n);
	if (e) {
		snprintf(err, errlen, "%s: %s", store_dir(st), strerror(e));
		goto fail;
	}
	sl->files_total = n;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", store_dir(st), list[i].name);
		e = -plan_file(sl, path, i, err, errlen);
		if (e)
			goto fail;
	}
	free(list);
	list = NULL;
	/* a bad filter is an error even when no file is chosen (Ethernet then) */
	if (!bpfset_count(sl->bpf) && sl->filter[0] &&
	    !bpfset_get(sl->bpf, 1, 262144, err, errlen)) {
		e = errno;
		goto fail;
	}
	if (sl->nfiles)
		qsort(sl->files, sl->nfiles, sizeof(*sl->files), cmp_plan);
	return sl;
fail:
	free(list);
	slice_destroy(sl);
	errno = e;
	return NULL;
}

void slice_destroy(struct slice *sl)
{
	if (!sl)
		return;
	bpfset_destroy(sl->bpf);
	for (size_t i = 0; i < sl->nfiles; i++)
		free_plan(&sl->files[i]);
	free_plan(&sl->fallback);
	free(sl->files);
	free(sl->filter);
	prune_destroy(sl->pr);
	obuf_free(&sl->fsbuf);
	free(sl);
}

/* ---- merge ---- */

struct head {
	struct cursor *c;
	struct plan_file *pf;
	struct cursor_pkt p;
};

/* ---- progress (capctl slice's bar on a terminal): begin ---- */
void slice_set_progress(struct slice *sl, slice_progress_fn fn, void *arg)
{
	sl->progress = fn;
	sl->progress_arg = arg;
	sl->progress_total = 0;
	for (size_t i = 0; i < sl->nfiles; i++)
		sl->progress_total += sl->files[i].nframes;
}

/* From the merge loop: reports when a cursor was retired (frames_read
 * changed) and every 4096 packets; frames of open cursors count too. */
static void report_progress(struct slice *sl, const struct slice_result *res,
			    const struct head *heap, size_t nheap)
{
	uint64_t frames = res->frames_read;

	if (res->packets - sl->progress_pk < 4096 && res->frames_read == sl->progress_fr)
		return;
	sl->progress_pk = res->packets;
	sl->progress_fr = res->frames_read;
	for (size_t i = 0; i < nheap; i++)
		frames += cursor_frames_read(heap[i].c);
	sl->progress(sl->progress_arg, frames, sl->progress_total, res->packets);
}
/* ---- progress: end ---- */

static bool before(const struct head *a, const struct head *b)
{
	return a->p.ts != b->p.ts ? a->p.ts < b->p.ts : a->pf->order < b->pf->order;
}

static void sift_down(struct head *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct head t;

		if (l < n && before(&h[l], &h[m]))
			m = l;
		if (l + 1 < n && before(&h[l + 1], &h[m]))
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void sift_up(struct head *h, size_t i)
{
	while (i && before(&h[i], &h[(i - 1) / 2])) {
		struct head t = h[i];

		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

/* Opens a planned file and reads its first
 * packet.  Returns 1 if it has one (pushed on the heap), 0 if not. */
/* Every interface goes out before the first packet: pcap needs the largest
 * snaplen in its header, and pcapng readers like IDBs up front. */
static int declare_interfaces(struct slice *sl, struct pktout *out, char *err,
			      size_t errlen)
{
	if (!sl->nfiles && sl->fallback.nidb) {
		int id = pktout_add_if(out, sl->fallback.idbs[0].block, sl->fallback.idbs[0].len,
				       &sl->fallback.idbs[0].idb, err, errlen);

		return id < 0 ? id : 0;
	}
	for (size_t f = 0; f < sl->nfiles; f++) {
		struct plan_file *pf = &sl->files[f];

		for (size_t i = 0; i < pf->nidb; i++) {
			pf->ifmap[i] = pktout_add_if(out, pf->idbs[i].block, pf->idbs[i].len,
						     &pf->idbs[i].idb, err, errlen);
			if (pf->ifmap[i] < 0)
				return pf->ifmap[i];
		}
	}
	return 0;
}

/* A cursor that is done: its counts into res, then it goes. */
static void retire(struct slice_result *res, struct cursor *c)
{
	int64_t b;
	uint64_t n = cursor_unlocked(c, &b);

	res->frames_read += cursor_frames_read(c);
	res->damaged_frames += cursor_damaged(c);
	if (n) {
		if (!res->unlocked)
			res->unlocked_bound = b;
		else if (res->unlocked_bound != INT64_MIN && (b == INT64_MIN || b > res->unlocked_bound))
			res->unlocked_bound = b;
		res->unlocked += n;
	}
	cursor_destroy(c);
}

static int activate(struct slice *sl, struct plan_file *pf, struct head *heap,
		    size_t *nheap, struct slice_result *res, char *err, size_t errlen)
{
	struct head h = { .pf = pf };

	h.c = cursor_create(pf->path, pf->frames, pf->nframes, sl->from, sl->to,
			    sl->filter[0] ? pf->progs : NULL, pf->nidb, err, errlen);
	if (!h.c) {
		if (errno == ENOENT) {
			fprintf(stderr, "capctl: %s was deleted (retention) during the slice; its "
				"packets are missing from the output\n", pf->path);
			res->files_skipped++;
			return 0;
		}
		return -errno;
	}
	res->files_read++;
	if (cursor_next(h.c, &h.p) != 1) {
		retire(res, h.c);
		return 0;
	}
	heap[(*nheap)++] = h;
	sift_up(heap, *nheap - 1);
	return 1;
}

int slice_run(struct slice *sl, struct pktout *out, struct slice_result *res, char *err,
	      size_t errlen)
{
	struct head *heap = calloc(sl->nfiles + 1, sizeof(*heap));
	size_t nheap = 0, pending = 0;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	res->unlocked_bound = INT64_MIN;
	res->files_total = sl->files_total;
	res->frames_total = sl->frames_total;
	res->frames_pruned = sl->frames_pruned;
	res->files_skipped = sl->files_skipped;
	if (!heap) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (out) {
		rc = declare_interfaces(sl, out, err, errlen);
		if (rc)
			goto out;
	}
	for (;;) {
		struct head *top;

		while (pending < sl->nfiles &&
		       (!nheap || sl->files[pending].min_ts <= (int64_t)heap[0].p.ts)) {
			rc = activate(sl, &sl->files[pending++], heap, &nheap, res, err, errlen);
			if (rc < 0)
				goto out;
		}
		if (sl->progress)   /* progress: see slice_set_progress */
			report_progress(sl, res, heap, nheap);
		if (!nheap)
			break;
		top = &heap[0];
		res->packets++;
		if (out) {
			rc = pktout_packet(out, (uint32_t)top->pf->ifmap[top->p.ifid], top->p.ts,
					   top->p.data, top->p.caplen, top->p.origlen,
					   top->p.flags, top->p.queue);
			if (rc) {
				snprintf(err, errlen, "writing: %s", strerror(-rc));
				goto out;
			}
		}
		if (cursor_next(top->c, &top->p) != 1) {
			retire(res, top->c);
			heap[0] = heap[--nheap];
		}
		sift_down(heap, nheap, 0);
	}
	rc = 0;
out:
	for (size_t i = 0; i < nheap; i++)
		retire(res, heap[i].c);
	free(heap);
	return rc;
}
