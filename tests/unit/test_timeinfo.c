/* Unit tests of clock provenance in the store: the time record
 * (capindex_put_time/get_time), files written with one (compressed and
 * plain) read back with their text and per-frame clock fields, torn at
 * every offset and repaired without losing it, and writer/clockprov.c. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "batch.h"
#include "capfile.h"
#include "capindex.h"
#include "clockprov.h"
#include "clockq.h"
#include "flowsum.h"
#include "pcapng.h"

#define BASE_TS 1700000000000000000ull
#define TEXT "timestamps=software\nclock_source=ptp4l\ngrandmaster=001122.fffe.334455\n"

static void test_record(void **state)
{
	char text[CAPINDEX_TIME_MAX + 1];
	size_t size = capindex_time_size(strlen(TEXT)), got;
	uint8_t *rec = malloc(size + 1);

	(void)state;
	assert_non_null(rec);
	capindex_put_time(rec, TEXT, strlen(TEXT));
	assert_int_equal(capindex_get_time(rec, size, text, sizeof(text), &got), 0);
	assert_string_equal(text, TEXT);
	assert_int_equal(got, size);
	/* every shorter read is short, never a read past the buffer (ASan) */
	for (size_t n = 0; n < size; n++) {
		uint8_t *cut = malloc(n ? n : 1);

		memcpy(cut, rec, n);
		assert_int_equal(capindex_get_time(cut, n, text, sizeof(text), &got), -ENODATA);
		free(cut);
	}
	/* any flipped byte of the payload is caught */
	for (size_t i = 8; i < size; i++) {
		rec[i] ^= 0x20;
		assert_true(capindex_get_time(rec, size, text, sizeof(text), &got) < 0);
		rec[i] ^= 0x20;
	}
	/* a record of another kind, a text too long for the buffer */
	assert_int_equal(capindex_get_time(rec, size, text, 8, &got), -EBADMSG);
	{
		uint8_t other[CAPINDEX_REC_SIZE];
		struct capindex_entry e = { .seq = 1 };

		capindex_put_record(other, &e);
		assert_int_equal(capindex_get_time(other, sizeof(other), text, sizeof(text), &got),
				 -ENOENT);
	}
	free(rec);
}

static char *g_dir;

static uint8_t pkt[200];

/* Writes a file of three data frames with the given clock calls: frame 1
 * sees (LOCKED, 100) and (LOCKED, 300); frame 2 (LOCKED, 50) and
 * (HOLDOVER, unknown); frame 3 none. */
static char *write_file_flow(bool plain, const char *timeinfo, bool flow)
{
	struct pcapng_idb idb = { .linktype = 1, .snaplen = 262144, .tsresol = 9,
				  .name = "eth0" };
	struct capfile_w_opts o = { .plain = plain, .idbs = &idb, .nidb = 1,
				    .timeinfo = timeinfo, .shb_comment = "a comment",
				    .flow_index = flow };
	struct batch_pool *pool = batch_pool_create(1, 65536);
	struct batch *b;
	struct capfile_w *w;
	uint64_t lost = 0;
	char *path;

	assert_true(asprintf(&path, "%s/20231114T221320.000000000Z_eth0_q0.pcapng%s", g_dir,
			     plain ? "" : ".zst") > 0);
	o.path = path;
	assert_non_null(pool);
	w = capfile_w_create(&o);
	assert_non_null(w);
	b = batch_pool_get_free(pool);
	for (int f = 0; f < 3; f++) {
		batch_reset(b);
		for (int i = 0; i < 4; i++)
			assert_true(batch_add(b, 0, BASE_TS + (uint64_t)(f * 10 + i), pkt, 60, 60, 0,
					      -1));
		/* no open frame: no effect */
		capfile_w_clock(w, CLOCKQ_FREERUN, 7);
		assert_int_equal(capfile_w_feed(w, b, 3), 0);
		if (f == 0) {
			capfile_w_clock(w, CLOCKQ_LOCKED, 100);
			capfile_w_clock(w, CLOCKQ_LOCKED, 300);
		} else if (f == 1) {
			capfile_w_clock(w, CLOCKQ_LOCKED, 50);
			capfile_w_clock(w, CLOCKQ_HOLDOVER, INT64_MIN);
			capfile_w_clock(w, CLOCKQ_LOCKED, 10);
		}
		assert_int_equal(capfile_w_flush(w, &lost), 0);
	}
	assert_int_equal(capfile_w_close(w, NULL, 0, &lost), 0);
	assert_int_equal(lost, 0);
	capfile_w_destroy(w);
	batch_pool_destroy(pool);
	return path;
}

