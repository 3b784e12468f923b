/* Flow summaries (flowsum.h): the builder's frame-level half (key set,
 * Bloom filter, serialization) and the reader.  The per-packet parser is
 * in flowsum_parse.c.
 *
 * Serialized summary, version 1.  Integers are little-endian.
 *
 *   offset      size          field
 *   0           4             magic "CPFS"
 *   4           1             version: 1
 *   5           1             nhash: hash functions of the Bloom filter, 1..16
 *   6           1             ntop: talker records, 0..16 (FLOWSUM_TOP)
 *   7           1             reserved, 0
 *   8           4             flags: 0x01 IPv4, 0x02 IPv6, 0x04 ARP/RARP,
 *                             0x08 VLAN tag, 0x10 other ethertype, 0x20 opaque;
 *                             other bits 0
 *   12          4             packets
 *   16          32            protocol set: IP protocol / IPv6 next header p
 *                             was seen iff bit p % 8 of byte p / 8 is set
 *   48          4             bloom_bits: a power of two, 512..2^20
 *   52          36 * ntop     talkers, most bytes first, each:
 *                               +0  1  family: 4 or 6
 *                               +1  3  reserved, 0
 *                               +4  16 address (IPv4: 4 bytes, then 12 zero bytes)
 *                               +20 8  packets (as source or destination)
 *                               +28 8  bytes (original lengths)
 *   52+36*ntop  bloom_bits/8  Bloom filter
 *   end - 4     4             CRC-32 (zlib's crc32) of all the bytes before it
 *
 * A summary is exactly 56 + 36 * ntop + bloom_bits / 8 bytes.
 *
 * Talkers: the addresses with the most bytes, as source or destination
 * of an IPv4, IPv6 or ARP packet (original lengths; a packet counts once
 * for each), exact counts; ties go to more packets, then IPv4, then the
 * lower address.
 *
 * Bloom keys.  key(kind, plen, w0, w1) = F(w0 ^ T ^ F(w1 ^ C)), or 1
 * where that is 0, with T = (kind * 256 + plen) * 0x9e3779b97f4a7c15 mod
 * 2^64, C = 0x243f6a8885a308d3 and F MurmurHash3's 64-bit finalizer
 * (fmix64); w0 and w1 are the key's value read as big-endian numbers:
 *   kind 1, IPv4 address: plen 32, 24, 16, 8; w0 the address with the bits
 *     past plen zero, w1 0 (one key per prefix length);
 *   kind 2, IPv6 address: plen 128, 64, 48, 32; w0 bytes 0-7, w1 bytes
 *     8-15, with the bits past plen zero;
 *   kind 3, TCP/UDP/SCTP port: plen 0, w0 the port, w1 0;
 *   kind 4, port block: plen 0, w0 the port >> 8, w1 0;
 *   kind 5, VLAN ID: plen 0, w0 the ID (TCI & 0xfff), w1 0.
 * The filter is blocked (one cache line a key, for both building and
 * querying): key h falls in the 64-byte block h mod (bloom_bits / 512),
 * where it sets bits (x + i * y) mod 512, i = 0..nhash-1, with
 * x = h >> 32 and y = ((h mod 2^32) >> 11) | 1; bit j of a block is bit
 * j % 8 of its byte j / 8.  bloom_bits is the least power of two >= 10
 * bits per distinct key, at least 512 and at most 2^20; nhash is
 * round(bloom_bits / keys * ln 2) within 1..8 (readers accept 1..16).
 * A frame with more than 2^20 distinct keys (or 2^19 addresses of a
 * family) has 512 bits, all set.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <zlib.h>

#include "flowsum_int.h"

#define VERSION 1
#define HDR 52u
#define TALKER 36u
#define MIN_BITS 512u
#define MAX_BITS (1u << 20)
#define KEYS_MAX (1u << 20)
#define ALL_FLAGS 0x3fu

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* ---- building ---- */

struct flowsum_builder *flowsum_builder_create(void)
{
	struct flowsum_builder *b = calloc(1, sizeof(*b));
	struct timespec ts;
	int err = ENOMEM;

