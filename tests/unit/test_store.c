/* Unit tests for writer/store.c: file names (format, parse, sort order,
 * rejects), opening and marking a store directory, listing, and retention
 * by size and by age. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

#include "store.h"

#define NS 1000000000LL

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

/* ---- helpers for directories ---- */

/* Every test works in its own directory under g_root, which the group
 * teardown removes even when a test failed half way. */
static char *g_root;

static char *make_tmpdir(void)
{
	char *p;

	if (asprintf(&p, "%s/t.XXXXXX", g_root) < 0)
		return NULL;
	if (!mkdtemp(p)) {
		free(p);
		return NULL;
	}
	return p;
}

static void pjoin(char *dst, size_t len, const char *a, const char *b)
{
	int n = snprintf(dst, len, "%s/%s", a, b);

	assert_true(n > 0 && (size_t)n < len);
}

static void write_file(const char *dir, const char *name, size_t size, int64_t mtime_ns)
{
	char path[4096];
	char buf[4096];
	int fd;

	assert_true(size < (1u << 24));   /* a test's mistake must not fill the disk */
	pjoin(path, sizeof(path), dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	memset(buf, 'x', sizeof(buf));
	for (size_t left = size; left;) {
		size_t n = left < sizeof(buf) ? left : sizeof(buf);

		assert_int_equal(write(fd, buf, n), (ssize_t)n);
		left -= n;
	}
	if (mtime_ns >= 0) {
		struct timespec ts[2] = {
			{ mtime_ns / NS, mtime_ns % NS },
			{ mtime_ns / NS, mtime_ns % NS },
		};

		assert_int_equal(futimens(fd, ts), 0);
	}
	close(fd);
}

static bool exists(const char *dir, const char *name)
{
	char path[4096];

	pjoin(path, sizeof(path), dir, name);
	return access(path, F_OK) == 0;
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

/* A name made by store_name, with suffix appended (e.g. ".part"). */
static void name_of(char *buf, size_t len, int64_t ns, const char *iface, int queue, int seq,
		    bool plain, const char *suffix)
{
	assert_int_equal(store_name(buf, len, ns, iface, queue, seq, plain), 0);
	assert_true(strlen(buf) + strlen(suffix) < len);
	strcat(buf, suffix);
}

/* ---- names ---- */

static void test_name_format(void **state)
{
	char buf[256], small[64];
	char longif[80];
	int n;

	(void)state;
	assert_int_equal(store_name(buf, sizeof(buf), 0, "eth0", 0, 0, false), 0);
	assert_string_equal(buf, "19700101T000000.000000000Z_eth0_q0.pcapng.zst");
	/* 2023-11-14T22:13:20.123456789Z */
	assert_int_equal(store_name(buf, sizeof(buf), 1700000000123456789LL, "eth0", 3, 0, true), 0);
	assert_string_equal(buf, "20231114T221320.123456789Z_eth0_q3.pcapng");
	assert_int_equal(store_name(buf, sizeof(buf), 1700000000000000001LL, "eth0", 65535, 2, false), 0);
	assert_string_equal(buf, "20231114T221320.000000001Z_eth0_q65535_2.pcapng.zst");
	/* seq 0 (and below) adds nothing */
	assert_int_equal(store_name(buf, sizeof(buf), 1, "lo", 1, -3, false), 0);
	assert_string_equal(buf, "19700101T000000.000000001Z_lo_q1.pcapng.zst");
	/* iface sanitizing */
	assert_int_equal(store_name(buf, sizeof(buf), 0, "a_b/c", 0, 0, false), 0);
	assert_string_equal(buf, "19700101T000000.000000000Z_a-b-c_q0.pcapng.zst");
	assert_int_equal(store_name(buf, sizeof(buf), 0, "", 0, 0, false), 0);
	assert_string_equal(buf, "19700101T000000.000000000Z_unknown_q0.pcapng.zst");
	assert_int_equal(store_name(buf, sizeof(buf), 0, "enp3s0f1.100-X", 7, 0, true), 0);
	assert_string_equal(buf, "19700101T000000.000000000Z_enp3s0f1.100-X_q7.pcapng");
	assert_int_equal(store_name(buf, sizeof(buf), 0, "\xc3\xa9 *:", 0, 0, true), 0);
	assert_string_equal(buf, "19700101T000000.000000000Z_-----_q0.pcapng");
	/* a long iface is cut to STORE_IFACE_MAX - 1 characters */
	memset(longif, 'i', sizeof(longif) - 1);
	longif[sizeof(longif) - 1] = 0;
	assert_int_equal(store_name(buf, sizeof(buf), 0, longif, 0, 0, true), 0);
	assert_int_equal(strlen(buf), 27 + (STORE_IFACE_MAX - 1) + strlen("_q0.pcapng"));
	/* buffer too small: -ENAMETOOLONG; an exact fit is fine */
	n = (int)strlen("19700101T000000.000000000Z_eth0_q0.pcapng.zst");
	assert_int_equal(store_name(small, (size_t)n, 0, "eth0", 0, 0, false), -ENAMETOOLONG);
	assert_int_equal(store_name(small, (size_t)n + 1, 0, "eth0", 0, 0, false), 0);
	assert_string_equal(small, "19700101T000000.000000000Z_eth0_q0.pcapng.zst");
	/* before the epoch */
	assert_int_equal(store_name(buf, sizeof(buf), -1, "eth0", 0, 0, false), -EINVAL);
	assert_int_equal(store_name(buf, sizeof(buf), INT64_MIN, "eth0", 0, 0, false), -EINVAL);
	/* the largest time there is */
	assert_int_equal(store_name(buf, sizeof(buf), INT64_MAX, "eth0", 0, 0, false), 0);
	assert_string_equal(buf, "22620411T234716.854775807Z_eth0_q0.pcapng.zst");
}

static void check_parse(const char *name, int64_t ns, const char *iface, int queue, bool plain,
			bool partial)
{
	struct store_file f;

	memset(&f, 0xAB, sizeof(f));
	if (store_parse_name(name, &f))
		fail_msg("'%s' does not parse", name);
	assert_string_equal(f.name, name);
	assert_true(f.start_ns == ns);
	assert_string_equal(f.iface, iface);
	assert_int_equal(f.queue, queue);
	assert_int_equal(f.plain, plain);
	assert_int_equal(f.partial, partial);
	assert_true(f.disk_bytes == 0);
	assert_true(f.mtime_ns == 0);
}

static void test_name_roundtrip(void **state)
{
	static const char *ifaces[][2] = {
		{ "eth0", "eth0" }, { "a_b/c", "a-b-c" }, { "", "unknown" },
		{ "vlan.100", "vlan.100" }, { "x", "x" }, { "q_q0", "q-q0" },
		{ "_", "-" }, { "ens1f0np0", "ens1f0np0" },
	};
	char buf[256];

	(void)state;
	check_parse("20231114T221320.123456789Z_eth0_q3.pcapng", 1700000000123456789LL, "eth0", 3,
		    true, false);
	check_parse("20231114T221320.123456789Z_eth0_q3_12.pcapng.zst.part",
		    1700000000123456789LL, "eth0", 3, false, true);
	check_parse("20240229T120000.000000000Z_x_q0.pcapng", (1709164800LL + 12 * 3600) * NS,
		    "x", 0, true, false);
	for (int i = 0; i < 20000; i++) {
		int64_t ns = (int64_t)(rnd() >> 1);
		size_t k = rnd() % (sizeof(ifaces) / sizeof(ifaces[0]));
		int queue = i % 3 == 0 ? 0 : (int)(rnd() % 65536);
		int seq = i % 4 == 0 ? (int)(rnd() % 1000) : 0;
		bool plain = i & 1;

		if (i < 100)
			ns = (int64_t)(rnd() % (4 * NS));   /* near the epoch */
		name_of(buf, sizeof(buf), ns, ifaces[k][0], queue, seq, plain, "");
		check_parse(buf, ns, ifaces[k][1], queue, plain, false);
		strcat(buf, ".part");
		check_parse(buf, ns, ifaces[k][1], queue, plain, true);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Names sort like their start times (ls(1) order is time order). */
static void test_name_sort(void **state)
{
	static const int64_t fixed[] = {
		0, 1, 999999999, NS, 10 * NS - 1, 10 * NS,
		1704067199LL * NS + 999999999,  /* 2023-12-31T23:59:59.999999999 */
		1704067200LL * NS,              /* 2024-01-01T00:00:00 */
		1704067200LL * NS + 1,
		1709164799LL * NS + 5,          /* 2024-02-28T23:59:59 */
		1709164800LL * NS,              /* 2024-02-29 */
		1709251200LL * NS,              /* 2024-03-01 */
		946684799LL * NS, 946684800LL * NS,  /* 1999 -> 2000 */
		4102444799LL * NS, 4102444800LL * NS, /* 2099 -> 2100 */
		INT64_MAX - 1, INT64_MAX,
	};
	enum { NRAND = 3000 };
	size_t n = sizeof(fixed) / sizeof(fixed[0]) + NRAND;
	int64_t *ns = malloc(n * sizeof(*ns));
	char **names = malloc(n * sizeof(*names));
	static const char *ifaces[] = { "zz", "eth0", "a", "unknown", "Z" };

	(void)state;
	assert_non_null(ns);
	assert_non_null(names);
	for (size_t i = 0; i < n; i++) {
		char buf[256];

		if (i < sizeof(fixed) / sizeof(fixed[0]))
			ns[i] = fixed[i];
		else if (i % 2)
			ns[i] = (int64_t)(rnd() >> 1);
		else  /* close together: ns apart, same second */
			ns[i] = 1704067199LL * NS + (int64_t)(rnd() % 3000);
		/* ifaces and queues that would sort the other way */
		name_of(buf, sizeof(buf), ns[i], ifaces[i % 5], (int)(rnd() % 70000) % 65536,
			(int)(i % 3), i % 2, i % 7 ? "" : ".part");
		names[i] = strdup(buf);
		assert_non_null(names[i]);
	}
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 1; i < n; i++) {
		struct store_file a, b;

		assert_int_equal(store_parse_name(names[i - 1], &a), 0);
		assert_int_equal(store_parse_name(names[i], &b), 0);
		if (a.start_ns > b.start_ns)
			fail_msg("'%s' sorts before '%s'", names[i - 1], names[i]);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(ns);
}

/* store_parse_name in a child process, so that undefined behaviour caught
 * by UBSan (which aborts) fails this test only: 0 accepted, -EINVAL
 * rejected, -1000 the child died. */
static int parse_in_child(const char *name, struct store_file *out)
{
	int pfd[2], status;
	pid_t pid;
	struct store_file f;
	ssize_t got;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int r;

		close(pfd[0]);
		memset(&f, 0, sizeof(f));
		r = store_parse_name(name, &f);
		if (write(pfd[1], &f, sizeof(f)) != (ssize_t)sizeof(f))
			_exit(3);
		_exit(r == 0 ? 10 : r == -EINVAL ? 11 : 12);
	}
	close(pfd[1]);
	got = read(pfd[0], &f, sizeof(f));
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) < 10 || WEXITSTATUS(status) > 11)
		return -1000;
	if (out && got == (ssize_t)sizeof(f))
		*out = f;
	return WEXITSTATUS(status) == 10 ? 0 : -EINVAL;
}

static void test_name_reject(void **state)
{
	static const char *bad[] = {
		"", "x", ".pcapng", ".pcapng.zst", "README", ".captured-store",
		/* other suffixes */
		"20240101T000000.000000000Z_eth0_q0.pcap",
		"20240101T000000.000000000Z_eth0_q0.pcapng.gz",
		"20240101T000000.000000000Z_eth0_q0.pcapng.zst.tmp",
		"20240101T000000.000000000Z_eth0_q0.pcapng.idx",
		"20240101T000000.000000000Z_eth0_q0.pcapng.idx.part",
		"20240101T000000.000000000Z_eth0_q0.pcapng.zst.idx",
		"20240101T000000.000000000Z_eth0_q0.pcapng.part.zst",
		"20240101T000000.000000000Z_eth0_q0.PCAPNG",
		"20240101T000000.000000000Z_eth0_q0.pcapng.zst.part.part",
		"20240101T000000.000000000Z_eth0_q0",
		/* wrong stamps */
		"2024010T000000.000000000Z_eth0_q0.pcapng",
		"20240101t000000.000000000Z_eth0_q0.pcapng",
		"20240101T000000,000000000Z_eth0_q0.pcapng",
		"20240101T000000.000000000_eth0_q0.pcapng",
		"20240101T000000.00000000Z_eth0_q0.pcapng",
		"20240101T000000.0000000000Z_eth0_q0.pcapng",
		"2024O101T000000.000000000Z_eth0_q0.pcapng",
		"20240101T0000 0.000000000Z_eth0_q0.pcapng",
		"20240101T000000.00000000aZ_eth0_q0.pcapng",
		"+0240101T000000.000000000Z_eth0_q0.pcapng",
		"20241301T000000.000000000Z_eth0_q0.pcapng",
		"20240001T000000.000000000Z_eth0_q0.pcapng",
		"20240100T000000.000000000Z_eth0_q0.pcapng",
		"20240132T000000.000000000Z_eth0_q0.pcapng",
		"19691231T235959.999999999Z_eth0_q0.pcapng",
		"00000101T000000.000000000Z_eth0_q0.pcapng",
		"20240101T000000.000000000Zeth0_q0.pcapng",
		/* iface and queue */
		"20240101T000000.000000000Z_eth0.pcapng.zst",
		"20240101T000000.000000000Z_eth0_q.pcapng.zst",
		"20240101T000000.000000000Z_eth0_0.pcapng.zst",
		"20240101T000000.000000000Z_eth0_qx.pcapng.zst",
		"20240101T000000.000000000Z_eth0_q-1.pcapng.zst",
		"20240101T000000.000000000Z_eth0_q+1.pcapng.zst",
		"20240101T000000.000000000Z_eth0_q 1.pcapng.zst",
		"20240101T000000.000000000Z_eth0_q1x.pcapng.zst",
		"20240101T000000.000000000Z_eth0_q65536.pcapng.zst",
		"20240101T000000.000000000Z_eth0_q0_.pcapng.zst",
		"20240101T000000.000000000Z_eth0_q000000.pcapng.zst",
		"20240101T000000.000000000Z__q0.pcapng.zst",
		"20240101T000000.000000000Z_q0.pcapng.zst",
		"20240101T000000.000000000Z_.pcapng.zst",
		/* 48 characters of iface */
		"20240101T000000.000000000Z_iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii_q0.pcapng",
	};
	char longname[400];
	struct store_file f;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (store_parse_name(bad[i], &f) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
	/* 47 characters of iface are fine */
	assert_int_equal(store_parse_name(
		"20240101T000000.000000000Z_iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii_q0.pcapng",
		&f), 0);
	assert_int_equal(strlen(f.iface), STORE_IFACE_MAX - 1);
	/* a name of 256 characters or more */
	memset(longname, 0, sizeof(longname));
	strcpy(longname, "20240101T000000.000000000Z_eth0_q0");
	memset(longname + strlen(longname), '0', 300 - strlen(longname));
	strcat(longname, ".pcapng");
	assert_int_equal(store_parse_name(longname, &f), -EINVAL);
}

/* A stamp whose fields are out of range names no instant (or another one
 * than it says): store_name never makes it, and a parser that accepts it
 * gives a start time whose name is a different string. */
static void test_name_reject_range(void **state)
{
	static const char *bad[] = {
		"20240101T240000.000000000Z_eth0_q0.pcapng.zst",  /* hour 24 */
		"20240101T250000.000000000Z_eth0_q0.pcapng.zst",
		"20240101T996060.000000000Z_eth0_q0.pcapng.zst",
		"20240101T006000.000000000Z_eth0_q0.pcapng.zst",  /* minute 60 */
		"20240101T000061.000000000Z_eth0_q0.pcapng.zst",  /* second 61 */
		"20240230T000000.000000000Z_eth0_q0.pcapng.zst",  /* 30 February */
		"20230229T000000.000000000Z_eth0_q0.pcapng.zst",  /* not a leap year */
		"20240431T000000.000000000Z_eth0_q0.pcapng.zst",  /* 31 April */
	};
	char again[256];
	struct store_file f;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = store_parse_name(bad[i], &f);

		if (r == 0) {
			store_name(again, sizeof(again), f.start_ns, f.iface, f.queue, 0, f.plain);
			fail_msg("'%s' was accepted as start %lld, which is named '%s'", bad[i],
				 (long long)f.start_ns, again);
		}
		assert_int_equal(r, -EINVAL);
	}
}

/* Only "_N" (digits) follows the queue: what store_name makes. */
static void test_name_reject_seq(void **state)
{
	static const char *bad[] = {
		"20240101T000000.000000000Z_eth0_q0_.pcapng.zst",
		"20240101T000000.000000000Z_eth0_q0_abc.pcapng.zst",
		"20240101T000000.000000000Z_eth0_q0_-1.pcapng.zst",
		"20240101T000000.000000000Z_eth0_q0_1_2.pcapng.zst",
		"20240101T000000.000000000Z_eth0_q0_1x.pcapng",
		"20240101T000000.000000000Z_eth0_q0_1234567890.pcapng",
		"20240101T000000.000000000Z_eth0_q0+1.pcapng.zst",
		"20240101T000000.000000000Z_eth0_q0 1.pcapng.zst",
	};
	struct store_file f;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (store_parse_name(bad[i], &f) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
	assert_int_equal(store_parse_name("20240101T000000.000000000Z_eth0_q0_1.pcapng.zst", &f), 0);
	assert_int_equal(f.queue, 0);
	assert_string_equal(f.iface, "eth0");
	assert_int_equal(store_parse_name("20240101T000000.000000000Z_eth0_q7_999.pcapng", &f), 0);
	assert_int_equal(f.queue, 7);
	assert_true(f.plain);
}

/* Queue numbers too long for any integer: rejected, without overflowing
 * (the parse runs in a child: UBSan aborts on signed overflow). */
static void test_name_reject_long_queue(void **state)
{
	static const char *bad[] = {
		"20240101T000000.000000000Z_eth0_q18446744073709551615.pcapng.zst",
		"20240101T000000.000000000Z_eth0_q9223372036854775808.pcapng.zst",
		"20240101T000000.000000000Z_eth0_q99999999999999999999999999.pcapng.zst",
		"20240101T000000.000000000Z_eth0_q4294967296.pcapng.zst",
	};
	struct store_file f;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = parse_in_child(bad[i], &f);

		if (r == -1000)
			fail_msg("store_parse_name('%s') crashed (undefined behaviour?)", bad[i]);
		if (r == 0)
			fail_msg("'%s' was accepted with queue %d", bad[i], f.queue);
	}
	assert_int_equal(parse_in_child("20240101T000000.000000000Z_eth0_q65535.pcapng", &f), 0);
	assert_int_equal(f.queue, 65535);
}

/* ---- store directory ---- */

static void test_open_create(void **state)
{
	char *root = make_tmpdir(), path[4096], err[512], buf[64];
	struct store *st;
	int fd;
	ssize_t n;

	(void)state;
	assert_non_null(root);
	/* a new directory: created and marked */
	snprintf(path, sizeof(path), "%s/new", root);
	st = store_open(path, true, err, sizeof(err));
	if (!st)
		fail_msg("store_open: %s", err);
	assert_string_equal(store_dir(st), path);
	store_destroy(st);
	assert_true(exists(path, STORE_MARKER));
	{
		char mp[4096];

		pjoin(mp, sizeof(mp), path, STORE_MARKER);
		fd = open(mp, O_RDONLY);
		assert_true(fd >= 0);
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		assert_true(n > 0);
		buf[n] = 0;
		assert_string_equal(buf, "captured store, format 1\n");
	}
	assert_int_equal(count_entries(path), 1);
	/* opened again, either way: fine, nothing added */
	st = store_open(path, false, err, sizeof(err));
	assert_non_null(st);
	store_destroy(st);
	st = store_open(path, true, err, sizeof(err));
	assert_non_null(st);
	store_destroy(st);
	assert_int_equal(count_entries(path), 1);
	/* an existing empty directory is marked */
	snprintf(path, sizeof(path), "%s/empty", root);
	assert_int_equal(mkdir(path, 0755), 0);
	st = store_open(path, true, err, sizeof(err));
	assert_non_null(st);
	store_destroy(st);
	assert_true(exists(path, STORE_MARKER));
	/* a store with files in it opens */
	write_file(path, "20240101T000000.000000000Z_eth0_q0.pcapng.zst", 10, -1);
	write_file(path, "notes.txt", 10, -1);
	st = store_open(path, false, err, sizeof(err));
	assert_non_null(st);
	store_destroy(st);
	st = store_open(path, true, err, sizeof(err));
	assert_non_null(st);
	store_destroy(st);
	/* a parent that does not exist */
	snprintf(path, sizeof(path), "%s/no/such", root);
	errno = 0;
	st = store_open(path, true, err, sizeof(err));
	assert_null(st);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "cannot create"));
	testutil_rm_rf(root);
	free(root);
}

