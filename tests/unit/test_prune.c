/* Unit tests of cli/prune*.c: how filters parse (precedence, pcap-filter's
 * abbreviations, what is unknown), what summaries of hand-made packets
 * prove, the VLAN offset shift, and soundness against libpcap itself:
 * for random packets and random filters, a packet that the compiled
 * filter accepts is never in a frame that pruning rules out.  Random
 * token soups and bytes must not crash the parser. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "flowsum.h"
#include "prune_int.h"

#if defined(__SANITIZE_ADDRESS__)
#define SLOW 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLOW 1
#endif
#endif
#ifndef SLOW
#define SLOW 0
#endif

/* ---- helpers ---- */

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static unsigned rndn(uint64_t *s, unsigned n)
{
	return (unsigned)(rnd(s) % n);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

struct pkt {
	uint8_t d[192];
	uint32_t caplen, len;
};

/* A frame's summary, parsed; buf holds what fs points into. */
struct sum {
	uint8_t *buf;
	struct flowsum fs;
};

static void summarize(struct flowsum_builder *b, const struct pkt *p, size_t n, struct sum *s)
{
	size_t len;

	flowsum_builder_reset(b);
	for (size_t i = 0; i < n; i++)
		flowsum_add_packet(b, 1, p[i].d, p[i].caplen, p[i].len);
	len = flowsum_serialize(b, NULL, 0);
	assert_true(len <= FLOWSUM_MAX);
	if (!s->buf)
		assert_non_null(s->buf = malloc(FLOWSUM_MAX));
	assert_int_equal(flowsum_serialize(b, s->buf, FLOWSUM_MAX), len);
	assert_int_equal(flowsum_parse(s->buf, len, &s->fs), 0);
}

static char *describe(const char *expr, bool raw)
{
	static char buf[1024];
	struct prune *p = prune_create(expr);

	assert_non_null(p);
	if (raw)
		prune_describe_raw(p, buf, sizeof(buf));
	else
		prune_describe(p, buf, sizeof(buf));
	prune_destroy(p);
	return buf;
}

/* ---- parsing ---- */

static const struct {
	const char *expr, *raw, *simple;
} parses[] = {
	/* and/or: equal precedence, left to right; not binds tighter */
	{ "host 10.0.0.1 and port 53", "and(host 10.0.0.1, port 53)", NULL },
	{ "host 1.2.3.4 or 5.6.7.8 and 9.9.9.9",
	  "and(or(host 1.2.3.4, host 5.6.7.8), host 9.9.9.9)", NULL },
	{ "tcp and udp or icmp", "or(and(proto 6, proto 17), proto 1)", NULL },
	{ "tcp || udp && icmp", "and(or(proto 6, proto 17), proto 1)", NULL },
	{ "tcp or (udp and icmp)", "or(proto 6, and(proto 17, proto 1))", NULL },
	{ "not tcp and udp", "and(not(proto 6), proto 17)", "proto 17" },
	{ "! tcp or udp", "or(not(proto 6), proto 17)", "MAYBE" },
	{ "not (tcp or udp)", "not(or(proto 6, proto 17))", "MAYBE" },
	{ "not not tcp", "not(not(proto 6))", "proto 6" },
	{ "((tcp))", "proto 6", NULL },
	/* abbreviations: a bare id takes the qualifiers before it */
	{ "tcp dst port 80 or 443", "or(and(proto 6, port 80), and(proto 6, port 443))", NULL },
	{ "not host 1.1.1.1 and 2.2.2.2", "and(not(host 1.1.1.1), host 2.2.2.2)", "host 2.2.2.2" },
	{ "host 1.1.1.1 and not 2.2.2.2", "and(host 1.1.1.1, not(host 2.2.2.2))", "host 1.1.1.1" },
	{ "host 1.1.1.1 and (2.2.2.2 or 3.3.3.3)",
	  "and(host 1.1.1.1, or(host 2.2.2.2, host 3.3.3.3))", NULL },
	/* after a group, the qualifiers from before it (checked with tcpdump -d) */
	{ "host 1.1.1.1 and (port 80) or 2.2.2.2", "or(and(host 1.1.1.1, port 80), host 2.2.2.2)", NULL },
	{ "ip proto 6 or 17", "or(and(ip, proto 6), and(ip, proto 17))", NULL },
	{ "portrange 1-10 or 20-30", "or(portrange 1-10, portrange 20-30)", NULL },
	{ "ip6 net 2001:db8::/32 or fd00::/8",
	  "or(and(ip6, net 2001:db8::/32), and(ip6, net fd00::/8))", NULL },
	{ "src or dst host 1.1.1.1 and dst and src port 9", "and(host 1.1.1.1, port 9)", NULL },
	{ "src 1.1.1.1", "host 1.1.1.1", NULL },
	/* numbers and addresses as libpcap reads them */
	{ "net 10", "net 10.0.0.0/8", NULL },
	{ "net 10.1", "net 10.1.0.0/16", NULL },
	{ "net 10.1.2", "net 10.1.2.0/24", NULL },
	{ "net 256", "net 1.0.0.0/16", NULL },
	{ "net 0x0a", "net 10.0.0.0/8", NULL },
	{ "host 1.2", "net 1.2.0.0/16", NULL },
	{ "host 10", "host 0.0.0.10", NULL },
	{ "host 010.1.1.1", "host 10.1.1.1", NULL },
	{ "net 10.0.0.0 mask 255.0.255.0", "net 10.0.0.0/8", NULL },
	{ "net 10.1/16", "net 10.1.0.0/16", NULL },
	{ "net 192.168.0.0/16", "net 192.168.0.0/16", NULL },
	{ "port 010", "port 8", NULL },
	{ "port 0x50", "port 80", NULL },
	{ "port (80)", "port 80", NULL },
	{ "udp portrange 080-090", "and(proto 17, portrange 80-90)", NULL },
	{ "portrange 90-80", "portrange 80-90", NULL },
	{ "host ::1", "host ::1", NULL },
	{ "ip6 host 2001:db8::1", "and(ip6, host 2001:db8::1)", NULL },
	{ "net ::ffff:10.0.0.0/104", "net ::ffff:10.0.0.0/104", NULL },
	{ "arp host 10.0.0.1", "and(arp, host 10.0.0.1)", NULL },
	{ "rarp net 10", "and(arp, net 10.0.0.0/8)", NULL },
	/* protocols */
	{ "ip proto \\tcp", "and(ip, proto 6)", NULL },
	{ "proto \\udp", "proto 17", NULL },
	{ "ip6 proto 58", "and(ip6, proto 58)", NULL },
	{ "ether proto \\ip", "ip", NULL },
	{ "ether proto 0x86dd", "ip6", NULL },
	{ "ether proto \\arp or \\rarp", "or(arp, arp)", NULL },
	{ "icmp6 or igmp or pim or esp or ah or sctp or vrrp",
	  "or(proto 58, proto 2, proto 103, proto 50, proto 51, proto 132, proto 112)", NULL },
	{ "ip and not ip6", "and(ip, not(ip6))", "ip" },
	/* vlan: later primitives are one tag further in */
	{ "vlan", "vlan", NULL },
	{ "vlan 100 and host 1.2.3.4", "and(vlan 100, host 1.2.3.4@1)", NULL },
	{ "vlan or host 1.2.3.4", "or(vlan, host 1.2.3.4@1)", NULL },
	{ "vlan and vlan 200 and ip6", "and(vlan, vlan 200@1, ip6@2)", NULL },
	{ "tcp and vlan (20)", "and(proto 6, vlan 20)", NULL },
	/* unknown */
	{ "tcp[13] & 2 != 0 and host 1.1.1.1", "and(MAYBE, host 1.1.1.1)", "host 1.1.1.1" },
	{ "(tcp[13] & 2) != 0 or udp", "or(MAYBE, proto 17)", "MAYBE" },
	{ "(ip[2:2] - 20) > 100 and udp", "and(MAYBE, proto 17)", "proto 17" },
	{ "len > 100 and (tcp or udp)", "and(MAYBE, or(proto 6, proto 17))", "or(proto 6, proto 17)" },
	{ "greater 100 and less 200 and icmp", "and(MAYBE, MAYBE, proto 1)", "proto 1" },
	{ "ether host 02:00:00:00:00:01 or host 1.1.1.1", "or(MAYBE, host 1.1.1.1)", "MAYBE" },
	{ "ether broadcast and udp", "and(MAYBE, proto 17)", "proto 17" },
	{ "broadcast or multicast", "or(MAYBE, MAYBE)", "MAYBE" },
	{ "icmp[icmptype] = icmp-echo and ip", "and(MAYBE, ip)", "ip" },
	{ "host foo.example.com and tcp", "and(MAYBE, proto 6)", "proto 6" },
	{ "port http", "MAYBE", NULL },
	{ "ip6 protochain 6", "MAYBE", NULL },
	{ "llc and arp", "and(MAYBE, arp)", "arp" },
	{ "tcp port 80 and ip6 protochain 44", "and(proto 6, port 80, MAYBE)", "and(proto 6, port 80)" },
	{ "host TCP", "MAYBE", NULL },
	/* other offsets, other link types: the whole filter */
	{ "mpls and host 1.1.1.1", "MAYBE", NULL },
	{ "host 1.1.1.1 or pppoes 3", "MAYBE", NULL },
	{ "geneve and tcp", "MAYBE", NULL },
	{ "pppoed", "MAYBE", NULL },
	{ "wlan type mgt", "MAYBE", NULL },
	/* nothing, or not a filter */
	{ "", "MAYBE", NULL },
	{ "host", "MAYBE", NULL },
	{ "tcp and", "MAYBE", NULL },
	{ "host 1.1.1.1 @", "MAYBE", NULL },
	{ "(tcp", "MAYBE", NULL },
};

static void test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parses) / sizeof(parses[0]); i++) {
		const char *raw = describe(parses[i].expr, true);

		if (strcmp(raw, parses[i].raw))
			fail_msg("'%s' parses as %s, expected %s", parses[i].expr, raw, parses[i].raw);
		raw = describe(parses[i].expr, false);
		if (strcmp(raw, parses[i].simple ? parses[i].simple : parses[i].raw))
			fail_msg("'%s' simplifies to %s, expected %s", parses[i].expr, raw,
				 parses[i].simple ? parses[i].simple : parses[i].raw);
	}
}

