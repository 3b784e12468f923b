/* The parser of frame pruning: libpcap's grammar (grammar.y) by recursive
 * descent, down to what a flow summary can answer.  What it must get
 * exactly right is the structure: "and" and "or" have equal precedence
 * and associate left to right, "not" binds tighter, and an identifier
 * without keywords takes the qualifiers of the one before it (yacc's
 * $<blk>0: "host a or b", "tcp dst port 80 or 443", "host a and (b or
 * c)", "host a and not b", and after a parenthesized group the
 * qualifiers from before the parenthesis).  Where the grammar has
 * alternatives that yacc tells apart by lookahead (an arithmetic
 * comparison, a group of expressions, a group of identifiers, all after
 * "("), the parser tries them in turn: for a filter libpcap accepts they
 * match disjoint token strings.  Leaves are built as gencode.c builds
 * them (gen_ncode, gen_mcode, gen_scode...) for host/net/port/portrange/
 * proto and protocol names; anything else is unknown.  Whatever the
 * parser cannot follow makes the whole filter "may match". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "prune_pp.h"

static const struct prune_qual qerr = { PRUNE_QP_DEFAULT, PRUNE_QD_DEFAULT, PRUNE_QA_ERR };

struct mark {
	size_t pos, nn;
	unsigned vlans;
};

#define MAX_DEPTH 200

static struct mark save(const struct prune_pp *s)
{
	return (struct mark){ s->pos, s->p->nn, s->vlans };
}

static void restore(struct prune_pp *s, struct mark m)
{
	s->pos = m.pos;
	s->p->nn = m.nn;
	s->vlans = m.vlans;
}

static const struct prune_tok *cur(const struct prune_pp *s)
{
	return &s->t[s->pos];
}

static const struct prune_tok *peek(const struct prune_pp *s, size_t k)
{
	for (size_t i = 0; i <= k; i++)
		if (s->t[s->pos + i].type == PRUNE_T_END)
			return &s->t[s->pos + i];
	return &s->t[s->pos + k];
}

static bool is_kw(const struct prune_tok *t, unsigned kw)
{
	return t->type == PRUNE_T_KW && t->kw == kw;
}

static bool is_op(const struct prune_tok *t, unsigned op)
{
	return t->type == PRUNE_T_OP && t->kw == op;
}

static bool is_pname(const struct prune_tok *t)
{
	return t->type == PRUNE_T_KW && t->kw >= PRUNE_KW_LINK && t->kw <= PRUNE_KW_PNAME_LAST;
}

/* Counts work and nesting: false (and abort) past the budget, so that
 * backtracking over a pathological filter stays cheap. */
static bool enter(struct prune_pp *s)
{
	if (s->abort || ++s->steps > s->max_steps || ++s->depth > MAX_DEPTH) {
		s->abort = true;
		return false;
	}
	return true;
}

int32_t prune_pp_node(struct prune_pp *s, unsigned kind)
{
	struct prune *p = s->p;
	struct prune_node *n;

	if (s->abort)
		return -1;
	if (p->nn == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 32;

		if (cap > INT32_MAX || !(n = realloc(p->n, cap * sizeof(*n)))) {
			s->abort = s->oom = true;
			return -1;
		}
		p->n = n;
		p->cap = cap;
	}
	n = &p->n[p->nn];
	memset(n, 0, sizeof(*n));
	n->kind = (uint8_t)kind;
	n->child = n->last = n->next = -1;
	return (int32_t)p->nn++;
}

static void add_child(struct prune *p, int32_t parent, int32_t c)
{
	struct prune_node *n = &p->n[parent];

	if (n->last < 0)
		n->child = c;
	else
		p->n[n->last].next = c;
	n->last = c;
	p->n[c].next = -1;
}

int32_t prune_pp_combine(struct prune_pp *s, unsigned op, int32_t a, int32_t b)
{
	int32_t r = prune_pp_node(s, op), x[2] = { a, b };

	if (r < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		if (s->p->n[x[i]].kind == op) {
			for (int32_t c = s->p->n[x[i]].child, nx; c >= 0; c = nx) {
				nx = s->p->n[c].next;
				add_child(s->p, r, c);
			}
		} else {
			add_child(s->p, r, x[i]);
		}
	}
	return r;
}

