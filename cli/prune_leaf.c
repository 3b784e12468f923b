/* What each primitive means (gencode.c): the leaves of the pruning
 * predicate, built as libpcap builds its code for them, and unknown where
 * a summary cannot answer or the meaning depends on name lookups. */
#include <netdb.h>
#include <string.h>

#include "flowsum.h"
#include "prune_pp.h"

static int32_t with_proto(struct prune_pp *s, unsigned proto, int32_t l)
{
	int32_t q;

	if (l < 0 || proto == PRUNE_QP_DEFAULT)
		return l;
	if (proto == PRUNE_QP_TCP || proto == PRUNE_QP_UDP || proto == PRUNE_QP_SCTP) {
		q = prune_pp_leaf(s, PRUNE_N_PROTO);
		if (q >= 0)
			s->p->n[q].lo = proto == PRUNE_QP_TCP ? 6 : proto == PRUNE_QP_UDP ? 17 : 132;
	} else {
		q = prune_pp_leaf(s, PRUNE_N_FLAG);
		if (q >= 0)
			s->p->n[q].flag = proto == PRUNE_QP_IP ? FLOWSUM_F_IPV4
					: proto == PRUNE_QP_IP6 ? FLOWSUM_F_IPV6 : FLOWSUM_F_ARP;
	}
	return q < 0 ? -1 : prune_pp_combine(s, PRUNE_N_AND, q, l);
}

static int32_t net4(struct prune_pp *s, unsigned proto, uint32_t a, unsigned plen)
{
	int32_t l;

	if (proto != PRUNE_QP_DEFAULT && proto != PRUNE_QP_IP && proto != PRUNE_QP_ARP &&
	    proto != PRUNE_QP_RARP)
		return prune_pp_node(s, PRUNE_N_UNKNOWN);
	if (plen < 32)
		a &= plen ? ~0u << (32 - plen) : 0;
	if ((l = prune_pp_leaf(s, PRUNE_N_NET4)) < 0)
		return -1;
	s->p->n[l].plen = (uint8_t)plen;
	s->p->n[l].addr[0] = (uint8_t)(a >> 24);
	s->p->n[l].addr[1] = (uint8_t)(a >> 16);
	s->p->n[l].addr[2] = (uint8_t)(a >> 8);
	s->p->n[l].addr[3] = (uint8_t)a;
	return with_proto(s, proto, l);
}

static int32_t ports(struct prune_pp *s, unsigned proto, uint32_t lo, uint32_t hi)
{
	int32_t l;

	if ((proto != PRUNE_QP_DEFAULT && proto != PRUNE_QP_TCP && proto != PRUNE_QP_UDP &&
	     proto != PRUNE_QP_SCTP) || lo > 65535 || hi > 65535)
		return prune_pp_node(s, PRUNE_N_UNKNOWN);
	if ((l = prune_pp_leaf(s, PRUNE_N_PORT)) < 0)
		return -1;
	s->p->n[l].lo = (uint16_t)(lo < hi ? lo : hi);
	s->p->n[l].hi = (uint16_t)(lo < hi ? hi : lo);
	return with_proto(s, proto, l);
}

/* "proto N" and friends: an IP protocol, or an ethertype the flags name */
static int32_t protocol(struct prune_pp *s, unsigned proto, uint32_t v)
{
	int32_t l;

	if (proto == PRUNE_QP_LINK) {
		uint32_t f = v == 0x0800 ? FLOWSUM_F_IPV4 : v == 0x86dd ? FLOWSUM_F_IPV6
			   : v == 0x0806 || v == 0x8035 ? FLOWSUM_F_ARP : 0;

		if (!f || (l = prune_pp_leaf(s, PRUNE_N_FLAG)) < 0)
			return f ? -1 : prune_pp_node(s, PRUNE_N_UNKNOWN);
		s->p->n[l].flag = f;
		return l;
	}
	if ((proto != PRUNE_QP_DEFAULT && proto != PRUNE_QP_IP && proto != PRUNE_QP_IP6) || v > 255)
		return prune_pp_node(s, PRUNE_N_UNKNOWN);
	if ((l = prune_pp_leaf(s, PRUNE_N_PROTO)) < 0)
		return -1;
	s->p->n[l].lo = (uint16_t)v;
	return with_proto(s, proto, l);
}

