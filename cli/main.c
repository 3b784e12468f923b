/* capctl: inspect and extract what captured stored. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capctl.h"

#define CAPCTL_VERSION "0.1.0"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: capctl [--store DIR] COMMAND [ARGS]\n"
		"\n"
		"  list [--json]                       files, time spans, packets, ratios, state\n"
		"  slice [--from T] [--to T] [-w FILE|-] [--force]\n"
		"        [--format pcapng|pcap|pcap-us] [--compress zstd] [--count] [--json]\n"
		"        [FILTER...]\n"
		"                                      packets with from <= ts < to matching a\n"
		"                                      libpcap FILTER, in timestamp order\n"
		"  follow [--from T] [-w FILE|-] [--format pcapng|pcap|pcap-us] [FILTER...]\n"
		"                                      packets as they are stored, like tail -f\n"
		"  stats [--from T] [--to T] [--by DURATION] [--top N] [--exact] [--json]\n"
		"                                      packets, bytes and drops per interval,\n"
		"                                      top talkers\n"
		"  verify [--repair] [FILE...]         check every frame and index entry;\n"
		"                                      --repair seals torn files\n"
		"  status [--json] [--socket PATH]     the running daemon's queues, rates, drops\n"
		"                                      (socket: $CAPTURED_CONTROL, or\n"
		"                                      /run/captured/control)\n"
		"  ptp [--socket PATH] [--domain N] [--json] [--timeout MS]\n"
		"                                      ptp4l's port state, offset, grandmaster\n"
		"                                      and time properties (socket: its\n"
		"                                      uds_address, default /var/run/ptp4l)\n"
		"\n"
		"  --store DIR   the store (default ./store, or $CAPTURED_STORE)\n"
		"  T: 2026-11-22T04:16:10.123456789Z, 1763784970.5, now, -30s, -5m, now-1h\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	struct capctl_ctx ctx = { .store = getenv("CAPTURED_STORE") };
	const char *cmd;
	int ch;

	ctx.store_given = ctx.store && *ctx.store;
	if (!ctx.store_given)
		ctx.store = "./store";
	/* "+": stop at the subcommand, whose options are its own */
	while ((ch = getopt_long(argc, argv, "+s:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 's': ctx.store = optarg; ctx.store_given = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("capctl %s\n", CAPCTL_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 0;  /* reset getopt for the subcommand */
	if (!strcmp(cmd, "list") || !strcmp(cmd, "ls"))
		return capctl_list(&ctx, argc, argv);
	if (!strcmp(cmd, "slice"))
		return capctl_slice(&ctx, argc, argv);
	if (!strcmp(cmd, "verify"))
		return capctl_verify(&ctx, argc, argv);
	if (!strcmp(cmd, "status"))
		return capctl_status(&ctx, argc, argv);
	if (!strcmp(cmd, "ptp"))
		return capctl_ptp(&ctx, argc, argv);
	if (!strcmp(cmd, "follow"))
		return capctl_follow(&ctx, argc, argv);
	if (!strcmp(cmd, "stats"))
		return capctl_stats(&ctx, argc, argv);
	capctl_err("unknown command '%s' (list, slice, follow, stats, verify, status, ptp)", cmd);
	return 2;
}
