/* Source: synthetic Ethernet/IPv4/UDP packets, to measure the writer
 * without a NIC.  Sizes: "64", "imix" (7:4:1 of 64, 576, 1500 bytes), or
 * "MIN-MAX" (uniform).  Half of the payloads are random bytes, half a
 * repeated pattern, so compression has realistic work.
 *
 * Without a rate it is lossless like a file: it waits for the writer, and
 * timestamps advance 100 ns per packet from the wall clock at start.  With
 * a rate it behaves like a NIC: packets are paced at that rate, never wait,
 * and are dropped (and counted) when the writer's ring is full; timestamps
 * follow the pacing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "source.h"

#define SYNTH_MAX 9000
/* large enough that zstd's window cannot find the "random" payloads again */
#define RANDOM_POOL (8u << 20)

struct src_synth {
	uint64_t count, sent, rate;
	unsigned min, max;
	bool imix;
	uint64_t rng;
	uint8_t pkt[SYNTH_MAX];
	uint8_t *random;
};

static uint64_t next_rand(uint64_t *s)
{
	/* xorshift64*: reproducible and cheap, quality is beside the point */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

static int parse_sizes(struct src_synth *s, const char *opt)
{
	unsigned a, b;
	char c;

	if (!opt || !strcmp(opt, "64")) {
		s->min = s->max = 64;
	} else if (!strcmp(opt, "imix")) {
		s->imix = true;
	} else if (sscanf(opt, "%u-%u%c", &a, &b, &c) == 2 && a >= 60 && b >= a &&
		   b <= SYNTH_MAX) {
		s->min = a;
		s->max = b;
	} else if (sscanf(opt, "%u%c", &a, &c) == 1 && a >= 60 && a <= SYNTH_MAX) {
		s->min = s->max = a;
	} else {
		return -EINVAL;
	}
	return 0;
}

static void *synth_create(const struct source_args *a, char *err, size_t errlen)
{
	struct src_synth *s = calloc(1, sizeof(*s));
	const char *arg = a->arg, *opt = a->size;
	char *end;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	errno = 0;
	s->count = strtoull(arg, &end, 10);
	if (errno || *end || !s->count || parse_sizes(s, opt)) {
		snprintf(err, errlen, "synthetic source: want a packet count > 0 and a size "
			 "of 64, imix, N or MIN-MAX (60..%d); got '%s' '%s'", SYNTH_MAX, arg,
			 opt ? opt : "");
		free(s);
		errno = EINVAL;
		return NULL;
	}
	s->rate = a->rate;
	s->random = malloc(RANDOM_POOL);
	if (!s->random) {
		snprintf(err, errlen, "out of memory");
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	s->rng = 0x9E3779B97F4A7C15ull;
	for (size_t i = 0; i < RANDOM_POOL; i += 8) {
		uint64_t v = next_rand(&s->rng);

		memcpy(s->random + i, &v, 8);
	}
	return s;
}

static void synth_destroy(void *ctx)
{
	struct src_synth *s = ctx;

	free(s->random);
	free(s);
}

static void synth_info(void *ctx, struct source_info *info)
{
	struct src_synth *s = ctx;

	memset(info, 0, sizeof(*info));
	info->lossless = !s->rate;
	info->linktype = 1;  /* Ethernet */
	info->snaplen = SYNTH_MAX;
	snprintf(info->label, sizeof(info->label), "synthetic");
	snprintf(info->name, sizeof(info->name), "synthetic");
	snprintf(info->description, sizeof(info->description),
		 "synthetic packets for benchmarks; timestamps are made up (wall clock "
		 "at start + %s per packet)", s->rate ? "1/rate" : "100 ns");
}

static unsigned pick_size(struct src_synth *s, uint64_t r)
{
	static const unsigned mix[12] = { 64, 64, 64, 64, 64, 64, 64, 576, 576, 576, 576, 1500 };

	if (s->imix)
		return mix[r % 12];
	return s->min + (unsigned)(r % (s->max - s->min + 1));
}

static void build(struct src_synth *s, unsigned len, uint64_t r)
{
	static const uint8_t eth[14] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00 };
	uint8_t *ip = s->pkt + 14, *udp = ip + 20;
	uint16_t iplen = (uint16_t)(len - 14), ulen = (uint16_t)(iplen - 20);

	memcpy(s->pkt, eth, sizeof(eth));
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = iplen >> 8;
	ip[3] = iplen & 0xff;
	ip[8] = 64;
	ip[9] = 17;
	/* private 10/8 addresses: they exist only inside the capture */
	ip[12] = 10; ip[13] = (r >> 8) & 0xff; ip[14] = (r >> 16) & 0xff; ip[15] = 1;
	ip[16] = 10; ip[17] = (r >> 24) & 0xff; ip[18] = 2; ip[19] = (r >> 32) & 0xff;
	udp[0] = (r >> 40) & 0xff; udp[1] = (r >> 48) & 0xff;
	udp[2] = 0; udp[3] = 53;
	udp[4] = ulen >> 8; udp[5] = ulen & 0xff;
	udp[6] = udp[7] = 0;
	if (r & 1)
		memcpy(udp + 8, s->random + (r >> 3) % (RANDOM_POOL - SYNTH_MAX), len - 42);
	else
		memset(udp + 8, 'a' + (int)(r % 26), len - 42);
}

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Holds the sender to its rate: checked every 32 packets, sleeping only
 * when well ahead, so pacing stays smooth at millions of packets/s. */
static void pace(const struct src_synth *s, uint64_t m0)
{
	uint64_t due = m0 + s->sent * 1000000000u / s->rate, now = mono_ns();

	if (due > now + 200000) {
		struct timespec d = { 0, (long)(due - now - 100000) };

		nanosleep(&d, NULL);
	}
	while (mono_ns() < due)
		;
}

static int synth_run(void *ctx, struct feeder *f, volatile sig_atomic_t *stop, char *err,
		     size_t errlen)
{
	struct src_synth *s = ctx;
	uint64_t step = s->rate ? 1000000000u / s->rate : 100;
	struct timespec now;
	uint64_t t0, m0 = mono_ns();

	(void)err;
	(void)errlen;
	clock_gettime(CLOCK_REALTIME, &now);
	t0 = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	for (; s->sent < s->count && !*stop; s->sent++) {
		uint64_t r = next_rand(&s->rng);
		unsigned len = pick_size(s, r);

		if (s->rate && !(s->sent & 31))
			pace(s, m0);
		build(s, len, r);
		/* at a rate, a full ring drops the packet: the feeder counts it */
		feeder_add(f, t0 + s->sent * step, s->pkt, len, len, 0, -1);
	}
	return 0;
}

static void synth_stats(void *ctx, struct source_stats *st)
{
	struct src_synth *s = ctx;

	st->packets = s->sent;
	st->ifdrop = 0;
}

const struct source_ops src_synth_ops = {
	.name = "synthetic",
	.create = synth_create,
	.destroy = synth_destroy,
	.info = synth_info,
	.run = synth_run,
	.stats = synth_stats,
};
