/* capctl slice: packets with from <= ts < to matching a libpcap filter, from
 * every file of the store, in timestamp order.  The index decides which
 * frames can hold such packets; only those are read and decoded. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capctl.h"
#include "capfile.h"
#include "slice.h"
#include "store.h"
#include "timearg.h"

#define USAGE "usage: slice [--from T] [--to T] [-w FILE|-] [--force] " \
	"[--format pcapng|pcap|pcap-ns|pcap-us] [--compress zstd] [--count] [--json] " \
	"[FILTER...]"

struct slice_opts {
	int64_t from, to;
	const char *out;
	bool force, count, zstd, json;
	enum pktout_format fmt;
	char *filter;
};

/* The progress bar on a terminal's stderr. */
struct bar {
	double t0, drawn_at;
	bool shown;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Shown only when the slice is big enough to be worth watching (more
 * than 64 frames, or half a second), and redrawn at most 10 times a
 * second, so that small slices print nothing and big ones lose no time. */
static void bar_draw(void *arg, uint64_t frames_read, uint64_t frames_total, uint64_t packets)
{
	struct bar *b = arg;
	double now = mono_s(), t = now - b->t0;

	if (now - b->drawn_at < 0.1 || (frames_total <= 64 && t < 0.5))
		return;
	b->drawn_at = now;
	b->shown = true;
	fprintf(stderr, "\rcapctl: %" PRIu64 "/%" PRIu64 " frames (%u%%), %" PRIu64
		" packets\033[K", frames_read, frames_total,
		frames_total ? (unsigned)(frames_read * 100 / frames_total) : 100u, packets);
}

static void bar_erase(struct bar *b)
{
	if (b->shown)
		fputs("\r\033[K", stderr);
	b->shown = false;
}

static void print_json(const struct slice_result *r, double elapsed)
{
	printf("{\"packets\": %" PRIu64 ", \"frames_read\": %" PRIu64 ", \"frames_total\": %"
	       PRIu64 ", \"frames_pruned\": %" PRIu64 ", \"files_read\": %" PRIu64
	       ", \"files_total\": %" PRIu64 ", \"damaged_frames\": %" PRIu64
	       ", \"files_skipped\": %" PRIu64 ", \"unlocked\": %" PRIu64
	       ", \"elapsed_s\": %.6f}\n", r->packets, r->frames_read, r->frames_total,
	       r->frames_pruned, r->files_read, r->files_total, r->damaged_frames,
	       r->files_skipped, r->unlocked, elapsed);
}

static int parse_opts(int argc, char **argv, struct slice_opts *o)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "write", required_argument, NULL, 'w' },
		{ "force", no_argument, NULL, 'F' },
		{ "format", required_argument, NULL, 'o' },
		{ "compress", required_argument, NULL, 'z' },
		{ "count", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 }
	};
	int64_t now = now_ns();
	char err[512];
	int ch;

	o->from = 0;
	o->to = INT64_MAX;
	o->fmt = PKTOUT_PCAPNG;
	while ((ch = getopt_long(argc, argv, "w:", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
		case 't':
			if (timearg_parse(optarg, now, ch == 'f' ? &o->from : &o->to, err,
					  sizeof(err))) {
				capctl_err("--%s: %s", ch == 'f' ? "from" : "to", err);
				return 2;
			}
			break;
		case 'w': o->out = optarg; break;
		case 'F': o->force = true; break;
		case 'c': o->count = true; break;
		case 'j': o->json = true; break;
		case 'o':
			if (pktout_parse_format(optarg, &o->fmt)) {
				capctl_err("--format: '%s': want pcapng, pcap (or pcap-ns: nanosecond) "
					   "or pcap-us (microsecond)", optarg);
				return 2;
			}
			break;
		case 'z':
			if (strcmp(optarg, "zstd")) {
				capctl_err("--compress: '%s': only zstd", optarg);
				return 2;
			}
			o->zstd = true;
			break;
		default:
			capctl_err(USAGE);
			return 2;
		}
	}
	/* the object and the packets cannot share standard output */
	if (o->json && !o->count && (!o->out || !strcmp(o->out, "-"))) {
		capctl_err("--json prints on standard output, where the packets go: use -w FILE "
			   "(or --count)");
		return 2;
	}
	/* -w x.pcapng.zst means a zstd file: one frame, which Wireshark opens */
	if (o->out && strlen(o->out) > 4 && !strcmp(o->out + strlen(o->out) - 4, ".zst"))
		o->zstd = true;
	if (o->from >= o->to) {
		capctl_err("empty window: --from must be before --to");
		return 2;
	}
	o->filter = capctl_join_args(argc - optind, argv + optind);
	if (!o->filter) {
		capctl_err("out of memory");
		return 1;
	}
	return 0;
}

