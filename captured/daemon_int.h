/* Internals shared by daemon.c (lifecycle) and daemon_status.c (status). */
#ifndef CAPTURED_DAEMON_INT_H
#define CAPTURED_DAEMON_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "clockmon.h"
#include "clockprov.h"
#include "daemon.h"
#include "ifinfo.h"
#include "worker.h"

#define DAEMON_MAX_WORKERS 256

/* The previous sample of a worker, for rates. */
struct daemon_rate {
	uint64_t packets, bytes;
	int64_t at_ns;
	double pps, bps;
};

struct daemon {
	struct daemon_opts o;
	struct config *conf;
	struct ifinfo ifi;
	struct store *store;
	const char *backend;                 /* "afxdp" or "afpacket" */
	char backend_note[600];              /* why auto chose what it chose */
	struct worker *w[DAEMON_MAX_WORKERS];
	struct daemon_rate rate[DAEMON_MAX_WORKERS];
	struct worker_stats last[DAEMON_MAX_WORKERS];  /* the latest sample */
	int nw;
	const struct source_ops *ops;        /* the workers' backend */
	void *shared;                        /* its per-interface state */
	char os[256], userappl[64];
	int64_t start_ns;                    /* CLOCK_MONOTONIC */
	char hw_filter_warning[256];         /* "" unless the HW filter was narrowed */
	struct ifinfo_rx nic_raw, nic;       /* NIC counters last read; totals since start */
	bool nic_gone;                       /* the interface disappeared */
	bool worker_failed;

	struct event_base *base;
	struct event *ev_term, *ev_int, *ev_hup, *ev_stats, *ev_watchdog;
	struct control *ctl;
	struct clockprov *prov;              /* what writers record about the clock */
	struct tscale_map tsmap;             /* PHC time to UTC, for hardware stamps */
	struct clockmon *cm;
};

/* The status reply (JSON, malloc'd, ending in "\n"), or NULL. */
char *daemon_status_json(struct daemon *d);
/* Samples every worker: ISB counters, rates, warnings.  On the loop. */
void daemon_sample(struct daemon *d);
/* The one-line summary for sd_notify STATUS and the log. */
void daemon_status_line(struct daemon *d, char *buf, size_t len);

#endif