static void test_useful(void **state)
{
	static const struct {
		const char *expr;
		bool useful;
	} t[] = {
		{ "", false }, { "tcp", true }, { "not tcp", false }, { "tcp or greater 10", false },
		{ "tcp and greater 10", true }, { "vlan or host 1.1.1.1", false },
		{ "vlan and host 1.1.1.1", true }, { "host 1.1.1.1@", false },
		{ "vlan 1 and (vlan 2 or vlan 3) and host 1.1.1.1", true },
		{ "(vlan 1 or vlan 2) and host 1.1.1.1", false }, { "mpls", false },
	};
	struct prune *p;
	char buf[4];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_non_null(p = prune_create(t[i].expr));
		if (prune_useful(p) != t[i].useful)
			fail_msg("prune_useful('%s') is %d", t[i].expr, !t[i].useful);
		assert_true(prune_may_match(p, NULL));
		/* the length snprintf would, whatever the room */
		assert_int_equal(prune_describe(p, buf, sizeof(buf)), prune_describe(p, NULL, 0));
		prune_destroy(p);
	}
	assert_non_null(p = prune_create(NULL));
	assert_false(prune_useful(p));
	prune_destroy(p);
	prune_destroy(NULL);
	assert_true(prune_may_match(NULL, NULL));
	assert_false(prune_useful(NULL));
}

