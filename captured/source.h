/* Packet sources: where a capture's packets come from.  Each backend is one
 * file (src_pcap.c: a capture file read with libpcap; src_synth.c: synthetic
 * packets for benchmarks; live RX paths later) behind this table. */
#ifndef CAPTURED_SOURCE_H
#define CAPTURED_SOURCE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "feeder.h"

struct source_info {
	uint16_t linktype;
	uint32_t snaplen;
	char label[64];            /* interface part of file names */
	char name[256];            /* if_name */
	char description[256];     /* if_description: what the timestamps are */
	char hardware[128];        /* if_hardware */
	char filter[256];          /* if_filter, "" if none */
};

struct source_stats {
	uint64_t packets;          /* seen */
	uint64_t ifdrop;           /* lost before us */
};

struct source_ops {
	const char *name;
	/* arg: the backend's argument (a file name, a packet count). NULL and
	 * errno, with a message in err, on failure. */
	void *(*create)(const char *arg, const char *opt, char *err, size_t errlen);
	void (*destroy)(void *ctx);
	void (*info)(void *ctx, struct source_info *info);
	/* Feeds every packet to f until done or *stop.  0 when done, negative
	 * errno with a message in err (packets before the error are fed). */
	int (*run)(void *ctx, struct feeder *f, volatile sig_atomic_t *stop, char *err,
		   size_t errlen);
	void (*stats)(void *ctx, struct source_stats *s);
};

extern const struct source_ops src_pcap_ops;
extern const struct source_ops src_synth_ops;

#endif