static void test_open_refuse(void **state)
{
	char *root = make_tmpdir(), path[4096], err[512];
	struct store *st;

	(void)state;
	assert_non_null(root);
	/* a non-empty directory without a marker: never written into */
	snprintf(path, sizeof(path), "%s/home", root);
	assert_int_equal(mkdir(path, 0755), 0);
	write_file(path, "thesis.tex", 100, -1);
	err[0] = 0;
	st = store_open(path, true, err, sizeof(err));
	assert_null(st);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not empty"));
	assert_false(exists(path, STORE_MARKER));
	assert_int_equal(count_entries(path), 1);
	/* a directory holding only a hidden file is not empty either */
	snprintf(path, sizeof(path), "%s/hidden", root);
	assert_int_equal(mkdir(path, 0755), 0);
	write_file(path, ".x", 0, -1);
	assert_null(store_open(path, true, err, sizeof(err)));
	assert_false(exists(path, STORE_MARKER));
	/* reading: an empty directory is not a store, and is left alone */
	snprintf(path, sizeof(path), "%s/empty", root);
	assert_int_equal(mkdir(path, 0755), 0);
	err[0] = 0;
	st = store_open(path, false, err, sizeof(err));
	assert_null(st);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a captured store"));
	assert_int_equal(count_entries(path), 0);
	/* reading a directory of other files */
	snprintf(path, sizeof(path), "%s/home", root);
	assert_null(store_open(path, false, err, sizeof(err)));
	assert_non_null(strstr(err, "not a captured store"));
	assert_int_equal(count_entries(path), 1);
	testutil_rm_rf(root);
	free(root);
}

