/* The writer thread; see writer.h. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capfile.h"
#include "clockprov.h"
#include "comp.h"
#include "log.h"
#include "writer.h"

#define LADDER_MAX 32
/* Adaptive, by ring fill in sixteenths: at PANIC straight to raw frames
 * (a full ring drops packets), at DOWN one rung lower, at UP or less one
 * rung higher once HOLD frames have passed since the last change. */
#define ADAPT_PANIC_16THS 12
#define ADAPT_DOWN_16THS 4
#define ADAPT_UP_16THS 1
#define ADAPT_HOLD_FRAMES 8
#define WRITER_IDLE_NS 10000000
/* A store that refused a write (full, or failing) is tried again this
 * often; after a full disk, writing resumes once this much (or two frames)
 * is free. */
#define WRITER_RETRY_NS 1000000000
#define WRITER_ROOM_MIN (1u << 20)
#define WRITER_HEADROOM_MAX (1ull << 30)

struct writer {
	struct writer_opts o;
	char *iface;
	struct batch_pool *pool;
	pthread_t thread;
	bool started;
	atomic_bool finishing;
	pthread_mutex_t lock;           /* stats, ifs */
	struct writer_stats st;
	struct writer_ifstats ifs;
	struct writer_opts next;        /* under lock: settings to take */
	atomic_uint next_gen, rotate_gen;

	/* thread-private */
	unsigned gen, rotated;
	int64_t isb_last_ns;            /* monotonic time of the last ISB */
	uint64_t isb_sig;               /* its counters, summed */
	struct capfile_w *cf;
	int64_t file_start_ns;
	uint64_t clock_gen;             /* clockprov generation of the open file */
	int64_t frame_open_ns;          /* monotonic time the open frame began */
	uint64_t ts_first_all, ts_max_all;
	int ladder[LADDER_MAX];
	int nladder, rung, hold;
	struct log_limit err_limit;
	/* Writing paused because the store refused it (a full disk, a file
	 * that cannot be made or closed): packets are counted as lost, and
	 * every WRITER_RETRY_NS the writer tries again (retry_paused).  The
	 * pause ends with the first frame written after it. */
	int pause_err;                  /* negative errno; 0: writing (or trying again) */
	int64_t pause_since, retry_at;  /* monotonic; pause_since 0: no pause */
	uint64_t pause_lost;            /* lost_packets when the pause began */
	struct capfile_w *unsealed;     /* a file whose close failed: kept open and
					 * locked (a clean prefix), sealed by a retry */
	struct log_limit full_limit;
	struct log_limit room_limit;    /* make_room, at most once a minute */
};

static int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Levels adaptive walks through, best compression first, ending in raw. */
static void build_ladder(struct writer *w)
{
	static const int fast[] = { -1, -3, -5, -7 };
	int top = w->o.adaptive_ceiling > 0 ? w->o.adaptive_ceiling : 3;

	w->nladder = 0;
	for (int l = top; l >= 1 && w->nladder < LADDER_MAX - 6; l--)
		w->ladder[w->nladder++] = l;
	for (size_t i = 0; i < sizeof(fast) / sizeof(fast[0]); i++)
		w->ladder[w->nladder++] = fast[i];
	w->ladder[w->nladder++] = COMP_LEVEL_STORED;
}

static int pick_level(struct writer *w)
{
	size_t q, size;

	if (w->o.level != WRITER_LEVEL_ADAPTIVE)
		return w->o.level;
	if (w->o.lossless_source)
		return w->ladder[0];
	q = batch_pool_queued(w->pool);
	size = batch_pool_size(w->pool);
	if (w->hold)
		w->hold--;
	if (q * 16 >= size * ADAPT_PANIC_16THS) {
		w->rung = w->nladder - 1;
		w->hold = ADAPT_HOLD_FRAMES;
	} else if (q * 16 >= size * ADAPT_DOWN_16THS && w->rung < w->nladder - 1) {
		w->rung++;
		w->hold = ADAPT_HOLD_FRAMES;
	} else if (q * 16 <= size * ADAPT_UP_16THS && w->rung > 0 && !w->hold) {
		w->rung--;
		w->hold = ADAPT_HOLD_FRAMES;
	}
	return w->ladder[w->rung];
}

