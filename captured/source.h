/* Packet sources: where a capture's packets come from.  Each backend is one
 * file (src_pcap.c: a capture file read with libpcap; src_synth.c: synthetic
 * packets for benchmarks; live RX paths later) behind this table. */
#ifndef CAPTURED_SOURCE_H
#define CAPTURED_SOURCE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feeder.h"

/* What a source is asked to produce; each backend reads what it needs. */
struct source_args {
	const char *arg;           /* a file name; a packet count */
	const char *size;          /* synthetic: 64, imix, N, MIN-MAX */
	uint64_t rate;             /* synthetic: packets/s, 0 = as fast as the writer takes */
};

struct source_info {
	bool lossless;             /* the source can wait for the writer (a file) */
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
	/* NULL and errno, with a message in err, on failure. */
	void *(*create)(const struct source_args *a, char *err, size_t errlen);
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
