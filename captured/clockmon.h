/* The clock monitor: on the daemon's event loop, it asks ptp4l (through
 * its management socket), the PHCs involved and the kernel's NTP state how
 * good the clock behind the capture's timestamps is, runs the clock
 * quality state machine (clockq.h), and publishes:
 *   - the quality (state, error bound) every writer records per frame and
 *     the section text every new file starts with (clockprov.h);
 *   - the PHC-to-UTC rule RX workers apply to hardware timestamps
 *     (tscale.h);
 *   - the "clock" object of the status reply; log lines on every change of
 *     state, a warning when the lock is lost.
 *
 * Which clock matters: the one the timestamps come from (the capture
 * interface's PHC for hardware stamps, CLOCK_REALTIME for software ones).
 * ptp4l disciplines its own clock (its port's PHC with hardware
 * timestamping, CLOCK_REALTIME with -S); when the two differ, the measured
 * difference between them (after the TAI-UTC offset) adds to the bound.
 */
#ifndef CAPTURED_CLOCKMON_H
#define CAPTURED_CLOCKMON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "clockprov.h"
#include "config.h"
#include "tscale.h"

struct clockmon;
struct event_base;

struct clockmon_args {
	const struct config *conf;    /* clock_*, ptp_*; read in create only */
	const char *iface;            /* the capture interface */
	bool hw_timestamps;           /* the workers stamp in hardware */
	struct event_base *base;      /* the daemon's loop */
	struct clockprov *prov;       /* published to; the caller's, outlives the monitor */
	struct tscale_map *map;       /* published to; the caller's, outlives the monitor */
};

/* Sets up the sources the configuration names, asks each once (waiting a
 * short while for ptp4l, so that the first file already says where its
 * time comes from), publishes, and starts the timer.  NULL and errno with
 * a message in err for what a user must fix (clock_source = ptp4l with a
 * client path that cannot be bound; clock_unlock below clock_lock). */
struct clockmon *clockmon_create(const struct clockmon_args *a, char *err, size_t errlen);
void clockmon_destroy(struct clockmon *m);
/* The workers turned out to stamp in hardware (or not) unlike what
 * clockmon_args said: republish (files not yet opened get it right). */
void clockmon_set_hw(struct clockmon *m, bool hw);
/* The "clock" object of the status reply (a new reference). */
json_t *clockmon_status(struct clockmon *m);
/* "locked, bound 250 ns" for the status line. */
void clockmon_summary(struct clockmon *m, char *buf, size_t len);

#endif
