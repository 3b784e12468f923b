/* Packet sources: where a capture's packets come from.  Each backend is one
 * file behind this table: src_pcap.c (a capture file read with libpcap),
 * src_synth.c (synthetic packets for benchmarks), src_afpacket.c (AF_PACKET
 * TPACKET_V3 with fanout) and src_afxdp.c (AF_XDP).
 *
 * A live source serves one RX worker: the daemon starts one thread per RX
 * queue, pins it, and calls create() on that thread so that ring memory is
 * allocated on the worker's NUMA node; run() then loops on that thread.
 * info() and stats() may be called from any thread while run() goes on. */
#ifndef CAPTURED_SOURCE_H
#define CAPTURED_SOURCE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feeder.h"
#include "tscale.h"

/* What a source is asked to produce; each backend reads what it needs. */
struct config;

struct source_args {
	const char *arg;           /* a file name; a packet count */
	const char *size;          /* synthetic: 64, imix, N, MIN-MAX */
	uint64_t rate;             /* synthetic: packets/s, 0 = as fast as the writer takes */
	/* live sources */
	const struct config *conf; /* snaplen, promisc, filter, ring_size, fanout, timestamp,
				    * xdp_mode, busy_poll, xdp_allow_addressed, flush_time */
	const char *iface;
	int queue;                 /* the RX queue this worker serves */
	int nworkers;              /* workers on this interface */
	int fanout_id;             /* AF_PACKET: fanout group of this interface's workers */
	void *shared;              /* what ops->iface_open returned (NULL without it) */
	struct tscale_map *tsmap;  /* hardware stamps: PHC time to UTC (NULL: as they come) */
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
	char mode[64];             /* live: "afxdp native copy", "afpacket tpacket_v3 fanout hash" */
	char tsource[32];          /* live: "hardware", "software" (where the stamps come from) */
	uint64_t recover_caps;     /* live: the capabilities (1 << CAP_*) run() needs to set
				    * itself up again after link loss; priv.h */
};

/* Counters since create(), each a running total (never reset). */
struct source_stats {
	uint64_t packets;          /* seen */
	uint64_t bytes;            /* wire length of the packets seen */
	uint64_t ifdrop;           /* lost before us: NIC or kernel ring (tp_drops, XDP rx_dropped) */
	uint64_t osdrop;           /* lost in the bypass ring (XDP rx_ring_full, fill ring empty) */
	uint64_t ts_backwards;     /* packets stamped earlier than the one before (same queue) */
	uint64_t ts_hardware;      /* packets with a hardware timestamp */
	uint64_t ts_software;      /* packets with a software timestamp */
	uint64_t link_losses;      /* live: times the link went down or the interface away */
	char waiting[160];         /* live: "" while capturing, else what run() waits for
				    * ("link down", "interface gone") */
};

struct source_ops {
	const char *name;
	/* NULL and errno, with a message in err, on failure. */
	void *(*create)(const struct source_args *a, char *err, size_t errlen);
	void (*destroy)(void *ctx);
	void (*info)(void *ctx, struct source_info *info);
	/* Feeds every packet to f until done or *stop.  0 when done, negative
	 * errno with a message in err (packets before the error are fed).  A live
	 * source runs until *stop, sees it within 100 ms, calls feeder_tick() at
	 * least that often, and recovers from data-path errors (counts, logs
	 * rate-limited) instead of returning.  It follows its interface through
	 * link flaps: down and up again, deleted and re-created under the same
	 * name (a new ifindex), its XDP program detached; it says so once each
	 * time, keeps its counters, and shows in stats().waiting what it waits
	 * for meanwhile. */
	int (*run)(void *ctx, struct feeder *f, volatile sig_atomic_t *stop, char *err,
		   size_t errlen);
	void (*stats)(void *ctx, struct source_stats *s);
	/* Optional (NULL: nothing shared).  State shared by all the workers of
	 * one interface, such as AF_XDP's XDP program and its maps: the daemon
	 * calls iface_open (a->queue and a->shared unset) before the first
	 * worker's create() and passes the result in every worker's
	 * source_args.shared; iface_close after the last destroy().  NULL and
	 * errno with a message in err on failure. */
	void *(*iface_open)(const struct source_args *a, char *err, size_t errlen);
	void (*iface_close)(void *shared);
};

extern const struct source_ops src_pcap_ops;
extern const struct source_ops src_synth_ops;
extern const struct source_ops src_afpacket_ops;
extern const struct source_ops src_afxdp_ops;

#endif
