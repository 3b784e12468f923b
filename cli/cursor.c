#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capctl.h"
#include "capfile.h"
#include "clockq.h"
#include "cursor.h"

struct cursor {
	struct capfile_r *r;
	size_t *frames, nframes, next_frame;
	int64_t from, to;
	const struct bpf_program *const *progs;
	size_t nprogs;
	uint64_t hz[CAPFILE_MAX_IF];             /* units per second of each interface */
	struct obuf buf;
	size_t off;                  /* in buf */
	uint64_t frames_read, damaged;
	uint8_t clock_state;         /* of the frame in buf */
	int64_t clock_bound;
	uint64_t unlocked;           /* packets delivered from frames not locked */
	int64_t unlocked_bound;      /* their worst bound; INT64_MIN unknown */
	bool unlocked_known;         /* every one of them had a bound */
};

struct cursor *cursor_create(const char *path, const size_t *frames, size_t nframes,
			     int64_t from, int64_t to, const struct bpf_program *const *progs,
			     size_t nprogs, char *err, size_t errlen)
{
	struct cursor *c = calloc(1, sizeof(*c));
	int e = ENOMEM;

	snprintf(err, errlen, "out of memory");
	if (!c)
		goto fail;
	c->frames = malloc((nframes ? nframes : 1) * sizeof(*frames));
	if (!c->frames)
		goto fail;
	memcpy(c->frames, frames, nframes * sizeof(*frames));
	c->nframes = nframes;
	c->from = from;
	c->to = to;
	c->progs = progs;
	c->nprogs = nprogs;
	c->r = capctl_open_file(path, err, errlen);
	if (!c->r) {
		e = errno;
		goto fail;
	}
	for (size_t i = 0; i < capfile_r_nidb(c->r) && i < CAPFILE_MAX_IF; i++)
		c->hz[i] = pcapng_tsresol_hz(capfile_r_idb(c->r, i)->tsresol);
	return c;
fail:
	cursor_destroy(c);
	errno = e;
	return NULL;
}

void cursor_destroy(struct cursor *c)
{
	if (!c)
		return;
	capfile_r_close(c->r);
	obuf_free(&c->buf);
	free(c->frames);
	free(c);
}

static uint64_t to_ns(uint64_t ts, uint64_t hz)
{
	if (hz == 1000000000u || !hz)
		return ts;
	/* split to avoid overflow of ts * 1e9 */
	return ts / hz * 1000000000u + ts % hz * 1000000000u / hz;
}

static bool load_next_frame(struct cursor *c)
{
	while (c->next_frame < c->nframes) {
		size_t i = c->frames[c->next_frame++];
		int err = capfile_r_frame(c->r, i, &c->buf);

		c->off = 0;
		if (!err) {
			c->frames_read++;
			c->clock_state = capfile_r_entry(c->r, i)->clock_state;
			c->clock_bound = capfile_r_entry(c->r, i)->clock_worst_ns;
			return true;
		}
		c->damaged++;
		capctl_err("%s: %s; frame skipped", capfile_r_path(c->r),
			   err == -EBADMSG ? capfile_r_error(c->r) : strerror(-err));
	}
	return false;
}

int cursor_next(struct cursor *c, struct cursor_pkt *p)
{
	struct pcapng_block blk;
	struct pcapng_epb e;
	int rc;

	for (;;) {
		if (c->off >= c->buf.len && !load_next_frame(c))
			return 0;
		rc = pcapng_next_block(c->buf.data, c->buf.len, &c->off, &blk);
		if (rc != 1) {
			if (rc < 0) {
				/* the frame decoded but its blocks do not parse */
				c->damaged++;
				capctl_err("%s: frame %zu: pcapng block damaged at byte %zu; "
					   "rest of frame skipped", capfile_r_path(c->r),
					   c->frames[c->next_frame - 1], c->off);
			}
			c->off = c->buf.len;
			continue;
		}
		if (blk.type != PCAPNG_BT_EPB || pcapng_parse_epb(&blk, &e) ||
		    e.ifid >= capfile_r_nidb(c->r))
			continue;
		p->ts = to_ns(e.ts, e.ifid < CAPFILE_MAX_IF ? c->hz[e.ifid] : 0);
		if ((int64_t)p->ts < c->from || (int64_t)p->ts >= c->to)
			continue;
		if (c->progs && e.ifid < c->nprogs && c->progs[e.ifid]) {
			struct pcap_pkthdr h = { .caplen = e.caplen, .len = e.origlen };

			if (!pcap_offline_filter(c->progs[e.ifid], &h, e.data))
				continue;
		}
		if (c->clock_state == CLOCKQ_FREERUN || c->clock_state == CLOCKQ_HOLDOVER) {
			if (!c->unlocked++)
				c->unlocked_known = true;
			if (c->clock_bound == INT64_MIN)
				c->unlocked_known = false;
			else if (c->clock_bound > c->unlocked_bound)
				c->unlocked_bound = c->clock_bound;
		}
		p->ifid = e.ifid;
		p->caplen = e.caplen;
		p->origlen = e.origlen;
		p->flags = e.flags;
		p->queue = e.queue;
		p->data = e.data;
		return 1;
	}
}

uint64_t cursor_frames_read(const struct cursor *c)
{
	return c->frames_read;
}

uint64_t cursor_unlocked(const struct cursor *c, int64_t *bound)
{
	*bound = c->unlocked && c->unlocked_known ? c->unlocked_bound : INT64_MIN;
	return c->unlocked;
}

uint64_t cursor_damaged(const struct cursor *c)
{
	return c->damaged;
}
