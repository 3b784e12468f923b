/* Packet output of capctl: uncompressed pcapng (nanosecond IDBs), or
 * classic pcap with the nanosecond or the microsecond magic, to a file or
 * stdout, optionally as a single zstd frame (which Wireshark opens
 * directly, unlike multi-frame files). */
#ifndef CAPTURED_PKTOUT_H
#define CAPTURED_PKTOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcapng.h"

enum pktout_format {
	PKTOUT_PCAPNG,
	PKTOUT_PCAP,        /* nanosecond magic 0xa1b23c4d */
	PKTOUT_PCAP_US,     /* microsecond magic 0xa1b2c3d4, timestamps truncated */
};

/* "pcapng", "pcap" or "pcap-ns", "pcap-us": 0, or -EINVAL. */
int pktout_parse_format(const char *s, enum pktout_format *fmt);

struct pktout;

/* path NULL or "-": stdout (refused when it is a terminal).  An existing
 * file is refused unless force.  appl: the pcapng shb_userappl.  NULL and
 * errno, message in err. */
struct pktout *pktout_open(const char *path, bool force, enum pktout_format fmt,
			   bool zstd, const char *appl, char *err, size_t errlen);
/* pcap: the snapshot length of the header is at least snaplen, for
 * writers that learn of interfaces after the header (capctl follow). */
void pktout_min_snaplen(struct pktout *o, uint32_t snaplen);
/* Declares an interface (idb as parsed, with its raw block); identical
 * blocks are merged.  Returns the output interface number, or -EINVAL
 * (message in err) when the format cannot hold it (pcap: one link type). */
int pktout_add_if(struct pktout *o, const uint8_t *block, size_t len,
		  const struct pcapng_idb *idb, char *err, size_t errlen);
int pktout_packet(struct pktout *o, uint32_t ifid, uint64_t ts_ns, const uint8_t *data,
		  uint32_t caplen, uint32_t origlen, uint32_t flags, int32_t queue);
/* Writes out what is buffered (a zstd output is flushed so that a reader
 * decodes everything so far; a pcap header is written once an interface
 * is known).  0 or negative errno (-EPIPE: the reader went away). */
int pktout_flush(struct pktout *o);
/* Flushes and closes; 0 or negative errno (-EPIPE: the reader went away).
 * Frees o in every case. */
int pktout_close(struct pktout *o);

#endif