static int32_t unary(struct prune_pp *s, unsigned op, int32_t c)
{
	int32_t r = prune_pp_node(s, op);

	if (r >= 0)
		add_child(s->p, r, c);
	return r;
}

int32_t prune_pp_leaf(struct prune_pp *s, unsigned kind)
{
	int32_t r;

	if (s->vlans > PRUNE_MAX_DEPTH)
		return prune_pp_node(s, PRUNE_N_UNKNOWN);
	r = prune_pp_node(s, kind);
	if (r >= 0)
		s->p->n[r].depth = (uint8_t)s->vlans;
	return r;
}

static int32_t parse_expr(struct prune_pp *s, struct prune_qual inh, struct prune_qual *qout);
static int32_t parse_id(struct prune_pp *s, struct prune_qual inh);

/* pnum: NUM | '(' pnum ')' */
static bool parse_pnum(struct prune_pp *s, const struct prune_tok **num)
{
	if (cur(s)->type == PRUNE_T_NUM) {
		*num = cur(s);
		s->pos++;
		return true;
	}
	if (is_op(cur(s), '(') && enter(s)) {
		bool ok;

		s->pos++;
		ok = parse_pnum(s, num) && is_op(cur(s), ')');
		s->pos += ok;
		s->depth--;
		return ok;
	}
	return false;
}

/* arith: unary { binop unary }; unary: '-' unary | NUM | len |
 * pname '[' arith [':' NUM] ']' | '(' arith ')' */
static bool parse_arith(struct prune_pp *s)
{
	bool ok = false;

	if (!enter(s))
		return false;
	for (;;) {
		const struct prune_tok *t = cur(s);

		while (is_op(cur(s), '-'))
			s->pos++;
		t = cur(s);
		if (t->type == PRUNE_T_NUM || is_kw(t, PRUNE_KW_LEN)) {
			s->pos++;
		} else if (is_pname(t) && is_op(peek(s, 1), '[')) {
			s->pos += 2;
			if (!parse_arith(s))
				goto out;
			if (is_op(cur(s), ':')) {
				if (peek(s, 1)->type != PRUNE_T_NUM)
					goto out;
				s->pos += 2;
			}
			if (!is_op(cur(s), ']'))
				goto out;
			s->pos++;
		} else if (is_op(t, '(')) {
			s->pos++;
			if (!parse_arith(s) || !is_op(cur(s), ')'))
				goto out;
			s->pos++;
		} else {
			goto out;
		}
		t = cur(s);
		if (t->type == PRUNE_T_OP &&
		    ((t->kw < 256 && strchr("+-*/%&|^", t->kw)) || t->kw == PRUNE_OP_LSH ||
		     t->kw == PRUNE_OP_RSH)) {
			s->pos++;
			continue;
		}
		ok = true;
		break;
	}
out:
	s->depth--;
	return ok;
}

/* arith relop arith: a byte test, unknown */
static int32_t parse_cmp(struct prune_pp *s)
{
	struct mark m = save(s);
	const struct prune_tok *t;

	if (parse_arith(s)) {
		t = cur(s);
		if (t->type == PRUNE_T_OP &&
		    (t->kw == '=' || t->kw == '<' || t->kw == '>' || t->kw == PRUNE_OP_GEQ ||
		     t->kw == PRUNE_OP_LEQ || t->kw == PRUNE_OP_NEQ)) {
			s->pos++;
			if (parse_arith(s))
				return prune_pp_node(s, PRUNE_N_UNKNOWN);
		}
	}
	restore(s, m);
	return -1;
}

static bool is_head_start(const struct prune_tok *t)
{
	return t->type == PRUNE_T_KW &&
	       (t->kw == PRUNE_KW_SRC || t->kw == PRUNE_KW_DST || t->kw == PRUNE_KW_DIR80211 ||
		t->kw == PRUNE_KW_HOST || t->kw == PRUNE_KW_NET || t->kw == PRUNE_KW_PORT ||
		t->kw == PRUNE_KW_PORTRANGE || t->kw == PRUNE_KW_PROTO ||
		t->kw == PRUNE_KW_PROTOCHAIN || t->kw == PRUNE_KW_GATEWAY);
}