/* The errors for paths that are not directories say what is wrong. */
static void test_open_file_create(void **state)
{
	char *root = make_tmpdir(), path[4096], err[512];
	struct store *st;

	(void)state;
	assert_non_null(root);
	write_file(root, "file", 5, -1);
	pjoin(path, sizeof(path), root, "file");
	errno = 0;
	err[0] = 0;
	st = store_open(path, true, err, sizeof(err));
	assert_null(st);
	assert_non_null(strstr(err, "not a directory"));
	testutil_rm_rf(root);
	free(root);
	assert_int_equal(errno, ENOTDIR);
}

static void test_open_file_read(void **state)
{
	char *root = make_tmpdir(), path[4096], err[512];
	struct store *st;

	(void)state;
	assert_non_null(root);
	write_file(root, "file", 5, -1);
	pjoin(path, sizeof(path), root, "file");
	errno = 0;
	err[0] = 0;
	st = store_open(path, false, err, sizeof(err));
	assert_null(st);
	assert_non_null(strstr(err, "not a directory"));
	testutil_rm_rf(root);
	free(root);
	assert_int_equal(errno, ENOTDIR);
}

static void test_open_missing(void **state)
{
	char *root = make_tmpdir(), path[4096], err[512];
	struct store *st;

	(void)state;
	assert_non_null(root);
	pjoin(path, sizeof(path), root, "missing");
	errno = 0;
	err[0] = 0;
	st = store_open(path, false, err, sizeof(err));
	assert_null(st);
	assert_int_equal(errno, ENOENT);
	assert_false(exists(root, "missing"));
	testutil_rm_rf(root);
	free(root);
	if (!strstr(err, strerror(ENOENT)))
		fail_msg("message for a missing directory: '%s'", err);
}