/* gen_ncode(NULL, v, q): a number as host (all 32 bits), a short net
 * shifted up past its leading zero bytes ("net 10" is 10/8, "net 256"
 * 1.0/16), a port or a protocol */
int32_t prune_leaf_num(struct prune_pp *s, struct prune_qual q, const struct prune_tok *t)
{
	uint32_t v = t->num;
	unsigned plen = 32;

	if (!t->ok || q.dir == PRUNE_QD_OTHER)
		return prune_pp_node(s, PRUNE_N_UNKNOWN);
	switch (q.addr) {
	case PRUNE_QA_DEFAULT:
	case PRUNE_QA_HOST:
	case PRUNE_QA_NET:
		if (q.addr == PRUNE_QA_NET) {
			while (v && !(v & 0xff000000u)) {
				v <<= 8;
				plen -= 8;
			}
		}
		return net4(s, q.proto, v, plen);
	case PRUNE_QA_PORT:
	case PRUNE_QA_PORTRANGE:
		return ports(s, q.proto, v, v);
	case PRUNE_QA_PROTO:
		return protocol(s, q.proto, v);
	default:
		return prune_pp_node(s, PRUNE_N_UNKNOWN);
	}
}

/* gen_ncode/gen_mcode on a dotted address: short forms are prefixes
 * ("host 1.2" is 1.2/16), a "/len" or "mask M" narrows; a mask that is
 * not a prefix is taken by its leading ones (fewer bits compared, a
 * superset of the packets) */
int32_t prune_leaf_hid(struct prune_pp *s, struct prune_qual q, const struct prune_tok *t,
			const struct prune_tok *lenarg, const struct prune_tok *maskarg)
{
	uint32_t a = (uint32_t)t->addr[0] << 24 | (uint32_t)t->addr[1] << 16 |
		     (uint32_t)t->addr[2] << 8 | t->addr[3];
	unsigned plen = t->bits;

	if (!t->ok || q.dir == PRUNE_QD_OTHER ||
	    (q.addr != PRUNE_QA_DEFAULT && q.addr != PRUNE_QA_HOST && q.addr != PRUNE_QA_NET))
		return prune_pp_node(s, PRUNE_N_UNKNOWN);
	if (lenarg) {
		if (!lenarg->ok || lenarg->num > 32)
			return prune_pp_node(s, PRUNE_N_UNKNOWN);
		plen = lenarg->num;
	} else if (maskarg) {
		uint32_t m = (uint32_t)maskarg->addr[0] << 24 | (uint32_t)maskarg->addr[1] << 16 |
			     (uint32_t)maskarg->addr[2] << 8 | maskarg->addr[3];

		if (!maskarg->ok)
			return prune_pp_node(s, PRUNE_N_UNKNOWN);
		for (plen = 0; plen < 32 && (m & (0x80000000u >> plen)); plen++)
			;
	}
	return net4(s, q.proto, a, plen);
}

int32_t prune_leaf_hid6(struct prune_pp *s, struct prune_qual q, const struct prune_tok *t,
			 const struct prune_tok *lenarg)
{
	unsigned plen = 128;
	int32_t l;

	if (!t->ok || q.dir == PRUNE_QD_OTHER ||
	    (q.proto != PRUNE_QP_DEFAULT && q.proto != PRUNE_QP_IP6) ||
	    (q.addr != PRUNE_QA_DEFAULT && q.addr != PRUNE_QA_HOST && q.addr != PRUNE_QA_NET))
		return prune_pp_node(s, PRUNE_N_UNKNOWN);
	if (lenarg) {
		if (!lenarg->ok || lenarg->num > 128)
			return prune_pp_node(s, PRUNE_N_UNKNOWN);
		plen = lenarg->num;
	}
	if ((l = prune_pp_leaf(s, PRUNE_N_NET6)) < 0)
		return -1;
	s->p->n[l].plen = (uint8_t)plen;
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = plen >= 8 * (i + 1) ? 8 : plen > 8 * i ? plen - 8 * i : 0;

		s->p->n[l].addr[i] = (uint8_t)(t->addr[i] & (0xff00u >> keep));
	}
	return with_proto(s, q.proto, l);
}

