/* Unit tests of captured/config.c: the option table and what it drives. */
#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

#define KI (1LL << 10)
#define MI (1LL << 20)
#define GI (1LL << 30)
#define SEC 1000000000LL

/* Writes text to a new temporary file; the caller unlinks path. */
static void write_tmp(char *path, size_t len, const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, len, "/tmp/test_config.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Loads text as a file into a fresh config; returns the result, err filled. */
static int load_text(const char *text, struct config **out, char *path, char *err, size_t errlen)
{
	struct config *c = config_create();
	int rc;

	assert_non_null(c);
	write_tmp(path, 64, text);
	rc = config_load_file(c, path, err, errlen);
	unlink(path);
	*out = c;
	return rc;
}

static void test_defaults(void **state)
{
	struct config *c = config_create(), *d = config_create();

	(void)state;
	assert_non_null(c);
	assert_string_equal(config_str(c, CONFIG_STORE), "./store");
	assert_int_equal(config_int(c, CONFIG_STORE), 0);
	assert_int_equal(config_int(c, CONFIG_COMPRESSION), CONFIG_COMPRESSION_ZSTD);
	assert_string_equal(config_str(c, CONFIG_COMPRESSION), "zstd");
	assert_int_equal(config_int(c, CONFIG_LEVEL), 3);
	assert_null(config_str(c, CONFIG_LEVEL));
	assert_int_equal(config_int(c, CONFIG_FRAME_SIZE), MI);
	assert_int_equal(config_int(c, CONFIG_ROTATE_SIZE), GI);
	assert_int_equal(config_int(c, CONFIG_ROTATE_TIME), 3600 * SEC);
	assert_int_equal(config_int(c, CONFIG_RETAIN_SIZE), 0);
	assert_int_equal(config_int(c, CONFIG_RETAIN_AGE), 0);
	assert_int_equal(config_int(c, CONFIG_RING_BATCHES), 64);
	assert_int_equal(config_int(c, CONFIG_BATCH_SIZE), 256 * KI);
	assert_int_equal(config_int(c, CONFIG_SNAPLEN), 262144);
	/* Defaults are not "set": merging a fresh config changes nothing. */
	assert_int_equal(config_set(d, "level", "9", NULL, 0), 0);
	assert_int_equal(config_merge(d, c), 0);
	assert_int_equal(config_int(d, CONFIG_LEVEL), 9);
	/* Out-of-range option numbers. */
	assert_int_equal(config_int(c, CONFIG_NOPTS), 0);
	assert_null(config_str(c, CONFIG_NOPTS));
	assert_null(config_name(CONFIG_NOPTS));
	assert_false(config_reloadable(CONFIG_NOPTS));
	config_destroy(c);
	config_destroy(d);
	config_destroy(NULL);
}

static void test_parse_size(void **state)
{
	static const struct {
		const char *s;
		int64_t v;
	} good[] = {
		{ "0", 0 }, { "65536", 65536 }, { "1K", KI }, { "1k", KI }, { "256K", 256 * KI },
		{ "1M", MI }, { "1m", MI }, { "1MB", MI }, { "1mb", MI }, { "1MiB", MI },
		{ "1mib", MI }, { "1GiB", GI }, { "3G", 3 * GI }, { "1T", 1LL << 40 },
		{ "1P", 1LL << 50 }, { "8191P", 8191LL << 50 }, { "512B", 512 }, { "512b", 512 },
	};
	static const char *const bad[] = { "", "K", "-1", "+1", "1X", "1 K", " 1K", "1K ",
					   "1KK", "1KBB", "1iB", "1Ki", "1.5M", "0x10", "1E" };
	int64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = -1;
		assert_int_equal(config_parse_size(good[i].s, &v), 0);
		assert_true(v == good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(config_parse_size(bad[i], &v), -EINVAL);
	assert_int_equal(config_parse_size("8192P", &v), -ERANGE);
	assert_int_equal(config_parse_size("9223372036854775808", &v), -ERANGE);
	assert_int_equal(config_parse_size("9223372036854775807", &v), 0);
	assert_true(v == INT64_MAX);
}

static void test_parse_duration(void **state)
{
	static const struct {
		const char *s;
		int64_t v;
	} good[] = {
		{ "0", 0 }, { "5", 5 * SEC }, { "5s", 5 * SEC }, { "100ns", 100 }, { "10us", 10000 },
		{ "250ms", 250000000 }, { "5m", 300 * SEC }, { "1h", 3600 * SEC },
		{ "7d", 7 * 86400 * SEC }, { "90m", 5400 * SEC },
	};
	static const char *const bad[] = { "", "s", "-1s", "1.5s", "1 s", "1S", "1H", "1M",
					   "1sec", "1hm", "1x" };
	int64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = -1;
		assert_int_equal(config_parse_duration(good[i].s, &v), 0);
		assert_true(v == good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(config_parse_duration(bad[i], &v), -EINVAL);
	assert_int_equal(config_parse_duration("106752d", &v), -ERANGE);
	assert_int_equal(config_parse_duration("9223372037", &v), -ERANGE);
}

static void test_parse_bool(void **state)
{
	static const char *const yes[] = { "yes", "true", "1", "on", "YES", "True", "On" };
	static const char *const no[] = { "no", "false", "0", "off", "NO", "False", "OFF" };
	static const char *const bad[] = { "", "y", "n", "2", "yes ", "enable", "-1" };
	bool b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b = false;
		assert_int_equal(config_parse_bool(yes[i], &b), 0);
		assert_true(b);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		b = true;
		assert_int_equal(config_parse_bool(no[i], &b), 0);
		assert_false(b);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(config_parse_bool(bad[i], &b), -EINVAL);
}

struct set_case {
	const char *key, *value;
	int64_t want;           /* for rc 0 */
	const char *msg;        /* expected error, NULL if accepted */
};

static const struct set_case set_cases[] = {
	{ "level", "-7", -7, NULL },
	{ "level", "19", 19, NULL },
	{ "level", "0", 0, NULL },
	{ "level", "adaptive", CONFIG_LEVEL_ADAPTIVE, NULL },
	{ "level", "25", 0, "level: '25' out of range -7..19 or adaptive" },
	{ "level", "-8", 0, "level: '-8' out of range -7..19 or adaptive" },
	{ "level", "+3", 0, "level: '+3' is not an integer or adaptive" },
	{ "level", "Adaptive", 0, "level: 'Adaptive' is not an integer or adaptive" },
	{ "level", "99999999999999999999", 0,
	  "level: '99999999999999999999' out of range -7..19 or adaptive" },
	{ "compression", "none", CONFIG_COMPRESSION_NONE, NULL },
	{ "compression", "zstd", CONFIG_COMPRESSION_ZSTD, NULL },
	{ "compression", "lz4", 0, "compression: 'lz4' is not one of zstd, none" },
	{ "frame_size", "4K", 4 * KI, NULL },
	{ "frame_size", "64MiB", 64 * MI, NULL },
	{ "frame_size", "4095", 0, "frame_size: '4095' out of range 4K..64M" },
	{ "frame_size", "65M", 0, "frame_size: '65M' out of range 4K..64M" },
	{ "frame_size", "1Q", 0,
	  "frame_size: '1Q' is not a size (integer with optional K, M, G, T or P suffix)" },
	{ "rotate_size", "1M", MI, NULL },
	{ "rotate_size", "1T", 1LL << 40, NULL },
	{ "rotate_size", "0", 0, "rotate_size: '0' out of range 1M..1T" },
	{ "rotate_time", "1s", SEC, NULL },
	{ "rotate_time", "1", SEC, NULL },
	{ "rotate_time", "7d", 7 * 86400 * SEC, NULL },
	{ "rotate_time", "604801", 0, "rotate_time: '604801' out of range 1s..7d" },
	{ "rotate_time", "999ms", 0, "rotate_time: '999ms' out of range 1s..7d" },
	{ "rotate_time", "0", 0, "rotate_time: '0' out of range 1s..7d" },
	{ "retain_size", "0", 0, NULL },
	{ "retain_size", "16M", 16 * MI, NULL },
	{ "retain_size", "1PiB", 1LL << 50, NULL },
	{ "retain_size", "512K", 0, "retain_size: '512K' out of range 0 or 1M..1P" },
	{ "retain_size", "2P", 0, "retain_size: '2P' out of range 0 or 1M..1P" },
	{ "retain_age", "0", 0, NULL },
	{ "retain_age", "1m", 60 * SEC, NULL },
	{ "retain_age", "3650d", 3650 * 86400 * SEC, NULL },
	{ "retain_age", "30s", 0, "retain_age: '30s' out of range 0 or 1m..3650d" },
	{ "retain_age", "3651d", 0, "retain_age: '3651d' out of range 0 or 1m..3650d" },
	{ "ring_batches", "4", 4, NULL },
	{ "ring_batches", "65536", 65536, NULL },
	{ "ring_batches", "3", 0, "ring_batches: '3' out of range 4..65536" },
	{ "ring_batches", "1e3", 0, "ring_batches: '1e3' is not an integer" },
	{ "ring_batches", "64K", 0, "ring_batches: '64K' is not an integer" },
	{ "batch_size", "64K", 64 * KI, NULL },
	{ "batch_size", "16M", 16 * MI, NULL },
	{ "batch_size", "32K", 0, "batch_size: '32K' out of range 64K..16M" },
	{ "snaplen", "64", 64, NULL },
	{ "snaplen", "262145", 0, "snaplen: '262145' out of range 64..262144" },
	{ "snaplen", "", 0, "snaplen: '' is not an integer" },
	{ "store", "/var/lib/captured", 0, NULL },
	{ "store", "a;b", 0, NULL },
	{ "store", "", 0, "store: '' must be 1 to 180 bytes without leading or trailing blanks" },
	{ "store", " x", 0, "store: ' x' must be 1 to 180 bytes without leading or trailing blanks" },
	{ "store", "a ;b", 0,
	  "store: 'a ;b' must not hold control characters or a blank before ';' (a comment)" },
	{ "store", "a\nb", 0,
	  "store: 'a\nb' must not hold control characters or a blank before ';' (a comment)" },
	{ "nope", "1", 0, "unknown option 'nope'" },
	{ "frame-size", "1M", 0, "unknown option 'frame-size'" },
};

static void test_set(void **state)
{
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(set_cases) / sizeof(set_cases[0]); i++) {
		const struct set_case *t = &set_cases[i];
		struct config *c = config_create(), *d = config_create();
		enum config_opt o;
		int rc;

		assert_non_null(c);
		err[0] = '\0';
		rc = config_set(c, t->key, t->value, err, sizeof(err));
		if (!t->msg != !rc || (t->msg && strcmp(err, t->msg)))
			print_error("%s = '%s': rc %d err '%s'\n", t->key, t->value, rc, err);
		for (o = 0; o < CONFIG_NOPTS; o++)
			if (!strcmp(config_name(o), t->key))
				break;
		if (t->msg) {
			assert_int_equal(rc, -EINVAL);
			assert_string_equal(err, t->msg);
		} else {
			assert_int_equal(rc, 0);
			if (o == CONFIG_STORE)
				assert_string_equal(config_str(c, o), t->value);
			else
				assert_true(config_int(c, o) == t->want);
		}
		/* A failed set leaves the value alone. */
		for (o = 0; t->msg && o < CONFIG_NOPTS; o++) {
			assert_true(config_int(c, o) == config_int(d, o));
			if (config_str(d, o))
				assert_string_equal(config_str(c, o), config_str(d, o));
		}
		config_destroy(c);
		config_destroy(d);
	}
}

static void test_set_opt(void **state)
{
	struct config *c = config_create();
	char err[256];

	(void)state;
	assert_int_equal(config_set_opt(c, CONFIG_FRAME_SIZE, "2M", err, sizeof(err)), 0);
	assert_int_equal(config_int(c, CONFIG_FRAME_SIZE), 2 * MI);
	assert_int_equal(config_set_opt(c, CONFIG_NOPTS, "1", err, sizeof(err)), -EINVAL);
	assert_int_equal(config_set_opt(c, (enum config_opt)-1, "1", err, sizeof(err)), -EINVAL);
	/* No error buffer at all. */
	assert_int_equal(config_set_opt(c, CONFIG_LEVEL, "x", NULL, 0), -EINVAL);
	assert_int_equal(config_set(c, "store", "/srv/a", NULL, 0), 0);
	assert_int_equal(config_set(c, "store", "/srv/b", NULL, 0), 0);
	assert_string_equal(config_str(c, CONFIG_STORE), "/srv/b");
	config_destroy(c);
}

static void test_load_file(void **state)
{
	static const char text[] =
		"; captured test configuration\n"
		"# hash comment\n"
		"\n"
		"store = /srv/pcap\n"
		"[captured]\n"
		"   ; indented comment\n"
		"level=adaptive\n"
		"compression = none ; trailing comment\n"
		"frame_size = 2M\r\n"
		"rotate_time = 10m\n"
		"retain_size = 1T\n"
		"\n";
	struct config *c;
	char path[64], err[256] = "";

	(void)state;
	assert_int_equal(load_text(text, &c, path, err, sizeof(err)), 0);
	assert_string_equal(config_str(c, CONFIG_STORE), "/srv/pcap");
	assert_int_equal(config_int(c, CONFIG_LEVEL), CONFIG_LEVEL_ADAPTIVE);
	assert_string_equal(config_str(c, CONFIG_COMPRESSION), "none");
	assert_int_equal(config_int(c, CONFIG_FRAME_SIZE), 2 * MI);
	assert_int_equal(config_int(c, CONFIG_ROTATE_TIME), 600 * SEC);
	assert_int_equal(config_int(c, CONFIG_RETAIN_SIZE), 1LL << 40);
	assert_int_equal(config_int(c, CONFIG_SNAPLEN), 262144);   /* untouched */
	config_destroy(c);
	/* An empty file is fine. */
	assert_int_equal(load_text("", &c, path, err, sizeof(err)), 0);
	config_destroy(c);
}

/* Each bad file fails with "PATH:LINE: ..." holding msg. */
static void test_load_errors(void **state)
{
	static const struct {
		const char *text;
		int line;
		const char *msg;
	} cases[] = {
		{ "# 1\n; 2\n\nstore = x\nlevel = 25\nsnaplen = 64\n", 5,
		  "level: '25' out of range -7..19 or adaptive" },
		{ "[captured]\nlevel = 3\n\n\nbogus = 1\n", 5, "unknown option 'bogus'" },
		{ "level = 3\n[other]\nlevel = 4\n", 2, "section [other]: only [captured] is allowed" },
		{ "[captured]\nlevel = 3\n[empty]\n", 3, "section [empty]: only [captured] is allowed" },
		{ "[Captured]\n", 1, "section [Captured]: only [captured] is allowed" },
		{ "level = 3\nthis is not a key\nlevel = 99\n", 2, "expected 'key = value'" },
		{ "[captured\n", 1, "expected 'key = value'" },
		{ "store = x\n  level = 3\n", 2, "indented line" },
		{ "level = 3 # not a comment\n", 1, "level: '3 # not a comment' is not an integer" },
		{ "level =\n", 1, "level: '' is not an integer" },
		{ "\n\n\nstore = x\nframe_size = 3\n", 5, "frame_size: '3' out of range 4K..64M" },
	};
	char path[64], err[512], want[128];
	struct config *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = load_text(cases[i].text, &c, path, err, sizeof(err));

		snprintf(want, sizeof(want), "%s:%d: ", path, cases[i].line);
		if (rc != -EINVAL || strncmp(err, want, strlen(want)) || !strstr(err, cases[i].msg))
			print_error("case %zu: rc %d err '%s'\n", i, rc, err);
		assert_int_equal(rc, -EINVAL);
		assert_memory_equal(err, want, strlen(want));
		assert_non_null(strstr(err, cases[i].msg));
		config_destroy(c);
	}
}

static void test_load_long_line(void **state)
{
	char text[512], path[64], err[256], want[96];
	struct config *c;

	(void)state;
	snprintf(text, sizeof(text), "level = 3\nstore = /%0300d\nlevel = 4\n", 0);
	assert_int_equal(load_text(text, &c, path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: line longer than", path);
	assert_memory_equal(err, want, strlen(want));
	config_destroy(c);
}

static void test_load_missing(void **state)
{
	struct config *c = config_create();
	char err[256];

	(void)state;
	assert_int_equal(config_load_file(c, "/nonexistent/captured.conf", err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "/nonexistent/captured.conf: No such file or directory");
	assert_int_equal(config_load_file(c, "/tmp", err, sizeof(err)), -EISDIR);
	assert_string_equal(err, "/tmp: Is a directory");
	config_destroy(c);
}

static void test_print_round_trip(void **state)
{
	static const char *const kv[][2] = {
		{ "store", "/srv/cap ture;x" }, { "compression", "none" }, { "level", "adaptive" },
		{ "frame_size", "4100K" }, { "rotate_size", "1025M" }, { "rotate_time", "90m" },
		{ "retain_size", "17M" }, { "retain_age", "3601s" }, { "ring_batches", "100" },
		{ "batch_size", "65537" }, { "snaplen", "1500" }, { "interface", "eth1" },
		{ "backend", "afpacket" }, { "queues", "0,2-3" }, { "cpus", "1" },
		{ "fanout", "cpu" }, { "ring_size", "3M" }, { "promisc", "no" },
		{ "filter", "host 10.0.0.1 and not port 22" }, { "timestamp", "software" },
		{ "xdp_mode", "generic" }, { "busy_poll", "yes" }, { "xdp_allow_addressed", "on" },
		{ "control_socket", "/tmp/x.sock" }, { "control_group", "adm" },
		{ "control_mode", "0600" }, { "stats_interval", "250ms" }, { "flush_time", "5s" },
	};
	struct config *a = config_create(), *b = config_create(), *dflt = config_create();
	char path[64], err[256], *text = NULL;
	size_t i, len = 0;
	enum config_opt o;
	FILE *f;

	(void)state;
	for (i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		assert_int_equal(config_set(a, kv[i][0], kv[i][1], err, sizeof(err)), 0);
	/* Both a config with every option changed and the defaults survive. */
	for (i = 0; i < 2; i++) {
		struct config *src = i ? dflt : a;

		f = open_memstream(&text, &len);
		config_print(src, f);
		fclose(f);
		write_tmp(path, sizeof(path), text);
		free(text);
		config_destroy(b);
		b = config_create();
		assert_int_equal(config_load_file(b, path, err, sizeof(err)), 0);
		unlink(path);
		for (o = 0; o < CONFIG_NOPTS; o++) {
			assert_true(config_int(b, o) == config_int(src, o));
			if (config_str(src, o))
				assert_string_equal(config_str(b, o), config_str(src, o));
		}
	}
	/* Values are written with their largest exact unit. */
	f = open_memstream(&text, &len);
	config_print(dflt, f);
	fclose(f);
	assert_non_null(strstr(text, "[captured]\n"));
	assert_non_null(strstr(text, "\nframe_size = 1M\n"));
	assert_non_null(strstr(text, "\nrotate_time = 1h\n"));
	assert_non_null(strstr(text, "\nretain_age = 0\n"));
	assert_non_null(strstr(text, "\nbatch_size = 256K\n"));
	free(text);
	config_destroy(a);
	config_destroy(b);
	config_destroy(dflt);
}

static void test_getopt(void **state)
{
	static const struct option extra[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "synthetic", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	char *argv[] = { "captured", "-c", "/etc/captured.conf", "--frame-size", "2M",
			 "--level=adaptive", "--synthetic", "5", "--snaplen", "128", "-h", NULL };
	struct config *c = config_create();
	struct option *lo;
	int ch, o, argc = 11, seen_c = 0, seen_h = 0;
	char err[256], name[32];
	size_t i;

	(void)state;
	lo = config_getopt_table(extra);
	assert_non_null(lo);
	for (i = 0; i < 3; i++)
		assert_string_equal(lo[i].name, extra[i].name);
	for (o = 0; o < CONFIG_NOPTS; o++) {
		const struct option *p = &lo[3 + o];

		snprintf(name, sizeof(name), "%s", config_name(o));
		for (i = 0; name[i]; i++)
			name[i] = name[i] == '_' ? '-' : name[i];
		assert_string_equal(p->name, name);
		assert_int_equal(p->has_arg, required_argument);
		assert_null(p->flag);
		assert_int_equal(p->val, CONFIG_OPT_BASE + o);
	}
	assert_null(lo[3 + CONFIG_NOPTS].name);
	optind = 0;
	while ((ch = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		if (ch >= CONFIG_OPT_BASE && ch < CONFIG_OPT_BASE + CONFIG_NOPTS) {
			assert_int_equal(config_set_opt(c, ch - CONFIG_OPT_BASE, optarg, err,
							sizeof(err)), 0);
			continue;
		}
		seen_c += ch == 'c';
		seen_h += ch == 'h';
		assert_true(ch == 'c' || ch == 'h' || ch == 's');
	}
	assert_int_equal(seen_c + seen_h, 2);
	assert_int_equal(config_int(c, CONFIG_FRAME_SIZE), 2 * MI);
	assert_int_equal(config_int(c, CONFIG_LEVEL), CONFIG_LEVEL_ADAPTIVE);
	assert_int_equal(config_int(c, CONFIG_SNAPLEN), 128);
	free(lo);
	/* No extras. */
	lo = config_getopt_table(NULL);
	assert_non_null(lo);
	assert_string_equal(lo[0].name, "store");
	assert_null(lo[CONFIG_NOPTS].name);
	free(lo);
	config_destroy(c);
}

/* main's flow: args into their own config, file into the real one, merge. */
static void test_precedence(void **state)
{
	struct config *args = config_create(), *c;
	char path[64], err[256];

	(void)state;
	assert_int_equal(config_set_opt(args, CONFIG_LEVEL, "7", err, sizeof(err)), 0);
	assert_int_equal(config_set_opt(args, CONFIG_STORE, "/from/args", err, sizeof(err)), 0);
	assert_int_equal(load_text("level = 5\nframe_size = 8M\nstore = /from/file\n", &c, path,
				   err, sizeof(err)), 0);
	assert_int_equal(config_merge(c, args), 0);
	assert_int_equal(config_int(c, CONFIG_LEVEL), 7);
	assert_int_equal(config_int(c, CONFIG_FRAME_SIZE), 8 * MI);
	assert_string_equal(config_str(c, CONFIG_STORE), "/from/args");
	assert_int_equal(config_int(c, CONFIG_SNAPLEN), 262144);
	config_destroy(c);
	config_destroy(args);
}

/* Options whose value may be empty, file modes, and copying one option. */
static void test_empty_mode_copy(void **state)
{
	struct config *a = config_create(), *b = config_create();
	char err[256];

	(void)state;
	assert_string_equal(config_str(a, CONFIG_INTERFACE), "");
	assert_string_equal(config_str(a, CONFIG_FILTER), "");
	assert_int_equal(config_set(a, "filter", "", err, sizeof(err)), 0);
	/* a string that may not be empty still refuses "" */
	assert_int_equal(config_set(a, "store", "", err, sizeof(err)), -EINVAL);
	assert_int_equal(config_set(a, "queues", "", err, sizeof(err)), -EINVAL);
	assert_int_equal(config_int(a, CONFIG_CONTROL_MODE), 0660);
	assert_int_equal(config_set(a, "control_mode", "640", err, sizeof(err)), 0);
	assert_int_equal(config_int(a, CONFIG_CONTROL_MODE), 0640);
	assert_int_equal(config_set(a, "control_mode", "0777", err, sizeof(err)), 0);
	assert_int_equal(config_set(a, "control_mode", "0778", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "control_mode: '0778' is not an octal file mode"));
	assert_int_equal(config_set(a, "control_mode", "1777", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "out of range"));
	assert_int_equal(config_set(a, "backend", "dpdk", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not one of auto, afxdp, afpacket"));
	assert_int_equal(config_set(a, "interface", "eth7", err, sizeof(err)), 0);
	assert_int_equal(config_copy_opt(b, a, CONFIG_INTERFACE), 0);
	assert_int_equal(config_copy_opt(b, a, CONFIG_CONTROL_MODE), 0);
	assert_string_equal(config_str(b, CONFIG_INTERFACE), "eth7");
	assert_int_equal(config_int(b, CONFIG_CONTROL_MODE), 0777);
	assert_int_equal(config_copy_opt(b, a, CONFIG_NOPTS), -EINVAL);
	config_destroy(a);
	config_destroy(b);
}

static void test_man_and_flags(void **state)
{
	char *text = NULL, *p;
	size_t len = 0;
	int n = 0;
	FILE *f;

	(void)state;
	f = open_memstream(&text, &len);
	config_print_man(f);
	fclose(f);
	for (p = text; (p = strstr(p, ".TP\n")); p++)
		n++;
	assert_int_equal(n, CONFIG_NOPTS);
	assert_non_null(strstr(text, "\\fBframe_size\\fR = \\fIsize\\fR\n"));
	assert_non_null(strstr(text, "Command line: \\fB\\-\\-frame\\-size\\fR \\fIsize\\fR\n"));
	assert_non_null(strstr(text, "Default: \\fB1M\\fR. Range: 4K..64M. Reloadable: yes.\n"));
	assert_non_null(strstr(text, "Range: \\-7..19 or adaptive."));
	assert_non_null(strstr(text, "Range: 0 or 1M..1P."));
	assert_non_null(strstr(text, "Values: zstd, none."));
	assert_non_null(strstr(text, "Default: \\fB./store\\fR. Reloadable: no.\n"));
	assert_non_null(strstr(text, "Range: 64..262144. Reloadable: no.\n"));
	assert_non_null(strstr(text, "Default: \\fB(empty)\\fR. Range: may be empty."));
	assert_non_null(strstr(text, "Default: \\fB0660\\fR. Range: 0000..0777."));
	free(text);
	assert_false(config_reloadable(CONFIG_STORE));
	assert_false(config_reloadable(CONFIG_RING_BATCHES));
	assert_false(config_reloadable(CONFIG_BATCH_SIZE));
	assert_false(config_reloadable(CONFIG_SNAPLEN));
	assert_true(config_reloadable(CONFIG_LEVEL));
	assert_true(config_reloadable(CONFIG_RETAIN_AGE));
	assert_string_equal(config_name(CONFIG_RETAIN_AGE), "retain_age");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_set_opt),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_long_line),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_print_round_trip),
		cmocka_unit_test(test_getopt),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_man_and_flags),
		cmocka_unit_test(test_empty_mode_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