static bool no_room(int err)
{
	return err == -ENOSPC || err == -EDQUOT;
}

/* A frame was written after a pause: said once, with what it cost. */
static void end_pause(struct writer *w)
{
	uint64_t lost;

	pthread_mutex_lock(&w->lock);
	lost = w->st.lost_packets - w->pause_lost;
	w->st.store_error = 0;
	w->st.pause_since_ns = 0;
	pthread_mutex_unlock(&w->lock);
	log_msg(LOG_NOTICE, "%s: writing again, into %s, after %.1f s in which %llu packets "
		"were lost (counted as lost, and in the ISBs)", store_dir(w->o.store),
		capfile_w_path(w->cf), (double)(log_now_ns() - w->pause_since) / 1e9,
		(unsigned long long)lost);
	w->pause_since = 0;
}

/* Ends the open frame; on a write error its packets are counted lost and
 * the error returned (the file is cut back to its last whole frame). */
static int flush_frame(struct writer *w)
{
	const struct capindex_entry *open = capfile_w_frame(w->cf);
	struct capindex_entry done;
	uint64_t lost = 0;
	int err;

	if (!open)
		return 0;
	done = *open;
	err = capfile_w_flush(w->cf, &lost);

	pthread_mutex_lock(&w->lock);
	if (err) {
		w->st.lost_packets += lost;
		w->st.write_errors++;
	} else {
		w->st.packets += done.packets;
		w->st.bytes += done.bytes;
		w->st.capbytes += done.capbytes;
		w->st.frames++;
		w->st.pcapng_bytes += done.usize;
	}
	pthread_mutex_unlock(&w->lock);
	if (err)
		log_limited(&w->err_limit, LOG_ERR, "%s: frame lost (%llu packets): %s",
			    capfile_w_path(w->cf), (unsigned long long)lost, strerror(-err));
	else if (w->pause_since)
		end_pause(w);
	return err;
}

/* Interface statistics for the ISB that closes a file: counters since the
 * capture started, as pcapng defines them. */
static void fill_isb(struct writer *w, struct pcapng_isb *isb, char *comment, size_t len)
{
	struct writer_ifstats ifs;
	uint64_t stored, lost, fed = 0, ringdrop = 0;

	pthread_mutex_lock(&w->lock);
	ifs = w->ifs;
	stored = w->st.packets;
	lost = w->st.lost_packets;
	pthread_mutex_unlock(&w->lock);
	if (w->o.feeder) {
		fed = feeder_packets(w->o.feeder);
		ringdrop = feeder_drops(w->o.feeder);
	}
	pcapng_isb_init(isb, 0);
	isb->ts = w->ts_max_all;
	isb->starttime = ifs.start_ns ? ifs.start_ns : w->ts_first_all;
	isb->endtime = w->ts_max_all;
	isb->ifrecv = ifs.ifrecv > fed + ringdrop ? ifs.ifrecv : fed + ringdrop;
	isb->ifdrop = ifs.ifdrop;
	isb->osdrop = ifs.osdrop + ringdrop + lost;
	isb->usrdeliv = stored;
	snprintf(comment, len, "counters since capture start; osdrop = %llu bypass ring + "
		 "%llu writer ring full + %llu write errors; %llu packets in flight",
		 (unsigned long long)ifs.osdrop, (unsigned long long)ringdrop,
		 (unsigned long long)lost,
		 (unsigned long long)(fed > stored + lost ? fed - stored - lost : 0));
	isb->comment = comment;
}

