/* captured: the capture daemon.  This stage ingests a capture file (-r) or
 * synthetic packets (--synthetic) through the pipeline the live RX workers
 * use: source -> feeder (EPB batches) -> SPSC ring -> writer thread ->
 * compressed, indexed store files. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "comp.h"
#include "config.h"
#include "feeder.h"
#include "log.h"
#include "source.h"
#include "store.h"
#include "writer.h"

#define CAPTURED_VERSION "0.1.0"
#define EPB_OVERHEAD 64

/* The one mutable global: set by SIGINT/SIGTERM, read by the source. */
static volatile sig_atomic_t stop_flag;

enum { OPT_SYNTH = 1, OPT_SYNTH_SIZE, OPT_SYNTH_RATE, OPT_PRINT_CONFIG, OPT_MAN_OPTIONS };

static const struct option main_opts[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "config", required_argument, NULL, 'c' },
	{ "synthetic", required_argument, NULL, OPT_SYNTH },
	{ "synth-size", required_argument, NULL, OPT_SYNTH_SIZE },
	{ "synth-rate", required_argument, NULL, OPT_SYNTH_RATE },
	{ "print-config", no_argument, NULL, OPT_PRINT_CONFIG },
	{ "man-options", no_argument, NULL, OPT_MAN_OPTIONS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 }
};

struct args {
	const char *read, *conf, *synth, *synth_size, *synth_rate;
	bool print_config;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: captured -r FILE [--store DIR] [-c FILE] [OPTIONS]\n"
		"       captured --synthetic COUNT [--synth-size 64|imix|N|MIN-MAX]\n"
		"                [--synth-rate PPS] [OPTIONS]\n"
		"\n"
		"  -r, --read FILE      ingest a pcap or pcapng file into the store\n"
		"  --synthetic COUNT    write COUNT synthetic packets (benchmarks); with\n"
		"  --synth-rate PPS     paced like a NIC: dropped and counted when the writer\n"
		"                       falls behind, instead of waiting\n"
		"  -c, --config FILE    read options from FILE (INI); the command line wins\n"
		"  --print-config       print the effective configuration and exit\n"
		"  -h, --help           this text;  -V, --version\n"
		"\nEvery option of captured.conf(5) is also --NAME VALUE, e.g.\n"
		"  --store DIR --compression zstd|none --level N|adaptive --frame-size 1M\n"
		"  --rotate-size 1G --rotate-time 1h --retain-size 100G --retain-age 30d\n");
}

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int parse_args(int argc, char **argv, struct args *a, struct config *cli)
{
	struct option *lo = config_getopt_table(main_opts);
	char err[512];
	int ch, rc = 0;

	if (!lo) {
		log_msg(LOG_ERR, "out of memory");
		return 1;
	}
	while ((ch = getopt_long(argc, argv, "r:c:hV", lo, NULL)) != -1) {
		if (ch >= CONFIG_OPT_BASE && ch < CONFIG_OPT_BASE + CONFIG_NOPTS) {
			if (config_set_opt(cli, ch - CONFIG_OPT_BASE, optarg, err, sizeof(err))) {
				fprintf(stderr, "captured: command line: %s\n", err);
				rc = 2;
				break;
			}
			continue;
		}
		switch (ch) {
		case 'r': a->read = optarg; break;
		case 'c': a->conf = optarg; break;
		case OPT_SYNTH: a->synth = optarg; break;
		case OPT_SYNTH_SIZE: a->synth_size = optarg; break;
		case OPT_SYNTH_RATE: a->synth_rate = optarg; break;
		case OPT_PRINT_CONFIG: a->print_config = true; break;
		case OPT_MAN_OPTIONS: config_print_man(stdout); rc = -1; break;
		case 'h': usage(stdout); rc = -1; break;
		case 'V': printf("captured %s\n", CAPTURED_VERSION); rc = -1; break;
		default: usage(stderr); rc = 2; break;
		}
		if (rc)
			break;
	}
	free(lo);
	if (!rc && optind < argc) {
		fprintf(stderr, "captured: unexpected argument '%s'\n", argv[optind]);
		rc = 2;
	}
	return rc;
}

