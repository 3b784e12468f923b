#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "talkers.h"

/* Open addressing, linear probing; grows at half full. */
struct talkers {
	struct talker *slot;
	size_t cap, n;
};

struct talkers *talkers_create(void)
{
	struct talkers *t = calloc(1, sizeof(*t));

	if (t) {
		t->cap = 1024;
		t->slot = calloc(t->cap, sizeof(*t->slot));
	}
	if (!t || !t->slot) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void talkers_destroy(struct talkers *t)
{
	if (t)
		free(t->slot);
	free(t);
}

static size_t hash(uint8_t family, const uint8_t *addr)
{
	uint64_t h = 1469598103934665603ull ^ family;

	for (int i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 1099511628211ull;
	return (size_t)(h ^ h >> 29);
}

static struct talker *find(struct talker *slot, size_t cap, uint8_t family,
			   const uint8_t *addr)
{
	size_t i = hash(family, addr) & (cap - 1);

	while (slot[i].family && (slot[i].family != family || memcmp(slot[i].addr, addr, 16)))
		i = (i + 1) & (cap - 1);
	return &slot[i];
}

static int grow(struct talkers *t)
{
	size_t cap = t->cap * 2;
	struct talker *s = calloc(cap, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i].family)
			*find(s, cap, t->slot[i].family, t->slot[i].addr) = t->slot[i];
	free(t->slot);
	t->slot = s;
	t->cap = cap;
	return 0;
}

int talkers_add(struct talkers *t, uint8_t family, const uint8_t *addr, double packets,
		double bytes)
{
	uint8_t key[16] = { 0 };
	struct talker *s;

	memcpy(key, addr, family == 4 ? 4 : 16);
	if (2 * (t->n + 1) > t->cap && grow(t))
		return -ENOMEM;
	s = find(t->slot, t->cap, family, key);
	if (!s->family) {
		s->family = family;
		memcpy(s->addr, key, 16);
		t->n++;
	}
	s->packets += packets;
	s->bytes += bytes;
	return 0;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Offset of the network header and its ethertype-like kind (0x0800 IPv4,
 * 0x86DD IPv6, 0: by the version nibble); false when there is none. */
static bool net_header(uint16_t linktype, const uint8_t *d, uint32_t len, uint32_t *off,
		       uint16_t *kind)
{
	uint32_t af;

	switch (linktype) {
	case 1:         /* Ethernet, under any stack of 802.1Q/802.1ad tags */
		*off = 12;
		while (*off + 2 <= len && (be16(d + *off) == 0x8100 || be16(d + *off) == 0x88A8 ||
					  be16(d + *off) == 0x9100))
			*off += 4;
		if (*off + 2 > len)
			return false;
		*kind = be16(d + *off);
		*off += 2;
		return true;
	case 101:       /* raw IP */
		*off = 0;
		*kind = 0;
		return true;
	case 228: *off = 0; *kind = 0x0800; return true;
	case 229: *off = 0; *kind = 0x86DD; return true;
	case 113:       /* Linux cooked v1: protocol at 14 */
		if (len < 16)
			return false;
		*off = 16;
		*kind = be16(d + 14);
		return true;
	case 276:       /* Linux cooked v2: protocol at 0 */
		if (len < 20)
			return false;
		*off = 20;
		*kind = be16(d);
		return true;
	case 0: case 108: /* BSD loopback: AF in host order (NULL) or network order (LOOP) */
		if (len < 4)
			return false;
		memcpy(&af, d, 4);
		if (linktype == 108 || af > 0xFFFF)
			af = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
		*off = 4;
		*kind = af == 2 ? 0x0800 : (af == 10 || af == 24 || af == 28 || af == 30) ? 0x86DD : 1;
		return *kind != 1;
	default:
		return false;
	}
}

int talkers_packet(struct talkers *t, uint16_t linktype, const uint8_t *data, uint32_t caplen,
		   uint32_t origlen)
{
	uint32_t off;
	uint16_t kind;
	const uint8_t *ip;
	int rc;

	if (!net_header(linktype, data, caplen, &off, &kind) || off >= caplen)
		return 0;
	ip = data + off;
	if (!kind)
		kind = (ip[0] >> 4) == 4 ? 0x0800 : (ip[0] >> 4) == 6 ? 0x86DD : 1;
	if (kind == 0x0800 && caplen - off >= 20 && (ip[0] >> 4) == 4) {
		rc = talkers_add(t, 4, ip + 12, 1, origlen);
		if (!rc && memcmp(ip + 12, ip + 16, 4))
			rc = talkers_add(t, 4, ip + 16, 1, origlen);
		return rc;
	}
	if (kind == 0x86DD && caplen - off >= 40 && (ip[0] >> 4) == 6) {
		rc = talkers_add(t, 6, ip + 8, 1, origlen);
		if (!rc && memcmp(ip + 8, ip + 24, 16))
			rc = talkers_add(t, 6, ip + 24, 1, origlen);
		return rc;
	}
	return 0;
}

static int cmp_talker(const void *a, const void *b)
{
	const struct talker *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->packets != y->packets)
		return x->packets > y->packets ? -1 : 1;
	return x->family != y->family ? x->family - y->family : memcmp(x->addr, y->addr, 16);
}

size_t talkers_top(const struct talkers *t, struct talker *top, size_t n)
{
	struct talker *all = malloc((t->n ? t->n : 1) * sizeof(*all));
	size_t k = 0;

	if (!all)
		return 0;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i].family)
			all[k++] = t->slot[i];
	qsort(all, k, sizeof(*all), cmp_talker);
	if (k > n)
		k = n;
	memcpy(top, all, k * sizeof(*top));
	free(all);
	return k;
}

const char *talker_addr(const struct talker *tk, char *buf, size_t len)
{
	if (!inet_ntop(tk->family == 4 ? AF_INET : AF_INET6, tk->addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}
