/* The per-packet path of the flow summary (flowsum.h): the Ethernet/VLAN/
 * IPv4/IPv6/ARP parser and what it records.  Runs on the writer thread for
 * every packet: no allocation (the sets grow rarely, and keep their size
 * from frame to frame), no reads past caplen, no length field trusted.
 *
 * Soundness is measured against what libpcap's BPF code reads, not
 * against what a well-formed packet holds: a field is recorded whenever
 * its bytes are captured, even where a strict parser would give up
 * (IPv4 with IHL < 5: libpcap takes the ports at 4 * IHL all the same;
 * ARP with another hardware type: "arp host" compares the bytes at the
 * Ethernet/IPv4 offsets).  A field cut short by caplen is not recorded
 * (BPF answers "no match" to a load out of bounds), except that the
 * prefixes of an address whose first bytes were captured are (an
 * optimized "net" test may load only those). */
#include <errno.h>
#include <stdlib.h>

#include "flowsum_int.h"

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_ARP 0x0806
#define ETH_RARP 0x8035

static inline uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static inline bool is_tpid(uint32_t et)
{
	return et == 0x8100 || et == 0x88a8 || et == 0x9100;
}

static inline bool has_ports(uint32_t proto)
{
	return proto == 6 || proto == 17 || proto == 132;
}

static inline void set_proto(struct flowsum_builder *b, uint32_t proto)
{
	b->protos[proto >> 3] |= (uint8_t)(1u << (proto & 7));
}

static inline void set_port(struct flowsum_builder *b, uint32_t port)
{
	b->ports[port >> 6] |= 1ull << (port & 63);
}

/* An address of which only the first n bytes (1..len-1) were captured:
 * the Bloom keys of the prefixes those bytes hold. */
static __attribute__((noinline)) void partial_addr(struct flowsum_builder *b, const uint8_t *p,
						   unsigned n, unsigned len)
{
	uint64_t w[2] = { 0, 0 };

	if (b->saturated)
		return;
	for (unsigned i = 0; i < n; i++)
		w[i / 8] |= (uint64_t)p[i] << (56 - 8 * (i % 8));
	if (len == 4) {
		for (unsigned j = 1; j <= n; j++)
			flowsum_set_add(b, &b->xkeys,
					flowsum_key(FLOWSUM_K_IP4, 8 * j,
						    (w[0] >> 32) & ~(0xffffffffull >> (8 * j)), 0));
		return;
	}
	if (n >= 4)
		flowsum_set_add(b, &b->xkeys, flowsum_key(FLOWSUM_K_IP6, 32, w[0] & ~0xffffffffull, 0));
	if (n >= 6)
		flowsum_set_add(b, &b->xkeys, flowsum_key(FLOWSUM_K_IP6, 48, w[0] & ~0xffffull, 0));
	if (n >= 8)
		flowsum_set_add(b, &b->xkeys, flowsum_key(FLOWSUM_K_IP6, 64, w[0], 0));
}

/* An IPv4 address at p + off of a header of len captured bytes. */
static inline void field4(struct flowsum_builder *b, const uint8_t *p, size_t off, size_t len,
			  uint32_t bytes)
{
	uint32_t a;

	if (__builtin_expect(len >= off + 4, 1)) {
		memcpy(&a, p + off, 4);
		flowsum_set4_add(b, a, bytes);
	} else if (len > off) {
		partial_addr(b, p + off, (unsigned)(len - off), 4);
	}
}

static inline void field6(struct flowsum_builder *b, const uint8_t *p, size_t off, size_t len,
			  uint32_t bytes)
{
	uint64_t w[2];

	if (__builtin_expect(len >= off + 16, 1)) {
		memcpy(w, p + off, 16);
		flowsum_set6_add(b, w, bytes);
	} else if (len > off) {
		partial_addr(b, p + off, (unsigned)(len - off), 16);
	}
}

static inline void ports(struct flowsum_builder *b, const uint8_t *p, size_t off, size_t len)
{
	if (len >= off + 2)
		set_port(b, be16(p + off));
	if (len >= off + 4)
		set_port(b, be16(p + off + 2));
}

static inline void ipv4(struct flowsum_builder *b, const uint8_t *p, size_t len, uint32_t bytes)
{
	uint32_t proto;

	b->flags |= FLOWSUM_F_IPV4;
	field4(b, p, 12, len, bytes);
	field4(b, p, 16, len, bytes);
	if (__builtin_expect(len < 10, 0))
		return;
	proto = p[9];
	set_proto(b, proto);
	/* libpcap's port tests: not a later fragment, ports at 4 * IHL
	 * whatever the IHL (ports() checks that they were captured) */
	if (has_ports(proto) && !(be16(p + 6) & 0x1fff))
		ports(b, p, 4u * (p[0] & 0xf), len);
}

static void ipv6(struct flowsum_builder *b, const uint8_t *p, size_t len, uint32_t bytes)
{
	uint32_t nh, next;
	size_t off = 40;

	b->flags |= FLOWSUM_F_IPV6;
	field6(b, p, 8, len, bytes);
	field6(b, p, 24, len, bytes);
	if (__builtin_expect(len < 7, 0))
		return;
	nh = p[6];
	set_proto(b, nh);
	/* The extension chain: each header's next-header byte is recorded
	 * as soon as it is captured ("ip6 proto N" reads the fragment
	 * header's at offset 40); every header is at least 8 bytes, so the
	 * walk ends within caplen / 8 steps. */
	while (nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51) {
		if (off >= len)
			return;
		next = p[off];
		set_proto(b, next);
		if (nh == 44) {
			/* a later fragment: what follows is no header */
			if (off + 4 > len || (be16(p + off + 2) & 0xfff8))
				return;
			off += 8;
		} else {
			if (off + 2 > len)
				return;
			off += nh == 51 ? (p[off + 1] + 2u) * 4 : (p[off + 1] + 1u) * 8;
		}
		nh = next;
	}
	if (has_ports(nh))
		ports(b, p, off, len);
}