/* ---- listing ---- */

struct want {
	const char *name;
	int64_t start;
	const char *iface;
	int queue;
	bool partial, plain;
	uint64_t bytes;
	int64_t mtime;
};

static void test_list(void **state)
{
	char *root = make_tmpdir(), err[512];
	struct store *st;
	struct store_file *v = NULL;
	size_t n = 99;
	const int64_t t0 = 1704067199LL * NS;
	/* in the order store_list must give */
	static struct want w[] = {
		{ "19700101T000000.000000001Z_eth0_q0.pcapng.zst", 1, "eth0", 0, false, false, 10, 0 },
		/* same start: by name, a file before its namesake */
		{ "20231230T235959.000000000Z_eth1_q2.pcapng", 0, "eth1", 2, false, true, 100 + 7, 0 },
		{ "20231230T235959.000000000Z_eth1_q2_1.pcapng.zst.part", 0, "eth1", 2, true, false, 33, 0 },
		{ "20231231T235959.000000000Z_a_q9.pcapng.zst", 0, "a", 9, false, false, 0, 0 },
		{ "20231231T235959.000000000Z_b_q1.pcapng.part", 0, "b", 1, true, true, 5 + 11, 0 },
		{ "20231231T235959.000000001Z_a_q0.pcapng.zst", 0, "a", 0, false, false, 4096, 0 },
		{ "20240101T000000.000000000Z_eth0_q0.pcapng", 0, "eth0", 0, false, true, 1 + 7, 0 },
		{ "20240101T000000.000000000Z_eth0_q1.pcapng.zst", 0, "eth0", 1, false, false, 12345, 0 },
	};
	size_t nw = sizeof(w) / sizeof(w[0]);
	static const size_t order[] = { 6, 2, 0, 7, 4, 1, 3, 5 };

	(void)state;
	assert_non_null(root);
	st = store_open(root, true, err, sizeof(err));
	assert_non_null(st);
	/* empty store */
	assert_int_equal(store_list(st, &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);
	w[1].start = w[2].start = t0 - 86400 * NS;
	w[3].start = w[4].start = t0;
	w[5].start = t0 + 1;
	w[6].start = w[7].start = 1704067200LL * NS;
	for (size_t k = 0; k < nw; k++) {
		struct want *x = &w[order[k]];
		uint64_t data = x->bytes;

		x->mtime = 1600000000LL * NS + (int64_t)order[k] * 1000 + 7;
		if (x->plain) {
			char idx[300];
			uint64_t side = x->partial ? 11 : 7;

			data -= side;
			snprintf(idx, sizeof(idx), "%s", x->name);
			if (x->partial) {
				idx[strlen(idx) - 5] = 0;
				strcat(idx, ".idx.part");
			} else {
				strcat(idx, ".idx");
			}
			write_file(root, idx, side, -1);
		}
		write_file(root, x->name, data, x->mtime);
	}
	/* foreign things: ignored */
	write_file(root, "README", 1000, -1);
	write_file(root, "x.pcapng.zst", 1000, -1);
	write_file(root, "20240101T000000.000000000Z_eth0_q0.pcapng.zst.tmp", 1000, -1);
	write_file(root, "20240101T000000.000000000Z_eth9_q0.pcapng.idx", 1000, -1);
	write_file(root, "20240101T000000.000000000Z_eth9_q0.pcapng.idx.part", 1000, -1);
	{
		char d[4096];

		snprintf(d, sizeof(d), "%s/20240101T000000.000000000Z_dir_q0.pcapng.zst", root);
		assert_int_equal(mkdir(d, 0755), 0);
	}
	assert_int_equal(store_list(st, &v, &n), 0);
	assert_int_equal(n, nw);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(v[i].name, w[i].name);
		assert_true(v[i].start_ns == w[i].start);
		assert_string_equal(v[i].iface, w[i].iface);
		assert_int_equal(v[i].queue, w[i].queue);
		assert_int_equal(v[i].partial, w[i].partial);
		assert_int_equal(v[i].plain, w[i].plain);
		assert_true(v[i].disk_bytes == w[i].bytes);
		assert_true(v[i].mtime_ns == w[i].mtime);
	}
	free(v);
	store_destroy(st);
	testutil_rm_rf(root);
	free(root);
}

