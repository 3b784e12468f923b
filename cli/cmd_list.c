/* capctl list: what the store holds, file by file, from the indexes alone. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capctl.h"
#include "capfile.h"
#include "clockq.h"
#include "comp.h"
#include "store.h"
#include "timearg.h"

struct file_sum {
	const char *state;
	uint64_t packets, bytes, usize, disk;
	uint64_t first, last;       /* smallest and largest timestamp */
	size_t frames;              /* data frames */
	unsigned stored_frames;     /* written raw (adaptive fell to 0) */
	const char *damage;
	int clock_worst;            /* lowest clock_state of frames with packets; -1 none */
	int64_t clock_bound;        /* highest clock_worst_ns of those; INT64_MIN unknown */
	uint64_t unlocked;          /* packets in frames known not locked */
	char time[CAPINDEX_TIME_MAX + 1]; /* the section's time record, "" if none */
};

static void json_str(const char *s);

static const char *state_name(enum capfile_state s)
{
	return s == CAPFILE_COMPLETE ? "complete" : s == CAPFILE_WRITING ? "writing" : "torn";
}

static void summarize(const struct capfile_r *r, struct file_sum *s)
{
	memset(s, 0, sizeof(*s));
	s->state = state_name(capfile_r_state(r));
	s->disk = capfile_r_disk_size(r);
	s->damage = capfile_r_damage(r);
	s->clock_worst = -1;
	s->clock_bound = INT64_MIN;
	for (size_t i = 0; i < capfile_r_nframes(r); i++) {
		const struct capindex_entry *e = capfile_r_entry(r, i);

		s->usize += e->usize;
		if (e->flags & (CAPINDEX_F_HEADER | CAPINDEX_F_STATS))
			continue;
		s->frames++;
		s->stored_frames += e->level == COMP_LEVEL_STORED;
		if (!e->packets)
			continue;
		if (!s->packets || e->ts_min < s->first)
			s->first = e->ts_min;
		if (e->ts_max > s->last)
			s->last = e->ts_max;
		s->packets += e->packets;
		s->bytes += e->bytes;
		if (s->clock_worst < 0 || e->clock_state < s->clock_worst) {
			if (s->clock_worst < 0)
				s->clock_bound = e->clock_worst_ns;
			s->clock_worst = e->clock_state;
		}
		if (s->clock_bound != INT64_MIN &&
		    (e->clock_worst_ns == INT64_MIN || e->clock_worst_ns > s->clock_bound))
			s->clock_bound = e->clock_worst_ns;
		if (e->clock_state == CLOCKQ_FREERUN || e->clock_state == CLOCKQ_HOLDOVER)
			s->unlocked += e->packets;
	}
}

/* The time record's "key=value" lines as a JSON object of strings. */
static void print_time_json(const char *text)
{
	const char *p = text;
	bool first = true;

	printf("{");
	while (*p) {
		const char *nl = strchr(p, '\n'), *eq;
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[CAPINDEX_TIME_MAX + 1];

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		eq = strchr(line, '=');
		if (eq) {
			line[eq - line] = 0;
			printf("%s", first ? "" : ", ");
			json_str(line);
			printf(": ");
			json_str(eq + 1);
			first = false;
		}
		p += len + (nl != NULL);
	}
	printf("}");
}

