/* The parser's state and qualifiers, shared by prune_parse.c (the
 * grammar) and prune_leaf.c (what each primitive means). */
#ifndef CAPTURED_PRUNE_PP_H
#define CAPTURED_PRUNE_PP_H

#include "prune_int.h"

/* yacc's struct qual: protocol, direction and address qualifiers */
enum {
	PRUNE_QP_DEFAULT, PRUNE_QP_LINK, PRUNE_QP_IP, PRUNE_QP_IP6, PRUNE_QP_ARP, PRUNE_QP_RARP,
	PRUNE_QP_TCP, PRUNE_QP_UDP, PRUNE_QP_SCTP, PRUNE_QP_OTHER,
};
enum { PRUNE_QD_DEFAULT, PRUNE_QD_SRC, PRUNE_QD_DST, PRUNE_QD_OR, PRUNE_QD_AND, PRUNE_QD_OTHER };
enum {
	PRUNE_QA_DEFAULT, PRUNE_QA_HOST, PRUNE_QA_NET, PRUNE_QA_PORT, PRUNE_QA_PORTRANGE,
	PRUNE_QA_PROTO, PRUNE_QA_PROTOCHAIN, PRUNE_QA_GATEWAY, PRUNE_QA_ERR,
};

struct prune_qual {
	uint8_t proto, dir, addr;
};

struct prune_pp {
	const char *expr;
	const struct prune_tok *t;
	size_t pos;
	struct prune *p;
	unsigned vlans;               /* "vlan" keywords so far, in text order */
	unsigned long steps, max_steps;
	unsigned depth;
	bool abort;                   /* give up: out of memory or budget */
	bool oom;
};

/* A node of kind at the end of s->p->n: its index, or -1 (out of memory,
 * or the parse was given up). */
int32_t prune_pp_node(struct prune_pp *s, unsigned kind);
/* A modeled leaf, at the current VLAN depth (unknown past the deepest). */
int32_t prune_pp_leaf(struct prune_pp *s, unsigned kind);
/* a op b, flattening operands of the same op (both are associative) */
int32_t prune_pp_combine(struct prune_pp *s, unsigned op, int32_t a, int32_t b);

/* What one identifier means with the qualifiers q (gencode.c's
 * gen_ncode, gen_mcode, gen_mcode6, gen_scode): a modeled leaf, an "and"
 * of one with its protocol, or unknown. */
int32_t prune_leaf_num(struct prune_pp *s, struct prune_qual q, const struct prune_tok *t);
int32_t prune_leaf_hid(struct prune_pp *s, struct prune_qual q, const struct prune_tok *t,
		       const struct prune_tok *lenarg, const struct prune_tok *maskarg);
int32_t prune_leaf_hid6(struct prune_pp *s, struct prune_qual q, const struct prune_tok *t,
			const struct prune_tok *lenarg);
int32_t prune_leaf_id(struct prune_pp *s, struct prune_qual q, const struct prune_tok *t);
/* A protocol keyword alone ("tcp", "ip6"). */
int32_t prune_leaf_abbrev(struct prune_pp *s, unsigned kw);

#endif
