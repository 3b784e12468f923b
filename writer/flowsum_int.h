/* Internals of the flow summary shared by flowsum.c (keys, Bloom filter,
 * serialization, reading) and flowsum_parse.c (the per-packet path, which
 * needs the set insertions inlined). */
#ifndef CAPTURED_FLOWSUM_INT_H
#define CAPTURED_FLOWSUM_INT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flowsum.h"

/* Kinds of Bloom keys (part of the stored format, see flowsum.c). */
#define FLOWSUM_K_IP4 1u
#define FLOWSUM_K_IP6 2u
#define FLOWSUM_K_PORT 3u
#define FLOWSUM_K_PBLOCK 4u
#define FLOWSUM_K_VLAN 5u

/* Past this many distinct addresses of one family a frame's Bloom filter
 * would be nearly all ones anyway: the builder stops collecting and the
 * summary says "may" to every key (saturated). */
#define FLOWSUM_ADDR_MAX (1u << 19)

/* The address sets: open addressing, linear probing, load <= 1/2; an
 * entry is in use when its packet count is not 0.  Each address carries
 * its exact traffic for the top talkers: counting costs nothing more
 * than the lookup the Bloom keys need anyway. */
struct flowsum_e4 {
	uint32_t addr;                /* as in the packet */
	uint32_t packets;
	uint64_t bytes;
};

struct flowsum_e6 {
	uint64_t w[2];                /* as in the packet */
	uint64_t bytes;
	uint32_t packets;
	uint32_t pad;
};

#define FLOWSUM_SET_HEAD                                                         \
	uint32_t cap, n, lim;         /* grow when n reaches lim */      \
	uint32_t maxcap;                                                 \
	unsigned shift                /* 64 - log2(cap) */

struct flowsum_set4 {
	struct flowsum_e4 *slot;
	FLOWSUM_SET_HEAD;
};

struct flowsum_set6 {
	struct flowsum_e6 *slot;
	FLOWSUM_SET_HEAD;
};

/* A set of nonzero 64-bit values (Bloom keys, prefixes). */
struct flowsum_set {
	uint64_t *slot;
	FLOWSUM_SET_HEAD;
};

struct flowsum_builder {
	uint64_t seed;                /* of the in-memory sets only */
	uint32_t flags, packets;
	bool saturated;               /* too many keys (or no memory): Bloom all ones */
	bool built;                   /* what follows "serialized" is current */
	uint8_t protos[32];
	uint64_t ports[65536 / 64];   /* exact, a bit per port */
	uint64_t vlans[4096 / 64];
	struct flowsum_set4 a4;
	struct flowsum_set6 a6;
	struct flowsum_set xkeys;     /* Bloom keys of partly captured addresses */
	/* serialized: distinct prefixes, the Bloom filter, the talkers */
	struct flowsum_set p24, p6;
	uint64_t p16[65536 / 64], p8[256 / 64];
	uint8_t *bloom;
	size_t bloom_cap;
	uint32_t bits;
	uint8_t nhash;
	unsigned ntop;
	struct flowsum_talker top[FLOWSUM_TOP];
};

/* The index of v in a set of 2^(64-shift) slots: keyed by a per-builder
 * random seed, so that traffic crafted to collide cannot turn the sets
 * quadratic on the writer thread. */
static inline uint32_t flowsum_slot(uint64_t v, uint64_t seed, unsigned shift)
{
	v ^= seed;
	v *= 0x9e3779b97f4a7c15ull;
	v ^= v >> 29;
	v *= 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(v >> shift);
}

static inline uint32_t flowsum_slot6(const uint64_t w[2], uint64_t seed, unsigned shift)
{
	uint64_t h = w[0] ^ seed;

	h *= 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	h ^= w[1];
	h *= 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h >> shift);
}

#define FLOWSUM_MIN_CAP 1024u

/* A zeroed table of c entries for set s, or -ENOMEM (s unchanged). */
#define FLOWSUM_SET_ALLOC(s, c)                                                  \
	__extension__({                                                          \
		__typeof__((s)->slot) new_ = calloc((c), sizeof(*new_));         \
		if (new_) {                                                      \
			free((s)->slot);                                         \
			(s)->slot = new_;                                        \
			(s)->cap = (c);                                          \
			(s)->lim = (c) / 2;                                      \
			(s)->shift = 64 - (unsigned)__builtin_ctz(c);            \
			(s)->n = 0;                                              \
		}                                                                \
		new_ ? 0 : -ENOMEM;                                              \
	})