/* ---- packets ---- */

static const char *const v4pool[] = {
	"10.1.2.3", "10.1.2.4", "10.1.3.4", "10.2.0.1", "192.168.1.1", "172.16.5.5",
	"1.2.3.4", "0.0.0.10", "10.0.0.0", "255.255.255.255",
};
static const char *const v6pool[] = {
	"2001:db8::1", "2001:db8::2", "2001:db8:1::5", "2001:db8:1:2::6", "fe80::1", "::1",
	"ff02::1", "::ffff:10.1.2.3",
};
static const unsigned portpool[] = { 0, 8, 53, 80, 443, 1000, 5000, 8080, 65535, 258, 772 };
static const unsigned vidpool[] = { 0, 1, 10, 20, 100, 4095 };
static const unsigned protopool[] = { 1, 2, 6, 9, 17, 47, 50, 51, 58, 103, 112, 132 };
static const unsigned tpids[] = { 0x8100, 0x88a8, 0x9100 };

#define NV4 (sizeof(v4pool) / sizeof(v4pool[0]))
#define NV6 (sizeof(v6pool) / sizeof(v6pool[0]))
#define NPORT (sizeof(portpool) / sizeof(portpool[0]))
#define NVID (sizeof(vidpool) / sizeof(vidpool[0]))
#define NPROTO (sizeof(protopool) / sizeof(protopool[0]))

static void addr4(uint8_t *p, const char *s)
{
	assert_int_equal(inet_pton(AF_INET, s, p), 1);
}

static void addr6(uint8_t *p, const char *s)
{
	assert_int_equal(inet_pton(AF_INET6, s, p), 1);
}

/* Ports (and some payload) at h: returns the bytes written. */
static size_t l4(uint64_t *r, uint8_t *h)
{
	size_t n = 8 + rndn(r, 24);

	for (size_t i = 0; i < n; i++)
		h[i] = (uint8_t)rnd(r);
	put16(h, portpool[rndn(r, NPORT)]);
	put16(h + 2, portpool[rndn(r, NPORT)]);
	return n;
}

static size_t gen_ip4(uint64_t *r, uint8_t *h)
{
	unsigned ihl = rndn(r, 10) ? 5 : rndn(r, 16);
	size_t hl = 4 * (ihl > 5 ? ihl : 5), n;

	for (size_t i = 0; i < hl; i++)
		h[i] = (uint8_t)rnd(r);
	h[0] = (uint8_t)(rndn(r, 30) ? 0x40 | ihl : rnd(r));
	put16(h + 6, rndn(r, 6) ? (rndn(r, 2) ? 0x4000 : 0) : rndn(r, 0x10000));
	h[9] = (uint8_t)(rndn(r, 10) ? protopool[rndn(r, NPROTO)] : rnd(r));
	addr4(h + 12, v4pool[rndn(r, NV4)]);
	addr4(h + 16, v4pool[rndn(r, NV4)]);
	n = hl + l4(r, h + hl);
	put16(h + 2, rndn(r, 8) ? n : rndn(r, 0x10000));
	return n;
}

static size_t gen_ip6(uint64_t *r, uint8_t *h)
{
	static const unsigned exts[] = { 0, 43, 44, 51, 60 };
	unsigned next = rndn(r, 4) ? 0 : 1 + rndn(r, 2);
	size_t o = 40;
	uint8_t *nh = h + 6;

	memset(h, 0, 40);
	h[0] = rndn(r, 30) ? 0x60 : (uint8_t)rnd(r);
	h[7] = 64;
	addr6(h + 8, v6pool[rndn(r, NV6)]);
	addr6(h + 24, v6pool[rndn(r, NV6)]);
	for (unsigned i = 0; i < next; i++) {
		unsigned t = exts[rndn(r, 5)];
		size_t hl = t == 44 ? 8 : t == 51 ? 12 : 8;

		*nh = (uint8_t)t;
		memset(h + o, 0, hl);
		nh = h + o;
		if (t == 44)
			put16(h + o + 2, rndn(r, 3) ? 0 : rndn(r, 0x10000));
		else
			h[o + 1] = t == 51 ? 1 : 0;
		o += hl;
	}
	*nh = (uint8_t)(rndn(r, 10) ? protopool[rndn(r, NPROTO)] : rnd(r));
	o += l4(r, h + o);
	put16(h + 4, (unsigned)(o - 40));
	return o;
}

static size_t gen_arp(uint64_t *r, uint8_t *h)
{
	for (size_t i = 0; i < 28; i++)
		h[i] = (uint8_t)rnd(r);
	put16(h, rndn(r, 5) ? 1 : rndn(r, 0x10000));
	put16(h + 2, 0x0800);
	h[4] = 6;
	h[5] = 4;
	addr4(h + 14, v4pool[rndn(r, NV4)]);
	addr4(h + 24, v4pool[rndn(r, NV4)]);
	return 28;
}

/* A random Ethernet packet: tags of all three protocol IDs, IPv4 (odd
 * header lengths, versions and fragments too), IPv6 with extension
 * headers, ARP, RARP, other types, garbage; sometimes cut short. */
