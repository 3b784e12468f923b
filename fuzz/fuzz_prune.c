/* Frame pruning (cli/prune.h): prune_create on the input as a filter
 * expression, then prune_may_match against fixed summaries, each of one
 * known packet (and one of all of them together).
 *
 * When libpcap compiles the expression, its verdict is the oracle: a
 * packet that the compiled filter matches must never be pruned, i.e.
 * prune_may_match must say true for every summary holding that packet
 * (prune.h: "results equal libpcap's exactly").  Host names are never
 * looked up: getaddrinfo fails here at once. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "common.h"
#include "flowsum.h"
#include "prune.h"

/* No DNS from libpcap's name lookups ("host foo"): they would be slow and
 * depend on the network. */
int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	(void)node, (void)service, (void)hints, (void)res;
	return EAI_NONAME;
}

struct hostent *gethostbyname(const char *name)
{
	(void)name;
	return NULL;
}

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libpcap\n";
}

#define NPKT 16
static uint8_t pkt[NPKT][128];
static uint32_t plen[NPKT];
static size_t npkt;
static uint8_t *sum[NPKT + 1];
static struct flowsum fs[NPKT + 1];
static pcap_t *pc;

/* ---- packets ---- */

static uint8_t *p;

static void b8(unsigned v) { *p++ = (uint8_t)v; }
static void b16(unsigned v) { b8(v >> 8); b8(v); }
static void bip4(const char *a) { FUZZ_ASSERT(inet_pton(AF_INET, a, p) == 1); p += 4; }
static void bip6(const char *a) { FUZZ_ASSERT(inet_pton(AF_INET6, a, p) == 1); p += 16; }

