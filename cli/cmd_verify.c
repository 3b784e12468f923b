/* capctl verify: decode every frame of every file, walk every pcapng block,
 * and check each against its index record; --repair seals torn files. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capctl.h"
#include "capfile.h"
#include "flowsum.h"
#include "store.h"

struct frame_tally {
	uint32_t packets, epb_bad;
	uint64_t bytes, capbytes, ts_min, ts_max;
	bool shb;
};

/* Walks a decoded frame; returns NULL or what is wrong. */
static const char *walk(const struct obuf *b, size_t nidb, struct frame_tally *t,
			char *why, size_t len)
{
	struct pcapng_block blk;
	struct pcapng_epb e;
	size_t off = 0;
	int rc;

	memset(t, 0, sizeof(*t));
	while ((rc = pcapng_next_block(b->data, b->len, &off, &blk)) == 1) {
		if (blk.type == PCAPNG_BT_SHB) {
			t->shb = true;
			continue;
		}
		if (blk.type != PCAPNG_BT_EPB)
			continue;
		if (pcapng_parse_epb(&blk, &e) || e.ifid >= nidb) {
			snprintf(why, len, "packet block at byte %zu of the frame is malformed",
				 off - blk.len);
			return why;
		}
		if (!t->packets || e.ts < t->ts_min)
			t->ts_min = e.ts;
		if (e.ts > t->ts_max)
			t->ts_max = e.ts;
		t->packets++;
		t->bytes += e.origlen;
		t->capbytes += e.caplen;
	}
	if (rc < 0) {
		snprintf(why, len, "pcapng block at byte %zu of the frame is %s", off,
			 rc == -ENODATA ? "cut short" : "damaged");
		return why;
	}
	return NULL;
}

/* A flow record that reads and parses (its CRC and sizes check out). */
static bool flow_ok(struct capfile_r *r, size_t i, struct obuf *buf)
{
	struct flowsum fs;

	return !capfile_r_flowsum(r, i, buf) && !flowsum_parse(buf->data, buf->len, &fs);
}

static bool check_file(const char *path, bool listed)
{
	char err[1024], why[256];
	struct capfile_r *r = capctl_open_file(path, err, sizeof(err));
	struct frame_tally t;
	struct obuf b = { 0 }, fb = { 0 };
	const char *bad = NULL;
	bool located = false;   /* bad already names the frame and offset */
	uint64_t packets = 0;
	size_t i, n;

	if (!r && errno == ENOENT && listed) {
		/* deleted by retention since the listing: nothing to check */
		printf("GONE %s: deleted since it was listed\n", path);
		return true;
	}
	if (!r) {
		printf("%s %s\n", errno == ENOENT ? "MISSING" : "DAMAGED", err);
		return false;
	}
	n = capfile_r_nframes(r);
	for (i = 0; i < n && !bad; i++) {
		const struct capindex_entry *e = capfile_r_entry(r, i);
		int rc = capfile_r_check_record(r, i);

		if (!rc)
			rc = capfile_r_frame(r, i, &b);
		if (!rc && e->flow_size && !flow_ok(r, i, &fb)) {
			snprintf(why, sizeof(why), "frame %zu: its flow record (%u bytes before "
				 "its index record) is damaged; queries read the frame whole",
				 i, e->flow_size);
			bad = why;
			located = true;
			break;
		}
		if (rc) {
			located = rc == -EBADMSG;
			bad = located ? capfile_r_error(r) : strerror(-rc);
			break;
		}
		bad = walk(&b, capfile_r_nidb(r), &t, why, sizeof(why));
		if (bad)
			break;
		if ((i == 0) != t.shb || t.packets != e->packets || t.bytes != e->bytes ||
		    t.capbytes != e->capbytes ||
		    (t.packets && (t.ts_min != e->ts_min || t.ts_max != e->ts_max))) {
			snprintf(why, sizeof(why), "frame %zu holds %u packets, %" PRIu64
				 " bytes, ts %" PRIu64 "..%" PRIu64 "; its index says %u, %" PRIu64
				 ", %" PRIu64 "..%" PRIu64, i, t.packets, t.bytes, t.ts_min,
				 t.ts_max, e->packets, e->bytes, e->ts_min, e->ts_max);
			bad = why;
			break;
		}
		packets += t.packets;
	}
	if (!bad) {
		char text[CAPINDEX_TIME_MAX + 1];

		if (capfile_r_timeinfo(r, text, sizeof(text)) == -EBADMSG) {
			snprintf(why, sizeof(why), "the time record after frame 0 is damaged "
				 "(bad CRC, length or text)");
			bad = why;
			located = true;
		}
	}
	if (bad && located)
		printf("DAMAGED %s: %s\n", path, bad);
	else if (bad)
		printf("DAMAGED %s: frame %zu at offset %" PRIu64 ": %s\n", path, i,
		       capfile_r_entry(r, i)->offset, bad);
	else if (capfile_r_state(r) == CAPFILE_TORN)
		printf("TORN %s: %s; %zu whole frames (%" PRIu64 " packets) before it; "
		       "capctl verify --repair seals it\n", path,
		       capfile_r_damage(r) ? capfile_r_damage(r) : "not closed", n, packets);
	else
		printf("OK %s: %zu frames, %" PRIu64 " packets%s\n", path, n, packets,
		       capfile_r_state(r) == CAPFILE_WRITING ? " (being written)" : "");
	bool ok = !bad && capfile_r_state(r) != CAPFILE_TORN;

	obuf_free(&b);
	obuf_free(&fb);
	capfile_r_close(r);
	return ok;
}

static bool repair_file(const char *path)
{
	char msg[1024], *final = NULL;
	int rc = capfile_repair(path, &final, msg, sizeof(msg));
	bool ok;

	if (rc) {
		printf("NOT REPAIRED %s\n", msg);
		return false;
	}
	/* repair restores what the index can; a frame whose packets disagree
	 * with an intact index is beyond it, and the check says so */
	ok = check_file(final, false);
	printf("%s %s\n", ok ? "REPAIRED" : "NOT REPAIRED", msg);
	free(final);
	return ok;
}

int capctl_verify(const struct capctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repair", no_argument, NULL, 'r' },
		{ 0 }
	};
	struct store_file *files = NULL;
	struct store *st = NULL;
	char path[4096];
	bool repair = false, all_ok = true;
	size_t n = 0;
	int ch;

	while ((ch = getopt_long(argc, argv, "r", opts, NULL)) != -1) {
		if (ch != 'r') {
			capctl_err("usage: verify [--repair] [FILE...]");
			return 2;
		}
		repair = true;
	}
	if (optind < argc) {
		for (int i = optind; i < argc; i++) {
			char why[4200];
			bool ok;

			if (capctl_in_store(ctx, argv[i], why, sizeof(why))) {
				printf("REFUSED %s\n", why);
				all_ok = false;
				continue;
			}
			ok = check_file(argv[i], false);

			if (!ok && repair)
				ok = repair_file(argv[i]);
			all_ok &= ok;
		}
		return all_ok ? 0 : 1;
	}
	st = capctl_store_files(ctx, &files, &n);
	if (!st)
		return 1;
	for (size_t i = 0; i < n; i++) {
		bool ok;

		snprintf(path, sizeof(path), "%s/%s", ctx->store, files[i].name);
		ok = check_file(path, true);
		if (!ok && repair)
			ok = repair_file(path);
		all_ok &= ok;
	}
	printf("%zu files checked: %s\n", n, all_ok ? "all whole" : "damage found");
	free(files);
	store_destroy(st);
	return all_ok ? 0 : 1;
}