	if (!b)
		goto out;
	if (getrandom(&b->seed, sizeof(b->seed), GRND_NONBLOCK) != sizeof(b->seed)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		b->seed = flowsum_fmix64((uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)b);
	}
	b->a4.maxcap = b->a6.maxcap = b->xkeys.maxcap = b->p24.maxcap = 2 * FLOWSUM_ADDR_MAX;
	b->p6.maxcap = 2 * KEYS_MAX;
	b->bloom_cap = MIN_BITS / 8;  /* a saturated summary needs no allocation */
	b->bloom = malloc(b->bloom_cap);
	if (!b->bloom || FLOWSUM_SET_ALLOC(&b->a4, FLOWSUM_MIN_CAP) < 0 ||
	    FLOWSUM_SET_ALLOC(&b->a6, FLOWSUM_MIN_CAP) < 0 ||
	    FLOWSUM_SET_ALLOC(&b->xkeys, FLOWSUM_MIN_CAP) < 0 ||
	    FLOWSUM_SET_ALLOC(&b->p24, FLOWSUM_MIN_CAP) < 0 ||
	    FLOWSUM_SET_ALLOC(&b->p6, FLOWSUM_MIN_CAP) < 0)
		goto out;
	err = 0;
out:
	if (err) {
		flowsum_builder_destroy(b);
		errno = err;
		return NULL;
	}
	return b;
}

void flowsum_builder_destroy(struct flowsum_builder *b)
{
	if (!b)
		return;
	free(b->a4.slot);
	free(b->a6.slot);
	free(b->xkeys.slot);
	free(b->p24.slot);
	free(b->p6.slot);
	free(b->bloom);
	free(b);
}

void flowsum_builder_reset(struct flowsum_builder *b)
{
	b->flags = 0;
	b->packets = 0;
	b->saturated = false;
	b->built = false;
	memset(b->protos, 0, sizeof(b->protos));
	memset(b->ports, 0, sizeof(b->ports));
	memset(b->vlans, 0, sizeof(b->vlans));
	/* sized for as many entries as the frame that ends had */
	FLOWSUM_SET_PREPARE(&b->a4, b->a4.n);
	FLOWSUM_SET_PREPARE(&b->a6, b->a6.n);
	FLOWSUM_SET_PREPARE(&b->xkeys, b->xkeys.n);
}

static unsigned popcount(const uint64_t *w, unsigned n)
{
	unsigned c = 0;

	for (unsigned i = 0; i < n; i++)
		c += (unsigned)__builtin_popcountll(w[i]);
	return c;
}

/* The number of distinct Bloom keys.  Prefixes repeat: each distinct one
 * is found once (exact bitmaps for /8 and /16, sets for the rest), so
 * that its key is hashed and set once. */
static uint64_t count_keys(struct flowsum_builder *b)
{
	const struct flowsum_e4 *e4 = b->a4.slot;
	const struct flowsum_e6 *e6 = b->a6.slot;
	uint32_t i, a, cap;
	uint64_t n, w0;

	FLOWSUM_SET_PREPARE(&b->p24, b->a4.n);
	FLOWSUM_SET_PREPARE(&b->p6, 3 * (uint64_t)b->a6.n);
	memset(b->p16, 0, sizeof(b->p16));
	memset(b->p8, 0, sizeof(b->p8));
	for (i = 0, cap = b->a4.cap; i < cap; i++) {
		if (!e4[i].packets)
			continue;
		a = ntohl(e4[i].addr);
		flowsum_set_add(b, &b->p24, 1ull << 32 | a >> 8);
		b->p16[a >> 22] |= 1ull << (a >> 16 & 63);
		b->p8[a >> 30] |= 1ull << (a >> 24 & 63);
	}
	for (i = 0, cap = b->a6.cap; i < cap; i++) {
		if (!e6[i].packets)
			continue;
		w0 = be64toh(e6[i].w[0]);
		flowsum_set_add(b, &b->p6, flowsum_key(FLOWSUM_K_IP6, 64, w0, 0));
		flowsum_set_add(b, &b->p6, flowsum_key(FLOWSUM_K_IP6, 48, w0 & ~0xffffull, 0));
		flowsum_set_add(b, &b->p6, flowsum_key(FLOWSUM_K_IP6, 32, w0 & ~0xffffffffull, 0));
	}
	n = (uint64_t)b->a4.n + b->p24.n + popcount(b->p16, 1024) + popcount(b->p8, 4) + b->a6.n +
	    b->p6.n + b->xkeys.n + popcount(b->ports, 1024) + popcount(b->vlans, 64);
	for (i = 0; i < 256; i++)
		n += !!(b->ports[4 * i] | b->ports[4 * i + 1] | b->ports[4 * i + 2] | b->ports[4 * i + 3]);
	return n;
}