static void eth(const unsigned *tags, unsigned ntags, unsigned type)
{
	static const uint8_t mac[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

	p = pkt[npkt];
	memcpy(p, mac, 12);
	p += 12;
	for (unsigned i = 0; i < ntags; i++) {
		b16(i + 1 < ntags ? 0x88a8 : 0x8100);
		b16(tags[i]);
	}
	b16(type);
}

/* IPv4 header with ihl words (options zero), then 8 bytes of L4: ports */
static void ip4(unsigned ihl, unsigned proto, unsigned frag, const char *src, const char *dst,
		unsigned sport, unsigned dport)
{
	b8(0x40 | ihl), b8(0), b16(ihl * 4 + 8), b16(1), b16(frag), b8(64), b8(proto), b16(0);
	bip4(src), bip4(dst);
	for (unsigned i = 5; i < ihl; i++)
		b16(0), b16(0);
	b16(sport), b16(dport), b16(8), b16(0);
}

static void ip6(unsigned nh, const char *src, const char *dst)
{
	b16(0x6000), b16(0), b16(8), b8(nh), b8(64);
	bip6(src), bip6(dst);
}

static void done(void)
{
	plen[npkt] = (uint32_t)(p - pkt[npkt]);
	npkt++;
}

static void make_packets(void)
{
	static const unsigned v100[] = { 100 }, qinq[] = { 5, 200 };

	eth(NULL, 0, 0x0800), ip4(5, 6, 0, "10.0.0.1", "192.0.2.7", 1234, 80), done();
	eth(NULL, 0, 0x0800), ip4(5, 17, 0, "172.16.5.4", "10.1.2.3", 5353, 53), done();
	eth(NULL, 0, 0x86dd), ip6(17, "2001:db8::1", "2001:db8:1::53"), b16(4000), b16(53),
		b16(8), b16(0), done();
	/* TCP behind a fragment header */
	eth(NULL, 0, 0x86dd), ip6(44, "2001:db8::2", "fe80::1"), b8(6), b8(0), b16(0),
		b16(0), b16(7), b16(443), b16(40000), b16(0), b16(0), done();
	/* ARP request 10.0.0.1 -> 10.0.0.254 */
	eth(NULL, 0, 0x0806), b16(1), b16(0x0800), b8(6), b8(4), b16(1);
	memset(p, 2, 6), p += 6, bip4("10.0.0.1"), memset(p, 0, 6), p += 6;
	bip4("10.0.0.254"), done();
	eth(v100, 1, 0x0800), ip4(5, 6, 0, "10.9.8.7", "10.0.0.1", 22, 2222), done();
	eth(qinq, 2, 0x0800), ip4(5, 17, 0, "198.51.100.1", "203.0.113.9", 123, 123), done();
	eth(NULL, 0, 0x0800), ip4(5, 1, 0, "10.0.0.1", "8.8.8.8", 0x0800, 0), done();
	eth(NULL, 0, 0x0800), ip4(5, 47, 0, "192.0.2.1", "192.0.2.2", 0, 0x0800), done();
	/* a later fragment: no ports in it */
	eth(NULL, 0, 0x0800), ip4(5, 17, 0x0010, "10.2.2.2", "10.3.3.3", 53, 53), done();
	eth(NULL, 0, 0x86dd), ip6(58, "fe80::2", "ff02::1"), b8(135), b8(0), b16(0),
		b16(0), b16(0), done();
	eth(NULL, 0, 0x88cc), b16(0x0207), b16(0x0400), done();
	eth(NULL, 0, 0x0800), ip4(6, 6, 0, "10.4.4.4", "10.5.5.5", 8080, 3128), done();
	/* cut short inside the IPv4 header */
	eth(NULL, 0, 0x0800), ip4(5, 6, 0, "10.6.6.6", "10.7.7.7", 1, 2);
	p = pkt[npkt] + 20, done();
	eth(NULL, 0, 0x8035), b16(1), b16(0x0800), b8(6), b8(4), b16(3), done();
	FUZZ_ASSERT(npkt <= NPKT);
}

/* The summary of packets [from, to) into sum[slot]. */
static void summarize(struct flowsum_builder *b, size_t slot, size_t from, size_t to)
{
	size_t n;

	flowsum_builder_reset(b);
	for (size_t i = from; i < to; i++)
		flowsum_add_packet(b, DLT_EN10MB, pkt[i], plen[i], plen[i]);
	n = flowsum_serialize(b, NULL, 0);
	sum[slot] = malloc(n);
	FUZZ_ASSERT(sum[slot] && flowsum_serialize(b, sum[slot], n) == n);
	FUZZ_ASSERT(flowsum_parse(sum[slot], n, &fs[slot]) == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct flowsum_builder *b = flowsum_builder_create();

	(void)argc, (void)argv;
	FUZZ_ASSERT(b);
	make_packets();
	for (size_t i = 0; i < npkt; i++)
		summarize(b, i, i, i + 1);
	summarize(b, npkt, 0, npkt);
	flowsum_builder_destroy(b);
	pc = pcap_open_dead(DLT_EN10MB, 262144);
	FUZZ_ASSERT(pc);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *expr = fuzz_strndup(data, size), small[8], *big;
	struct bpf_program prog;
	struct prune *pr;
	bool compiled, useful;
	int n;

	pr = prune_create(expr);
	FUZZ_ASSERT(pr);
	useful = prune_useful(pr);
	FUZZ_ASSERT(prune_may_match(pr, NULL));
	n = prune_describe(pr, small, sizeof(small));
	FUZZ_ASSERT(n >= 0);
	FUZZ_ASSERT(strlen(small) == ((size_t)n < sizeof(small) ? (size_t)n : sizeof(small) - 1));
	big = malloc((size_t)n + 1);
	FUZZ_ASSERT(big && prune_describe(pr, big, (size_t)n + 1) == n && strlen(big) == (size_t)n);
	free(big);
	compiled = pcap_compile(pc, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) == 0;
	for (size_t i = 0; i < npkt; i++) {
		bool may = prune_may_match(pr, &fs[i]);
		struct pcap_pkthdr h = { .caplen = plen[i], .len = plen[i] };

		FUZZ_ASSERT(may || useful);
		if (!compiled || !pcap_offline_filter(&prog, &h, pkt[i]))
			continue;
		if (!may || !prune_may_match(pr, &fs[npkt])) {
			fprintf(stderr, "'%s' matches packet %zu, but the summary of %s is pruned\n",
				expr, i, may ? "all packets" : "that packet");
			FUZZ_ASSERT(!"a frame with a matching packet is never pruned");
		}
	}
	if (compiled)
		pcap_freecode(&prog);
	prune_destroy(pr);
	free(expr);
	return 0;
}