/* A decimal number of at most 5 digits at *p, advanced past it. */
static bool dec5(const char **p, const char *e, uint32_t *v)
{
	const char *b = *p;

	*v = 0;
	while (*p < e && **p >= '0' && **p <= '9' && *p - b < 5)
		*v = *v * 10 + (uint32_t)(*(*p)++ - '0');
	return *p > b && (*p == e || **p < '0' || **p > '9');
}

/* gen_scode: names.  Only "portrange N-M" (read by sscanf("%d-%d"): leading
 * zeros are decimal) and protocol names (looked up as libpcap looks them
 * up) mean something here; host, net and service names are unknown. */
int32_t prune_leaf_id(struct prune_pp *s, struct prune_qual q, const struct prune_tok *t)
{
	const char *b = s->expr + t->off, *e = b + t->len, *p = b;
	uint32_t lo, hi;

	if (q.dir == PRUNE_QD_OTHER)
		return prune_pp_node(s, PRUNE_N_UNKNOWN);
	if (q.addr == PRUNE_QA_PORTRANGE) {
		if (dec5(&p, e, &lo) && p < e && *p++ == '-' && dec5(&p, e, &hi) && p == e)
			return ports(s, q.proto, lo, hi);
		return prune_pp_node(s, PRUNE_N_UNKNOWN);
	}
	if (q.addr == PRUNE_QA_PROTO && t->len < 64) {
		char name[64], buf[1024];
		struct protoent pe, *r = NULL;

		memcpy(name, b, t->len);
		name[t->len] = '\0';
		if (q.proto == PRUNE_QP_LINK) {
			uint32_t v = !strcmp(name, "ip") ? 0x0800 : !strcmp(name, "ip6") ? 0x86dd
				   : !strcmp(name, "arp") ? 0x0806 : !strcmp(name, "rarp") ? 0x8035 : 0;

			return v ? protocol(s, PRUNE_QP_LINK, v) : prune_pp_node(s, PRUNE_N_UNKNOWN);
		}
		if ((q.proto == PRUNE_QP_DEFAULT || q.proto == PRUNE_QP_IP || q.proto == PRUNE_QP_IP6) &&
		    !getprotobyname_r(name, &pe, buf, sizeof(buf), &r) && r)
			return protocol(s, q.proto, (uint32_t)r->p_proto);
	}
	return prune_pp_node(s, PRUNE_N_UNKNOWN);
}

/* gen_proto_abbrev: a protocol name alone (checked with tcpdump -d:
 * tcp, udp, sctp, ah, esp, pim are IPv4 or IPv6; icmp, igmp, igrp, vrrp,
 * carp IPv4 only; icmp6 IPv6 only; the summary's protocol set holds both) */
int32_t prune_leaf_abbrev(struct prune_pp *s, unsigned kw)
{
	static const struct { uint16_t kw, proto; } tab[] = {
		{ PRUNE_KW_TCP, 6 }, { PRUNE_KW_UDP, 17 }, { PRUNE_KW_SCTP, 132 },
		{ PRUNE_KW_ICMP, 1 }, { PRUNE_KW_ICMP6, 58 }, { PRUNE_KW_IGMP, 2 },
		{ PRUNE_KW_IGRP, 9 }, { PRUNE_KW_PIM, 103 }, { PRUNE_KW_VRRP, 112 },
		{ PRUNE_KW_CARP, 112 }, { PRUNE_KW_AH, 51 }, { PRUNE_KW_ESP, 50 },
	};
	int32_t l;

	if (kw == PRUNE_KW_IP || kw == PRUNE_KW_IP6 || kw == PRUNE_KW_ARP || kw == PRUNE_KW_RARP) {
		if ((l = prune_pp_leaf(s, PRUNE_N_FLAG)) >= 0)
			s->p->n[l].flag = kw == PRUNE_KW_IP ? FLOWSUM_F_IPV4
					: kw == PRUNE_KW_IP6 ? FLOWSUM_F_IPV6 : FLOWSUM_F_ARP;
		return l;
	}
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (tab[i].kw == kw) {
			if ((l = prune_pp_leaf(s, PRUNE_N_PROTO)) >= 0)
				s->p->n[l].lo = tab[i].proto;
			return l;
		}
	}
	return prune_pp_node(s, PRUNE_N_UNKNOWN);
}
