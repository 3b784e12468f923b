/* Internals of frame pruning (prune.h), shared by the lexer
 * (prune_lex.c), the parser (prune_parse.c) and the evaluator (prune.c),
 * and visible to the unit tests. */
#ifndef CAPTURED_PRUNE_INT_H
#define CAPTURED_PRUNE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prune.h"

/* ---- tokens: what libpcap's scanner (scanner.l) would return ---- */

enum prune_tk {
	PRUNE_T_END,
	PRUNE_T_NUM,                  /* number (decimal, 0x hex, 0 octal) */
	PRUNE_T_HID,                  /* dotted IPv4 address or prefix, 2 to 4 parts */
	PRUNE_T_HID6,                 /* IPv6 address */
	PRUNE_T_EID,                  /* MAC address (or a bogus one) */
	PRUNE_T_AID,                  /* $xx (ARCnet) */
	PRUNE_T_ID,                   /* name; a backslash-escaped keyword too */
	PRUNE_T_KW,                   /* keyword: kw */
	PRUNE_T_OP,                   /* operator or punctuation: kw */
	PRUNE_T_ERR,                  /* a character libpcap's scanner rejects */
};

/* Two-character operators (single ones are their character). */
enum { PRUNE_OP_GEQ = 256, PRUNE_OP_LEQ, PRUNE_OP_NEQ, PRUNE_OP_LSH, PRUNE_OP_RSH };

/* Keywords, by what the grammar does with them. */
enum prune_kw {
	PRUNE_KW_NONE,
	/* protocol names (pname), in the order of prune_pname_info */
	PRUNE_KW_LINK, PRUNE_KW_IP, PRUNE_KW_IP6, PRUNE_KW_ARP, PRUNE_KW_RARP,
	PRUNE_KW_TCP, PRUNE_KW_UDP, PRUNE_KW_SCTP, PRUNE_KW_ICMP, PRUNE_KW_ICMP6,
	PRUNE_KW_IGMP, PRUNE_KW_IGRP, PRUNE_KW_PIM, PRUNE_KW_VRRP, PRUNE_KW_CARP,
	PRUNE_KW_AH, PRUNE_KW_ESP, PRUNE_KW_PNAME_OTHER,   /* decnet, iso, stp, ... */
	PRUNE_KW_PNAME_LAST = PRUNE_KW_PNAME_OTHER,
	/* qualifiers */
	PRUNE_KW_SRC, PRUNE_KW_DST, PRUNE_KW_DIR80211,     /* addr1..4, ra, ta */
	PRUNE_KW_HOST, PRUNE_KW_NET, PRUNE_KW_PORT, PRUNE_KW_PORTRANGE,
	PRUNE_KW_PROTO, PRUNE_KW_PROTOCHAIN, PRUNE_KW_GATEWAY, PRUNE_KW_MASK,
	/* logic */
	PRUNE_KW_AND, PRUNE_KW_OR, PRUNE_KW_NOT,
	/* other primitives */
	PRUNE_KW_LEN, PRUNE_KW_LESS, PRUNE_KW_GREATER, PRUNE_KW_BYTE,
	PRUNE_KW_BROADCAST, PRUNE_KW_MULTICAST, PRUNE_KW_INBOUND, PRUNE_KW_OUTBOUND,
	PRUNE_KW_IFINDEX, PRUNE_KW_VLAN, PRUNE_KW_LLC, PRUNE_KW_RNR,
	/* after these libpcap reads at other offsets (or they belong to other
	 * link types): the whole expression is "may match" */
	PRUNE_KW_SHIFT,               /* mpls, pppoes, pppoed, geneve, vxlan, lane, batadv */
	PRUNE_KW_FOREIGN,             /* 802.11, pf, ATM, SS7 keywords */
};

struct prune_tok {
	uint8_t type;                 /* PRUNE_T_* */
	bool ok;                      /* the value below is valid (libpcap would take it) */
	uint16_t kw;                  /* PRUNE_T_KW: prune_kw; PRUNE_T_OP: operator */
	uint8_t bits;                 /* PRUNE_T_HID: 8 * number of parts */
	uint32_t num;                 /* PRUNE_T_NUM */
	uint8_t addr[16];             /* PRUNE_T_HID (4 bytes, short forms shifted left), HID6 */
	uint32_t off, len;            /* the token's text in the expression */
};

/* The tokens of expr into a malloc'ed array ending with PRUNE_T_END; its
 * length (without the end) in *n.  NULL and errno: ENOMEM, or E2BIG when
 * the expression cannot be tokenized with confidence (then pruning gives
 * up, which is always sound). */
struct prune_tok *prune_lex(const char *expr, size_t *n);

/* ---- the predicate tree ---- */

enum prune_nk {
	PRUNE_N_UNKNOWN,              /* may match: never proves anything */
	PRUNE_N_AND, PRUNE_N_OR, PRUNE_N_NOT,
	PRUNE_N_NET4,                 /* addr, plen (32: host) */
	PRUNE_N_NET6,                 /* addr, plen (128: host) */
	PRUNE_N_PORT,                 /* lo..hi */
	PRUNE_N_PROTO,                /* lo */
	PRUNE_N_FLAG,                 /* flag (FLOWSUM_F_*) */
	PRUNE_N_VLAN,                 /* has_id: lo is the VLAN ID */
};

/* Leaves at depth d were compiled after d "vlan" keywords: libpcap reads
 * them 4 * d bytes further in, which is the header under d tags only for
 * packets that have them (see prune.c). */
#define PRUNE_MAX_DEPTH 63

struct prune_node {
	uint8_t kind;                 /* PRUNE_N_* */
	uint8_t plen;
	uint8_t depth;
	bool has_id;
	uint16_t lo, hi;
	uint32_t flag;
	uint8_t addr[16];
	int32_t child, last, next;    /* first and last child, next sibling; -1 none */
};

struct prune {
	struct prune_node *n;
	size_t nn, cap;
	int32_t raw;                  /* the parsed tree, -1: gave up (may match) */
	int32_t root;                 /* the simplified one, -1: may match */
};

/* Parses toks (nt of them) of expr into p->n and p->raw.  0, or -ENOMEM;
 * an expression it cannot follow leaves p->raw -1. */
int prune_parse(struct prune *p, const char *expr, const struct prune_tok *toks, size_t nt);

/* The parsed tree before simplification, as prune_describe writes it
 * ("MAYBE" when the parser gave up), for tests of the parser. */
int prune_describe_raw(const struct prune *p, char *buf, size_t len);

#endif
