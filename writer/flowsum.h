/* Flow summary of one store frame: a compact account of what the frame's
 * packets hold, enough to prove that no packet in it can match a filter on
 * host/net, port, IP protocol or VLAN, so that queries skip the frame
 * without decompressing it.  Built on the writer thread, one packet at a
 * time; stored beside the frame's index record (captured-store(5)).
 *
 * What is recorded (every place a libpcap filter could look, and more:
 * more only costs pruning power, never correctness):
 *   - IPv4 addresses: source and destination of every IPv4 header, the
 *     sender and target protocol addresses of ARP/RARP; with their /8,
 *     /16 and /24 prefixes (for "net" filters);
 *   - IPv6 addresses: source and destination, with /32, /48 and /64
 *     prefixes;
 *   - TCP, UDP and SCTP ports, source and destination, and port blocks
 *     (port >> 8, for "portrange" filters);
 *   - the IPv4 protocol numbers and IPv6 next-header values (every header
 *     of the extension chain), as an exact 256-bit set;
 *   - VLAN IDs of every tag of an 802.1Q/802.1ad stack (QinQ), and the
 *     headers under the tags are parsed like untagged ones;
 *   - flags: any IPv4, IPv6, ARP, VLAN-tagged, other ethertype (or one
 *     not captured), and "opaque" (a packet the parser could not account
 *     for: another link type).  A packet cut short is not opaque: what was
 *     captured is recorded, and a field past caplen is not (libpcap never
 *     matches a field it cannot load; the prefixes in the captured bytes
 *     of a cut address are recorded all the same).
 * Addresses, ports and VLAN IDs go into a Bloom filter sized to the number
 * of distinct keys (false positives ~1 %), so a "may" is sometimes wrong
 * and a "no" never is.  The parser reads only the captured bytes and
 * never trusts a length field it has not checked.
 *
 * Also kept: the frame's top talkers (up to FLOWSUM_TOP addresses by
 * bytes as source or destination of IPv4, IPv6 and ARP packets), for
 * capctl stats.  The counts are exact: each distinct address of the frame
 * has its counters in the set that feeds the Bloom filter anyway (a frame
 * with more than 2^19 addresses of a family stops adding new ones).
 */
#ifndef CAPTURED_FLOWSUM_H
#define CAPTURED_FLOWSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLOWSUM_TOP 16
#define FLOWSUM_MAX (256u * 1024)     /* largest serialized summary */

#define FLOWSUM_F_IPV4   0x01u
#define FLOWSUM_F_IPV6   0x02u
#define FLOWSUM_F_ARP    0x04u        /* ARP or RARP */
#define FLOWSUM_F_VLAN   0x08u        /* some packet had an 802.1Q/802.1ad tag */
#define FLOWSUM_F_OTHER  0x10u        /* some packet had another ethertype */
#define FLOWSUM_F_OPAQUE 0x20u        /* some packet was not accounted for: never prune */

/* ---- building (writer thread) ---- */

struct flowsum_builder;

/* NULL and errno. */
struct flowsum_builder *flowsum_builder_create(void);
void flowsum_builder_destroy(struct flowsum_builder *b);
/* Forget everything: the next frame begins. */
void flowsum_builder_reset(struct flowsum_builder *b);
/* Account for one packet of link type linktype (DLT_EN10MB is parsed;
 * any other marks the summary opaque). */
void flowsum_add_packet(struct flowsum_builder *b, uint32_t linktype, const uint8_t *data,
			uint32_t caplen, uint32_t origlen);
/* The serialized summary of what was added since the last reset: its
 * size when it fits in cap bytes at dst (written there), else the size
 * needed (nothing written; dst may be NULL).  Never above FLOWSUM_MAX (a
 * frame with more distinct keys than fit gets a denser filter). */
size_t flowsum_serialize(struct flowsum_builder *b, uint8_t *dst, size_t cap);

/* ---- reading ---- */

struct flowsum_talker {
	uint8_t family;               /* 4 or 6 */
	uint8_t addr[16];             /* IPv4 in the first 4 bytes */
	uint64_t packets, bytes;      /* as sender or receiver */
};

/* A parsed summary: a view into the caller's buffer, which must outlive
 * it. */
struct flowsum {
	uint32_t flags;               /* FLOWSUM_F_* */
	uint32_t packets;
	uint8_t protos[32];           /* bit p: IP protocol / next header p seen */
	const uint8_t *bloom;
	uint32_t bloom_bits;          /* a power of two */
	uint8_t nhash;
	uint32_t ntop;
	struct flowsum_talker top[FLOWSUM_TOP];
};

/* 0, or -EBADMSG when buf (len bytes) is not a whole, valid summary. */
int flowsum_parse(const uint8_t *buf, size_t len, struct flowsum *fs);

/* "No" answers are proofs; "may" ones are not.  Opaque summaries answer
 * "may" to everything. */
bool flowsum_may_ip4(const struct flowsum *fs, const uint8_t addr[4]);
/* prefix 0..32; the net's address with its host bits already zero */
bool flowsum_may_net4(const struct flowsum *fs, const uint8_t addr[4], unsigned prefix);
bool flowsum_may_ip6(const struct flowsum *fs, const uint8_t addr[16]);
bool flowsum_may_net6(const struct flowsum *fs, const uint8_t addr[16], unsigned prefix);
bool flowsum_may_port(const struct flowsum *fs, uint16_t port);
bool flowsum_may_portrange(const struct flowsum *fs, uint16_t lo, uint16_t hi);
bool flowsum_may_proto(const struct flowsum *fs, uint8_t proto);
bool flowsum_may_vlan(const struct flowsum *fs, uint16_t vid);
/* any of the FLOWSUM_F_* bits in flags (IPV4, IPV6, ARP, VLAN) */
bool flowsum_may_flag(const struct flowsum *fs, uint32_t flags);

#endif
