/* Writer settings taken from the configuration: the part of struct
 * writer_opts that captured.conf decides (compression, level, frame size,
 * rotation, retention, flush and ISB cadence).  Shared by file ingest, the
 * RX workers and reload, so the three cannot disagree. */
#ifndef CAPTURED_WCONF_H
#define CAPTURED_WCONF_H

#include "config.h"
#include "writer.h"

/* Sets those fields of wo; leaves store, iface, queue, idb, headers,
 * feeder and lossless_source alone. */
void wconf_fill(struct writer_opts *wo, const struct config *c);

#endif
