/* Internals shared by clockmon.c (sampling) and clockmon_text.c (what the
 * monitor says: section text, status, summary). */
#ifndef CAPTURED_CLOCKMON_INT_H
#define CAPTURED_CLOCKMON_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "clockmon.h"
#include "clockq.h"
#include "log.h"
#include "phc.h"
#include "pmc.h"

struct clockmon {
	int source;                   /* enum config_clock_source, auto resolved */
	bool hw;                      /* timestamps from the capture interface's PHC */
	char iface[64];
	char ptp_socket[180];
	int domain;
	int64_t poll_ns, timeout_ns;
	struct event_base *base;
	struct event *ev_tick, *ev_read;
	struct clockprov *prov;
	struct tscale_map *map;
	struct clockq *q;
	enum clockq_state last_state;
	struct log_limit lim;

	/* ptp4l, as last answered */
	struct pmc *pmc;
	bool have_port, have_tstatus, have_parent, have_tprop, have_current, have_pprops;
	bool fresh_port, fresh_tstatus;   /* answered since the last tick */
	struct pmc_port_ds port;          /* the port that matters (SLAVE first) */
	struct pmc_time_status tstatus;
	struct pmc_parent_ds parent;
	struct pmc_time_properties tprop;
	struct pmc_current_ds current;
	struct pmc_port_props pprops;
	int64_t last_answer_ns;           /* monotonic; INT64_MIN never */
	int64_t subscribed_ns;            /* when the subscription was last sent */
	bool reachable;
	uint64_t rejected;                /* messages we could not parse */

	/* PHCs: of the timestamps (hw) and of ptp4l's port (hardware PTP) */
	struct phc *ts_phc, *ptp_phc;
	char ptp_phc_iface[64];           /* ptp4l's interface whose PHC ptp_phc is */
	bool ts_phc_ok, ptp_phc_ok;
	int64_t ts_phc_off, ts_phc_unc;   /* PHC - CLOCK_REALTIME */
	int64_t ptp_phc_off, ptp_phc_unc;
	int64_t extra_ns;                 /* added to the bound; INT64_MIN: cannot tell */

	/* kernel NTP state (clock_source = system) */
	int ntp_rc, ntp_status;
	long ntp_esterror_us, ntp_maxerror_us;

	bool rule_valid;
	struct tscale_rule rule;
};

/* clockmon_text.c: the section text and the summary. */
void clockmon_publish_section(struct clockmon *m);
const char *clockmon_source_name(int source);
/* The clock the timestamps come from, as people say it. */
const char *clockmon_ts_clock(const struct clockmon *m);
/* The clock ptp4l disciplines: "PHC of IF", "CLOCK_REALTIME", "?". */
void clockmon_ptp_clock(const struct clockmon *m, char *buf, size_t len);
/* Whether ptp4l stamps in hardware (PORT_PROPERTIES_NP). */
bool clockmon_ptp_hw(const struct clockmon *m);

#endif