static void gen_packet(uint64_t *r, struct pkt *p)
{
	unsigned ntags = rndn(r, 10) < 6 ? 0 : rndn(r, 3) + 1, k = rndn(r, 100), et;
	size_t off = 12, n;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < 12; i++)
		p->d[i] = (uint8_t)(rndn(r, 4) ? 0x02 : rnd(r));
	if (k < 4) {                      /* garbage */
		n = rndn(r, 100);
		for (size_t i = 0; i < n; i++)
			p->d[i] = (uint8_t)rnd(r);
		p->caplen = p->len = (uint32_t)n;
		return;
	}
	for (unsigned i = 0; i < ntags; i++, off += 4) {
		put16(p->d + off, tpids[rndn(r, 3)]);
		put16(p->d + off + 2, (rndn(r, 8) << 13) |
				      (rndn(r, 5) ? vidpool[rndn(r, NVID)] : rndn(r, 4096)));
	}
	off += 2;
	if (k < 50) {
		et = 0x0800;
		n = gen_ip4(r, p->d + off);
	} else if (k < 75) {
		et = 0x86dd;
		n = gen_ip6(r, p->d + off);
	} else if (k < 85) {
		et = k < 80 ? 0x0806 : 0x8035;
		n = gen_arp(r, p->d + off);
	} else {
		static const unsigned other[] = { 0x88cc, 0x0050, 0x8847, 0x0800, 0x86dd };

		et = k < 95 ? other[rndn(r, 5)] : rndn(r, 0x10000);
		n = rndn(r, 60);
		for (size_t i = 0; i < n; i++)
			p->d[off + i] = (uint8_t)rnd(r);
	}
	put16(p->d + off - 2, et);
	p->len = (uint32_t)(off + n);
	p->caplen = rndn(r, 7) ? p->len : rndn(r, p->len + 1);
}

/* ---- what hand-made summaries prove ---- */

static size_t mk_tcp4(uint8_t *d, const unsigned *tags, int ntags, const char *src,
		      const char *dst, unsigned proto, unsigned sport, unsigned dport)
{
	size_t off = 12;
	uint8_t *h;

	memset(d, 0x02, 12);
	for (int i = 0; i < ntags; i++, off += 4) {
		put16(d + off, tags[2 * i]);
		put16(d + off + 2, tags[2 * i + 1]);
	}
	put16(d + off, 0x0800);
	h = d + off + 2;
	memset(h, 0, 40);
	h[0] = 0x45;
	put16(h + 2, 40);
	h[8] = 64;
	h[9] = (uint8_t)proto;
	addr4(h + 12, src);
	addr4(h + 16, dst);
	put16(h + 20, sport);
	put16(h + 22, dport);
	return off + 2 + 40;
}

/* expr against the summary: "may" (true) or "no" (false). */
static void expect(const struct flowsum *fs, const char *expr, bool want)
{
	struct prune *p = prune_create(expr);
	char d[256];

	assert_non_null(p);
	if (prune_may_match(p, fs) != want) {
		prune_describe(p, d, sizeof(d));
		fail_msg("'%s' (%s): %s, expected %s", expr, d, want ? "no" : "may",
			 want ? "may" : "no");
	}
	prune_destroy(p);
}

static void test_eval(void **state)
{
	struct flowsum_builder *b = flowsum_builder_create();
	struct sum s = { 0 };
	struct pkt p[2];
	static const unsigned tag100[] = { 0x8100, 100 }, qinq[] = { 0x88a8, 10, 0x8100, 20 };

	(void)state;
	assert_non_null(b);
	/* 10.1.2.3:1000 -> 10.1.2.4:80, TCP, untagged */
	p[0].caplen = p[0].len = (uint32_t)mk_tcp4(p[0].d, NULL, 0, "10.1.2.3", "10.1.2.4", 6, 1000, 80);
	summarize(b, p, 1, &s);
	expect(&s.fs, "host 10.1.2.3", true);
	expect(&s.fs, "host 10.1.2.5", false);
	expect(&s.fs, "src host 10.1.2.4", true);          /* direction not modeled: a superset */
	expect(&s.fs, "net 10.1", true);
	expect(&s.fs, "net 10.2", false);
	expect(&s.fs, "net 10.1.2.0/24", true);
	expect(&s.fs, "net 10.1.3.0 mask 255.255.255.0", false);
	expect(&s.fs, "host 10.1.2.5 or 10.1.2.3", true);
	expect(&s.fs, "host 10.1.2.5 or 10.1.2.6", false);
	expect(&s.fs, "tcp", true);
	expect(&s.fs, "udp", false);
	expect(&s.fs, "port 80", true);
	expect(&s.fs, "port 53", false);
	expect(&s.fs, "tcp port 53 or 1000", true);
	expect(&s.fs, "portrange 81-99", false);
	expect(&s.fs, "portrange 1001-2000", false);
	expect(&s.fs, "portrange 70-90", true);
	expect(&s.fs, "ip", true);
	expect(&s.fs, "ip6 or arp", false);
	expect(&s.fs, "vlan", false);
	expect(&s.fs, "vlan 100", false);
	expect(&s.fs, "not tcp", true);
	expect(&s.fs, "not not udp", false);
	expect(&s.fs, "host 10.1.2.5 and tcp", false);
	expect(&s.fs, "tcp and not host 10.1.2.3", true);
	expect(&s.fs, "greater 10 and udp", false);
	expect(&s.fs, "greater 10 or udp", true);
	expect(&s.fs, "proto 17 or proto 6", true);
	expect(&s.fs, "proto 17 or ip6 proto 6", false);    /* no IPv6 at all */
	expect(&s.fs, "ip proto \\udp", false);
	expect(&s.fs, "host 2001:db8::1", false);
	expect(&s.fs, "mpls or udp", true);

	/* the same under VLAN 100: only a "vlan" before them makes libpcap
	 * look under the tag */
	p[0].caplen = p[0].len =
		(uint32_t)mk_tcp4(p[0].d, tag100, 1, "10.1.2.3", "10.1.2.4", 17, 53, 5353);
	summarize(b, p, 1, &s);
	expect(&s.fs, "vlan", true);
	expect(&s.fs, "vlan 100", true);
	expect(&s.fs, "vlan 200", false);
	expect(&s.fs, "vlan 100 and host 10.1.2.3", true);
	expect(&s.fs, "vlan 100 and host 10.9.9.9", false);
	expect(&s.fs, "vlan and udp port 53", true);
	expect(&s.fs, "vlan and tcp", false);
	expect(&s.fs, "vlan and (tcp or port 54)", false);
	expect(&s.fs, "vlan or host 10.9.9.9", true);        /* host@1 unknown outside the "and" */
	expect(&s.fs, "not vlan and host 10.9.9.9", true);
	expect(&s.fs, "host 10.9.9.9 and vlan", false);       /* host@0 */
	expect(&s.fs, "vlan and vlan", true);                /* how deep stacks go is not recorded */

	/* QinQ 10/20 */
	p[0].caplen = p[0].len =
		(uint32_t)mk_tcp4(p[0].d, qinq, 2, "192.168.1.1", "172.16.5.5", 6, 22, 2222);
	summarize(b, p, 1, &s);
	expect(&s.fs, "vlan 10 and vlan 20 and host 192.168.1.1", true);
	expect(&s.fs, "vlan 10 and vlan 20 and host 192.168.1.2", false);
	expect(&s.fs, "vlan and vlan 30", false);
	expect(&s.fs, "vlan 10 and vlan and port 22", true);
	expect(&s.fs, "vlan 10 and vlan and port 23", false);
	expect(&s.fs, "vlan and (vlan 20 or vlan 30) and port 23", true);  /* port@3 */
	expect(&s.fs, "vlan 20 and vlan 10", true);           /* 20 and 10 are both in the stack */

	/* two packets: a frame holds both */
	p[1].caplen = p[1].len = (uint32_t)mk_tcp4(p[1].d, NULL, 0, "1.2.3.4", "5.6.7.8", 17, 1, 2);
	summarize(b, p, 2, &s);
	expect(&s.fs, "host 1.2.3.4 or host 192.168.1.1", true);
	expect(&s.fs, "udp and vlan", true);
	expect(&s.fs, "icmp or icmp6", false);
	free(s.buf);
	flowsum_builder_destroy(b);
}

