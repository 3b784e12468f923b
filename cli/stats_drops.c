/* capctl stats: drops per interval from the Interface Statistics Blocks;
 * see stats.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capctl.h"
#include "stats_int.h"

/* osdrop's parts, from the comment the writer puts in its ISBs
 * (writer.c fill_isb); the counters themselves are standard options. */
static void isb_comment(const struct pcapng_block *blk, struct stats_drops *d)
{
	uint32_t off = 12;          /* interface ID, timestamp */

	while (off + 4 <= blk->body_len) {
		uint16_t code, len;
		char text[256];

		memcpy(&code, blk->body + off, 2);
		memcpy(&len, blk->body + off + 2, 2);
		off += 4;
		if (!code || off + len > blk->body_len)
			return;
		if (code == 1) {
			snprintf(text, sizeof(text), "%.*s", (int)len, (const char *)blk->body + off);
			sscanf(text, "counters since capture start; osdrop = %" SCNu64 " bypass ring + %"
			       SCNu64 " writer ring full + %" SCNu64 " write errors", &d->bypass,
			       &d->writer, &d->write_errors);
		}
		off += (len + 3u) & ~3u;
	}
}

static uint64_t counter(uint64_t v)
{
	return v == PCAPNG_ISB_ABSENT ? 0 : v;
}

int stats_read_isbs(struct stats_ctx *c, struct capfile_r *r, size_t i, uint64_t pk_before)
{
	struct pcapng_block blk;
	size_t off = 0;
	int rc = capfile_r_frame(r, i, &c->buf);

	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		capctl_err("%s: %s; statistics frame skipped", capfile_r_path(r),
			   rc == -EBADMSG ? capfile_r_error(r) : strerror(-rc));
		c->res->damaged_frames++;
		return 0;
	}
	while (pcapng_next_block(c->buf.data, c->buf.len, &off, &blk) == 1) {
		struct stats_isb x = { .file = c->nfiles, .pk_before = pk_before };
		struct pcapng_isb isb;
		uint64_t hz = 0;

		if (blk.type != PCAPNG_BT_ISB || pcapng_parse_isb(&blk, &isb))
			continue;
		if (isb.ifid < capfile_r_nidb(r))
			hz = pcapng_tsresol_hz(capfile_r_idb(r, isb.ifid)->tsresol);
		x.ifid = isb.ifid;
		x.ts = (int64_t)stats_to_ns(isb.ts, hz);
		x.start = (int64_t)stats_to_ns(counter(isb.starttime), hz);
		x.usrdeliv = counter(isb.usrdeliv);
		x.d.ifrecv = counter(isb.ifrecv);
		x.d.ifdrop = counter(isb.ifdrop);
		x.d.osdrop = counter(isb.osdrop);
		isb_comment(&blk, &x.d);
		if (stats_grow(&c->isb, &c->capisb, c->nisb, sizeof(*c->isb)))
			return -ENOMEM;
		c->isb[c->nisb++] = x;
		if (x.ts >= c->o->from && x.ts < c->o->to)
			stats_see(c, x.ts, x.ts);
	}
	return 0;
}

static void add_drops(struct stats_drops *to, const struct stats_drops *d)
{
	to->isbs++;
	to->ifrecv += d->ifrecv;
	to->ifdrop += d->ifdrop;
	to->osdrop += d->osdrop;
	to->bypass += d->bypass;
	to->writer += d->writer;
	to->write_errors += d->write_errors;
}

static bool same_series(const struct stats_ctx *c, const struct stats_isb *a, const struct stats_isb *b)
{
	const struct stats_file *x = &c->files[a->file], *y = &c->files[b->file];

	return a->ifid == b->ifid && x->queue == y->queue && !strcmp(x->iface, y->iface);
}

/* Whether the counters of x, the first ISB of its capture that we have,
 * cover only packets the store still holds: then they all count; if
 * earlier files are gone, the split over time is unknown. */
static bool history_visible(const struct stats_ctx *c, const struct stats_isb *x)
{
	uint64_t stored = x->pk_before;

	for (size_t i = 0; i < x->file; i++) {
		const struct stats_file *f = &c->files[i];

		if (f->start_ns >= x->start && f->queue == c->files[x->file].queue &&
		    !strcmp(f->iface, c->files[x->file].iface))
			stored += f->packets;
	}
	return x->usrdeliv <= stored;
}

/* Counters run from the capture's start (isb_starttime) across its files:
 * an interval gets the difference between an ISB and the previous one of
 * the same series, at the ISB's timestamp. */
int stats_drops(struct stats_ctx *c, int64_t first)
{
	struct stats_result *res = c->res;
	size_t *last = calloc(c->nisb + 1, sizeof(*last)), nser = 0;

	if (!last)
		return -ENOMEM;
	for (size_t i = 0; i < c->nisb; i++) {
		const struct stats_isb *x = &c->isb[i], *p = NULL;
		struct stats_drops d;
		size_t s;
		uint64_t k;

		/* the previous ISB of the same series: few series, many ISBs */
		for (s = 0; s < nser && !same_series(c, &c->isb[last[s]], x); s++)
			;
		if (s < nser)
			p = &c->isb[last[s]];
		else
			nser++;
		last[s] = i;
		if (p && p->start == x->start && x->d.ifrecv >= p->d.ifrecv &&
		    x->d.ifdrop >= p->d.ifdrop && x->d.osdrop >= p->d.osdrop &&
		    x->d.bypass >= p->d.bypass && x->d.writer >= p->d.writer &&
		    x->d.write_errors >= p->d.write_errors) {
			d = (struct stats_drops){ 0, x->d.ifrecv - p->d.ifrecv, x->d.ifdrop - p->d.ifdrop,
						  x->d.osdrop - p->d.osdrop, x->d.bypass - p->d.bypass,
						  x->d.writer - p->d.writer,
						  x->d.write_errors - p->d.write_errors };
		} else if (history_visible(c, x)) {
			d = x->d;       /* a new capture, all of it in the store */
		} else {
			if (x->ts >= c->o->from && x->ts < c->o->to)
				res->isb_no_history++;
			continue;
		}
		if (x->ts < c->o->from || x->ts >= c->o->to || x->ts < first)
			continue;
		k = (uint64_t)(x->ts - first) / (uint64_t)c->o->by;
		if (k >= res->niv)
			continue;
		add_drops(&res->iv[k].d, &d);
		add_drops(&res->d, &d);
	}
	free(last);
	return 0;
}

