/* captured: the capture daemon.  With -i IFACE it captures live (daemon.c:
 * one RX worker per queue, the control socket, systemd notification).
 * With -r FILE or --synthetic it runs a capture file or synthetic packets
 * through the same pipeline once: source -> feeder (EPB batches) -> SPSC
 * ring -> writer thread -> compressed, indexed store files. */
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
#include "daemon.h"
#include "feeder.h"
#include "log.h"
#include "source.h"
#include "store.h"
#include "wconf.h"
#include "writer.h"

#define CAPTURED_VERSION "0.1.0"
#define EPB_OVERHEAD 64

/* The one mutable global: set by SIGINT/SIGTERM, read by the source. */
static volatile sig_atomic_t stop_flag;

enum { OPT_SYNTH = 1, OPT_SYNTH_SIZE, OPT_SYNTH_RATE, OPT_PRINT_CONFIG, OPT_MAN_OPTIONS };

static const struct option main_opts[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "interface", required_argument, NULL, 'i' },
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
		"usage: captured -i IFACE [--store DIR] [-c FILE] [OPTIONS]\n"
		"       captured -r FILE [--store DIR] [-c FILE] [OPTIONS]\n"
		"       captured --synthetic COUNT [--synth-size 64|imix|N|MIN-MAX]\n"
		"                [--synth-rate PPS] [OPTIONS]\n"
		"\n"
		"  -i, --interface IF   capture from IF until SIGTERM (the daemon)\n"
		"  -r, --read FILE      ingest a pcap or pcapng file into the store\n"
		"  --synthetic COUNT    write COUNT synthetic packets (benchmarks); with\n"
		"  --synth-rate PPS     paced like a NIC: dropped and counted when the writer\n"
		"                       falls behind, instead of waiting\n"
		"  -c, --config FILE    read options from FILE (INI); the command line wins\n"
		"  --print-config       print the effective configuration and exit\n"
		"  -h, --help           this text;  -V, --version\n"
		"\nEvery option of captured.conf(5) is also --NAME VALUE, e.g.\n"
		"  --store DIR --compression zstd|none --level N|adaptive --frame-size 1M\n"
		"  --rotate-size 1G --rotate-time 1h --retain-size 100G --retain-age 30d\n"
		"  --backend auto|afxdp|afpacket --queues all|0,2-3 --filter EXPR\n"
		"  --control-socket PATH\n");
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
	while ((ch = getopt_long(argc, argv, "i:r:c:hV", lo, NULL)) != -1) {
		if (ch == 'i')
			ch = CONFIG_OPT_BASE + CONFIG_INTERFACE;
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
	struct writer_opts wo = { 0 };

	wconf_fill(&wo, c);
	/* a file has no wall-clock pace: frames end by size, ISBs at the end */
	wo.flush_ns = 0;
	wo.isb_ns = 0;
	wo.store = st;
	wo.iface = info.label;
	wo.queue = 0;
	wo.idb = idb;
	wo.shb_os = os;
	wo.shb_userappl = "captured " CAPTURED_VERSION;
	wo.lossless_source = info.lossless;
	wo.feeder = f;
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

static int run_daemon(const struct args *a, struct config *c, const struct config *cli)
{
	struct daemon_opts o = { .conf = c, .cli = cli, .conf_path = a->conf,
				 .version = CAPTURED_VERSION };
	struct daemon *d;
	char err[1024];
	int rc;

	d = daemon_create(&o, err, sizeof(err));
	if (!d) {
		fprintf(stderr, "captured: %s\n", err);
		/* a configuration the user can fix is a usage error */
		return errno == EINVAL ? 2 : 1;
	}
	rc = daemon_run(d);
	daemon_destroy(d);
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
	if (!a.read && !a.synth && *config_str(c, CONFIG_INTERFACE)) {
		rc = run_daemon(&a, c, cli);
		c = NULL;       /* the daemon took it */
		goto out;
	}
	if (!!a.read + !!a.synth != 1) {
		fprintf(stderr, "captured: say what to capture: -i IFACE (or interface = in "
			"the configuration file), -r FILE, or --synthetic COUNT\n");
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