/* libpcap reads "host" 4 bytes further after any "vlan", also in packets
 * without tags: an untagged packet whose IPv4 total length is 0x0800 and
 * whose ports spell 1.2.3.4 matches "vlan or host 1.2.3.4". */
static void test_vlan_shift(void **state)
{
	struct flowsum_builder *b = flowsum_builder_create();
	pcap_t *pd = pcap_open_dead(DLT_EN10MB, 262144);
	struct bpf_program prog;
	struct pcap_pkthdr h = { 0 };
	struct sum s = { 0 };
	struct pkt p;
	static const char *const exprs[] = {
		"vlan or host 1.2.3.4", "not vlan and host 1.2.3.4", "vlan 5 or host 1.2.3.4",
		"(vlan or tcp) and vlan and host 10.1.2.4", "vlan or vlan or net 1.2.3.0/24",
	};

	(void)state;
	assert_non_null(b);
	assert_non_null(pd);
	p.caplen = p.len = (uint32_t)mk_tcp4(p.d, NULL, 0, "10.1.2.3", "10.1.2.4", 6, 0x0102, 0x0304);
	put16(p.d + 16, 0x0800);
	summarize(b, &p, 1, &s);
	h.caplen = p.caplen;
	h.len = p.len;
	expect(&s.fs, "host 1.2.3.4", false);
	for (size_t i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++) {
		assert_int_equal(pcap_compile(pd, &prog, exprs[i], 1, PCAP_NETMASK_UNKNOWN), 0);
		if (i < 3)
			assert_true(pcap_offline_filter(&prog, &h, p.d));
		pcap_freecode(&prog);
		expect(&s.fs, exprs[i], true);
	}
	free(s.buf);
	pcap_close(pd);
	flowsum_builder_destroy(b);
}

/* ---- random filters against libpcap ---- */

struct str {
	char b[1024];
	size_t n;
};

static void add(struct str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct str *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->b + s->n, sizeof(s->b) - s->n, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->n = s->n + (size_t)n < sizeof(s->b) ? s->n + (size_t)n : sizeof(s->b) - 1;
}

static const char *pick(uint64_t *r, const char *const *v, size_t n)
{
	return v[rndn(r, (unsigned)n)];
}
#define PICK(r, v) pick(r, v, sizeof(v) / sizeof(v[0]))

static const char *const nets4[] = {
	"10", "10.1", "10.1.2", "192.168", "0x0a", "10.1.2.0/24", "10.0.0.0/8", "10.1.0.0/16",
	"10.1.0.0 mask 255.255.0.0", "10.0.0.0 mask 255.0.255.0", "172.16.5.5/32", "1.2.3.0/24",
	"10.1.2.3", "0.0.0.0/0", "10.1.2.0/23", "10.1.2.4/30",
};
static const char *const nets6[] = {
	"2001:db8::/32", "2001:db8:1::/48", "2001:db8:1:2::/64", "fe80::/10", "2001:db8::1/128",
	"::/0", "ff02::1", "2001:db8::/31", "::ffff:10.1.2.0/120",
};
static const char *const dirs[] = { "", "", "src ", "dst ", "src or dst ", "src and dst " };
static const char *const unknowns[] = {
	"greater 100", "less 60", "ether host 02:02:02:02:02:02", "ether src 2:2:2:2:2:2",
	"broadcast", "ether multicast", "tcp[13] & 2 != 0", "ip[8] = 64", "len >= 60",
	"ether[0] & 1 = 0", "icmp[icmptype] = icmp-echo", "ip[6:2] & 0x1fff = 0", "ip multicast",
	"llc", "(ip[2:2] - 20) > 40", "ip6[6] = 17", "udp[0:2] = 53", "ether proto 0x88cc",
	"ether proto \\lat", "ether dst 02:02:02:02:02:02",
	/* no "protochain": libpcap 1.10.3's code for it loops forever on some
	 * packets with an IPv6 AH header */
};
static const char *const shifts[] = { "mpls", "pppoes", "pppoed", "geneve", "mpls 16" };
static const char *const pnames[] = {
	"tcp", "udp", "icmp", "icmp6", "sctp", "igmp", "igrp", "pim", "vrrp", "carp", "ah", "esp",
	"ip", "ip6", "arp", "rarp",
};