static void run_retention(struct writer *w)
{
	uint64_t files = 0, bytes = 0;
	int err;

	if (!w->o.retain_size && !w->o.retain_age_ns)
		return;
	err = store_retain(w->o.store, w->o.retain_size, w->o.retain_age_ns, wall_ns(), &files,
			   &bytes);
	if (err)
		log_limited(&w->err_limit, LOG_ERR, "retention in %s: %s", store_dir(w->o.store),
			    strerror(-err));
	pthread_mutex_lock(&w->lock);
	w->st.retained_files += files;
	w->st.retained_bytes += bytes;
	pthread_mutex_unlock(&w->lock);
}

/* Free bytes wanted before writing resumes after a full disk. */
static uint64_t room_wanted(const struct writer *w)
{
	uint64_t want = 2 * (uint64_t)w->o.frame_size;

	return want < WRITER_ROOM_MIN ? WRITER_ROOM_MIN : want;
}

/* Free bytes size-based retention keeps on the file system: room for a
 * whole file (at most 1 GiB) and two frames. */
static uint64_t headroom(const struct writer *w)
{
	return room_wanted(w) + (w->o.rotate_size < WRITER_HEADROOM_MAX ? w->o.rotate_size :
				 WRITER_HEADROOM_MAX);
}

/* A full disk, or one about to be, under size-based retention: the oldest
 * files go, whatever retain_size says, until there is headroom again.
 * True when there is room to write. */
static bool make_room(struct writer *w)
{
	uint64_t files = 0, bytes = 0, avail = 0;
	int err;

	if (!w->o.retain_size)
		return false;
	err = store_make_room(w->o.store, headroom(w), &files, &bytes);
	if (err)
		log_limited(&w->err_limit, LOG_ERR, "retention in %s: %s", store_dir(w->o.store),
			    strerror(-err));
	if (files) {
		pthread_mutex_lock(&w->lock);
		w->st.retained_files += files;
		w->st.retained_bytes += bytes;
		pthread_mutex_unlock(&w->lock);
		/* routine when retain_size exceeds what the file system holds */
		log_limited(&w->room_limit, LOG_WARNING, "%s: file system (almost) full: "
			    "deleted the %llu oldest files (%llu bytes) to make room (retain_size)",
			    store_dir(w->o.store), (unsigned long long)files,
			    (unsigned long long)bytes);
	}
	return !store_space(w->o.store, &avail) && avail >= room_wanted(w);
}

/* Stops writing until a retry works (retry_paused): packets are counted
 * as lost meanwhile.  Said once per pause. */
static void pause_writing(struct writer *w, int err)
{
	int64_t now = log_now_ns();

	if (!w->pause_since) {
		w->pause_since = now;
		pthread_mutex_lock(&w->lock);
		w->pause_lost = w->st.lost_packets;
		w->st.pause_since_ns = now;
		pthread_mutex_unlock(&w->lock);
		log_msg(LOG_ERR, "%s: %s (%s): writing paused, packets are counted as lost; "
			"trying again every second", store_dir(w->o.store),
			no_room(err) ? "store full" : "store not writable", strerror(-err));
	}
	w->pause_err = err;
	w->retry_at = now + WRITER_RETRY_NS;
	pthread_mutex_lock(&w->lock);
	w->st.store_error = -err;
	pthread_mutex_unlock(&w->lock);
}

/* Writes the closing ISB and seals cf (capfile_w_close); on success
 * counts it and frees it.  On failure cf stays open: see capfile_w_close. */
static int seal_file(struct writer *w, struct capfile_w *cf)
{
	struct pcapng_isb isb;
	char comment[256];
	uint64_t lost = 0;
	int err;

	fill_isb(w, &isb, comment, sizeof(comment));
	err = capfile_w_close(cf, &isb, 1, &lost);
	pthread_mutex_lock(&w->lock);
	w->st.lost_packets += lost;
	if (!err) {
		w->st.files++;
		w->st.disk_bytes += capfile_w_size(cf);
		w->st.unsealed[0] = 0;
	}
	pthread_mutex_unlock(&w->lock);
	if (!err)
		capfile_w_destroy(cf);
	return err;
}

