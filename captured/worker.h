/* An RX worker: one thread per captured RX queue.  It owns the queue's
 * packet source, its batch pool and feeder, and the writer thread that
 * stores what the queue delivers.
 *
 * The thread starts with the affinity of the NIC's NUMA node, creates the
 * source, pool and writer there (so their memory is node-local and the
 * writer thread may use any core of the node), then pins itself to its
 * own core and runs the source until worker_stop().
 */
#ifndef CAPTURED_WORKER_H
#define CAPTURED_WORKER_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clockprov.h"
#include "source.h"
#include "tscale.h"
#include "store.h"
#include "writer.h"

struct worker_opts {
	const struct source_ops *ops;
	const struct config *conf;      /* read during worker_create only */
	const char *iface;
	int queue;
	int nworkers;
	int fanout_id;
	void *shared;                   /* the backend's per-interface state */
	int cpu;                        /* the core to pin to; -1: node only */
	const cpu_set_t *node_cpus;     /* where the writer may run */
	struct store *store;            /* the caller's; outlives the worker */
	const char *os, *userappl;      /* for the file headers */
	const char *hardware;           /* if_hardware: the NIC's driver */
	const struct clockprov *clock;  /* the caller's; outlives the worker; may be NULL */
	struct tscale_map *tsmap;       /* PHC to UTC for hardware stamps; the caller's; may be NULL */
};

/* What status shows of one worker. */
struct worker_stats {
	int queue, cpu;
	bool running;                   /* false: the source failed (see error) */
	struct source_stats src;
	uint64_t fed, writer_drops;     /* taken by / dropped at the feeder */
	struct writer_stats wr;
	char mode[64], tsource[32];
	char error[256];
};

/* Starts the worker and waits until its source is up.  NULL, errno and a
 * message in err when the source, pool or writer cannot be created. */
struct worker *worker_create(const struct worker_opts *o, char *err, size_t errlen);
/* Asks the worker to stop; returns at once.  worker_destroy() waits. */
void worker_stop(struct worker *w);
/* Stops, drains the ring, closes the open file, frees everything. */
void worker_destroy(struct worker *w);
/* Copies the source's counters into the writer's ISB statistics and
 * fills s.  Any thread. */
void worker_sample(struct worker *w, struct worker_stats *s);
/* The writer, for rotation and new settings. */
struct writer *worker_writer(struct worker *w);

#endif