static void gen_v4(uint64_t *r, struct str *s)
{
	if (rndn(r, 6))
		add(s, "%s", PICK(r, v4pool));
	else
		add(s, "%u.%u.%u.%u", rndn(r, 256), rndn(r, 256), rndn(r, 256), rndn(r, 256));
}

/* One primitive, sometimes followed by bare ids that take its
 * qualifiers ("host a or b", "tcp port 80 or not 443"). */
static void gen_prim(uint64_t *r, struct str *s)
{
	unsigned k = rndn(r, 100), kind, more = rndn(r, 3) ? 0 : 1 + rndn(r, 2);
	const char *px;

	if (k < 22) {
		kind = rndn(r, 3) ? 4 : 6;
		px = kind == 4 ? (const char *[]){ "", "", "ip ", "arp ", "rarp " }[rndn(r, 5)]
			       : (rndn(r, 2) ? "" : "ip6 ");
		add(s, "%s%s%s", px, PICK(r, dirs), rndn(r, 4) || !*px ? "host " : "");
		kind == 4 ? gen_v4(r, s) : add(s, "%s", PICK(r, v6pool));
		for (unsigned i = 0; i < more; i++) {
			add(s, " %s%s", rndn(r, 2) ? "or " : "and ", rndn(r, 4) ? "" : "not ");
			kind == 4 ? gen_v4(r, s) : add(s, "%s", PICK(r, v6pool));
		}
	} else if (k < 34) {
		kind = rndn(r, 3) ? 4 : 6;
		px = kind == 4 ? (rndn(r, 3) ? "" : "ip ") : (rndn(r, 2) ? "" : "ip6 ");
		add(s, "%s%snet %s", px, PICK(r, dirs), kind == 4 ? PICK(r, nets4) : PICK(r, nets6));
		for (unsigned i = 0; i < more; i++)
			add(s, " %s%s", rndn(r, 2) ? "or " : "and ",
			    kind == 4 ? PICK(r, nets4) : PICK(r, nets6));
		if (!rndn(r, 5)) {
			/* "host a and (b or not c)", "host a and (tcp) or b" */
			if (rndn(r, 2)) {
				add(s, " %s (", rndn(r, 2) ? "or" : "and");
				kind == 4 ? gen_v4(r, s) : add(s, "%s", PICK(r, v6pool));
				add(s, " %s%s", rndn(r, 2) ? "or " : "and ", rndn(r, 3) ? "" : "not ");
				kind == 4 ? gen_v4(r, s) : add(s, "%s", PICK(r, v6pool));
				add(s, ")");
			} else {
				add(s, " and (%s) or ", PICK(r, pnames));
				kind == 4 ? gen_v4(r, s) : add(s, "%s", PICK(r, v6pool));
			}
		}
	} else if (k < 52) {
		bool range = !rndn(r, 3);

		add(s, "%s%s%s ", (const char *[]){ "", "", "tcp ", "udp ", "sctp " }[rndn(r, 5)],
		    PICK(r, dirs), range ? "portrange" : "port");
		for (unsigned i = 0; i <= more; i++) {
			unsigned a = rndn(r, 2) ? portpool[rndn(r, NPORT)] : rndn(r, 65536);

			if (i)
				add(s, " %s%s", rndn(r, 2) ? "or " : "and ", rndn(r, 4) ? "" : "not ");
			if (range)
				add(s, "%u-%u", a, rndn(r, 2) ? a + rndn(r, 300) : rndn(r, 65536));
			else
				add(s, rndn(r, 5) ? "%u" : "0x%x", a);
		}
		s->n = strlen(s->b);
	} else if (k < 66) {
		add(s, "%s", PICK(r, pnames));
	} else if (k < 74) {
		switch (rndn(r, 6)) {
		case 0: add(s, "proto %u", protopool[rndn(r, NPROTO)]); break;
		case 1: add(s, "ip proto %u", protopool[rndn(r, NPROTO)]); break;
		case 2: add(s, "ip6 proto %u", protopool[rndn(r, NPROTO)]); break;
		case 3: add(s, "%sproto \\%s", rndn(r, 2) ? "ip " : "",
			    (const char *[]){ "tcp", "udp", "icmp", "igmp", "sctp" }[rndn(r, 5)]); break;
		case 4: add(s, "ether proto \\%s",
			    (const char *[]){ "ip", "ip6", "arp", "rarp" }[rndn(r, 4)]); break;
		default: add(s, "ether proto 0x%x",
			     (unsigned[]){ 0x800, 0x86dd, 0x806, 0x8035 }[rndn(r, 4)]); break;
		}
		for (unsigned i = 0; i < more && !strstr(s->b, "ether") && !strchr(s->b, '\\'); i++)
			add(s, " or %u", protopool[rndn(r, NPROTO)]);
	} else if (k < 88) {
		if (rndn(r, 3))
			add(s, "vlan %u", rndn(r, 4) ? vidpool[rndn(r, NVID)] : rndn(r, 4096));
		else
			add(s, "vlan");
	} else if (k < 98) {
		add(s, "%s", PICK(r, unknowns));
	} else {
		add(s, "%s", PICK(r, shifts));
	}
}