static const char *clock_name(const struct file_sum *s)
{
	return s->clock_worst < 0 ? "-" : clockq_state_name((unsigned)s->clock_worst);
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_json(const char *name, const struct file_sum *s, bool first)
{
	char a[40] = "", b[40] = "";

	/* ns as integers lose digits in readers that parse doubles (jq 1.6):
	 * the RFC 3339 strings carry them exactly */
	if (s->packets) {
		timearg_format((int64_t)s->first, a, sizeof(a));
		timearg_format((int64_t)s->last, b, sizeof(b));
	}
	printf("%s\n    {\"name\": ", first ? "" : ",");
	json_str(name);
	printf(", \"first\": \"%s\", \"last\": \"%s\"", a, b);
	printf(", \"state\": \"%s\", \"first_ns\": %" PRIu64 ", \"last_ns\": %" PRIu64
	       ", \"packets\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"pcapng_bytes\": %" PRIu64
	       ", \"disk_bytes\": %" PRIu64 ", \"frames\": %zu, \"stored_frames\": %u"
	       ", \"ratio\": %.3f, \"damage\": ",
	       s->state, s->first, s->last, s->packets, s->bytes, s->usize, s->disk,
	       s->frames, s->stored_frames, s->disk ? (double)s->usize / (double)s->disk : 0);
	if (s->damage)
		json_str(s->damage);
	else
		printf("null");
	printf(", \"clock\": {\"worst_state\": \"%s\", \"worst_bound_ns\": ", clock_name(s));
	if (s->clock_bound == INT64_MIN)
		printf("null");
	else
		printf("%" PRId64, s->clock_bound);
	printf(", \"packets_not_locked\": %" PRIu64 ", \"time\": ", s->unlocked);
	if (s->time[0])
		print_time_json(s->time);
	else
		printf("null");
	printf("}}");
}

static void print_text(const char *name, const struct file_sum *s)
{
	char a[40] = "-", b[40] = "-";

	if (s->packets) {
		timearg_format((int64_t)s->first, a, sizeof(a));
		timearg_format((int64_t)s->last, b, sizeof(b));
	}
	printf("%-58s %-8s %-30s %-30s %10" PRIu64 " %12" PRIu64 " %12" PRIu64 " %6.2f %s\n",
	       name, s->state, a, b, s->packets, s->bytes, s->disk,
	       s->disk ? (double)s->usize / (double)s->disk : 0, clock_name(s));
	if (s->damage)
		printf("    damage: %s\n", s->damage);
}

int capctl_list(const struct capctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ 0 }
	};
	struct store_file *files = NULL;
	struct file_sum s, tot = { 0 };
	struct store *st;
	char err[1024], path[4096];
	bool json = false;
	size_t n = 0, shown = 0;
	int ch, rc = 0;

	while ((ch = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (ch != 'j') {
			capctl_err("usage: list [--json]");
			return 2;
		}
		json = true;
	}
	st = capctl_store_files(ctx, &files, &n);
	if (!st)
		return 1;
	if (json) {
		printf("{\"store\": ");
		json_str(ctx->store);
		printf(", \"files\": [");
	} else {
		printf("%-58s %-8s %-30s %-30s %10s %12s %12s %6s %s\n", "FILE", "STATE",
		       "FIRST", "LAST", "PACKETS", "BYTES", "DISK", "RATIO", "CLOCK");
	}
	for (size_t i = 0; i < n; i++) {
		struct capfile_r *r;

		snprintf(path, sizeof(path), "%s/%s", ctx->store, files[i].name);
		r = capctl_open_file(path, err, sizeof(err));
		if (!r) {
			/* deleted by retention between listing and opening: not an error */
			if (errno != ENOENT) {
				capctl_err("%s", err);
				rc = 1;
			}
			continue;
		}
		summarize(r, &s);
		if (capfile_r_timeinfo(r, s.time, sizeof(s.time)))
			s.time[0] = 0;
		if (json)
			print_json(files[i].name, &s, shown == 0);
		else
			print_text(files[i].name, &s);
		shown++;
		tot.packets += s.packets;
		tot.bytes += s.bytes;
		tot.disk += s.disk;
		tot.usize += s.usize;
		tot.unlocked += s.unlocked;
		capfile_r_close(r);
	}
	if (json)
		printf("%s], \"total\": {\"files\": %zu, \"packets\": %" PRIu64 ", \"bytes\": %"
		       PRIu64 ", \"disk_bytes\": %" PRIu64 "}}\n", shown ? "\n  " : "",
		       shown, tot.packets, tot.bytes, tot.disk);
	else
		printf("%zu files, %" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64
		       " bytes on disk, ratio %.2f\n", shown, tot.packets, tot.bytes, tot.disk,
		       tot.disk ? (double)tot.usize / (double)tot.disk : 0);
	fflush(stdout);   /* the warning follows the table it is about */
	if (tot.unlocked)
		capctl_err("warning: %" PRIu64 " packets were captured while the clock was not "
			   "locked to its reference (CLOCK holdover or freerun)", tot.unlocked);
	free(files);
	store_destroy(st);
	return rc;
}