static int aqual(const struct prune_tok *t)
{
	if (t->type != PRUNE_T_KW)
		return -1;
	switch (t->kw) {
	case PRUNE_KW_HOST: return PRUNE_QA_HOST;
	case PRUNE_KW_NET: return PRUNE_QA_NET;
	case PRUNE_KW_PORT: return PRUNE_QA_PORT;
	case PRUNE_KW_PORTRANGE: return PRUNE_QA_PORTRANGE;
	default: return -1;
	}
}

/* head: pqual dqual aqual | pqual dqual | pqual aqual | pqual proto |
 * pqual protochain | pqual gateway (pqual already read) */
static bool parse_head(struct prune_pp *s, unsigned proto, struct prune_qual *q)
{
	const struct prune_tok *t = cur(s);
	int a;

	*q = (struct prune_qual){ (uint8_t)proto, PRUNE_QD_DEFAULT, PRUNE_QA_DEFAULT };
	if (is_kw(t, PRUNE_KW_SRC) || is_kw(t, PRUNE_KW_DST)) {
		unsigned other = t->kw == PRUNE_KW_SRC ? PRUNE_KW_DST : PRUNE_KW_SRC;

		q->dir = t->kw == PRUNE_KW_SRC ? PRUNE_QD_SRC : PRUNE_QD_DST;
		s->pos++;
		/* "src or dst", "dst and src": one qualifier */
		if ((is_kw(cur(s), PRUNE_KW_AND) || is_kw(cur(s), PRUNE_KW_OR)) &&
		    is_kw(peek(s, 1), other)) {
			q->dir = is_kw(cur(s), PRUNE_KW_AND) ? PRUNE_QD_AND : PRUNE_QD_OR;
			s->pos += 2;
		}
	} else if (is_kw(t, PRUNE_KW_DIR80211)) {
		q->dir = PRUNE_QD_OTHER;
		s->pos++;
	} else {
		if ((a = aqual(t)) < 0)
			a = is_kw(t, PRUNE_KW_PROTO) ? PRUNE_QA_PROTO
			  : is_kw(t, PRUNE_KW_PROTOCHAIN) ? PRUNE_QA_PROTOCHAIN
			  : is_kw(t, PRUNE_KW_GATEWAY) ? PRUNE_QA_GATEWAY : -1;
		if (a < 0)
			return false;
		q->addr = (uint8_t)a;
		s->pos++;
		return true;
	}
	if ((a = aqual(cur(s))) >= 0) {
		q->addr = (uint8_t)a;
		s->pos++;
	}
	return true;
}

static unsigned pname_proto(unsigned kw)
{
	switch (kw) {
	case PRUNE_KW_LINK: return PRUNE_QP_LINK;
	case PRUNE_KW_IP: return PRUNE_QP_IP;
	case PRUNE_KW_IP6: return PRUNE_QP_IP6;
	case PRUNE_KW_ARP: return PRUNE_QP_ARP;
	case PRUNE_KW_RARP: return PRUNE_QP_RARP;
	case PRUNE_KW_TCP: return PRUNE_QP_TCP;
	case PRUNE_KW_UDP: return PRUNE_QP_UDP;
	case PRUNE_KW_SCTP: return PRUNE_QP_SCTP;
	default: return PRUNE_QP_OTHER;
	}
}

