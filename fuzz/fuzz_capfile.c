/* The store-file reader (writer/capfile.h): the input becomes store files
 * in a private directory, each opened with capfile_r_open and read whole:
 * every frame decoded and walked as pcapng, every index record checked,
 * the time record and the flow summaries read.  The .part files are then
 * repaired (capfile_repair) and must come out complete with exactly the
 * frames that decoded before.
 *
 *   a.pcapng.zst         the input
 *   b.pcapng.zst.part    the input, torn (no writer)
 *   c.pcapng + .idx      the input split in two: a little-endian u32
 *                        (modulo what is left) gives the length of the
 *                        pcapng part, the rest is the sidecar
 *   d.pcapng.part + .idx.part   the same split, held by a "writer" (an
 *                        exclusive flock) when the input's length is even
 *
 * Index records carry CRC-32s that random mutations would never get
 * right, so before writing, every record, time record and seek table
 * found in the bytes gets its CRCs recomputed: the fuzzer then reaches
 * what the reader does with records that pass their CRC check. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <zlib.h>

#include "capfile.h"
#include "common.h"
#include "obuf.h"
#include "pcapng.h"
#ifdef HAVE_FLOWSUM
#include "flowsum.h"
#endif

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t crc(const uint8_t *p, size_t len)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)len);
}

/* Recomputes the CRC-32 of every CPIX record, CPTI time record and CPST
 * seek table (and the payloads inside it) found at any offset of b. */
static void fix_crcs(uint8_t *b, size_t n)
{
	for (size_t i = 0; i + 12 <= n; i++) {
		uint8_t *p = b + i + 8;
		size_t left = n - i - 8;
		uint32_t tag;

		if ((le32(b + i) & 0xFFFFFFF0u) != 0x184D2A50u)
			continue;
		tag = le32(p);
		if (tag == CAPINDEX_REC_TAG && le32(b + i + 4) == CAPINDEX_REC_PAYLOAD &&
		    left >= CAPINDEX_REC_PAYLOAD) {
			put_le32(p + 100, crc(p, 100));
		} else if (tag == CAPINDEX_TIME_TAG && left >= 16) {
			size_t len = le32(p + 8);

			if (len <= left - 16)
				put_le32(p + 12 + len, crc(p, 12 + len));
		} else if (tag == CAPINDEX_TABLE_TAG && left >= 16) {
			size_t cnt = le32(p + 8), body = 16 + cnt * CAPINDEX_REC_PAYLOAD;

			if (cnt > left / CAPINDEX_REC_PAYLOAD || body + 8 > left)
				continue;
			for (size_t k = 0; k < cnt; k++) {
				uint8_t *e = p + 16 + k * CAPINDEX_REC_PAYLOAD;

				put_le32(e + 100, crc(e, 100));
			}
			put_le32(p + body + 4, crc(p, body));
		}
	}
}

static void walk_pcapng(const uint8_t *p, size_t n)
{
	struct pcapng_block blk;
	struct pcapng_idb idb;
	struct pcapng_epb epb;
	struct pcapng_isb isb;
	size_t off = 0;
	unsigned sum = 0;
	char *store;

	while (pcapng_next_block(p, n, &off, &blk) == 1) {
		switch (blk.type) {
		case PCAPNG_BT_SHB:
			(void)pcapng_check_shb(&blk);
			break;
		case PCAPNG_BT_IDB:
			store = malloc(blk.body_len + 8);
			FUZZ_ASSERT(store);
			if (!pcapng_parse_idb(&blk, &idb, store, blk.body_len + 8))
				(void)pcapng_tsresol_hz(idb.tsresol);
			free(store);
			break;
		case PCAPNG_BT_EPB:
			if (!pcapng_parse_epb(&blk, &epb))
				for (uint32_t i = 0; i < epb.caplen; i++)
					sum += epb.data[i];
			break;
		case PCAPNG_BT_ISB:
			(void)pcapng_parse_isb(&blk, &isb);
			break;
		}
	}
	(void)sum;
}