static int writer_level(const struct config *c)
{
	int64_t l = config_int(c, CONFIG_LEVEL);

	if (l == CONFIG_LEVEL_ADAPTIVE)
		return WRITER_LEVEL_ADAPTIVE;
	return l == 0 ? COMP_LEVEL_STORED : (int)l;
}

static double secs_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void summary(const char *what, const struct writer_stats *ws, uint64_t seen,
		    uint64_t dropped, double secs, const char *store)
{
	double ratio = ws->disk_bytes ? (double)ws->pcapng_bytes / (double)ws->disk_bytes : 0;

	fprintf(stderr,
		"captured: %s: %llu packets (%llu bytes) stored of %llu read, %llu dropped "
		"(writer ring full), %llu lost (write errors); %llu files in %s, %llu bytes on "
		"disk, ratio %.2f; frames %llu compressed, %llu stored raw, %llu plain; %.3f s, "
		"%.3f Mpps, "
		"%.1f MB/s\n",
		what, (unsigned long long)ws->packets, (unsigned long long)ws->bytes,
		(unsigned long long)seen, (unsigned long long)dropped,
		(unsigned long long)ws->lost_packets, (unsigned long long)ws->files, store,
		(unsigned long long)ws->disk_bytes, ratio,
		(unsigned long long)ws->level_frames[0], (unsigned long long)ws->level_frames[1],
		(unsigned long long)ws->level_frames[2], secs, secs > 0 ? (double)ws->packets / secs / 1e6 : 0,
		secs > 0 ? (double)ws->pcapng_bytes / secs / 1e6 : 0);
}