static void gen_expr(uint64_t *r, struct str *s, int depth)
{
	unsigned k = rndn(r, 10);

	if (depth <= 0 || k < 3) {
		gen_prim(r, s);
	} else if (k < 7) {
		unsigned n = 2 + rndn(r, 3);

		for (unsigned i = 0; i < n; i++) {
			if (i)
				add(s, " %s ", (const char *[]){ "and", "or", "&&", "||" }[rndn(r, 4)]);
			gen_expr(r, s, depth - 1);
		}
	} else if (k < 9) {
		add(s, "%s", rndn(r, 2) ? "not " : "!");
		gen_expr(r, s, depth - 1);
	} else {
		add(s, "(");
		gen_expr(r, s, depth - 1);
		add(s, ")");
	}
}

struct xstats {
	unsigned long exprs, compiled, pairs, matched, pruned, frames, frames_pruned;
};

/* Every packet libpcap's compiled filter accepts must leave its frame
 * "may match": as the only packet, and among seven others. */
struct world {
	pcap_t *pd;
	struct flowsum_builder *b;
	struct pkt *pk;
	struct sum *one;              /* each packet alone */
	struct sum *eight;            /* packets 8i to 8i + 7 */
	size_t npk;
};

static void crosscheck(const char *expr, const struct world *w, struct xstats *st)
{
	const struct pkt *pk = w->pk;
	size_t npk = w->npk;
	struct bpf_program prog;
	struct prune *p;
	char d[2048];
	bool hit[1024];

	st->exprs++;
	if (pcap_compile(w->pd, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0)
		return;
	st->compiled++;
	assert_non_null(p = prune_create(expr));
	prune_describe(p, d, sizeof(d));
	assert_true(npk <= 1024);
	for (size_t i = 0; i < npk; i++) {
		struct pcap_pkthdr h = { .caplen = pk[i].caplen, .len = pk[i].len };
		bool may = prune_may_match(p, &w->one[i].fs);

		hit[i] = pcap_offline_filter(&prog, &h, pk[i].d) != 0;
		st->pairs++;
		st->matched += hit[i];
		st->pruned += !may;
		if (hit[i] && !may) {
			char hex[3 * sizeof(pk[i].d) + 1];

			for (uint32_t j = 0; j < pk[i].caplen; j++)
				snprintf(hex + 3 * j, 4, "%02x ", pk[i].d[j]);
			fail_msg("'%s' (%s) matches packet %zu (caplen %u: %s) but pruning says no",
				 expr, d, i, pk[i].caplen, pk[i].caplen ? hex : "");
		}
	}
	for (size_t i = 0; i + 8 <= npk; i += 8) {
		bool any = false;

		for (size_t j = i; j < i + 8; j++)
			any |= hit[j];
		st->frames++;
		if (!prune_may_match(p, &w->eight[i / 8].fs)) {
			st->frames_pruned++;
			if (any)
				fail_msg("'%s' (%s) matches a packet of frame %zu but pruning says no",
					 expr, d, i / 8);
		}
	}
	prune_destroy(p);
	pcap_freecode(&prog);
}

static void world_make(struct world *w, uint64_t seed, size_t npk)
{
	assert_non_null(w->pd = pcap_open_dead(DLT_EN10MB, 262144));
	assert_non_null(w->b = flowsum_builder_create());
	assert_non_null(w->pk = calloc(npk, sizeof(*w->pk)));
	assert_non_null(w->one = calloc(npk, sizeof(*w->one)));
	assert_non_null(w->eight = calloc(npk / 8 + 1, sizeof(*w->eight)));
	w->npk = npk;
	for (size_t i = 0; i < npk; i++) {
		gen_packet(&seed, &w->pk[i]);
		summarize(w->b, &w->pk[i], 1, &w->one[i]);
	}
	for (size_t i = 0; i + 8 <= npk; i += 8)
		summarize(w->b, &w->pk[i], 8, &w->eight[i / 8]);
}

static void world_free(struct world *w)
{
	for (size_t i = 0; i < w->npk; i++)
		free(w->one[i].buf);
	for (size_t i = 0; i + 8 <= w->npk; i += 8)
		free(w->eight[i / 8].buf);
	free(w->one);
	free(w->eight);
	free(w->pk);
	flowsum_builder_destroy(w->b);
	pcap_close(w->pd);
}

static void test_crosscheck(void **state)
{
	struct world w;
	struct xstats st = { 0 };
	uint64_t r = 0x5eed0001;
	unsigned n = SLOW ? 1500 : 4000;

	(void)state;
	world_make(&w, 0x9a3b1c, 512);
	for (unsigned i = 0; i < n; i++) {
		struct str s = { .n = 0 };

		s.b[0] = '\0';
		gen_expr(&r, &s, 1 + (int)rndn(&r, 4));
		crosscheck(s.b, &w, &st);
	}
	printf("crosscheck: %lu filters, %lu compiled, %lu (packet, filter) pairs, "
	       "%lu matched, %lu pruned; %lu of %lu 8-packet frames pruned\n",
	       st.exprs, st.compiled, st.pairs, st.matched, st.pruned, st.frames_pruned, st.frames);
	/* most generated filters are valid, and pruning has power */
	assert_true(st.compiled * 10 >= st.exprs * 7);
	assert_true(st.matched > st.pairs / 50);
	assert_true(st.pruned * 4 > st.pairs - st.matched);
	world_free(&w);
}

/* ---- token soups and bytes ---- */

static const char *const soup[] = {
	"and", "or", "not", "&&", "||", "!", "(", ")", "(", ")", "host", "net", "port", "portrange",
	"src", "dst", "proto", "ip", "ip6", "arp", "rarp", "tcp", "udp", "icmp", "icmp6", "sctp",
	"vlan", "vlan", "ether", "mask", "/", "[", "]", ":", "&", "|", "=", "!=", ">", "<", "+", "-",
	"len", "greater", "less", "broadcast", "multicast", "10.1.2.3", "10.1", "10", "80", "443",
	"0x50", "010", "2001:db8::1", "2001:db8::", "::", "fe80::1/64", "255.255.0.0", "16", "1-100",
	"02:02:02:02:02:02", "\\tcp", "mpls", "gateway", "byte", "tcp-syn", "icmptype",
	"1.2.3.4", "24", "src or dst", "dst and src", "100", "4095", "13",
};

/* Whether libpcap may look a name up (DNS would make the test slow and
 * flaky): any name token outside "portrange N-M" and "proto \name". */
static bool has_names(const char *expr)
{
	size_t n;
	struct prune_tok *t = prune_lex(expr, &n);
	bool names = false;

	if (!t)
		return true;
	for (size_t i = 0; i < n; i++) {
		if (t[i].type != PRUNE_T_ID)
			continue;
		if (i > 0 && t[i - 1].type == PRUNE_T_KW &&
		    (t[i - 1].kw == PRUNE_KW_PORTRANGE || t[i - 1].kw == PRUNE_KW_PROTO) &&
		    strspn(expr + t[i].off, "0123456789-") >= t[i].len)
			continue;
		names = true;
	}
	free(t);
	return names;
}

/* A generated filter with a few words deleted, doubled, swapped or
 * inserted: near misses of valid filters, many of them valid too. */
static void mutate(uint64_t *r, struct str *s)
{
	static const char *const ins[] = { "(", ")", "not", "and", "or", "!", "vlan", "10.1.2.3" };
	char *w[256], buf[sizeof(s->b)];
	unsigned n = 0, k = 1 + rndn(r, 3);
	struct str o = { .n = 0 };

	gen_expr(r, s, 1 + (int)rndn(r, 3));
	memcpy(buf, s->b, sizeof(buf));
	for (char *sv, *t = strtok_r(buf, " ", &sv); t && n < 250; t = strtok_r(NULL, " ", &sv))
		w[n++] = t;
	while (k-- && n) {
		unsigned a = rndn(r, n), j;

		switch (rndn(r, 4)) {
		case 0:
			memmove(w + a, w + a + 1, (n - a - 1) * sizeof(*w));
			n--;
			break;
		case 1:
			memmove(w + a + 1, w + a, (n - a) * sizeof(*w));
			n++;
			break;
		case 2:
			j = rndn(r, n);
			{
				char *x = w[a];

				w[a] = w[j];
				w[j] = x;
			}
			break;
		default:
			memmove(w + a + 1, w + a, (n - a) * sizeof(*w));
			w[a] = (char *)PICK(r, ins);
			n++;
			break;
		}
	}
	o.b[0] = '\0';
	for (unsigned i = 0; i < n; i++)
		add(&o, "%s%s", i ? " " : "", w[i]);
	*s = o;
}

static void test_soup(void **state)
{
	struct world w;
	struct xstats st = { 0 };
	uint64_t r = 0x50a9;
	unsigned n = SLOW ? 20000 : 60000, nt;
	char d[4096];

	(void)state;
	world_make(&w, 0x77, 128);
	for (unsigned i = 0; i < n; i++) {
		struct str s = { .n = 0 };
		struct prune *p;

		s.b[0] = '\0';
		if (i % 2) {
			nt = 1 + rndn(&r, 10);
			for (unsigned j = 0; j < nt; j++)
				add(&s, "%s%s", j && rndn(&r, 5) ? " " : "", PICK(&r, soup));
		} else {
			mutate(&r, &s);
		}
		assert_non_null(p = prune_create(s.b));
		prune_describe(p, d, sizeof(d));
		prune_describe_raw(p, d, sizeof(d));
		(void)prune_useful(p);
		(void)prune_may_match(p, &w.one[i % w.npk].fs);
		prune_destroy(p);
		if (!has_names(s.b))
			crosscheck(s.b, &w, &st);
	}
	printf("soup and mutants: %lu compiled of %lu\n", st.compiled, st.exprs);
	assert_true(st.compiled > 100);
	world_free(&w);
}

static void test_bytes(void **state)
{
	uint64_t r = 0xb17e5;
	struct world w;
	char e[300], d[256];

	(void)state;
	world_make(&w, 0x78, 16);
	for (unsigned i = 0; i < (SLOW ? 30000u : 100000u); i++) {
		size_t n = rndn(&r, sizeof(e) - 1);
		struct prune *p;
		bool printable = rndn(&r, 2);

		for (size_t j = 0; j < n; j++) {
			e[j] = printable ? (char)(32 + rndn(&r, 95)) : (char)(1 + rndn(&r, 255));
			/* a long run of one kind: the lexer's cut-offs */
			if (j && !rndn(&r, 50))
				memset(e + j, e[j - 1], n - j), j = n;
		}
		e[n] = '\0';
		assert_non_null(p = prune_create(e));
		prune_describe(p, d, sizeof(d));
		(void)prune_may_match(p, &w.one[i % w.npk].fs);
		prune_destroy(p);
	}
	/* deep nesting gives up quietly */
	{
		static char deep[20001];
		struct prune *p;

		for (int i = 0; i < 10000; i++)
			deep[i] = '(';
		strcpy(deep + 10000, "tcp");
		assert_non_null(p = prune_create(deep));
		assert_false(prune_useful(p));
		prune_destroy(p);
		for (int i = 0; i < 5000; i++)
			memcpy(deep + 4 * i, "not ", 4);
		strcpy(deep + 20000 - 4, "tcp");
		assert_non_null(p = prune_create(deep));
		prune_destroy(p);
		memset(deep, ':', 20000);
		assert_non_null(p = prune_create(deep));
		prune_destroy(p);
	}
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_useful),
		cmocka_unit_test(test_eval),
		cmocka_unit_test(test_vlan_shift),
		cmocka_unit_test(test_crosscheck),
		cmocka_unit_test(test_soup),
		cmocka_unit_test(test_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
