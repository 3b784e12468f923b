/* Frame pruning (prune.h): the predicate tree that prune_parse.c builds,
 * simplified, and evaluated against a frame's flow summary.
 *
 * Three values, of which only two are kept: "no" (the summary proves that
 * no packet of the frame matches) and "may".  A leaf the summary models
 * says "no" when the summary proves the absence of what it tests; an
 * unknown leaf always "may".  "a and b": no when either is; "a or b":
 * when both are; "not a": always may, since a summary proves absence and
 * never that every packet has something (not not a is a).
 *
 * VLAN.  libpcap compiles each primitive after the k-th "vlan" keyword
 * (in the text, whatever the and/or/not around them) 4 * k bytes further
 * into the packet: "vlan or host X" tests untagged packets for X at bytes
 * that are not their addresses.  A leaf at depth k > 0 therefore means
 * what the summary recorded only for packets with k tags, and those are
 * known only where a conjunction holds "vlan" at every depth below k: a
 * packet matching "vlan and vlan and host X" has tag protocol IDs at
 * bytes 12 and 16, so the summary's parser, which takes the same three
 * (0x8100, 0x88a8, 0x9100) as libpcap, went through both tags and recorded
 * the addresses where libpcap reads them.  Elsewhere a leaf at depth
 * k > 0 is unknown.  How deep a frame's stacks go is not recorded, so
 * "vlan and vlan" proves nothing about a frame of single tags. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prune_int.h"

/* ---- simplification: drop what can never say "no" ---- */

static bool is_unknown(const struct prune *p, int32_t i)
{
	return p->n[i].kind == PRUNE_N_UNKNOWN;
}

/* The simplified copy of node i, appended to p->n (which has room: the
 * caller reserved twice the parsed size).  Unknown children of "and" go,
 * an unknown child makes "or" unknown, "not" is unknown unless doubled. */
static int32_t simplify(struct prune *p, int32_t i)
{
	struct prune_node *n = &p->n[i];
	int32_t r, c, s;

	switch (n->kind) {
	case PRUNE_N_NOT:
		c = n->child;
		if (p->n[c].kind == PRUNE_N_NOT)
			return simplify(p, p->n[c].child);
		r = (int32_t)p->nn++;
		memset(&p->n[r], 0, sizeof(p->n[r]));
		p->n[r].kind = PRUNE_N_UNKNOWN;
		p->n[r].child = p->n[r].last = p->n[r].next = -1;
		return r;
	case PRUNE_N_AND:
	case PRUNE_N_OR:
		r = (int32_t)p->nn++;
		p->n[r] = *n;
		p->n[r].child = p->n[r].last = p->n[r].next = -1;
		for (c = n->child; c >= 0; c = p->n[c].next) {
			s = simplify(p, c);
			if (is_unknown(p, s)) {
				if (n->kind == PRUNE_N_OR) {
					p->n[r].kind = PRUNE_N_UNKNOWN;
					p->n[r].child = p->n[r].last = -1;
					return r;
				}
				continue;
			}
			/* flatten: and(and(a, b), c) is and(a, b, c) */
			if (p->n[s].kind == n->kind) {
				for (int32_t g = p->n[s].child, nx; g >= 0; g = nx) {
					nx = p->n[g].next;
					if (p->n[r].last < 0)
						p->n[r].child = g;
					else
						p->n[p->n[r].last].next = g;
					p->n[r].last = g;
					p->n[g].next = -1;
				}
				continue;
			}
			if (p->n[r].last < 0)
				p->n[r].child = s;
			else
				p->n[p->n[r].last].next = s;
			p->n[r].last = s;
			p->n[s].next = -1;
		}
		if (p->n[r].child < 0)
			p->n[r].kind = PRUNE_N_UNKNOWN;
		else if (p->n[r].child == p->n[r].last)
			return p->n[r].child;
		return r;
	default:
		r = (int32_t)p->nn++;
		p->n[r] = *n;
		p->n[r].next = -1;
		return r;
	}
}

/* ---- evaluation ---- */

/* Whether a leaf at depth d is about the header under d tags for every
 * packet that can reach it: levels holds bit k when "vlan" at depth k is
 * known to hold (bytes 12 + 4k are a tag protocol ID). */
static bool depth_ok(unsigned d, uint64_t levels)
{
	uint64_t need = d >= 64 ? ~0ull : (1ull << d) - 1;

	return d <= PRUNE_MAX_DEPTH && (levels & need) == need;
}

/* The levels a conjunct establishes for every packet that matches it. */
static uint64_t establishes(const struct prune *p, int32_t i)
{
	const struct prune_node *n = &p->n[i];
	uint64_t l = 0;

	if (n->kind == PRUNE_N_VLAN && n->depth <= PRUNE_MAX_DEPTH)
		return 1ull << n->depth;
	if (n->kind == PRUNE_N_AND)
		for (int32_t c = n->child; c >= 0; c = p->n[c].next)
			l |= establishes(p, c);
	return l;
}

static bool leaf_may(const struct prune_node *n, const struct flowsum *fs)
{
	switch (n->kind) {
	case PRUNE_N_NET4:
		return n->plen == 32 ? flowsum_may_ip4(fs, n->addr)
				     : flowsum_may_net4(fs, n->addr, n->plen);
	case PRUNE_N_NET6:
		return n->plen == 128 ? flowsum_may_ip6(fs, n->addr)
				      : flowsum_may_net6(fs, n->addr, n->plen);
	case PRUNE_N_PORT:
		return n->lo == n->hi ? flowsum_may_port(fs, n->lo)
				      : flowsum_may_portrange(fs, n->lo, n->hi);
	case PRUNE_N_PROTO:
		return flowsum_may_proto(fs, (uint8_t)n->lo);
	case PRUNE_N_FLAG:
		return flowsum_may_flag(fs, n->flag);
	case PRUNE_N_VLAN:
		return n->has_id ? flowsum_may_vlan(fs, n->lo) : flowsum_may_flag(fs, FLOWSUM_F_VLAN);
	default:
		return true;
	}
}