static char *write_file(bool plain, const char *timeinfo)
{
	return write_file_flow(plain, timeinfo, false);
}

static void check_file(const char *path, const char *timeinfo, bool complete)
{
	char err[512], text[CAPINDEX_TIME_MAX + 1];
	struct capfile_r *r = capfile_r_open(path, err, sizeof(err));
	struct obuf buf = { 0 };
	const struct capindex_entry *e;

	assert_non_null(r);
	assert_int_equal(capfile_r_state(r), complete ? CAPFILE_COMPLETE : CAPFILE_TORN);
	assert_null(capfile_r_damage(r));
	assert_int_equal(capfile_r_nframes(r), 4);    /* header, 3 data (no ISBs) */
	if (timeinfo) {
		assert_int_equal(capfile_r_timeinfo(r, text, sizeof(text)), 0);
		assert_string_equal(text, timeinfo);
	} else {
		assert_int_equal(capfile_r_timeinfo(r, text, sizeof(text)), -ENOENT);
	}
	e = capfile_r_entry(r, 1);
	assert_int_equal(e->clock_state, CLOCKQ_LOCKED);
	assert_true(e->clock_worst_ns == 300);
	e = capfile_r_entry(r, 2);
	assert_int_equal(e->clock_state, CLOCKQ_HOLDOVER);
	assert_true(e->clock_worst_ns == INT64_MIN);
	e = capfile_r_entry(r, 3);
	assert_int_equal(e->clock_state, CLOCKQ_UNKNOWN);
	assert_true(e->clock_worst_ns == INT64_MIN);
	for (size_t i = 0; i < capfile_r_nframes(r); i++) {
		assert_int_equal(capfile_r_frame(r, i, &buf), 0);
		assert_int_equal(capfile_r_check_record(r, i), 0);
	}
	obuf_free(&buf);
	capfile_r_close(r);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	uint8_t *p;

	assert_true(fd >= 0 && fstat(fd, &st) == 0);
	p = malloc((size_t)st.st_size + 1);
	assert_int_equal(read(fd, p, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return p;
}

static void spit(const char *path, const uint8_t *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	close(fd);
}

static void test_roundtrip(void **state)
{
	(void)state;
	for (int plain = 0; plain < 2; plain++) {
		char *path = write_file(plain, TEXT), *idx;

		check_file(path, TEXT, true);
		unlink(path);
		assert_true(asprintf(&idx, "%s.idx", path) > 0);
		unlink(idx);
		free(idx);
		free(path);
		/* without a time record, as before */
		path = write_file(plain, NULL);
		check_file(path, NULL, true);
		unlink(path);
		assert_true(asprintf(&idx, "%s.idx", path) > 0);
		unlink(idx);
		free(idx);
		free(path);
	}
}

/* A compressed file cut at every offset: opens, reads what is whole, and
 * once repaired keeps its time record whenever the cut left it whole. */
static void test_torn(void **state)
{
	char *path = write_file(false, TEXT), *part, msg[512], *final, text[CAPINDEX_TIME_MAX + 1];
	size_t len, z0_end;
	uint8_t *data = slurp(path, &len);
	struct capfile_r *r;
	char err[512];

	(void)state;
	r = capfile_r_open(path, err, sizeof(err));
	assert_non_null(r);
	z0_end = capfile_r_entry(r, 0)->csize + CAPINDEX_REC_SIZE;
	capfile_r_close(r);
	unlink(path);
	assert_true(asprintf(&part, "%s.part", path) > 0);
	for (size_t t = 0; t < len; t++) {
		int rc;

		spit(part, data, t);
		r = capfile_r_open(part, err, sizeof(err));
		if (!r)
			continue;   /* not even the header frame */
		rc = capfile_r_timeinfo(r, text, sizeof(text));
		if (t >= z0_end + capindex_time_size(strlen(TEXT))) {
			assert_int_equal(rc, 0);
			assert_string_equal(text, TEXT);
		} else {
			assert_true(rc == -ENOENT || rc == -EBADMSG);
		}
		capfile_r_close(r);
		final = NULL;
		if (capfile_repair(part, &final, msg, sizeof(msg)) == 0) {
			r = capfile_r_open(final, err, sizeof(err));
			assert_non_null(r);
			assert_int_equal(capfile_r_state(r), CAPFILE_COMPLETE);
			if (t >= z0_end + capindex_time_size(strlen(TEXT)))
				assert_int_equal(capfile_r_timeinfo(r, text, sizeof(text)), 0);
			capfile_r_close(r);
			unlink(final);
		}
		free(final);
		unlink(part);
	}
	free(part);
	free(path);
	free(data);
}

/* A plain file whose sidecar is cut at every offset: the same. */
static void test_torn_plain(void **state)
{
	char *path = write_file(true, TEXT), *idx, *part, *ipart, msg[512], *final, err[512];
	char text[CAPINDEX_TIME_MAX + 1];
	size_t len, ilen, need = CAPINDEX_REC_SIZE + capindex_time_size(strlen(TEXT));
	uint8_t *data = slurp(path, &len), *sidecar;
	struct capfile_r *r;

	(void)state;
	assert_true(asprintf(&idx, "%s.idx", path) > 0);
	assert_true(asprintf(&part, "%s.part", path) > 0);
	assert_true(asprintf(&ipart, "%s.idx.part", path) > 0);
	sidecar = slurp(idx, &ilen);
	unlink(path);
	unlink(idx);
	for (size_t t = 0; t < ilen; t++) {
		spit(part, data, len);
		spit(ipart, sidecar, t);
		r = capfile_r_open(part, err, sizeof(err));
		if (r) {
			int rc = capfile_r_timeinfo(r, text, sizeof(text));

			if (t >= need)
				assert_int_equal(rc, 0);
			else
				assert_true(rc == -ENOENT || rc == -EBADMSG);
			capfile_r_close(r);
		}
		final = NULL;
		if (capfile_repair(part, &final, msg, sizeof(msg)) == 0) {
			r = capfile_r_open(final, err, sizeof(err));
			assert_non_null(r);
			assert_int_equal(capfile_r_state(r), CAPFILE_COMPLETE);
			for (size_t i = 0; i < capfile_r_nframes(r); i++)
				assert_int_equal(capfile_r_check_record(r, i), 0);
			if (t >= need + CAPINDEX_REC_SIZE)
				assert_int_equal(capfile_r_timeinfo(r, text, sizeof(text)), 0);
			capfile_r_close(r);
			unlink(final);
			unlink(idx);
		}
		free(final);
		unlink(part);
		unlink(ipart);
	}
	free(idx);
	free(part);
	free(ipart);
	free(path);
	free(data);
	free(sidecar);
}

/* Flow records before the data frames' index records: read back and
 * parsed for every data frame, none for the header; the layout survives a
 * tear at every offset (compressed) and repair; pruning answers follow. */
static void test_flow_records(void **state)
{
	char err[512], msg[512], *final;
	struct obuf buf = { 0 };
	struct flowsum fs;

	(void)state;
	for (int plain = 0; plain < 2; plain++) {
		char *path = write_file_flow(plain, TEXT, true), *idx;
		struct capfile_r *r = capfile_r_open(path, err, sizeof(err));

		assert_non_null(r);
		assert_int_equal(capfile_r_state(r), CAPFILE_COMPLETE);
		assert_int_equal(capfile_r_flowsum(r, 0, &buf), -ENOENT);
		for (size_t i = 1; i < capfile_r_nframes(r); i++) {
			assert_true(capfile_r_entry(r, i)->flow_size > 0);
			assert_int_equal(capfile_r_entry(r, i)->flow_size % 4, 0);
			assert_int_equal(capfile_r_flowsum(r, i, &buf), 0);
			assert_int_equal(flowsum_parse(buf.data, buf.len, &fs), 0);
			assert_int_equal(fs.packets, 4);
			assert_int_equal(capfile_r_check_record(r, i), 0);
		}
		capfile_r_close(r);
		check_file(path, TEXT, true);
		/* torn right after the second data frame: reads, repairs, keeps both */
		if (!plain) {
			size_t len, t;
			uint8_t *data = slurp(path, &len);
			char *part;

			r = capfile_r_open(path, err, sizeof(err));
			t = capfile_r_entry(r, 2)->offset + capfile_r_entry(r, 2)->csize;
			capfile_r_close(r);
			assert_true(asprintf(&part, "%s.part", path) > 0);
			unlink(path);
			for (size_t cut = t - 200; cut <= t + 200 && cut < len; cut++) {
				spit(part, data, cut);
				final = NULL;
				if (capfile_repair(part, &final, msg, sizeof(msg)) == 0) {
					r = capfile_r_open(final, err, sizeof(err));
					assert_non_null(r);
					assert_int_equal(capfile_r_state(r), CAPFILE_COMPLETE);
					assert_int_equal(capfile_r_nframes(r), cut >= t ? 3 : 2);
					for (size_t i = 1; i < capfile_r_nframes(r); i++)
						assert_int_equal(capfile_r_flowsum(r, i, &buf), 0);
					capfile_r_close(r);
					unlink(final);
				}
				free(final);
				unlink(part);
			}
			free(part);
			free(data);
		}
		unlink(path);
		assert_true(asprintf(&idx, "%s.idx", path) > 0);
		unlink(idx);
		free(idx);
		free(path);
	}
	obuf_free(&buf);
}

static void test_clockprov(void **state)
{
	struct clockprov *p = clockprov_create();
	char c[64], kv[64];
	uint8_t st;
	int64_t b;

	(void)state;
	assert_non_null(p);
	clockprov_quality(p, &st, &b);
	assert_int_equal(st, 0);
	assert_true(b == INT64_MIN);
	clockprov_set_quality(p, CLOCKQ_LOCKED, 250);
	clockprov_quality(p, &st, &b);
	assert_int_equal(st, CLOCKQ_LOCKED);
	assert_true(b == 250);
	clockprov_set_quality(p, CLOCKQ_HOLDOVER, INT64_MAX);   /* capped */
	clockprov_quality(p, &st, &b);
	assert_true(b == INT64_C(1) << 55);
	clockprov_set_quality(p, CLOCKQ_FREERUN, -5);           /* never negative */
	clockprov_quality(p, &st, &b);
	assert_true(b == 0);
	assert_int_equal(clockprov_gen(p), 0);
	clockprov_set_section(p, "c1", "k=1\n");
	assert_int_equal(clockprov_gen(p), 1);
	clockprov_set_section(p, "c1", "k=1\n");                /* same: no new files */
	assert_int_equal(clockprov_gen(p), 1);
	clockprov_set_section(p, "c1", "k=2\n");
	assert_int_equal(clockprov_section(p, c, sizeof(c), kv, sizeof(kv)), 2);
	assert_string_equal(c, "c1");
	assert_string_equal(kv, "k=2\n");
	clockprov_destroy(p);
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/test_timeinfo.XXXXXX";

	(void)state;
	g_dir = strdup(mkdtemp(tmpl));
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7);
	return g_dir ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	rmdir(g_dir);
	free(g_dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_torn),
		cmocka_unit_test(test_torn_plain),
		cmocka_unit_test(test_flow_records),
		cmocka_unit_test(test_clockprov),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