/* Reads the file whole; returns how many frames from the first decode
 * (what a repair keeps), their entries in *lead (malloc'd) when asked. */
static size_t read_all(const char *path, struct capindex_entry **lead)
{
	char err[512], text[CAPINDEX_TIME_MAX + 1];
	struct obuf ob = { 0 }, fb = { 0 };
	const struct capindex_entry *e;
	struct capfile_r *r;
	size_t n, len, whole = 0;
	bool broken = false;
	int rc;

	if (lead)
		*lead = NULL;
	r = capfile_r_open(path, err, sizeof(err));
	if (!r) {
		FUZZ_ASSERT(err[0] && errno != 0);
		return 0;
	}
	n = capfile_r_nframes(r);
	FUZZ_ASSERT(n >= 1 && capfile_r_nidb(r) >= 1 && capfile_r_nidb(r) <= CAPFILE_MAX_IF);
	(void)capfile_r_state(r);
	(void)capfile_r_plain(r);
	(void)capfile_r_damage(r);
	(void)capfile_r_good_end(r);
	(void)capfile_r_disk_size(r);
	for (size_t i = 0; i < capfile_r_nidb(r); i++) {
		const struct pcapng_idb *idb = capfile_r_idb(r, i);
		const uint8_t *blk = capfile_r_idb_block(r, i, &len);

		FUZZ_ASSERT(idb && blk && len >= 12);
		(void)strlen(idb->name ? idb->name : "");
		FUZZ_ASSERT(le32(blk + 4) == len && le32(blk + len - 4) == len);
	}
	FUZZ_ASSERT(!capfile_r_idb(r, capfile_r_nidb(r)));
	rc = capfile_r_timeinfo(r, text, sizeof(text));
	FUZZ_ASSERT(rc == 0 || rc == -ENOENT || rc == -EBADMSG || rc == -EIO);
	if (rc == 0)
		FUZZ_ASSERT(strlen(text) <= CAPINDEX_TIME_MAX);
	for (size_t i = 0; i < n; i++) {
		e = capfile_r_entry(r, i);
		FUZZ_ASSERT(e && e->seq == i);
		rc = capfile_r_frame(r, i, &ob);
		FUZZ_ASSERT(rc == 0 || rc == -EBADMSG || rc == -EIO || rc == -ENOMEM);
		if (rc == 0) {
			FUZZ_ASSERT(ob.len == e->usize);
			walk_pcapng(ob.data, ob.len);
		} else {
			(void)strlen(capfile_r_error(r));
		}
		broken |= rc != 0;
		whole += !broken;
		rc = capfile_r_check_record(r, i);
		FUZZ_ASSERT(rc == 0 || rc == -EBADMSG);
#ifdef HAVE_CAPFILE_R_FLOWSUM
		rc = capfile_r_flowsum(r, i, &fb);
		if (rc != 0 && rc != -ENOENT && rc != -EBADMSG && rc != -EIO && rc != -ENOMEM)
			fprintf(stderr, "capfile_r_flowsum(%zu) = %d (%s)\n", i, rc, strerror(-rc));
		FUZZ_ASSERT(rc == 0 || rc == -ENOENT || rc == -EBADMSG || rc == -EIO ||
			    rc == -ENOMEM);
#ifdef HAVE_FLOWSUM
		if (rc == 0) {
			struct flowsum fs;

			if (flowsum_parse(fb.data, fb.len, &fs) == 0)
				(void)flowsum_may_port(&fs, 80);
		}
#endif
#endif
	}
	FUZZ_ASSERT(!capfile_r_entry(r, n));
	FUZZ_ASSERT(capfile_r_frame(r, n, &ob) == -EINVAL);
	if (lead && whole) {
		*lead = malloc(whole * sizeof(**lead));
		FUZZ_ASSERT(*lead);
		for (size_t i = 0; i < whole; i++)
			(*lead)[i] = *capfile_r_entry(r, i);
	}
	obuf_free(&ob);
	obuf_free(&fb);
	capfile_r_close(r);
	return whole;
}