/* fs NULL: whether node i can ever say "no" (prune_useful). */
static bool may(const struct prune *p, int32_t i, uint64_t levels, const struct flowsum *fs)
{
	const struct prune_node *n = &p->n[i];
	int32_t c;

	switch (n->kind) {
	case PRUNE_N_UNKNOWN:
		return true;
	case PRUNE_N_NOT:
		c = n->child;
		return p->n[c].kind == PRUNE_N_NOT ? may(p, p->n[c].child, levels, fs) : true;
	case PRUNE_N_AND:
		for (c = n->child; c >= 0; c = p->n[c].next)
			levels |= establishes(p, c);
		for (c = n->child; c >= 0; c = p->n[c].next)
			if (!may(p, c, levels, fs))
				return false;
		return true;
	case PRUNE_N_OR:
		for (c = n->child; c >= 0; c = p->n[c].next)
			if (may(p, c, levels, fs))
				return true;
		return false;
	default:
		if (!depth_ok(n->depth, levels))
			return true;
		return fs ? leaf_may(n, fs) : false;
	}
}

bool prune_may_match(const struct prune *p, const struct flowsum *fs)
{
	if (!p || !fs || p->root < 0)
		return true;
	return may(p, p->root, 0, fs);
}

bool prune_useful(const struct prune *p)
{
	return p && p->root >= 0 && !may(p, p->root, 0, NULL);
}

/* ---- description ---- */

struct out {
	char *buf;
	size_t len, pos;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->pos < o->len ? o->buf + o->pos : NULL, o->pos < o->len ? o->len - o->pos : 0,
		      fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos += (size_t)n;
}

static void describe(const struct prune *p, int32_t i, struct out *o)
{
	const struct prune_node *n = &p->n[i];
	char a[INET6_ADDRSTRLEN];

	switch (n->kind) {
	case PRUNE_N_AND:
	case PRUNE_N_OR:
	case PRUNE_N_NOT:
		put(o, "%s(", n->kind == PRUNE_N_AND ? "and" : n->kind == PRUNE_N_OR ? "or" : "not");
		for (int32_t c = n->child; c >= 0; c = p->n[c].next) {
			describe(p, c, o);
			if (p->n[c].next >= 0)
				put(o, ", ");
		}
		put(o, ")");
		return;
	case PRUNE_N_NET4:
	case PRUNE_N_NET6:
		inet_ntop(n->kind == PRUNE_N_NET4 ? AF_INET : AF_INET6, n->addr, a, sizeof(a));
		if (n->plen == (n->kind == PRUNE_N_NET4 ? 32 : 128))
			put(o, "host %s", a);
		else
			put(o, "net %s/%u", a, n->plen);
		break;
	case PRUNE_N_PORT:
		if (n->lo == n->hi)
			put(o, "port %u", n->lo);
		else
			put(o, "portrange %u-%u", n->lo, n->hi);
		break;
	case PRUNE_N_PROTO:
		put(o, "proto %u", n->lo);
		break;
	case PRUNE_N_FLAG:
		put(o, "%s", n->flag == FLOWSUM_F_IPV4 ? "ip" : n->flag == FLOWSUM_F_IPV6 ? "ip6"
			    : n->flag == FLOWSUM_F_ARP ? "arp" : "flag");
		break;
	case PRUNE_N_VLAN:
		if (n->has_id)
			put(o, "vlan %u", n->lo);
		else
			put(o, "vlan");
		break;
	default:
		put(o, "MAYBE");
		return;
	}
	if (n->depth)
		put(o, "@%u", n->depth);
}

static int describe_from(const struct prune *p, int32_t i, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };

	if (len)
		buf[0] = '\0';
	if (!p || i < 0)
		put(&o, "MAYBE");
	else
		describe(p, i, &o);
	return o.pos > INT32_MAX ? INT32_MAX : (int)o.pos;
}

int prune_describe(const struct prune *p, char *buf, size_t len)
{
	return describe_from(p, p ? p->root : -1, buf, len);
}

int prune_describe_raw(const struct prune *p, char *buf, size_t len)
{
	return describe_from(p, p ? p->raw : -1, buf, len);
}

/* ---- life ---- */

struct prune *prune_create(const char *expr)
{
	struct prune *p = calloc(1, sizeof(*p));
	struct prune_tok *toks;
	size_t nt, need;

	if (!p)
		return NULL;
	p->raw = p->root = -1;
	if (!expr)
		expr = "";
	toks = prune_lex(expr, &nt);
	if (!toks) {
		if (errno == ENOMEM)
			goto fail;
		return p;                     /* cannot be followed: may match */
	}
	if (prune_parse(p, expr, toks, nt) < 0) {
		free(toks);
		goto fail;
	}
	free(toks);
	if (p->raw < 0)
		return p;
	/* the simplified tree goes after the parsed one: at most one node per
	 * parsed node */
	need = 2 * p->nn + 1;
	if (need > p->cap) {
		struct prune_node *n = realloc(p->n, need * sizeof(*n));

		if (!n)
			goto fail;
		p->n = n;
		p->cap = need;
	}
	p->root = simplify(p, p->raw);
	if (is_unknown(p, p->root))
		p->root = -1;
	return p;
fail:
	prune_destroy(p);
	errno = ENOMEM;
	return NULL;
}

void prune_destroy(struct prune *p)
{
	if (!p)
		return;
	free(p->n);
	free(p);
}