/* The primitives that are not "head id" ("other" in grammar.y). */
static int32_t parse_other(struct prune_pp *s)
{
	const struct prune_tok *t = cur(s), *num = NULL;
	int32_t r;

	s->pos++;
	switch (t->kw) {
	case PRUNE_KW_BROADCAST:
	case PRUNE_KW_MULTICAST:
	case PRUNE_KW_INBOUND:
	case PRUNE_KW_OUTBOUND:
		return prune_pp_node(s, PRUNE_N_UNKNOWN);
	case PRUNE_KW_LESS:
	case PRUNE_KW_GREATER:
	case PRUNE_KW_IFINDEX:
		if (cur(s)->type != PRUNE_T_NUM)
			return -1;
		s->pos++;
		return prune_pp_node(s, PRUNE_N_UNKNOWN);
	case PRUNE_KW_BYTE:
		if (cur(s)->type != PRUNE_T_NUM || peek(s, 1)->type != PRUNE_T_OP ||
		    !strchr("&|<>=", peek(s, 1)->kw < 256 ? peek(s, 1)->kw : 'x') ||
		    peek(s, 2)->type != PRUNE_T_NUM)
			return -1;
		s->pos += 3;
		return prune_pp_node(s, PRUNE_N_UNKNOWN);
	case PRUNE_KW_LLC:
		if (cur(s)->type == PRUNE_T_ID || is_kw(cur(s), PRUNE_KW_RNR))
			s->pos++;
		return prune_pp_node(s, PRUNE_N_UNKNOWN);
	case PRUNE_KW_VLAN:
		/* "vlan [ID]": every primitive after it is compiled 4 bytes
		 * further in (see prune.c) */
		if ((cur(s)->type == PRUNE_T_NUM || is_op(cur(s), '(')) && !parse_pnum(s, &num))
			return -1;
		if ((r = prune_pp_leaf(s, PRUNE_N_VLAN)) >= 0 && s->p->n[r].kind == PRUNE_N_VLAN && num) {
			if (num->ok && num->num <= 4095) {
				s->p->n[r].has_id = true;
				s->p->n[r].lo = (uint16_t)num->num;
			} else {
				s->p->n[r].kind = PRUNE_N_UNKNOWN;
			}
		}
		s->vlans++;
		return r;
	default:
		/* mpls, pppoe, geneve...: other offsets; 802.11, pf, ATM, SS7:
		 * other link types.  Pruning gives up. */
		s->abort = true;
		return -1;
	}
}

/* term: not term | '(' expr ')' | head id | pname | arith relop arith |
 * other.  *qout: what a following bare identifier takes. */
static int32_t parse_term(struct prune_pp *s, struct prune_qual inh, struct prune_qual *qout)
{
	const struct prune_tok *t = cur(s);
	struct prune_qual hq;
	struct mark m;
	int32_t r = -1, c;

	*qout = qerr;
	if (!enter(s))
		return -1;
	if (is_kw(t, PRUNE_KW_NOT)) {
		s->pos++;
		if ((c = parse_term(s, inh, qout)) >= 0)
			r = unary(s, PRUNE_N_NOT, c);
	} else if (is_op(t, '(')) {
		if ((r = parse_cmp(s)) < 0 && !s->abort) {
			m = save(s);
			s->pos++;
			if ((c = parse_expr(s, inh, &hq)) >= 0 && is_op(cur(s), ')')) {
				s->pos++;
				r = c;
				*qout = inh;          /* paren's $<blk>0 */
			} else {
				restore(s, m);
			}
		}
	} else if (t->type == PRUNE_T_NUM || is_op(t, '-') || is_kw(t, PRUNE_KW_LEN)) {
		r = parse_cmp(s);
	} else if (is_pname(t)) {
		if (is_op(peek(s, 1), '[')) {
			r = parse_cmp(s);
		} else {
			s->pos++;
			if (is_head_start(cur(s))) {
				if (parse_head(s, pname_proto(t->kw), &hq) && (r = parse_id(s, hq)) >= 0)
					*qout = hq;
			} else if (is_kw(cur(s), PRUNE_KW_BROADCAST) ||
				   is_kw(cur(s), PRUNE_KW_MULTICAST)) {
				s->pos++;
				r = prune_pp_node(s, PRUNE_N_UNKNOWN);
			} else if (cur(s)->type == PRUNE_T_KW && cur(s)->kw == PRUNE_KW_FOREIGN) {
				s->abort = true;      /* "wlan type ...": 802.11 */
			} else {
				r = prune_leaf_abbrev(s, t->kw);
			}
		}
	} else if (is_head_start(t)) {
		if (parse_head(s, PRUNE_QP_DEFAULT, &hq) && (r = parse_id(s, hq)) >= 0)
			*qout = hq;
	} else if (t->type == PRUNE_T_KW) {
		r = parse_other(s);
	}
	s->depth--;
	return r;
}

/* pid: id { and|or id }, all taking the qualifiers from before the '(' */
static int32_t parse_pid(struct prune_pp *s, struct prune_qual inh)
{
	int32_t r = parse_id(s, inh), c;

	while (r >= 0 && (is_kw(cur(s), PRUNE_KW_AND) || is_kw(cur(s), PRUNE_KW_OR))) {
		unsigned op = is_kw(cur(s), PRUNE_KW_AND) ? PRUNE_N_AND : PRUNE_N_OR;

		s->pos++;
		c = parse_id(s, inh);
		r = c < 0 ? -1 : prune_pp_combine(s, op, r, c);
	}
	return r;
}

