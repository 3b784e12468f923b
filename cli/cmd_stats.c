/* capctl stats: packets, bytes and drops per time interval, and the top
 * talkers, from the indexes, the flow summaries and the interface
 * statistics; --exact decodes the frames instead.  See stats.h. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capctl.h"
#include "stats.h"
#include "store.h"
#include "timearg.h"

#define USAGE "usage: stats [--from T] [--to T] [--by DURATION] [--top N] [--exact] [--json]"

struct stats_cmd {
	struct stats_opts o;
	bool json;
};

/* "1s", "10s", "1m", "250ms", "1.5h": a positive duration in ns. */
static int parse_duration(const char *s, int64_t *out)
{
	static const struct { const char *u; int64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
		{ "m", 60000000000 }, { "h", 3600000000000 }, { "d", 86400000000000 },
	};
	__int128 whole = 0, frac = 0, scale = 1;
	const char *p = s;

	for (; *p >= '0' && *p <= '9' && whole < INT64_MAX; p++)
		whole = whole * 10 + (*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (scale < 1000000000000000000) {
				frac = frac * 10 + (*p - '0');
				scale *= 10;
			}
	if (p == s)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		__int128 v = whole * units[i].ns + frac * units[i].ns / scale;

		if (strcmp(p, units[i].u))
			continue;
		if (v <= 0 || v > INT64_MAX)
			return -EINVAL;
		*out = (int64_t)v;
		return 0;
	}
	return -EINVAL;
}

static int parse_opts(int argc, char **argv, struct stats_cmd *c)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "by", required_argument, NULL, 'b' },
		{ "top", required_argument, NULL, 'n' },
		{ "exact", no_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 }
	};
	struct timespec now;
	char err[512], *end;
	unsigned long top;
	int ch;

	clock_gettime(CLOCK_REALTIME, &now);
	c->o = (struct stats_opts){ INT64_MIN, INT64_MAX, 60000000000, false, 10 };
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
		case 't':
			if (timearg_parse(optarg, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec,
					  ch == 'f' ? &c->o.from : &c->o.to, err, sizeof(err))) {
				capctl_err("--%s: %s", ch == 'f' ? "from" : "to", err);
				return 2;
			}
			break;
		case 'b':
			if (parse_duration(optarg, &c->o.by)) {
				capctl_err("--by: '%s': want a duration such as 1s, 10s, 1m, 250ms, 1h",
					   optarg);
				return 2;
			}
			break;
		case 'n':
			errno = 0;
			top = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || top > 100000) {
				capctl_err("--top: '%s': want a number, 0 to 100000", optarg);
				return 2;
			}
			c->o.top = top;
			break;
		case 'e': c->o.exact = true; break;
		case 'j': c->json = true; break;
		default:
			capctl_err(USAGE);
			return 2;
		}
	}
	if (optind < argc) {
		capctl_err("stats takes no filter ('%s'); " USAGE, argv[optind]);
		return 2;
	}
	if (c->o.from >= c->o.to) {
		capctl_err("empty window: --from must be before --to");
		return 2;
	}
	return 0;
}

static void json_drops(const struct stats_drops *d)
{
	printf("\"isbs\": %" PRIu64 ", \"ifrecv\": %" PRIu64 ", \"ifdrop\": %" PRIu64
	       ", \"osdrop\": %" PRIu64 ", \"osdrop_bypass\": %" PRIu64 ", \"osdrop_writer\": %"
	       PRIu64 ", \"osdrop_write_errors\": %" PRIu64, d->isbs, d->ifrecv, d->ifdrop,
	       d->osdrop, d->bypass, d->writer, d->write_errors);
}

static const char *talk_source(enum stats_talk t)
{
	return t == STATS_TALK_EXACT ? "exact" : t == STATS_TALK_SUMMARIES ? "flow summaries" :
	       "none";
}

static void print_json(const struct stats_cmd *c, const struct stats_result *r)
{
	char t[48], a[64];

	printf("{\"from_ns\": ");
	c->o.from == INT64_MIN ? printf("null") : printf("%" PRId64, c->o.from);
	printf(", \"to_ns\": ");
	c->o.to == INT64_MAX ? printf("null") : printf("%" PRId64, c->o.to);
	printf(", \"by_ns\": %" PRId64 ", \"exact\": %s, \"intervals\": [", c->o.by,
	       c->o.exact ? "true" : "false");
	for (size_t i = 0; i < r->niv; i++) {
		const struct stats_interval *iv = &r->iv[i];

		timearg_format(iv->start, t, sizeof(t));
		printf("%s\n  {\"start\": \"%s\", \"start_ns\": %" PRId64 ", \"packets\": %" PRIu64
		       ", \"bytes\": %" PRIu64 ", \"approximate\": %s, \"packets_min\": %" PRIu64
		       ", \"packets_max\": %" PRIu64 ", ", i ? "," : "", t, iv->start, iv->packets,
		       iv->bytes, iv->approximate ? "true" : "false", iv->packets_min,
		       iv->packets_max);
		json_drops(&iv->d);
		printf("}");
	}
	printf("%s], \"total\": {\"packets\": %" PRIu64 ", \"bytes\": %" PRIu64 ", ",
	       r->niv ? "\n" : "", r->packets, r->bytes);
	json_drops(&r->d);
	printf("},\n \"files\": %" PRIu64 ", \"files_skipped\": %" PRIu64 ", \"frames\": %" PRIu64
	       ", \"frames_read\": %" PRIu64 ", \"damaged_frames\": %" PRIu64
	       ", \"isbs_without_history\": %" PRIu64 ",\n \"talkers\": {\"source\": \"%s\", "
	       "\"frames_summarized\": %" PRIu64 ", \"top\": [", r->files, r->files_skipped,
	       r->frames, r->frames_read, r->damaged_frames, r->isb_no_history,
	       talk_source(r->talk), r->frames_summarized);
	for (size_t i = 0; i < r->ntop; i++)
		printf("%s\n  {\"address\": \"%s\", \"family\": %u, \"packets\": %.0f, \"bytes\": "
		       "%.0f}", i ? "," : "", talker_addr(&r->top[i], a, sizeof(a)),
		       r->top[i].family, r->top[i].packets, r->top[i].bytes);
	printf("%s]}}\n", r->ntop ? "\n" : "");
}