/* ---- retention ---- */

struct rfile {
	const char *name;       /* data file */
	const char *side;       /* sidecar or NULL */
	size_t data, sbytes;
	int64_t mtime;
};

static void make_files(const char *dir, const struct rfile *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		write_file(dir, f[i].name, f[i].data, f[i].mtime);
		if (f[i].side)
			write_file(dir, f[i].side, f[i].sbytes, f[i].mtime);
	}
}

/* A live writer: the .part file opened and locked as capfile_w does. */
static int hold_lock(const char *dir, const char *name)
{
	char path[4096];
	int fd;

	pjoin(path, sizeof(path), dir, name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	return fd;
}

static void test_retain_size(void **state)
{
	char *root = make_tmpdir(), err[512];
	struct store *st;
	const int64_t now = 1700000000LL * NS;
	/* oldest first (by name); mtimes in the reverse order to show they do
	 * not matter for size */
	static const struct rfile f[] = {
		/* being written (locked): never deleted */
		{ "20230101T000000.000000000Z_eth0_q0.pcapng.zst.part", NULL, 1000, 0, 0 },
		{ "20230102T000000.000000000Z_eth0_q0.pcapng.zst", NULL, 2000, 0, 0 },
		{ "20230103T000000.000000000Z_eth0_q0.pcapng", "20230103T000000.000000000Z_eth0_q0.pcapng.idx", 1500, 500, 0 },
		/* torn (no writer): goes like a finished file, with its sidecar */
		{ "20230104T000000.000000000Z_eth1_q0.pcapng.part", "20230104T000000.000000000Z_eth1_q0.pcapng.idx.part", 700, 300, 0 },
		{ "20230105T000000.000000000Z_eth0_q0.pcapng.zst", NULL, 3000, 0, 0 },
		/* being written, plain */
		{ "20230106T000000.000000000Z_eth0_q0.pcapng.part", "20230106T000000.000000000Z_eth0_q0.pcapng.idx.part", 600, 400, 0 },
		{ "20230107T000000.000000000Z_eth0_q0.pcapng.zst", NULL, 4000, 0, 0 },
	};
	struct rfile g[7];
	uint64_t files = 5, bytes = 7;
	int l0, l5;

	(void)state;
	assert_non_null(root);
	st = store_open(root, true, err, sizeof(err));
	assert_non_null(st);
	memcpy(g, f, sizeof(g));
	for (size_t i = 0; i < 7; i++)
		g[i].mtime = now - (int64_t)i * 1000 * NS;
	make_files(root, g, 7);
	write_file(root, "big-foreign-file", 100000, now - 1000000 * NS);
	l0 = hold_lock(root, f[0].name);
	l5 = hold_lock(root, f[5].name);
	/* total 14000: at the limit nothing goes */
	assert_int_equal(store_retain(st, 14000, 0, now, &files, &bytes), 0);
	assert_true(files == 5 && bytes == 7);
	assert_int_equal(count_entries(root), 1 + 10 + 1);
	/* no limits: nothing */
	assert_int_equal(store_retain(st, 0, 0, now, &files, &bytes), 0);
	assert_true(files == 5 && bytes == 7);
	/* 10000: the two oldest finished files go (not the older live .part),
	 * the plain one with its sidecar */
	assert_int_equal(store_retain(st, 10000, 0, now, &files, &bytes), 0);
	assert_true(files == 5 + 2);
	assert_true(bytes == 7 + 2000 + 2000);
	assert_true(exists(root, f[0].name));
	assert_false(exists(root, f[1].name));
	assert_false(exists(root, f[2].name));
	assert_false(exists(root, f[2].side));
	assert_true(exists(root, f[3].name));
	assert_true(exists(root, f[3].side));
	assert_true(exists(root, f[4].name));
	assert_true(exists(root, f[5].name));
	assert_true(exists(root, f[5].side));
	assert_true(exists(root, f[6].name));
	assert_true(exists(root, "big-foreign-file"));
	assert_true(exists(root, STORE_MARKER));
	/* 9999: the torn .part is next, with its sidecar */
	assert_int_equal(store_retain(st, 9999, 0, now, &files, &bytes), 0);
	assert_true(files == 8 && bytes == 7 + 4000 + 1000);
	assert_false(exists(root, f[3].name));
	assert_false(exists(root, f[3].side));
	assert_true(exists(root, f[4].name));
	/* 1: every file goes but the two being written, although the store is
	 * still too big */
	assert_int_equal(store_retain(st, 1, 0, now, &files, &bytes), 0);
	assert_true(files == 10 && bytes == 7 + 4000 + 1000 + 3000 + 4000);
	assert_true(exists(root, f[0].name));
	assert_true(exists(root, f[5].name));
	assert_true(exists(root, f[5].side));
	assert_false(exists(root, f[4].name));
	assert_false(exists(root, f[6].name));
	assert_int_equal(count_entries(root), 1 + 3 + 1);
	/* the writers are gone: their torn files go too */
	close(l0);
	close(l5);
	assert_int_equal(store_retain(st, 1, 0, now, &files, &bytes), 0);
	assert_true(files == 12 && bytes == 7 + 4000 + 1000 + 3000 + 4000 + 2000);
	assert_int_equal(count_entries(root), 2);
	store_destroy(st);
	testutil_rm_rf(root);
	free(root);
}

static void test_retain_age(void **state)
{
	char *root = make_tmpdir(), err[512];
	struct store *st;
	const int64_t now = 1700000000LL * NS, hour = 3600 * NS;
	/* by name: oldest first; ages from the mtimes */
	const struct rfile f[] = {
		/* a very old .part being written: kept */
		{ "20230101T000000.000000000Z_eth0_q0.pcapng.zst.part", NULL, 10, 0, now - 100 * hour },
		/* exactly max_age old: kept */
		{ "20230102T000000.000000000Z_eth0_q0.pcapng.zst", NULL, 20, 0, now - hour },
		/* 1 ns older: goes, with its sidecar */
		{ "20230103T000000.000000000Z_eth0_q0.pcapng", "20230103T000000.000000000Z_eth0_q0.pcapng.idx", 30, 5, now - hour - 1 },
		/* recent */
		{ "20230104T000000.000000000Z_eth0_q0.pcapng.zst", NULL, 40, 0, now - 10 * NS },
		/* newest by name, but last written long ago: goes */
		{ "20230105T000000.000000000Z_eth0_q0.pcapng.zst", NULL, 50, 0, now - 48 * hour },
		/* written "in the future" (clock step): kept */
		{ "20230106T000000.000000000Z_eth0_q0.pcapng.zst", NULL, 60, 0, now + hour },
		/* an old torn .part (dead writer): goes */
		{ "20230107T000000.000000000Z_eth0_q0.pcapng.zst.part", NULL, 70, 0, now - 2 * hour },
	};
	uint64_t files = 0, bytes = 0;
	int l0;

	(void)state;
	assert_non_null(root);
	st = store_open(root, true, err, sizeof(err));
	assert_non_null(st);
	make_files(root, f, 7);
	l0 = hold_lock(root, f[0].name);
	assert_int_equal(store_retain(st, 0, hour, now, &files, &bytes), 0);
	assert_true(files == 3);
	assert_true(bytes == 35 + 50 + 70);
	assert_true(exists(root, f[0].name));
	assert_true(exists(root, f[1].name));
	assert_false(exists(root, f[2].name));
	assert_false(exists(root, f[2].side));
	assert_true(exists(root, f[3].name));
	assert_false(exists(root, f[4].name));
	assert_true(exists(root, f[5].name));
	assert_false(exists(root, f[6].name));
	/* again: nothing more */
	assert_int_equal(store_retain(st, 0, hour, now, &files, &bytes), 0);
	assert_true(files == 3 && bytes == 155);
	/* age and size together: size takes the oldest of what may go (f[1],
	 * 20 bytes) to get from 130 to <= 115, age nothing more */
	assert_int_equal(store_retain(st, 115, hour, now, &files, &bytes), 0);
	assert_true(files == 4 && bytes == 155 + 20);
	assert_false(exists(root, f[1].name));
	assert_true(exists(root, f[3].name));
	assert_true(exists(root, f[5].name));
	/* a tiny age: everything goes but the file being written */
	assert_int_equal(store_retain(st, 0, 1, now + 2 * hour, &files, &bytes), 0);
	assert_true(files == 6 && bytes == 175 + 40 + 60);
	assert_true(exists(root, f[0].name));
	assert_int_equal(count_entries(root), 2);
	close(l0);
	store_destroy(st);
	testutil_rm_rf(root);
	free(root);
}

/* A plain writer that died between its two renames at close left
 * NAME.pcapng.part beside NAME.pcapng.idx (the reader and repair take that
 * pair): the listing counts the sidecar, and retention deletes it with the
 * data file instead of leaving it behind forever. */
static void test_retain_dead_between_renames(void **state)
{
	char *root = make_tmpdir(), err[512];
	struct store *st;
	struct store_file *v = NULL;
	size_t n = 0;
	uint64_t files = 0, bytes = 0;
	const char *data = "20230101T000000.000000000Z_eth0_q0.pcapng.part";
	const char *side = "20230101T000000.000000000Z_eth0_q0.pcapng.idx";
	bool partial, left_data, left_side;
	uint64_t listed;

	(void)state;
	assert_non_null(root);
	st = store_open(root, true, err, sizeof(err));
	assert_non_null(st);
	write_file(root, data, 300, 1000 * NS);
	write_file(root, side, 45, 1000 * NS);
	assert_int_equal(store_list(st, &v, &n), 0);
	assert_int_equal(n, 1);
	partial = v[0].partial;
	listed = v[0].disk_bytes;
	free(v);
	assert_int_equal(store_retain(st, 1, 0, 2000 * NS, &files, &bytes), 0);
	store_destroy(st);
	left_data = exists(root, data);
	left_side = exists(root, side);
	testutil_rm_rf(root);
	free(root);
	assert_true(partial);
	assert_false(left_data);
	if (left_side)
		fail_msg("the sidecar %s was left behind", side);
	assert_true(listed == 345);
	assert_true(files == 1 && bytes == 345);
}

static int group_setup(void **state)
{
	(void)state;
	return testutil_make_root(&g_root, "test_store");
}

static int group_teardown(void **state)
{
	(void)state;
	testutil_rm_rf(g_root);
	free(g_root);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_format),
		cmocka_unit_test(test_name_roundtrip),
		cmocka_unit_test(test_name_sort),
		cmocka_unit_test(test_name_reject),
		cmocka_unit_test(test_name_reject_range),
		cmocka_unit_test(test_name_reject_seq),
		cmocka_unit_test(test_name_reject_long_queue),
		cmocka_unit_test(test_open_create),
		cmocka_unit_test(test_open_refuse),
		cmocka_unit_test(test_open_file_create),
		cmocka_unit_test(test_open_file_read),
		cmocka_unit_test(test_open_missing),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_retain_size),
		cmocka_unit_test(test_retain_age),
		cmocka_unit_test(test_retain_dead_between_renames),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