/* id: not id | '(' pid ')' | NUM | ID | HID [/len | mask HID] | HID6 [/len]
 * | EID | AID, with the qualifiers inh */
static int32_t parse_id(struct prune_pp *s, struct prune_qual inh)
{
	const struct prune_tok *t = cur(s);
	int32_t r = -1, c;

	if (t->type == PRUNE_T_END || !enter(s))
		return -1;
	s->pos++;
	switch (t->type) {
	case PRUNE_T_KW:
		if (t->kw == PRUNE_KW_NOT && (c = parse_id(s, inh)) >= 0)
			r = unary(s, PRUNE_N_NOT, c);
		break;
	case PRUNE_T_OP:
		if (t->kw == '(' && (c = parse_pid(s, inh)) >= 0 && is_op(cur(s), ')')) {
			s->pos++;
			r = c;
		}
		break;
	case PRUNE_T_NUM:
		r = prune_leaf_num(s, inh, t);
		break;
	case PRUNE_T_ID:
		r = prune_leaf_id(s, inh, t);
		break;
	case PRUNE_T_HID:
		if (is_op(cur(s), '/') || is_kw(cur(s), PRUNE_KW_MASK)) {
			bool len = is_op(cur(s), '/');
			const struct prune_tok *a = peek(s, 1);

			if (a->type != (len ? PRUNE_T_NUM : PRUNE_T_HID))
				break;
			s->pos += 2;
			r = prune_leaf_hid(s, inh, t, len ? a : NULL, len ? NULL : a);
		} else {
			r = prune_leaf_hid(s, inh, t, NULL, NULL);
		}
		break;
	case PRUNE_T_HID6:
		if (is_op(cur(s), '/')) {
			if (peek(s, 1)->type != PRUNE_T_NUM)
				break;
			s->pos += 2;
			r = prune_leaf_hid6(s, inh, t, &s->t[s->pos - 1]);
		} else {
			r = prune_leaf_hid6(s, inh, t, NULL);
		}
		break;
	case PRUNE_T_EID:
	case PRUNE_T_AID:
		r = prune_pp_node(s, PRUNE_N_UNKNOWN);
		break;
	default:
		break;
	}
	s->depth--;
	return r;
}

/* expr: term { (and|or) (term|id) }, left to right, equal precedence */
static int32_t parse_expr(struct prune_pp *s, struct prune_qual inh, struct prune_qual *qout)
{
	struct prune_qual q, q2;
	struct mark m;
	int32_t l, c;

	if (!enter(s))
		return -1;
	l = parse_term(s, inh, &q);
	while (l >= 0 && (is_kw(cur(s), PRUNE_KW_AND) || is_kw(cur(s), PRUNE_KW_OR))) {
		unsigned op = is_kw(cur(s), PRUNE_KW_AND) ? PRUNE_N_AND : PRUNE_N_OR;

		s->pos++;
		m = save(s);
		if ((c = parse_term(s, q, &q2)) < 0 && !s->abort) {
			restore(s, m);
			c = parse_id(s, q);   /* "expr and id": the qualifiers go on */
			q2 = q;
		}
		l = c < 0 ? -1 : prune_pp_combine(s, op, l, c);
		q = q2;
	}
	*qout = q;
	s->depth--;
	return l;
}

int prune_parse(struct prune *p, const char *expr, const struct prune_tok *toks, size_t nt)
{
	struct prune_pp s = { .expr = expr, .t = toks, .p = p };
	struct prune_qual q;
	int32_t r;

	s.max_steps = 20000 + 200 * (unsigned long)nt;
	p->raw = -1;
	for (size_t i = 0; i < nt; i++)
		if (toks[i].type == PRUNE_T_ERR ||
		    (toks[i].type == PRUNE_T_KW && toks[i].kw == PRUNE_KW_SHIFT))
			return 0;
	if (!nt) {
		p->raw = prune_pp_node(&s, PRUNE_N_UNKNOWN);
		return s.oom ? -ENOMEM : 0;
	}
	r = parse_expr(&s, qerr, &q);
	if (s.oom)
		return -ENOMEM;
	if (r >= 0 && !s.abort && cur(&s)->type == PRUNE_T_END)
		p->raw = r;
	return 0;
}