/* The filter as it is being filled, apart from the builder: the byte
 * stores into the filter may alias any of its fields, which would have
 * to be loaded again after each one. */
struct bloom {
	uint8_t *bits;
	uint64_t blkmask;
	unsigned k;
};

/* Key h: in its 512-bit block, nhash bits (see the format above). */
static inline void bloom_add(struct bloom bl, uint64_t h)
{
	uint8_t *blk = bl.bits + ((h & bl.blkmask) << 6);
	uint32_t x = (uint32_t)(h >> 32), y = (uint32_t)h >> 11 | 1;

	for (unsigned i = 0; i < bl.k; i++, x += y)
		blk[(x & 511) >> 3] |= (uint8_t)(1u << (x & 7));
}

static void fill_bloom(struct flowsum_builder *b)
{
	const struct bloom bl = { b->bloom, b->bits / 512 - 1, b->nhash };
	const struct flowsum_e4 *e4 = b->a4.slot;
	const struct flowsum_e6 *e6 = b->a6.slot;
	const uint64_t *v;
	uint32_t i, n;
	uint64_t w;

	memset(bl.bits, 0, b->bits / 8);
	for (i = 0, n = b->a4.cap; i < n; i++)
		if (e4[i].packets)
			bloom_add(bl, flowsum_key(FLOWSUM_K_IP4, 32, ntohl(e4[i].addr), 0));
	for (i = 0, n = b->p24.cap, v = b->p24.slot; i < n; i++)
		if (v[i])
			bloom_add(bl, flowsum_key(FLOWSUM_K_IP4, 24, (uint32_t)v[i] << 8, 0));
	for (i = 0; i < 1024; i++)
		for (w = b->p16[i]; w; w &= w - 1)
			bloom_add(bl, flowsum_key(FLOWSUM_K_IP4, 16,
						  (uint64_t)(i * 64 + __builtin_ctzll(w)) << 16, 0));
	for (i = 0; i < 4; i++)
		for (w = b->p8[i]; w; w &= w - 1)
			bloom_add(bl, flowsum_key(FLOWSUM_K_IP4, 8,
						  (uint64_t)(i * 64 + __builtin_ctzll(w)) << 24, 0));
	for (i = 0, n = b->a6.cap; i < n; i++)
		if (e6[i].packets)
			bloom_add(bl, flowsum_key(FLOWSUM_K_IP6, 128, be64toh(e6[i].w[0]),
						  be64toh(e6[i].w[1])));
	for (i = 0, n = b->p6.cap, v = b->p6.slot; i < n; i++)
		if (v[i])
			bloom_add(bl, v[i]);
	for (i = 0, n = b->xkeys.cap, v = b->xkeys.slot; i < n; i++)
		if (v[i])
			bloom_add(bl, v[i]);
	for (i = 0; i < 1024; i++) {
		for (w = b->ports[i]; w; w &= w - 1)
			bloom_add(bl, flowsum_key(FLOWSUM_K_PORT, 0, i * 64 + __builtin_ctzll(w), 0));
		if (i % 4 == 3 && (b->ports[i - 3] | b->ports[i - 2] | b->ports[i - 1] | b->ports[i]))
			bloom_add(bl, flowsum_key(FLOWSUM_K_PBLOCK, 0, i / 4, 0));
	}
	for (i = 0; i < 64; i++)
		for (w = b->vlans[i]; w; w &= w - 1)
			bloom_add(bl, flowsum_key(FLOWSUM_K_VLAN, 0, i * 64 + __builtin_ctzll(w), 0));
}