/* A file that could not be closed stays open and locked (so that no
 * reader takes it for torn and no retention deletes it) until a retry
 * seals it; writing pauses meanwhile. */
static void set_aside(struct writer *w, struct capfile_w *cf, int err)
{
	if (w->unsealed) {
		/* not expected: no file opens while one waits */
		log_msg(LOG_ERR, "%s: left as a torn .part file; captured seals it at its next "
			"start (or capctl verify --repair)", capfile_w_path(w->unsealed));
		capfile_w_destroy(w->unsealed);
	}
	w->unsealed = cf;
	pthread_mutex_lock(&w->lock);
	snprintf(w->st.unsealed, sizeof(w->st.unsealed), "%s", capfile_w_path(cf));
	pthread_mutex_unlock(&w->lock);
	log_limited(&w->err_limit, LOG_ERR, "%s: closing: %s; kept open, to be sealed once the "
		    "store takes writes again", capfile_w_path(cf), strerror(-err));
	pause_writing(w, err);
}

/* Ends the open file: last frame, ISB, seek table, rename; then retention. */
static void close_file(struct writer *w)
{
	struct capfile_w *cf;
	uint64_t avail;
	int err;

	flush_frame(w);     /* a failure is counted; the close tries the rest */
	cf = w->cf;
	pthread_mutex_lock(&w->lock);
	w->cf = NULL;
	w->st.current[0] = 0;
	pthread_mutex_unlock(&w->lock);
	err = seal_file(w, cf);
	if (err && no_room(err) && make_room(w))
		err = seal_file(w, cf);
	if (err)
		set_aside(w, cf, err);
	run_retention(w);
	/* size-based retention also keeps room for the next file, so that a
	 * file system smaller than retain_size does not fill up */
	if (w->o.retain_size && !store_space(w->o.store, &avail) && avail < headroom(w))
		make_room(w);
}

/* A frame or statistics block could not be written (its packets are
 * counted).  A full disk: size-based retention may make room, and the
 * writer goes on in the same file; otherwise the file is closed (now, or
 * by a retry) and writing pauses.  Other errors cost that frame only. */
static void write_failed(struct writer *w, int err)
{
	if (!err || !no_room(err) || make_room(w))
		return;
	pause_writing(w, err);
	if (w->cf)
		close_file(w);
}

/* While paused, every WRITER_RETRY_NS: retention, the seal of a file whose
 * close failed (it needs little room), and, once the store has room, new
 * attempts: the next packet opens a new file. */
static void retry_paused(struct writer *w)
{
	uint64_t avail, lost;
	char path[512];
	int64_t now;
	int err;

	if (!w->pause_err)
		return;
	now = log_now_ns();
	if (now < w->retry_at)
		return;
	w->retry_at = now + WRITER_RETRY_NS;
	run_retention(w);
	if (no_room(w->pause_err))
		make_room(w);
	if (w->unsealed) {
		snprintf(path, sizeof(path), "%s", capfile_w_path(w->unsealed));
		err = seal_file(w, w->unsealed);
		if (err) {
			log_limited(&w->full_limit, LOG_WARNING, "%s: closing: %s; trying again",
				    path, strerror(-err));
			pause_writing(w, err);
			return;
		}
		w->unsealed = NULL;
		capfile_strip_suffix(path, CAPFILE_PART_SUFFIX);
		log_msg(LOG_NOTICE, "%s: closed, once the store took writes again", path);
	}
	if (w->pause_err == -ENOSPC && !store_space(w->o.store, &avail) &&
	    avail < room_wanted(w)) {
		pthread_mutex_lock(&w->lock);
		lost = w->st.lost_packets - w->pause_lost;
		pthread_mutex_unlock(&w->lock);
		log_limited(&w->full_limit, LOG_WARNING, "%s: store still full (%llu bytes free, "
			    "%llu wanted): %llu packets lost in %.0f s", store_dir(w->o.store),
			    (unsigned long long)avail, (unsigned long long)room_wanted(w),
			    (unsigned long long)lost, (double)(now - w->pause_since) / 1e9);
		return;
	}
	w->pause_err = 0;
}