int capctl_slice(const struct capctl_ctx *ctx, int argc, char **argv)
{
	struct slice_opts o = { 0 };
	struct slice *sl = NULL;
	struct slice_result res;
	struct store *st = NULL;
	struct pktout *out = NULL;
	struct bar bar = { .t0 = mono_s() };
	char err[1024];
	int rc;

	rc = parse_opts(argc, argv, &o);
	if (rc)
		goto out;
	rc = 1;
	st = store_open(ctx->store, false, err, sizeof(err));
	if (!st) {
		capctl_err("%s", err);
		goto out;
	}
	sl = slice_create(st, o.from, o.to, o.filter, err, sizeof(err));
	if (!sl) {
		capctl_err("%s", err);
		goto out;
	}
	if (!o.count) {
		out = pktout_open(o.out, o.force, o.fmt, o.zstd, "capctl slice (captured)", err,
				  sizeof(err));
		if (!out) {
			capctl_err("%s", err);
			goto out;
		}
	}
	/* a reader that goes away (| head) ends the slice, quietly */
	signal(SIGPIPE, SIG_IGN);
	if (isatty(STDERR_FILENO))
		slice_set_progress(sl, bar_draw, &bar);
	rc = slice_run(sl, out, &res, err, sizeof(err));
	bar_erase(&bar);
	if (out) {
		int cerr = pktout_close(out);

		if (!rc && cerr && cerr != -EPIPE) {
			snprintf(err, sizeof(err), "writing %s: %s", o.out ? o.out : "stdout",
				 strerror(-cerr));
			rc = cerr;
		}
		out = NULL;
	}
	if (rc == -EPIPE)
		rc = 0;
	if (rc) {
		capctl_err("%s", err);
		rc = 1;
		goto out;
	}
	if (o.json)
		print_json(&res, mono_s() - bar.t0);
	else if (o.count)
		printf("%" PRIu64 "\n", res.packets);
	if (!o.json && (o.count || (o.out && strcmp(o.out, "-"))))
		fprintf(stderr, "capctl: %" PRIu64 " packets from %" PRIu64 " of %" PRIu64
			" frames in %" PRIu64 " of %" PRIu64 " files\n", res.packets,
			res.frames_read, res.frames_total, res.files_read, res.files_total);
	/* timestamps are only as good as the clock that made them */
	if (res.unlocked) {
		char b[48] = "an unknown amount";

		if (res.unlocked_bound != INT64_MIN)
			snprintf(b, sizeof(b), "up to %" PRId64 " ns", res.unlocked_bound);
		capctl_err("warning: %" PRIu64 " of the %" PRIu64 " packets were captured while "
			   "the clock was not locked to its reference (holdover or freerun in the "
			   "index); their timestamps may be off by %s", res.unlocked, res.packets, b);
	}
	/* the output holds every packet that could be read, but a script must
	 * be able to tell that it is not the whole answer */
	if (res.files_skipped)
		capctl_err("incomplete: %" PRIu64 " files could not be read (see above)",
			   res.files_skipped);
	if (res.damaged_frames)
		capctl_err("incomplete: %" PRIu64 " damaged frames were skipped (see above)",
			   res.damaged_frames);
	if (res.files_skipped || res.damaged_frames)
		rc = 1;
out:
	if (out)
		pktout_close(out);
	slice_destroy(sl);
	store_destroy(st);
	free(o.filter);
	return rc;
}