/* A torn .part file read, then repaired (capctl verify --repair, and
 * captured at start): the repaired file must be complete and hold
 * exactly the frames that decoded before, every one still decoding. */
static void read_repair(const char *path)
{
	struct capindex_entry *lead;
	size_t whole = read_all(path, &lead);
	char msg[1024], err[512], *final = NULL;
	struct obuf ob = { 0 };
	struct capfile_r *r;
	int rc;

	rc = capfile_repair(path, &final, msg, sizeof(msg));
	FUZZ_ASSERT(msg[0]);
	if (rc == 0) {
		FUZZ_ASSERT(final && whole > 0);
		r = capfile_r_open(final, err, sizeof(err));
		if (!r || capfile_r_state(r) != CAPFILE_COMPLETE || capfile_r_nframes(r) != whole)
			fprintf(stderr, "after '%s': %s, %zu frames, %zu expected\n", msg,
				r ? "opens" : err, r ? capfile_r_nframes(r) : 0, whole);
		FUZZ_ASSERT(r && capfile_r_state(r) == CAPFILE_COMPLETE);
		FUZZ_ASSERT(capfile_r_nframes(r) == whole);
		for (size_t i = 0; i < whole; i++) {
			FUZZ_ASSERT(capindex_entry_equal(capfile_r_entry(r, i), &lead[i]));
			FUZZ_ASSERT(capfile_r_frame(r, i, &ob) == 0);
			FUZZ_ASSERT(capfile_r_check_record(r, i) == 0);
		}
		capfile_r_close(r);
		obuf_free(&ob);
		unlink(final);
		if (capfile_strip_suffix(final, ".pcapng"))
			unlink(strcat(final, ".pcapng.idx"));   /* fits: ".pcapng" was there */
	} else {
		FUZZ_ASSERT(rc == -EBUSY || rc == -EBADMSG || rc == -EINVAL || rc == -ENOENT ||
			    rc == -ENOMEM || rc == -EIO);
	}
	free(final);
	free(lead);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dir = fuzz_tmpdir();
	char a[300], b[300], c[300], ci[300], d[300], di[300];
	uint8_t *buf = malloc(size ? size : 1);
	size_t split;
	int lockfd;

	FUZZ_ASSERT(buf);
	snprintf(a, sizeof(a), "%s/a.pcapng.zst", dir);
	snprintf(b, sizeof(b), "%s/b.pcapng.zst.part", dir);
	snprintf(c, sizeof(c), "%s/c.pcapng", dir);
	snprintf(ci, sizeof(ci), "%s/c.pcapng.idx", dir);
	snprintf(d, sizeof(d), "%s/d.pcapng.part", dir);
	snprintf(di, sizeof(di), "%s/d.pcapng.idx.part", dir);

	memcpy(buf, data, size);
	fix_crcs(buf, size);
	fuzz_write(a, buf, size);
	read_all(a, NULL);
	fuzz_write(b, buf, size);
	read_repair(b);

	if (size >= 4) {
		split = le32(data) % (size - 4 + 1);
		memcpy(buf, data + 4, size - 4);
		fix_crcs(buf, split);
		fix_crcs(buf + split, size - 4 - split);
		fuzz_write(c, buf, split);
		fuzz_write(ci, buf + split, size - 4 - split);
		read_all(c, NULL);
		fuzz_write(d, buf, split);
		fuzz_write(di, buf + split, size - 4 - split);
		lockfd = -1;
		if (size % 2 == 0) {
			lockfd = open(d, O_RDONLY | O_CLOEXEC);
			FUZZ_ASSERT(lockfd >= 0 && flock(lockfd, LOCK_EX | LOCK_NB) == 0);
		}
		read_repair(d);
		if (lockfd >= 0)
			close(lockfd);
		unlink(d);
		unlink(di);
	}
	free(buf);
	return 0;
}