static int open_file(struct writer *w, int64_t start_ns)
{
	struct capfile_w_opts co = {
		.plain = w->o.plain,
		.shb_hardware = w->o.shb_hardware,
		.shb_os = w->o.shb_os,
		.shb_userappl = w->o.shb_userappl,
		.idbs = &w->o.idb,
		.nidb = 1,
		.flow_index = w->o.flow_index,
	};
	char name[256], path[4096], comment[1024], kv[CAPINDEX_TIME_MAX + 1];
	struct capfile_w *cf = NULL;
	int err = 0;

	if (w->o.clock) {
		w->clock_gen = clockprov_section(w->o.clock, comment, sizeof(comment), kv,
						 sizeof(kv));
		co.shb_comment = comment[0] ? comment : NULL;
		co.timeinfo = kv[0] ? kv : NULL;
	}
	for (int seq = 0; seq < 1000; seq++) {
		err = store_name(name, sizeof(name), start_ns, w->iface, w->o.queue, seq,
				 w->o.plain);
		if (err)
			return err;
		snprintf(path, sizeof(path), "%s/%s", store_dir(w->o.store), name);
		co.path = path;
		cf = capfile_w_create(&co);
		if (cf)
			break;
		err = -errno;
		if (err != -EEXIST)
			return err;
	}
	if (!cf)
		return err;
	w->file_start_ns = start_ns;
	/* writer_get_stats reads w->cf under the lock */
	pthread_mutex_lock(&w->lock);
	w->cf = cf;
	snprintf(w->st.current, sizeof(w->st.current), "%s", capfile_w_path(cf));
	pthread_mutex_unlock(&w->lock);
	return 0;
}

/* Packets stored nowhere; error: a write was tried and failed (not a
 * batch that found writing paused). */
static void count_lost(struct writer *w, uint32_t packets, bool error)
{
	pthread_mutex_lock(&w->lock);
	w->st.lost_packets += packets;
	w->st.write_errors += error;
	pthread_mutex_unlock(&w->lock);
}

/* Puts a run of packets (a view into a batch) into the open frame, opening
 * a file and a frame as needed. */
static void feed_run(struct writer *w, const struct batch *v)
{
	int level, err;

	if (!v->packets)
		return;
	if (!w->cf) {
		if (w->pause_err) {
			count_lost(w, v->packets, false);
			return;
		}
		err = open_file(w, (int64_t)v->ts_first);
		if (err && no_room(err) && make_room(w))
			err = open_file(w, (int64_t)v->ts_first);
		if (err) {
			count_lost(w, v->packets, true);
			log_limited(&w->err_limit, LOG_ERR, "%s: cannot open a new file: %s",
				    store_dir(w->o.store), strerror(-err));
			pause_writing(w, err);
			return;
		}
	}
	level = capfile_w_pending(w->cf) ? w->st.level : pick_level(w);
	if (!capfile_w_pending(w->cf)) {
		w->frame_open_ns = log_now_ns();
		pthread_mutex_lock(&w->lock);
		w->st.level = level;
		w->st.level_frames[w->o.plain ? 2 : level == COMP_LEVEL_STORED]++;
		pthread_mutex_unlock(&w->lock);
	}
	err = capfile_w_feed(w->cf, v, level);
	if (err) {
		count_lost(w, v->packets, true);
		log_limited(&w->err_limit, LOG_ERR, "%s: compressing: %s",
			    capfile_w_path(w->cf), strerror(-err));
		return;
	}
	if (w->o.clock) {
		uint8_t state;
		int64_t bound;

		clockprov_quality(w->o.clock, &state, &bound);
		capfile_w_clock(w->cf, state, bound);
	}
	if (!w->ts_first_all)
		w->ts_first_all = v->ts_first;
	if (v->ts_max > w->ts_max_all)
		w->ts_max_all = v->ts_max;
}