/* The size of a set about to hold up to n entries. */
static inline uint32_t flowsum_fit_cap(uint64_t n, uint32_t maxcap)
{
	uint32_t want = FLOWSUM_MIN_CAP;

	while (want < 2 * n && want < maxcap)
		want *= 2;
	return want;
}

/* Empties set s for up to cnt entries.  A set that once grew huge shrinks
 * back, so that one odd frame does not make every later one clear
 * megabytes; one too small is made fit at once. */
#define FLOWSUM_SET_PREPARE(s, cnt)                                              \
	do {                                                                     \
		uint32_t want_ = flowsum_fit_cap((cnt), (s)->maxcap);            \
		if ((s)->cap == want_ || (s)->cap == 2 * want_ ||                \
		    FLOWSUM_SET_ALLOC((s), want_) < 0)                           \
			memset((s)->slot, 0, (s)->cap * sizeof(*(s)->slot));     \
		(s)->n = 0;                                                      \
	} while (0)

/* Slow paths: double the set (or mark the builder saturated), then add. */
void flowsum_set4_grow_add(struct flowsum_builder *b, uint32_t a, uint32_t bytes);
void flowsum_set6_grow_add(struct flowsum_builder *b, const uint64_t w[2], uint32_t bytes);
void flowsum_set_grow_add(struct flowsum_builder *b, struct flowsum_set *s, uint64_t v);

static inline void flowsum_set4_add(struct flowsum_builder *b, uint32_t a, uint32_t bytes)
{
	struct flowsum_set4 *s = &b->a4;
	uint32_t mask = s->cap - 1, i = flowsum_slot(a, b->seed, s->shift);
	struct flowsum_e4 *e;

	for (;; i = (i + 1) & mask) {
		e = &s->slot[i];
		if (!e->packets)
			break;
		if (e->addr == a) {
			e->packets += e->packets != UINT32_MAX;   /* stays in use */
			e->bytes += bytes;
			return;
		}
	}
	if (__builtin_expect(s->n >= s->lim, 0)) {
		flowsum_set4_grow_add(b, a, bytes);
		return;
	}
	e->addr = a;
	e->packets = 1;
	e->bytes = bytes;
	s->n++;
}

static inline void flowsum_set6_add(struct flowsum_builder *b, const uint64_t w[2], uint32_t bytes)
{
	struct flowsum_set6 *s = &b->a6;
	uint32_t mask = s->cap - 1, i = flowsum_slot6(w, b->seed, s->shift);
	struct flowsum_e6 *e;

	for (;; i = (i + 1) & mask) {
		e = &s->slot[i];
		if (!e->packets)
			break;
		if (e->w[0] == w[0] && e->w[1] == w[1]) {
			e->packets += e->packets != UINT32_MAX;
			e->bytes += bytes;
			return;
		}
	}
	if (__builtin_expect(s->n >= s->lim, 0)) {
		flowsum_set6_grow_add(b, w, bytes);
		return;
	}
	e->w[0] = w[0];
	e->w[1] = w[1];
	e->packets = 1;
	e->bytes = bytes;
	s->n++;
}

static inline void flowsum_set_add(struct flowsum_builder *b, struct flowsum_set *s, uint64_t v)
{
	uint32_t mask = s->cap - 1, i = flowsum_slot(v, b->seed, s->shift);
	uint64_t x;

	while ((x = s->slot[i])) {
		if (x == v)
			return;
		i = (i + 1) & mask;
	}
	if (__builtin_expect(s->n >= s->lim, 0)) {
		flowsum_set_grow_add(b, s, v);
		return;
	}
	s->slot[i] = v;
	s->n++;
}

/* The Bloom key of (kind, prefix length, value); w0 and w1 are the
 * value's bytes read as big-endian integers (IPv6: bytes 0-7 and 8-15;
 * others: the number in w0, w1 = 0).  Stored format: never change. */
static inline uint64_t flowsum_fmix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* (With w1 a constant 0, as for most keys, the inner F is folded away.) */
static inline uint64_t flowsum_key(unsigned kind, unsigned plen, uint64_t w0, uint64_t w1)
{
	uint64_t tag = (uint64_t)(kind << 8 | plen) * 0x9e3779b97f4a7c15ull;
	uint64_t h = flowsum_fmix64(w0 ^ tag ^ flowsum_fmix64(w1 ^ 0x243f6a8885a308d3ull));

	return h ? h : 1;             /* 0 marks an empty slot of a key set */
}

#endif