static void arp(struct flowsum_builder *b, const uint8_t *p, size_t len, uint32_t bytes)
{
	b->flags |= FLOWSUM_F_ARP;
	/* sender and target protocol addresses where Ethernet/IPv4 ARP has
	 * them, whatever the header says: so does "arp host" */
	field4(b, p, 14, len, bytes);
	field4(b, p, 24, len, bytes);
}

/* The sets' slow path, rare and amortized: growth. */
void flowsum_set4_grow_add(struct flowsum_builder *b, uint32_t a, uint32_t bytes)
{
	struct flowsum_set4 old = b->a4, *s = &b->a4;
	uint32_t i, j;

	/* once saturated, a full set stays full: its addresses are still
	 * counted, new ones no longer */
	if (b->saturated)
		return;
	s->slot = NULL;
	if (old.cap * 2 > old.maxcap || FLOWSUM_SET_ALLOC(s, old.cap * 2) < 0) {
		*s = old;
		b->saturated = true;
		return;
	}
	for (i = 0; i < old.cap; i++) {
		if (!old.slot[i].packets)
			continue;
		for (j = flowsum_slot(old.slot[i].addr, b->seed, s->shift); s->slot[j].packets;
		     j = (j + 1) & (s->cap - 1))
			;
		s->slot[j] = old.slot[i];
		s->n++;
	}
	free(old.slot);
	flowsum_set4_add(b, a, bytes);
}

void flowsum_set6_grow_add(struct flowsum_builder *b, const uint64_t w[2], uint32_t bytes)
{
	struct flowsum_set6 old = b->a6, *s = &b->a6;
	uint32_t i, j;

	/* once saturated, a full set stays full: its addresses are still
	 * counted, new ones no longer */
	if (b->saturated)
		return;
	s->slot = NULL;
	if (old.cap * 2 > old.maxcap || FLOWSUM_SET_ALLOC(s, old.cap * 2) < 0) {
		*s = old;
		b->saturated = true;
		return;
	}
	for (i = 0; i < old.cap; i++) {
		if (!old.slot[i].packets)
			continue;
		for (j = flowsum_slot6(old.slot[i].w, b->seed, s->shift); s->slot[j].packets;
		     j = (j + 1) & (s->cap - 1))
			;
		s->slot[j] = old.slot[i];
		s->n++;
	}
	free(old.slot);
	flowsum_set6_add(b, w, bytes);
}

void flowsum_set_grow_add(struct flowsum_builder *b, struct flowsum_set *s, uint64_t v)
{
	struct flowsum_set old = *s;

	/* once saturated, the Bloom filter is all ones: no key is needed */
	if (b->saturated)
		return;
	s->slot = NULL;
	if (old.cap * 2 > old.maxcap || FLOWSUM_SET_ALLOC(s, old.cap * 2) < 0) {
		*s = old;
		b->saturated = true;
		return;
	}
	for (uint32_t i = 0; i < old.cap; i++)
		if (old.slot[i])
			flowsum_set_add(b, s, old.slot[i]);
	free(old.slot);
	flowsum_set_add(b, s, v);
}

void flowsum_add_packet(struct flowsum_builder *b, uint32_t linktype, const uint8_t *data,
			uint32_t caplen, uint32_t origlen)
{
	uint32_t et, vid;
	size_t off = 14;

	b->built = false;
	if (b->packets != UINT32_MAX)
		b->packets++;
	if (__builtin_expect(linktype != 1, 0)) {   /* DLT_EN10MB */
		b->flags |= FLOWSUM_F_OPAQUE;
		return;
	}
	/* An ethertype not captured counts as another one, so that "all
	 * packets are IPv4" is never wrongly inferred from the flags. */
	if (__builtin_expect(caplen < 14, 0)) {
		b->flags |= FLOWSUM_F_OTHER;
		return;
	}
	et = be16(data + 12);
	while (is_tpid(et)) {
		b->flags |= FLOWSUM_F_VLAN;
		if (caplen < off + 2) {
			b->flags |= FLOWSUM_F_OTHER;
			return;
		}
		vid = be16(data + off) & 0xfff;
		b->vlans[vid >> 6] |= 1ull << (vid & 63);
		if (caplen < off + 4) {
			b->flags |= FLOWSUM_F_OTHER;
			return;
		}
		et = be16(data + off + 2);
		off += 4;
	}
	switch (et) {
	case ETH_IPV4:
		ipv4(b, data + off, caplen - off, origlen);
		break;
	case ETH_IPV6:
		ipv6(b, data + off, caplen - off, origlen);
		break;
	case ETH_ARP:
	case ETH_RARP:
		arp(b, data + off, caplen - off, origlen);
		break;
	default:                      /* including 802.3 lengths (LLC) */
		b->flags |= FLOWSUM_F_OTHER;
		break;
	}
}
