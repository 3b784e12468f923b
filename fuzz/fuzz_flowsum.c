/* Flow summaries (writer/flowsum.h).
 *
 * 1. flowsum_parse on the input as a serialized summary, as it is and with
 *    its CRC made right; every query on what parses.
 * 2. The input as packets of one frame: byte 0 picks the link type (most
 *    values Ethernet), then each packet is a little-endian u16 length
 *    (modulo what is left) and its bytes.  Each is added with
 *    flowsum_add_packet (from a buffer of its own size: over-reads are
 *    caught); the summary must serialize and parse back.  Then the promise
 *    of the header, "a no is never wrong", is checked against libpcap
 *    itself: for a set of filters, when the compiled filter matches one
 *    of the packets, the summary's matching query must say "may". */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <pcap/pcap.h>

#include "common.h"
#include "flowsum.h"

enum q { Q_IP4, Q_NET4, Q_IP6, Q_NET6, Q_PORT, Q_RANGE, Q_PROTO, Q_VLAN, Q_FLAG };

static const struct check {
	const char *filter;
	enum q q;
	const char *addr;       /* Q_IP4/NET4/IP6/NET6 */
	unsigned a, b;          /* prefix; port or range; proto; vid; flags */
} checks[] = {
	{ "host 10.0.0.1", Q_IP4, "10.0.0.1" },
	{ "host 192.0.2.7", Q_IP4, "192.0.2.7" },
	{ "vlan and host 10.0.0.1", Q_IP4, "10.0.0.1" },
	{ "vlan and vlan and host 10.0.0.1", Q_IP4, "10.0.0.1" },
	{ "net 10.0.0.0/8", Q_NET4, "10.0.0.0", 8 },
	{ "net 192.0.2.0/24", Q_NET4, "192.0.2.0", 24 },
	{ "net 10.1.0.0/16", Q_NET4, "10.1.0.0", 16 },
	{ "host 2001:db8::1", Q_IP6, "2001:db8::1" },
	{ "vlan and host 2001:db8::1", Q_IP6, "2001:db8::1" },
	{ "net 2001:db8::/32", Q_NET6, "2001:db8::", 32 },
	{ "net 2001:db8:0:1::/64", Q_NET6, "2001:db8:0:1::", 64 },
	{ "port 80", Q_PORT, NULL, 80 },
	{ "port 53", Q_PORT, NULL, 53 },
	{ "port 0", Q_PORT, NULL, 0 },
	{ "vlan and port 80", Q_PORT, NULL, 80 },
	{ "vlan and vlan and port 53", Q_PORT, NULL, 53 },
	{ "portrange 1000-1100", Q_RANGE, NULL, 1000, 1100 },
	{ "tcp", Q_PROTO, NULL, 6 },
	{ "udp", Q_PROTO, NULL, 17 },
	{ "sctp", Q_PROTO, NULL, 132 },
	{ "icmp6", Q_PROTO, NULL, 58 },
	{ "ip proto 47", Q_PROTO, NULL, 47 },
	{ "ip6 proto 0", Q_PROTO, NULL, 0 },
	{ "vlan and tcp", Q_PROTO, NULL, 6 },
	{ "vlan 100", Q_VLAN, NULL, 100 },
	{ "vlan 0", Q_VLAN, NULL, 0 },
	{ "vlan and vlan 200", Q_VLAN, NULL, 200 },
	{ "vlan", Q_FLAG, NULL, FLOWSUM_F_VLAN },
	{ "ip", Q_FLAG, NULL, FLOWSUM_F_IPV4 },
	{ "ip6", Q_FLAG, NULL, FLOWSUM_F_IPV6 },
	{ "arp or rarp", Q_FLAG, NULL, FLOWSUM_F_ARP },
	{ "vlan and ip", Q_FLAG, NULL, FLOWSUM_F_IPV4 },
};
#define NCHECKS (sizeof(checks) / sizeof(checks[0]))

static struct bpf_program progs[NCHECKS];
static uint8_t addrs[NCHECKS][16];
static struct flowsum_builder *fb;