/* A total order, so that the list does not depend on the set layout
 * (the seed): most bytes, most packets, IPv4 first, lowest address. */
static bool talker_before(const struct flowsum_talker *x, const struct flowsum_talker *y)
{
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes;
	if (x->packets != y->packets)
		return x->packets > y->packets;
	if (x->family != y->family)
		return x->family < y->family;
	return memcmp(x->addr, y->addr, 16) < 0;
}

static void talker_offer(struct flowsum_builder *b, unsigned family, const void *addr,
			 uint32_t packets, uint64_t bytes)
{
	struct flowsum_talker t = { .family = (uint8_t)family, .packets = packets, .bytes = bytes };
	unsigned i = b->ntop;

	memcpy(t.addr, addr, family == 4 ? 4 : 16);
	if (i == FLOWSUM_TOP) {
		if (!talker_before(&t, &b->top[i - 1]))
			return;
		i--;
	} else {
		b->ntop++;
	}
	for (; i > 0 && talker_before(&t, &b->top[i - 1]); i--)
		b->top[i] = b->top[i - 1];
	b->top[i] = t;
}

/* Sizes, Bloom filter and talkers of what was added, once per frame
 * however often flowsum_serialize asks. */
static void build(struct flowsum_builder *b)
{
	uint32_t bits = MIN_BITS, k = 1, i;
	uint64_t n = 0;
	uint8_t *nb;

	if (b->built)
		return;
	b->built = true;
	b->ntop = 0;
	/* (most entries fall short of the last of a full list: no call) */
	for (i = 0; i < b->a4.cap; i++)
		if (b->a4.slot[i].packets &&
		    (b->ntop < FLOWSUM_TOP || b->a4.slot[i].bytes >= b->top[FLOWSUM_TOP - 1].bytes))
			talker_offer(b, 4, &b->a4.slot[i].addr, b->a4.slot[i].packets,
				     b->a4.slot[i].bytes);
	for (i = 0; i < b->a6.cap; i++)
		if (b->a6.slot[i].packets &&
		    (b->ntop < FLOWSUM_TOP || b->a6.slot[i].bytes >= b->top[FLOWSUM_TOP - 1].bytes))
			talker_offer(b, 6, b->a6.slot[i].w, b->a6.slot[i].packets,
				     b->a6.slot[i].bytes);
	if (!b->saturated)
		n = count_keys(b);
	if (n > KEYS_MAX)
		b->saturated = true;
	if (!b->saturated) {
		while (bits < 10 * n && bits < MAX_BITS)
			bits *= 2;
		if (n)
			k = (uint32_t)((double)bits / (double)n * 0.6931471805599453 + 0.5);
		/* more hashes than 8 buy almost nothing in a blocked filter of
		 * >= 10 bits a key, and cost the writer a bit each */
		k = k < 1 ? 1 : k > 8 ? 8 : k;
		if (bits / 8 > b->bloom_cap) {
			nb = realloc(b->bloom, bits / 8);
			if (nb) {
				b->bloom = nb;
				b->bloom_cap = bits / 8;
			} else {
				b->saturated = true;
			}
		}
	}
	if (b->saturated) {
		b->bits = MIN_BITS;
		b->nhash = 1;
		memset(b->bloom, 0xff, MIN_BITS / 8);
		return;
	}
	b->bits = bits;
	b->nhash = (uint8_t)k;
	fill_bloom(b);
}

