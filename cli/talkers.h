/* Top talkers for capctl stats: IPv4 and IPv6 addresses with the packets
 * and bytes they sent or received, counted exactly from packets or merged
 * from the approximate top lists of flow summaries (flowsum.h). */
#ifndef CAPTURED_TALKERS_H
#define CAPTURED_TALKERS_H

#include <stddef.h>
#include <stdint.h>

struct talker {
	uint8_t family;             /* 4 or 6 */
	uint8_t addr[16];           /* IPv4 in the first 4 bytes */
	double packets, bytes;      /* doubles: summaries are apportioned */
};

struct talkers;

/* NULL and errno ENOMEM. */
struct talkers *talkers_create(void);
void talkers_destroy(struct talkers *t);
/* Adds to an address's counts; 0 or -ENOMEM. */
int talkers_add(struct talkers *t, uint8_t family, const uint8_t *addr, double packets,
		double bytes);
/* Counts one packet of LINKTYPE linktype for its IPv4/IPv6 source and
 * destination (once when they are equal); packets without an IP header
 * (ARP, other link types, cut short) count for nobody.  0 or -ENOMEM. */
int talkers_packet(struct talkers *t, uint16_t linktype, const uint8_t *data, uint32_t caplen,
		   uint32_t origlen);
/* The n largest by bytes (then packets), largest first, into top (room for
 * n); returns how many there are. */
size_t talkers_top(const struct talkers *t, struct talker *top, size_t n);
/* The address as text (inet_ntop). */
const char *talker_addr(const struct talker *tk, char *buf, size_t len);

#endif