static void print_text(const struct stats_cmd *c, const struct stats_result *r)
{
	bool approx = false;
	char t[48], a[64], p[32], y[32];

	printf("%-30s %13s %16s %10s %10s\n", "INTERVAL", "PACKETS", "BYTES", "IFDROP", "OSDROP");
	for (size_t i = 0; i < r->niv; i++) {
		const struct stats_interval *iv = &r->iv[i];

		timearg_format(iv->start, t, sizeof(t));
		snprintf(p, sizeof(p), "%s%" PRIu64, iv->approximate ? "~" : "", iv->packets);
		snprintf(y, sizeof(y), "%s%" PRIu64, iv->approximate ? "~" : "", iv->bytes);
		printf("%-30s %13s %16s %10" PRIu64 " %10" PRIu64 "\n", t, p, y, iv->d.ifdrop,
		       iv->d.osdrop);
		approx |= iv->approximate;
	}
	printf("%-30s %13" PRIu64 " %16" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n", "total",
	       r->packets, r->bytes, r->d.ifdrop, r->d.osdrop);
	if (approx)
		printf("~ apportioned from frames that span interval boundaries (from the index; "
		       "--exact counts the packets)\n");
	if (r->d.osdrop)
		printf("osdrop: %" PRIu64 " bypass ring, %" PRIu64 " writer ring full, %" PRIu64
		       " write errors\n", r->d.bypass, r->d.writer, r->d.write_errors);
	if (!r->d.isbs)
		printf("drops: no interface statistics in the window (written periodically by a "
		       "live capture, at file close otherwise)\n");
	if (r->isb_no_history)
		printf("drops: %" PRIu64 " statistics blocks count from a capture start whose files "
		       "are no longer in the store: not counted\n", r->isb_no_history);
	if (!c->o.top)
		return;
	if (r->talk == STATS_TALK_NONE) {
		printf("top talkers: no frame in the window has a flow summary (files written "
		       "before flow summaries, or with flow_index off); --exact counts them from "
		       "the packets\n");
		return;
	}
	if (r->talk == STATS_TALK_EXACT)
		printf("\ntop %zu talkers (exact, from %" PRIu64 " packets)\n", r->ntop, r->packets);
	else
		printf("\ntop %zu talkers (approximate, from the flow summaries of %" PRIu64 " of %"
		       PRIu64 " frames)\n", r->ntop, r->frames_summarized, r->frames);
	printf("%-40s %13s %16s\n", "ADDRESS", "PACKETS", "BYTES");
	for (size_t i = 0; i < r->ntop; i++)
		printf("%-40s %13.0f %16.0f\n", talker_addr(&r->top[i], a, sizeof(a)),
		       r->top[i].packets, r->top[i].bytes);
}

int capctl_stats(const struct capctl_ctx *ctx, int argc, char **argv)
{
	struct stats_cmd c = { 0 };
	struct stats_result r = { 0 };
	struct store *st = NULL;
	char err[1024];
	int rc;

	rc = parse_opts(argc, argv, &c);
	if (rc)
		return rc;
	st = store_open(ctx->store, false, err, sizeof(err));
	if (!st) {
		capctl_err("%s", err);
		return 1;
	}
	rc = stats_collect(st, &c.o, &r, err, sizeof(err));
	if (rc) {
		capctl_err("%s", err);
		rc = rc == -E2BIG ? 2 : 1;
		goto out;
	}
	if (c.json)
		print_json(&c, &r);
	else
		print_text(&c, &r);
	/* as with slice: the numbers stand, but they are not the whole answer */
	if (r.files_skipped)
		capctl_err("incomplete: %" PRIu64 " files could not be read (see above)",
			   r.files_skipped);
	if (r.damaged_frames)
		capctl_err("incomplete: %" PRIu64 " damaged frames were skipped (see above)",
			   r.damaged_frames);
	rc = r.files_skipped || r.damaged_frames ? 1 : 0;
out:
	stats_result_free(&r);
	store_destroy(st);
	return rc;
}