/* libpcap leaks nothing we call, but its scanner state is not ours. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libpcap\n";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	pcap_t *pc = pcap_open_dead(DLT_EN10MB, 262144);

	(void)argc, (void)argv;
	FUZZ_ASSERT(pc);
	for (size_t i = 0; i < NCHECKS; i++) {
		if (pcap_compile(pc, &progs[i], checks[i].filter, 1, PCAP_NETMASK_UNKNOWN)) {
			fprintf(stderr, "%s: %s\n", checks[i].filter, pcap_geterr(pc));
			abort();
		}
		if (checks[i].addr)
			FUZZ_ASSERT(inet_pton(strchr(checks[i].addr, ':') ? AF_INET6 : AF_INET,
					      checks[i].addr, addrs[i]) == 1);
	}
	pcap_close(pc);
	fb = flowsum_builder_create();
	FUZZ_ASSERT(fb);
	return 0;
}

static bool may(const struct flowsum *fs, size_t i)
{
	const struct check *c = &checks[i];

	switch (c->q) {
	case Q_IP4: return flowsum_may_ip4(fs, addrs[i]);
	case Q_NET4: return flowsum_may_net4(fs, addrs[i], c->a);
	case Q_IP6: return flowsum_may_ip6(fs, addrs[i]);
	case Q_NET6: return flowsum_may_net6(fs, addrs[i], c->a);
	case Q_PORT: return flowsum_may_port(fs, (uint16_t)c->a);
	case Q_RANGE: return flowsum_may_portrange(fs, (uint16_t)c->a, (uint16_t)c->b);
	case Q_PROTO: return flowsum_may_proto(fs, (uint8_t)c->a);
	case Q_VLAN: return flowsum_may_vlan(fs, (uint16_t)c->a);
	case Q_FLAG: return flowsum_may_flag(fs, c->a);
	}
	return true;
}

static void queries(const struct flowsum *fs, const uint8_t *data, size_t size)
{
	uint8_t a[16] = { 0 };

	memcpy(a, data, size < 16 ? size : 16);
	for (size_t i = 0; i < NCHECKS; i++)
		(void)may(fs, i);
	(void)flowsum_may_ip4(fs, a);
	(void)flowsum_may_ip6(fs, a);
	for (unsigned p = 0; p <= 128; p += 7) {
		(void)flowsum_may_net4(fs, a, p);
		(void)flowsum_may_net6(fs, a, p);
	}
	(void)flowsum_may_portrange(fs, (uint16_t)(a[0] << 8 | a[1]), (uint16_t)(a[2] << 8 | a[3]));
	(void)flowsum_may_vlan(fs, (uint16_t)(a[4] << 8 | a[5]));
	(void)flowsum_may_proto(fs, a[6]);
	(void)flowsum_may_flag(fs, a[7]);
	FUZZ_ASSERT(fs->ntop <= FLOWSUM_TOP);
}

static void parse_input(const uint8_t *data, size_t size)
{
	struct flowsum fs;
	uint8_t *buf;
	uint32_t c;

	if (flowsum_parse(data, size, &fs) == 0) {
		FUZZ_ASSERT(fs.bloom + fs.bloom_bits / 8 + 4 == data + size);
		queries(&fs, data, size);
	}
	if (size < 4)
		return;
	buf = malloc(size);
	FUZZ_ASSERT(buf);
	memcpy(buf, data, size);
	c = (uint32_t)crc32(0, buf, (uInt)(size - 4));
	for (int i = 0; i < 4; i++)
		buf[size - 4 + i] = (uint8_t)(c >> (8 * i));
	if (flowsum_parse(buf, size, &fs) == 0) {
		FUZZ_ASSERT(fs.bloom + fs.bloom_bits / 8 + 4 == buf + size);
		queries(&fs, buf, size);
	}
	free(buf);
}

#define MAXPKT 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t other_links[] = { 0, 101, 113, 228, 276 };
	uint8_t *pkt[MAXPKT], *ser;
	uint32_t len[MAXPKT], linktype = 1;
	size_t n = 0, off = 1, ssize;
	struct flowsum fs;

	parse_input(data, size);
	if (size < 1)
		return 0;
	if (data[0] >= 0xf0)
		linktype = other_links[data[0] % 5];
	while (n < MAXPKT && size - off >= 2) {
		size_t l = (data[off] | (size_t)data[off + 1] << 8) % (size - off - 2 + 1);

		off += 2;
		pkt[n] = malloc(l ? l : 1);
		FUZZ_ASSERT(pkt[n]);
		memcpy(pkt[n], data + off, l);
		len[n] = (uint32_t)l;
		off += l;
		n++;
	}
	flowsum_builder_reset(fb);
	for (size_t i = 0; i < n; i++)
		flowsum_add_packet(fb, linktype, pkt[i], len[i], len[i] + (i % 2) * 100);
	ssize = flowsum_serialize(fb, NULL, 0);
	FUZZ_ASSERT(ssize > 0 && ssize <= FLOWSUM_MAX);
	ser = malloc(ssize);
	FUZZ_ASSERT(ser);
	FUZZ_ASSERT(flowsum_serialize(fb, ser, ssize) == ssize);
	FUZZ_ASSERT(flowsum_parse(ser, ssize, &fs) == 0);
	FUZZ_ASSERT(fs.packets == n);
	FUZZ_ASSERT(linktype == 1 || !n || (fs.flags & FLOWSUM_F_OPAQUE));
	queries(&fs, data, size);
	for (size_t i = 0; i < n && linktype == 1; i++) {
		struct pcap_pkthdr h = { .caplen = len[i], .len = len[i] + (i % 2) * 100 };

		for (size_t k = 0; k < NCHECKS; k++) {
			if (!pcap_offline_filter(&progs[k], &h, pkt[i]) || may(&fs, k))
				continue;
			fprintf(stderr, "packet %zu (%u bytes) matches '%s' but the summary says no\n",
				i, len[i], checks[k].filter);
			FUZZ_ASSERT(!"a summary's no is never wrong");
		}
	}
	free(ser);
	for (size_t i = 0; i < n; i++)
		free(pkt[i]);
	return 0;
}