size_t flowsum_serialize(struct flowsum_builder *b, uint8_t *dst, size_t cap)
{
	size_t size;
	uint8_t *p;

	build(b);
	size = HDR + TALKER * b->ntop + b->bits / 8 + 4;
	if (!dst || cap < size)
		return size;
	memset(dst, 0, HDR);
	memcpy(dst, "CPFS", 4);
	dst[4] = VERSION;
	dst[5] = b->nhash;
	dst[6] = (uint8_t)b->ntop;
	put32(dst + 8, b->flags);
	put32(dst + 12, b->packets);
	memcpy(dst + 16, b->protos, 32);
	put32(dst + 48, b->bits);
	p = dst + HDR;
	for (unsigned i = 0; i < b->ntop; i++, p += TALKER) {
		memset(p, 0, 4);
		p[0] = b->top[i].family;
		memcpy(p + 4, b->top[i].addr, 16);
		put64(p + 20, b->top[i].packets);
		put64(p + 28, b->top[i].bytes);
	}
	memcpy(p, b->bloom, b->bits / 8);
	p += b->bits / 8;
	put32(p, (uint32_t)crc32(0, dst, (uInt)(p - dst)));
	return size;
}

/* ---- reading ---- */

int flowsum_parse(const uint8_t *buf, size_t len, struct flowsum *fs)
{
	const uint8_t *p;
	uint32_t bits;
	unsigned ntop, i, j;

	if (len < HDR + 4 || memcmp(buf, "CPFS", 4) || buf[4] != VERSION || buf[7])
		return -EBADMSG;
	ntop = buf[6];
	bits = get32(buf + 48);
	if (!buf[5] || buf[5] > 16 || ntop > FLOWSUM_TOP || bits < MIN_BITS || bits > MAX_BITS ||
	    (bits & (bits - 1)) || len != HDR + TALKER * ntop + bits / 8 + 4 ||
	    get32(buf + len - 4) != (uint32_t)crc32(0, buf, (uInt)(len - 4)))
		return -EBADMSG;
	memset(fs, 0, sizeof(*fs));
	fs->flags = get32(buf + 8);
	fs->packets = get32(buf + 12);
	/* an empty frame has nothing to say */
	if ((fs->flags & ~ALL_FLAGS) || (!fs->packets && (fs->flags || ntop)))
		return -EBADMSG;
	memcpy(fs->protos, buf + 16, 32);
	fs->nhash = buf[5];
	fs->bloom_bits = bits;
	fs->ntop = ntop;
	for (i = 0, p = buf + HDR; i < ntop; i++, p += TALKER) {
		if ((p[0] != 4 && p[0] != 6) || p[1] || p[2] || p[3])
			return -EBADMSG;
		for (j = p[0] == 4 ? 8 : 20; j < 20; j++)
			if (p[j])
				return -EBADMSG;
		fs->top[i].family = p[0];
		memcpy(fs->top[i].addr, p + 4, 16);
		fs->top[i].packets = get64(p + 20);
		fs->top[i].bytes = get64(p + 28);
	}
	fs->bloom = p;
	return 0;
}

static bool bloom_may(const struct flowsum *fs, uint64_t h)
{
	const uint8_t *blk = fs->bloom + ((h & (fs->bloom_bits / 512 - 1)) << 6);
	uint32_t x = (uint32_t)(h >> 32), y = (uint32_t)h >> 11 | 1;

	for (unsigned i = 0; i < fs->nhash; i++, x += y)
		if (!(blk[(x & 511) >> 3] & (1u << (x & 7))))
			return false;
	return true;
}

/* 1 "may" (opaque: nothing is known), 0 "no" (an empty frame, or none of
 * the packets that could hold the key), -1 ask the Bloom filter. */
static int gate(const struct flowsum *fs, uint32_t need)
{
	if (fs->flags & FLOWSUM_F_OPAQUE)
		return 1;
	return fs->packets && (fs->flags & need) ? -1 : 0;
}

static uint32_t be32(const uint8_t a[4])
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

static uint64_t be64(const uint8_t *a)
{
	return (uint64_t)be32(a) << 32 | be32(a + 4);
}

bool flowsum_may_ip4(const struct flowsum *fs, const uint8_t addr[4])
{
	int g = gate(fs, FLOWSUM_F_IPV4 | FLOWSUM_F_ARP);

	return g >= 0 ? g : bloom_may(fs, flowsum_key(FLOWSUM_K_IP4, 32, be32(addr), 0));
}