static void run_start(struct batch *v, const struct batch *b, size_t at)
{
	memset(v, 0, sizeof(*v));
	v->data = b->data + at;
}

static void run_add(struct batch *v, uint64_t ts, uint32_t caplen, uint32_t origlen,
		    uint32_t blen)
{
	if (!v->packets) {
		v->ts_first = v->ts_min = v->ts_max = ts;
	} else {
		v->ts_min = ts < v->ts_min ? ts : v->ts_min;
		v->ts_max = ts > v->ts_max ? ts : v->ts_max;
	}
	v->ts_last = ts;
	v->packets++;
	v->bytes += origlen;
	v->capbytes += caplen;
	v->len += blen;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Walks the EPBs of a batch (made by batch_add, so well formed) and cuts
 * frames and files at exact packet boundaries: a frame ends before the
 * packet that would take it past frame_size, a file before the first
 * packet rotate_time after the file's first, or at the first frame
 * boundary past rotate_size. */
/* Ends the open frame, and the file if that made it big enough. */
static void cut_frame(struct writer *w)
{
	write_failed(w, flush_frame(w));
	if (w->cf && capfile_w_size(w->cf) >= w->o.rotate_size)
		close_file(w);
}

static void cut_full_frame(struct writer *w)
{
	if (w->cf && capfile_w_pending(w->cf) >= w->o.frame_size)
		cut_frame(w);
}

static void handle(struct writer *w, const struct batch *b)
{
	size_t fill = w->cf ? capfile_w_pending(w->cf) : 0;
	int64_t start = w->cf ? w->file_start_ns : (int64_t)b->ts_first;
	struct batch v;
	size_t off = 0;

	/* where the timestamps come from changed: a new file, a new section */
	if (w->cf && w->o.clock && clockprov_gen(w->o.clock) != w->clock_gen) {
		close_file(w);
		fill = 0;
		start = (int64_t)b->ts_first;
	}
	/* No cut can fall inside a batch that fits in the open frame and ends
	 * before the rotation time: feed it whole, with the totals batch_add
	 * kept, instead of walking its packets. */
	if (fill + b->len <= w->o.frame_size &&
	    (!w->o.rotate_ns || (int64_t)b->ts_max - start < w->o.rotate_ns)) {
		feed_run(w, b);
		cut_full_frame(w);
		return;
	}
	run_start(&v, b, 0);
	while (off + 28 <= b->len) {
		const uint8_t *p = b->data + off;
		uint32_t blen = rd32(p + 4);
		uint64_t ts = (uint64_t)rd32(p + 12) << 32 | rd32(p + 16);

		/* the open frame: what the file holds pending plus this run; the
		 * file's first packet, even before feed_run has opened it */
		fill = (w->cf ? capfile_w_pending(w->cf) : 0) + v.len;
		start = w->cf ? w->file_start_ns : (int64_t)v.ts_first;

		if (blen < 32 || blen > b->len - off)
			break;
		if ((w->cf || v.packets) && w->o.rotate_ns &&
		    (int64_t)ts - start >= w->o.rotate_ns) {
			feed_run(w, &v);
			if (w->cf)
				close_file(w);
			run_start(&v, b, off);
		} else if (fill && fill + blen > w->o.frame_size) {
			feed_run(w, &v);
			if (w->cf)
				cut_frame(w);
			run_start(&v, b, off);
		}
		run_add(&v, ts, rd32(p + 20), rd32(p + 24), blen);
		off += blen;
	}
	feed_run(w, &v);
	cut_full_frame(w);
}

/* An ISB every isb_ns while a file is open, so that a file being written
 * says what was dropped so far, not only at its end. */
static void periodic_isb(struct writer *w)
{
	struct pcapng_isb isb;
	char comment[256];
	uint64_t lost = 0, sig;
	int64_t now;
	int err;

	if (!w->cf || !w->o.isb_ns)
		return;
	now = log_now_ns();
	if (now - w->isb_last_ns < w->o.isb_ns)
		return;
	w->isb_last_ns = now;
	fill_isb(w, &isb, comment, sizeof(comment));
	/* nothing new since the last one: a quiet queue adds no blocks */
	sig = isb.ifrecv + isb.ifdrop + isb.osdrop + isb.usrdeliv;
	if (sig == w->isb_sig && capfile_w_frame(w->cf) == NULL)
		return;
	w->isb_sig = sig;
	write_failed(w, flush_frame(w));
	if (!w->cf)
		return;
	fill_isb(w, &isb, comment, sizeof(comment));
	err = capfile_w_stats(w->cf, &isb, 1, &lost);
	if (err) {
		log_limited(&w->err_limit, LOG_ERR, "%s: interface statistics: %s",
			    capfile_w_path(w->cf), strerror(-err));
		write_failed(w, err);
	}
}

/* Requests from other threads: new settings, rotation. */
static void take_requests(struct writer *w)
{
	unsigned gen = atomic_load_explicit(&w->next_gen, memory_order_acquire);
	unsigned rot = atomic_load_explicit(&w->rotate_gen, memory_order_acquire);
	bool was_plain = w->o.plain;

	if (gen != w->gen) {
		w->gen = gen;
		pthread_mutex_lock(&w->lock);
		w->o.plain = w->next.plain;
		w->o.level = w->next.level;
		w->o.adaptive_ceiling = w->next.adaptive_ceiling;
		w->o.frame_size = w->next.frame_size ? w->next.frame_size : 1 << 20;
		w->o.flush_ns = w->next.flush_ns;
		w->o.rotate_size = w->next.rotate_size ? w->next.rotate_size : UINT64_MAX;
		w->o.rotate_ns = w->next.rotate_ns;
		w->o.retain_size = w->next.retain_size;
		w->o.retain_age_ns = w->next.retain_age_ns;
		w->o.isb_ns = w->next.isb_ns;
		w->o.flow_index = w->next.flow_index;   /* from the next file on */
		pthread_mutex_unlock(&w->lock);
		build_ladder(w);
		w->rung = 0;
		if (w->o.plain != was_plain && w->cf)
			close_file(w);
	}
	if (rot != w->rotated) {
		w->rotated = rot;
		if (w->cf)
			close_file(w);
	}
}

/* How long the idle writer may sleep: WRITER_IDLE_NS, or less when the
 * open frame must be flushed sooner (flush_ns is a bound, not a period). */
static int64_t idle_wait(const struct writer *w)
{
	int64_t due;

	if (!w->cf || !w->o.flush_ns || !capfile_w_pending(w->cf))
		return WRITER_IDLE_NS;
	due = w->frame_open_ns + w->o.flush_ns - log_now_ns();
	return due <= 0 ? 0 : due < WRITER_IDLE_NS ? due : WRITER_IDLE_NS;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	unsigned idle = 0;

	for (;;) {
		struct batch *b = batch_pool_get_full(w->pool);

		take_requests(w);
		retry_paused(w);
		periodic_isb(w);
		if (b) {
			idle = 0;
			handle(w, b);
			batch_pool_put_free(w->pool, b);
			continue;
		}
		if (atomic_load_explicit(&w->finishing, memory_order_acquire)) {
			/* the producer's last push happened before it set the flag */
			b = batch_pool_get_full(w->pool);
			if (!b)
				break;
			handle(w, b);
			batch_pool_put_free(w->pool, b);
			continue;
		}
		if (w->cf && w->o.flush_ns && capfile_w_pending(w->cf) &&
		    log_now_ns() - w->frame_open_ns >= w->o.flush_ns)
			write_failed(w, flush_frame(w));
		/* nothing queued: spin briefly, then sleep until the producer
		 * pushes a batch, waking every 10 ms for ISBs and requests from
		 * other threads, and when the open frame's flush is due */
		if (++idle < 64)
			continue;
		batch_pool_wait_full(w->pool, idle_wait(w));
	}
	if (w->cf)
		close_file(w);
	/* a file still waiting to be sealed gets one last try */
	if (w->unsealed && w->pause_err) {
		w->retry_at = 0;
		retry_paused(w);
	}
	if (w->unsealed) {
		log_msg(LOG_ERR, "%s: left as a torn .part file (readable up to its last whole "
			"frame); captured seals it at its next start, or capctl verify --repair",
			capfile_w_path(w->unsealed));
		capfile_w_destroy(w->unsealed);
		w->unsealed = NULL;
	}
	return NULL;
}

struct writer *writer_create(const struct writer_opts *o, struct batch_pool *pool)
{
	struct writer *w = calloc(1, sizeof(*w));
	struct log_limit lim = LOG_LIMIT_INIT(10);

	if (!w)
		goto nomem;
	w->o = *o;
	w->pool = pool;
	w->iface = strdup(o->iface ? o->iface : "unknown");
	if (!w->iface)
		goto nomem;
	if (!w->o.frame_size)
		w->o.frame_size = 1 << 20;
	if (!w->o.rotate_size)
		w->o.rotate_size = UINT64_MAX;
	w->err_limit = lim;
	w->full_limit = lim;
	w->room_limit = (struct log_limit)LOG_LIMIT_INIT(60);
	atomic_init(&w->finishing, false);
	atomic_init(&w->next_gen, 0);
	atomic_init(&w->rotate_gen, 0);
	w->isb_last_ns = log_now_ns();
	pthread_mutex_init(&w->lock, NULL);
	build_ladder(w);
	w->st.level = o->level == WRITER_LEVEL_ADAPTIVE ? w->ladder[0] : o->level;
	return w;
nomem:
	writer_destroy(w);
	errno = ENOMEM;
	return NULL;
}

int writer_start(struct writer *w)
{
	uint64_t files = 0, bytes = 0;
	int err;

	if (w->o.retain_size || w->o.retain_age_ns)
		store_retain(w->o.store, w->o.retain_size, w->o.retain_age_ns, wall_ns(),
			     &files, &bytes);
	w->st.retained_files = files;
	w->st.retained_bytes = bytes;
	err = pthread_create(&w->thread, NULL, writer_main, w);
	if (err)
		return -err;
	w->started = true;
	return 0;
}

int writer_finish(struct writer *w)
{
	if (!w->started)
		return 0;
	atomic_store_explicit(&w->finishing, true, memory_order_release);
	pthread_join(w->thread, NULL);
	w->started = false;
	return 0;
}

void writer_destroy(struct writer *w)
{
	if (!w)
		return;
	writer_finish(w);
	if (w->cf)
		capfile_w_destroy(w->cf);
	if (w->unsealed)
		capfile_w_destroy(w->unsealed);
	pthread_mutex_destroy(&w->lock);
	free(w->iface);
	free(w);
}

void writer_rotate(struct writer *w)
{
	atomic_fetch_add_explicit(&w->rotate_gen, 1, memory_order_release);
}

void writer_reconfigure(struct writer *w, const struct writer_opts *o)
{
	pthread_mutex_lock(&w->lock);
	w->next = *o;
	pthread_mutex_unlock(&w->lock);
	atomic_fetch_add_explicit(&w->next_gen, 1, memory_order_release);
}

void writer_set_ifstats(struct writer *w, const struct writer_ifstats *s)
{
	pthread_mutex_lock(&w->lock);
	w->ifs = *s;
	pthread_mutex_unlock(&w->lock);
}

void writer_get_stats(struct writer *w, struct writer_stats *s)
{
	pthread_mutex_lock(&w->lock);
	*s = w->st;
	if (w->cf)
		s->disk_bytes += capfile_w_size(w->cf);
	pthread_mutex_unlock(&w->lock);
}