static int run(const struct args *a, const struct config *c)
{
	const struct source_ops *ops = a->read ? &src_pcap_ops : &src_synth_ops;
	size_t batch_size = (size_t)config_int(c, CONFIG_BATCH_SIZE);
	struct batch_pool *pool = NULL;
	struct writer *w = NULL;
	struct feeder *f = NULL;
	struct store *st = NULL;
	struct source_info info;
	struct source_stats ss;
	struct writer_stats ws;
	struct writer_ifstats ifs = { 0 };
	struct pcapng_idb idb;
	struct utsname un;
	struct timespec t0;
	char err[1024] = "", os[256];
	void *src;
	int rc = 1, run_err;

	struct source_args sa = { a->read ? a->read : a->synth, a->synth_size, 0 };
	char *end;

	if (a->synth_rate) {
		errno = 0;
		sa.rate = strtoull(a->synth_rate, &end, 10);
		if (errno || *end || !sa.rate || sa.rate > 100000000) {
			fprintf(stderr, "captured: --synth-rate: '%s': want packets per second, "
				"1..100000000\n", a->synth_rate);
			return 2;
		}
	}
	src = ops->create(&sa, err, sizeof(err));
	if (!src) {
		fprintf(stderr, "captured: %s\n", err);
		/* a bad synthetic argument is a usage error; an unreadable file is not */
		return a->synth && errno == EINVAL ? 2 : 1;
	}
	ops->info(src, &info);
	/* snaplen cuts what the source delivers, as tcpdump -s and editcap -s do */
	if (info.snaplen > (uint32_t)config_int(c, CONFIG_SNAPLEN) || !info.snaplen)
		info.snaplen = (uint32_t)config_int(c, CONFIG_SNAPLEN);
	st = store_open(config_str(c, CONFIG_STORE), true, err, sizeof(err));
	if (!st) {
		fprintf(stderr, "captured: %s\n", err);
		goto out;
	}
	/* every packet the source can produce must fit in one batch */
	if (batch_size < info.snaplen + EPB_OVERHEAD)
		batch_size = info.snaplen + EPB_OVERHEAD;
	pool = batch_pool_create((size_t)config_int(c, CONFIG_RING_BATCHES), batch_size);
	f = pool ? feeder_create(pool, info.lossless, info.snaplen) : NULL;
	if (!f) {
		fprintf(stderr, "captured: cannot allocate %lld batches of %zu bytes: %s\n",
			(long long)config_int(c, CONFIG_RING_BATCHES), batch_size, strerror(errno));
		goto out;
	}
	uname(&un);
	snprintf(os, sizeof(os), "%s %s %s", un.sysname, un.release, un.machine);
	memset(&idb, 0, sizeof(idb));
	idb.linktype = info.linktype;
	idb.snaplen = info.snaplen;
	idb.tsresol = 9;
	idb.name = info.name;
	idb.description = info.description;
	idb.os = os;
	idb.filter = info.filter[0] ? info.filter : NULL;
	struct writer_opts wo = {
		.store = st,
		.iface = info.label,
		.queue = 0,
		.idb = idb,
		.shb_os = os,
		.shb_userappl = "captured " CAPTURED_VERSION,
		.plain = config_int(c, CONFIG_COMPRESSION) == CONFIG_COMPRESSION_NONE,
		.level = writer_level(c),
		.adaptive_ceiling = 3,
		.lossless_source = info.lossless,
		.frame_size = (size_t)config_int(c, CONFIG_FRAME_SIZE),
		.flush_ns = 0,
		.rotate_size = (uint64_t)config_int(c, CONFIG_ROTATE_SIZE),
		.rotate_ns = config_int(c, CONFIG_ROTATE_TIME),
		.retain_size = (uint64_t)config_int(c, CONFIG_RETAIN_SIZE),
		.retain_age_ns = config_int(c, CONFIG_RETAIN_AGE),
		.feeder = f,
	};
	w = writer_create(&wo, pool);
	if (!w || writer_start(w)) {
		fprintf(stderr, "captured: cannot start the writer: %s\n", strerror(errno));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_err = ops->run(src, f, &stop_flag, err, sizeof(err));
	feeder_flush(f);
	ops->stats(src, &ss);
	ifs.ifrecv = ss.packets;
	ifs.ifdrop = ss.ifdrop;
	writer_set_ifstats(w, &ifs);
	writer_finish(w);
	writer_get_stats(w, &ws);
	summary(a->read ? a->read : "synthetic", &ws, ss.packets, feeder_drops(f), secs_since(&t0),
		config_str(c, CONFIG_STORE));
	rc = 0;
	if (run_err) {
		fprintf(stderr, "captured: %s\n", err);
		rc = 1;
	}
	if (ws.lost_packets) {
		fprintf(stderr, "captured: %llu packets could not be stored (%llu write "
			"errors; see above)\n", (unsigned long long)ws.lost_packets,
			(unsigned long long)ws.write_errors);
		rc = 1;
	}
	if (stop_flag) {
		fprintf(stderr, "captured: interrupted; everything read so far is stored\n");
		rc = 130;
	}
out:
	writer_destroy(w);
	feeder_destroy(f);
	batch_pool_destroy(pool);
	store_destroy(st);
	ops->destroy(src);
	return rc;
}

int main(int argc, char **argv)
{
	struct config *cli = config_create(), *c = config_create();
	struct args a = { 0 };
	struct sigaction sa;
	char err[1024];
	int rc;

	if (!cli || !c) {
		fprintf(stderr, "captured: out of memory\n");
		return 1;
	}
	/* precedence: command line, then config file, then $CAPTURED_STORE */
	if (getenv("CAPTURED_STORE") && *getenv("CAPTURED_STORE") &&
	    config_set_opt(c, CONFIG_STORE, getenv("CAPTURED_STORE"), err, sizeof(err))) {
		fprintf(stderr, "captured: $CAPTURED_STORE: %s\n", err);
		rc = 2;
		goto out;
	}
	rc = parse_args(argc, argv, &a, cli);
	if (rc)
		goto out;
	if (a.conf && config_load_file(c, a.conf, err, sizeof(err))) {
		fprintf(stderr, "captured: %s\n", err);
		rc = 2;
		goto out;
	}
	if (config_merge(c, cli)) {
		fprintf(stderr, "captured: out of memory\n");
		rc = 1;
		goto out;
	}
	if (a.print_config) {
		config_print(c, stdout);
		goto out;
	}
	if (!!a.read + !!a.synth != 1) {
		fprintf(stderr, "captured: say what to capture: -r FILE or --synthetic COUNT "
			"(live capture from an interface comes with the RX workers)\n");
		usage(stderr);
		rc = 2;
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rc = run(&a, c);
out:
	config_destroy(cli);
	config_destroy(c);
	return rc < 0 ? 0 : rc;
}