bool flowsum_may_net4(const struct flowsum *fs, const uint8_t addr[4], unsigned prefix)
{
	int g = gate(fs, FLOWSUM_F_IPV4 | FLOWSUM_F_ARP);
	unsigned p;

	if (g >= 0)
		return g;
	if (prefix < 8 || prefix > 32)
		return true;
	/* the longest stored prefix not longer than the one asked */
	p = prefix == 32 ? 32 : prefix & ~7u;
	return bloom_may(fs, flowsum_key(FLOWSUM_K_IP4, p, be32(addr) & (~0u << (32 - p)), 0));
}

bool flowsum_may_ip6(const struct flowsum *fs, const uint8_t addr[16])
{
	int g = gate(fs, FLOWSUM_F_IPV6);

	return g >= 0 ? g : bloom_may(fs, flowsum_key(FLOWSUM_K_IP6, 128, be64(addr), be64(addr + 8)));
}

bool flowsum_may_net6(const struct flowsum *fs, const uint8_t addr[16], unsigned prefix)
{
	int g = gate(fs, FLOWSUM_F_IPV6);
	unsigned p;

	if (g >= 0)
		return g;
	if (prefix < 32 || prefix > 128)
		return true;
	if (prefix == 128)
		return flowsum_may_ip6(fs, addr);
	p = prefix >= 64 ? 64 : prefix >= 48 ? 48 : 32;
	return bloom_may(fs, flowsum_key(FLOWSUM_K_IP6, p, be64(addr) & (~0ull << (64 - p)), 0));
}

/* Ports were recorded only with their protocol. */
static int gate_ports(const struct flowsum *fs)
{
	int g = gate(fs, FLOWSUM_F_IPV4 | FLOWSUM_F_IPV6);

	if (g >= 0)
		return g;
	if (flowsum_may_proto(fs, 6) || flowsum_may_proto(fs, 17) || flowsum_may_proto(fs, 132))
		return -1;
	return 0;
}

bool flowsum_may_port(const struct flowsum *fs, uint16_t port)
{
	int g = gate_ports(fs);

	return g >= 0 ? g : bloom_may(fs, flowsum_key(FLOWSUM_K_PORT, 0, port, 0));
}

/* Block by block: a block whose key is absent holds no port; within a
 * present one, up to 64 ports of the range are looked up one by one and
 * more make it "may" (each lookup could be a false positive, and their
 * rates add up). */
bool flowsum_may_portrange(const struct flowsum *fs, uint16_t lo, uint16_t hi)
{
	int g = gate_ports(fs);
	uint32_t a, z, blk;

	if (g >= 0)
		return g;
	if (lo > hi) {                /* libpcap swaps them too */
		uint16_t t = lo;

		lo = hi;
		hi = t;
	}
	for (blk = lo >> 8; blk <= (uint32_t)hi >> 8; blk++) {
		if (!bloom_may(fs, flowsum_key(FLOWSUM_K_PBLOCK, 0, blk, 0)))
			continue;
		a = blk << 8 > lo ? blk << 8 : lo;
		z = (blk << 8 | 255) < hi ? blk << 8 | 255 : hi;
		if (z - a >= 64)
			return true;
		for (; a <= z; a++)
			if (bloom_may(fs, flowsum_key(FLOWSUM_K_PORT, 0, a, 0)))
				return true;
	}
	return false;
}

bool flowsum_may_proto(const struct flowsum *fs, uint8_t proto)
{
	if (fs->flags & FLOWSUM_F_OPAQUE)
		return true;
	return fs->packets && (fs->protos[proto / 8] & (1u << proto % 8));
}

bool flowsum_may_vlan(const struct flowsum *fs, uint16_t vid)
{
	int g = gate(fs, FLOWSUM_F_VLAN);

	if (g >= 0)
		return g;
	/* a 12-bit field never equals more (libpcap refuses such a filter) */
	return vid <= 0xfff && bloom_may(fs, flowsum_key(FLOWSUM_K_VLAN, 0, vid, 0));
}

bool flowsum_may_flag(const struct flowsum *fs, uint32_t flags)
{
	if (fs->flags & FLOWSUM_F_OPAQUE)
		return true;
	return fs->packets && (fs->flags & flags);
}
