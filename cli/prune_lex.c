/* The tokenizer of frame pruning: libpcap's scanner (scanner.l) redone
 * closely enough that a filter libpcap accepts splits into the same
 * tokens.  flex takes the longest match and, among equally long ones, the
 * rule that comes first; each rule below returns its match length and
 * they are tried in scanner.l's order.  Values are computed as libpcap
 * computes them; one libpcap would reject gets ok = false (the filter
 * never reaches us then, but the token stays a token). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "prune_int.h"

struct kwent {
	const char *s;
	uint16_t kw;
};

static const struct kwent kwtab[] = {
	{ "dst", PRUNE_KW_DST }, { "src", PRUNE_KW_SRC },
	{ "link", PRUNE_KW_LINK }, { "ether", PRUNE_KW_LINK }, { "ppp", PRUNE_KW_LINK },
	{ "slip", PRUNE_KW_LINK }, { "fddi", PRUNE_KW_LINK }, { "tr", PRUNE_KW_LINK },
	{ "wlan", PRUNE_KW_LINK },
	{ "arp", PRUNE_KW_ARP }, { "rarp", PRUNE_KW_RARP }, { "ip", PRUNE_KW_IP },
	{ "sctp", PRUNE_KW_SCTP }, { "tcp", PRUNE_KW_TCP }, { "udp", PRUNE_KW_UDP },
	{ "icmp", PRUNE_KW_ICMP }, { "igmp", PRUNE_KW_IGMP }, { "igrp", PRUNE_KW_IGRP },
	{ "pim", PRUNE_KW_PIM }, { "vrrp", PRUNE_KW_VRRP }, { "carp", PRUNE_KW_CARP },
	{ "radio", PRUNE_KW_PNAME_OTHER }, { "ip6", PRUNE_KW_IP6 }, { "icmp6", PRUNE_KW_ICMP6 },
	{ "ah", PRUNE_KW_AH }, { "esp", PRUNE_KW_ESP },
	{ "atalk", PRUNE_KW_PNAME_OTHER }, { "aarp", PRUNE_KW_PNAME_OTHER },
	{ "decnet", PRUNE_KW_PNAME_OTHER }, { "lat", PRUNE_KW_PNAME_OTHER },
	{ "sca", PRUNE_KW_PNAME_OTHER }, { "moprc", PRUNE_KW_PNAME_OTHER },
	{ "mopdl", PRUNE_KW_PNAME_OTHER }, { "iso", PRUNE_KW_PNAME_OTHER },
	{ "esis", PRUNE_KW_PNAME_OTHER }, { "es-is", PRUNE_KW_PNAME_OTHER },
	{ "isis", PRUNE_KW_PNAME_OTHER }, { "is-is", PRUNE_KW_PNAME_OTHER },
	{ "l1", PRUNE_KW_PNAME_OTHER }, { "l2", PRUNE_KW_PNAME_OTHER },
	{ "iih", PRUNE_KW_PNAME_OTHER }, { "lsp", PRUNE_KW_PNAME_OTHER },
	{ "snp", PRUNE_KW_PNAME_OTHER }, { "csnp", PRUNE_KW_PNAME_OTHER },
	{ "psnp", PRUNE_KW_PNAME_OTHER }, { "clnp", PRUNE_KW_PNAME_OTHER },
	{ "stp", PRUNE_KW_PNAME_OTHER }, { "ipx", PRUNE_KW_PNAME_OTHER },
	{ "netbeui", PRUNE_KW_PNAME_OTHER },
	{ "host", PRUNE_KW_HOST }, { "net", PRUNE_KW_NET }, { "mask", PRUNE_KW_MASK },
	{ "port", PRUNE_KW_PORT }, { "portrange", PRUNE_KW_PORTRANGE },
	{ "proto", PRUNE_KW_PROTO }, { "protochain", PRUNE_KW_PROTOCHAIN },
	{ "gateway", PRUNE_KW_GATEWAY },
	{ "type", PRUNE_KW_FOREIGN }, { "subtype", PRUNE_KW_FOREIGN },
	{ "direction", PRUNE_KW_FOREIGN }, { "dir", PRUNE_KW_FOREIGN },
	{ "address1", PRUNE_KW_DIR80211 }, { "addr1", PRUNE_KW_DIR80211 },
	{ "address2", PRUNE_KW_DIR80211 }, { "addr2", PRUNE_KW_DIR80211 },
	{ "address3", PRUNE_KW_DIR80211 }, { "addr3", PRUNE_KW_DIR80211 },
	{ "address4", PRUNE_KW_DIR80211 }, { "addr4", PRUNE_KW_DIR80211 },
	{ "ra", PRUNE_KW_DIR80211 }, { "ta", PRUNE_KW_DIR80211 },
	{ "less", PRUNE_KW_LESS }, { "greater", PRUNE_KW_GREATER }, { "byte", PRUNE_KW_BYTE },
	{ "broadcast", PRUNE_KW_BROADCAST }, { "multicast", PRUNE_KW_MULTICAST },
	{ "and", PRUNE_KW_AND }, { "&&", PRUNE_KW_AND }, { "or", PRUNE_KW_OR },
	{ "||", PRUNE_KW_OR }, { "not", PRUNE_KW_NOT },
	{ "len", PRUNE_KW_LEN }, { "length", PRUNE_KW_LEN },
	{ "inbound", PRUNE_KW_INBOUND }, { "outbound", PRUNE_KW_OUTBOUND },
	{ "ifindex", PRUNE_KW_IFINDEX }, { "vlan", PRUNE_KW_VLAN },
	{ "mpls", PRUNE_KW_SHIFT }, { "pppoed", PRUNE_KW_SHIFT }, { "pppoes", PRUNE_KW_SHIFT },
	{ "geneve", PRUNE_KW_SHIFT }, { "vxlan", PRUNE_KW_SHIFT }, { "batadv", PRUNE_KW_SHIFT },
	{ "lane", PRUNE_KW_SHIFT }, { "llc", PRUNE_KW_LLC },
	{ "metac", PRUNE_KW_FOREIGN }, { "bcc", PRUNE_KW_FOREIGN }, { "oam", PRUNE_KW_FOREIGN },
	{ "oamf4", PRUNE_KW_FOREIGN }, { "oamf4ec", PRUNE_KW_FOREIGN },
	{ "oamf4sc", PRUNE_KW_FOREIGN }, { "sc", PRUNE_KW_FOREIGN }, { "ilmic", PRUNE_KW_FOREIGN },
	{ "vpi", PRUNE_KW_FOREIGN }, { "vci", PRUNE_KW_FOREIGN },
	{ "connectmsg", PRUNE_KW_FOREIGN }, { "metaconnect", PRUNE_KW_FOREIGN },
	{ "on", PRUNE_KW_FOREIGN }, { "ifname", PRUNE_KW_FOREIGN }, { "rset", PRUNE_KW_FOREIGN },
	{ "ruleset", PRUNE_KW_FOREIGN }, { "rnr", PRUNE_KW_RNR }, { "rulenum", PRUNE_KW_RNR },
	{ "srnr", PRUNE_KW_FOREIGN }, { "subrulenum", PRUNE_KW_FOREIGN },
	{ "reason", PRUNE_KW_FOREIGN }, { "action", PRUNE_KW_FOREIGN },
	{ "fisu", PRUNE_KW_FOREIGN }, { "lssu", PRUNE_KW_FOREIGN }, { "lsu", PRUNE_KW_FOREIGN },
	{ "msu", PRUNE_KW_FOREIGN }, { "hfisu", PRUNE_KW_FOREIGN }, { "hlssu", PRUNE_KW_FOREIGN },
	{ "hmsu", PRUNE_KW_FOREIGN }, { "sio", PRUNE_KW_FOREIGN }, { "opc", PRUNE_KW_FOREIGN },
	{ "dpc", PRUNE_KW_FOREIGN }, { "sls", PRUNE_KW_FOREIGN }, { "hsio", PRUNE_KW_FOREIGN },
	{ "hopc", PRUNE_KW_FOREIGN }, { "hdpc", PRUNE_KW_FOREIGN }, { "hsls", PRUNE_KW_FOREIGN },
};

/* Names the scanner turns into numbers (for byte tests); their value is
 * of no use here. */
static const char *const numnames[] = {
	"icmptype", "icmpcode", "icmp-echoreply", "icmp-unreach", "icmp-sourcequench",
	"icmp-redirect", "icmp-echo", "icmp-routeradvert", "icmp-routersolicit",
	"icmp-timxceed", "icmp-paramprob", "icmp-tstamp", "icmp-tstampreply", "icmp-ireq",
	"icmp-ireqreply", "icmp-maskreq", "icmp-maskreply", "icmp6type", "icmp6code",
	"icmp6-destinationunreach", "icmp6-packettoobig", "icmp6-timeexceeded",
	"icmp6-parameterproblem", "icmp6-echo", "icmp6-echoreply",
	"icmp6-multicastlistenerquery", "icmp6-multicastlistenerreportv1",
	"icmp6-multicastlistenerdone", "icmp6-routersolicit", "icmp6-routeradvert",
	"icmp6-neighborsolicit", "icmp6-neighboradvert", "icmp6-redirect", "icmp6-routerrenum",
	"icmp6-nodeinformationquery", "icmp6-nodeinformationresponse",
	"icmp6-ineighbordiscoverysolicit", "icmp6-ineighbordiscoveryadvert",
	"icmp6-multicastlistenerreportv2", "icmp6-homeagentdiscoveryrequest",
	"icmp6-homeagentdiscoveryreply", "icmp6-mobileprefixsolicit", "icmp6-mobileprefixadvert",
	"icmp6-certpathsolicit", "icmp6-certpathadvert", "icmp6-multicastrouteradvert",
	"icmp6-multicastroutersolicit", "icmp6-multicastrouterterm", "tcpflags", "tcp-fin",
	"tcp-syn", "tcp-rst", "tcp-push", "tcp-ack", "tcp-urg", "tcp-ece", "tcp-cwr",
};

/* A run of IPv6 characters (with a ':') longer than this gives up (see
 * m_v6): the longest address is 45 characters, unless its dotted quad
 * has long numbers, which libpcap would refuse. */
#define V6_SCAN_MAX 64

static size_t nhex(const char *s, size_t max)
{
	size_t i = 0;

	while (i < max && isxdigit((unsigned char)s[i]))
		i++;
	return i;
}

static size_t ndec(const char *s)
{
	size_t i = 0;

	while (isdigit((unsigned char)s[i]))
		i++;
	return i;
}

/* {N}: ([0-9]+|(0X|0x)[0-9A-Fa-f]+) */
static size_t m_num(const char *s)
{
	size_t h;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && (h = nhex(s + 2, SIZE_MAX)))
		return 2 + h;
	return ndec(s);
}

/* {N}\.{N} up to four parts */
static size_t m_hid(const char *s)
{
	size_t n = m_num(s), k;
	int parts = 1;

	if (!n)
		return 0;
	while (parts < 4 && s[n] == '.' && (k = m_num(s + n + 1))) {
		n += 1 + k;
		parts++;
	}
	return parts >= 2 ? n : 0;
}

/* B:B:B:B:B:B with sep ':', '-' or '.' (B: 1-2 hex digits) */
static size_t m_mac6(const char *s, char sep)
{
	size_t n = 0, h;

	for (int i = 0; i < 6; i++) {
		if (i && s[n++] != sep)
			return 0;
		if (!(h = nhex(s + n, 2)))
			return 0;
		n += h;
	}
	return n;
}

static size_t m_mac(const char *s)
{
	size_t best = m_mac6(s, ':'), n;

	if ((n = m_mac6(s, '-')) > best)
		best = n;
	if ((n = m_mac6(s, '.')) > best)
		best = n;
	if (nhex(s, 4) == 4 && s[4] == '.' && nhex(s + 5, 4) == 4 && s[9] == '.' &&
	    nhex(s + 10, 4) == 4 && 14 > best)
		best = 14;
	if (nhex(s, 12) == 12 && 12 > best)
		best = 12;
	return best;
}

/* {B}:+({B}:+)+ : a bogus MAC address (an error in libpcap) */
static size_t m_badmac(const char *s)
{
	size_t n = 0, h;
	int units = 0;

	for (;;) {
		size_t c = 0;

		if (!(h = nhex(s + n, 2)))
			break;
		while (s[n + h + c] == ':')
			c++;
		if (!c)
			break;
		n += h + c;
		units++;
	}
	return units >= 2 ? n : 0;
}

/* The ':'-separated fields of [f, e): hex groups of 1-4 digits, the last
 * one possibly a dotted quad (when quad_ok); counts them. */
static bool v6_fields(const char *f, const char *e, bool quad_ok, int *groups, bool *quad)
{
	while (f < e) {
		const char *p = memchr(f, ':', (size_t)(e - f));
		size_t n = (size_t)((p ? p : e) - f);

		if (n >= 1 && n <= 4 && nhex(f, n) == n) {
			(*groups)++;
		} else if (!p && quad_ok && n > 0 && n <= V6_SCAN_MAX) {
			char tmp[V6_SCAN_MAX + 1];
			int dots = 0;

			memcpy(tmp, f, n);
			tmp[n] = '\0';
			for (size_t i = 0; i < n; i++)
				dots += tmp[i] == '.';
			if (dots != 3 || m_hid(tmp) != n)
				return false;
			*quad = true;
		} else {
			return false;
		}
		if (!p)
			break;
		f = p + 1;
		if (f == e)
			return false;         /* a trailing single ':' */
	}
	return true;
}

/* Whether s[0..len) is one of scanner.l's IPv6 forms: hex groups of 1-4
 * digits, at most one "::", optionally ending in N.N.N.N; 8 groups
 * without "::" (6 and the dotted quad), at most 7 with it (5). */
static bool v6_form(const char *s, size_t len)
{
	const char *dc = NULL, *e = s + len;
	int groups = 0;
	bool quad = false;

	for (const char *p = s; p + 1 < e; p++) {
		if (p[0] == ':' && p[1] == ':') {
			if (dc)
				return false;     /* a second "::", or ":::" */
			dc = p;
		}
	}
	if (!dc) {
		if (!v6_fields(s, e, true, &groups, &quad))
			return false;
		return groups == (quad ? 6 : 8);
	}
	if (!v6_fields(s, dc, false, &groups, &quad) ||
	    !v6_fields(dc + 2, e, true, &groups, &quad))
		return false;
	return groups <= (quad ? 5 : 7);
}

/* The longest prefix of s in an IPv6 form; SIZE_MAX when the candidate
 * characters run on too long to check cheaply. */
static size_t m_v6(const char *s)
{
	size_t run = strspn(s, "0123456789abcdefABCDEFxX:.");

	if (!memchr(s, ':', run))
		return 0;
	if (run > V6_SCAN_MAX)
		return SIZE_MAX;
	for (size_t len = run; len >= 2; len--)
		if (v6_form(s, len))
			return len;
	return 0;
}

static size_t m_id(const char *s)
{
	size_t n;

	if (!isalnum((unsigned char)s[0]))
		return 0;
	n = 1 + strspn(s + 1, "-_.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
	while (n > 1 && (s[n - 1] == '-' || s[n - 1] == '_'))
		n--;
	return n;
}

/* stoulen(): 0x hex, 0 octal, else decimal; false on a bad digit or
 * overflow (libpcap's errors). */
static bool num_value(const char *s, size_t len, uint32_t *v)
{
	uint64_t x = 0;
	unsigned base = 10;
	size_t i = 0;

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	} else if (s[0] == '0') {
		base = 8;
	}
	for (; i < len; i++) {
		unsigned d = isdigit((unsigned char)s[i]) ? (unsigned)(s[i] - '0')
							    : (unsigned)(tolower((unsigned char)s[i]) - 'a' + 10);

		if (d >= base)
			return false;
		x = x * base + d;
		if (x > UINT32_MAX)
			return false;
	}
	*v = (uint32_t)x;
	return true;
}

/* __pcap_atoin(): decimal parts of at most 255, shifted into place. */
static bool hid_value(const char *s, size_t len, struct prune_tok *t)
{
	uint32_t a = 0, part = 0;
	int parts = 1;
	bool digit = false;

	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (!digit || part > 255)
				return false;
			a = a << 8 | part;
			if (i < len)
				parts++;
			part = 0;
			digit = false;
		} else if (isdigit((unsigned char)s[i])) {
			part = part * 10 + (uint32_t)(s[i] - '0');
			if (part > 255)
				return false;
			digit = true;
		} else {
			return false;             /* 0x parts: libpcap refuses them */
		}
	}
	t->bits = (uint8_t)(8 * parts);
	a <<= 32 - t->bits;
	t->addr[0] = (uint8_t)(a >> 24);
	t->addr[1] = (uint8_t)(a >> 16);
	t->addr[2] = (uint8_t)(a >> 8);
	t->addr[3] = (uint8_t)a;
	return true;
}

static const char single_ops[] = "+-*/%:[]!<>()&|^=";

/* One token at s (t->off and t->len relative to s): the number of
 * characters it takes, 0 to give up (a scan too long to trust). */
static size_t lex_one(const char *s, struct prune_tok *t)
{
	size_t best = 0, n;
	int rule = 0;
	const struct kwent *kw = NULL;

	/* rule 1: keywords (and "&&", "||"), longest first */
	for (size_t i = 0; i < sizeof(kwtab) / sizeof(kwtab[0]); i++) {
		if (kwtab[i].s[0] != s[0])
			continue;
		n = strlen(kwtab[i].s);
		if (n > best && !strncmp(s, kwtab[i].s, n)) {
			best = n;
			kw = &kwtab[i];
			rule = 1;
		}
	}
	/* rules 2 and 3: one- and two-character operators */
	if (strchr(single_ops, s[0]) && 1 > best) {
		best = 1;
		rule = 2;
	}
	if ((!strncmp(s, ">=", 2) || !strncmp(s, "<=", 2) || !strncmp(s, "!=", 2) ||
	     !strncmp(s, "==", 2) || !strncmp(s, "<<", 2) || !strncmp(s, ">>", 2)) && 2 > best) {
		best = 2;
		rule = 3;
	}
	/* rule 4: $B */
	if (s[0] == '$' && (n = nhex(s + 1, 2)) && n + 1 > best) {
		best = n + 1;
		rule = 4;
	}
	if ((n = m_mac(s)) > best) {
		best = n;
		rule = 5;
	}
	if ((n = m_num(s)) > best) {
		best = n;
		rule = 6;
	}
	if ((n = m_hid(s)) > best) {
		best = n;
		rule = 7;
	}
	n = m_v6(s);
	if (n == SIZE_MAX)
		return 0;
	if (n > best) {
		best = n;
		rule = 8;
	}
	if ((n = m_badmac(s)) > best) {
		best = n;
		rule = 9;
	}
	for (size_t i = 0; i < sizeof(numnames) / sizeof(numnames[0]) && (s[0] == 'i' || s[0] == 't');
	     i++) {
		if (numnames[i][0] != s[0])
			continue;
		n = strlen(numnames[i]);
		if (n > best && !strncmp(s, numnames[i], n)) {
			best = n;
			rule = 10;
		}
	}
	if ((n = m_id(s)) > best) {
		best = n;
		rule = 11;
	}
	if (s[0] == '\\' && (n = strcspn(s + 1, " !()\n\t")) && n + 1 > best) {
		best = n + 1;
		rule = 12;
	}
	if (!best) {
		best = 1;
		rule = 13;
	}
	t->len = (uint32_t)best;
	t->ok = true;
	switch (rule) {
	case 1:
		t->type = PRUNE_T_KW;
		t->kw = kw->kw;
		break;
	case 2:
		/* '!' is libpcap's "not" token */
		t->type = s[0] == '!' ? PRUNE_T_KW : PRUNE_T_OP;
		t->kw = s[0] == '!' ? PRUNE_KW_NOT : (unsigned char)s[0];
		break;
	case 3:
		t->type = PRUNE_T_OP;
		t->kw = s[0] == '>' ? (s[1] == '=' ? PRUNE_OP_GEQ : PRUNE_OP_RSH)
		      : s[0] == '<' ? (s[1] == '=' ? PRUNE_OP_LEQ : PRUNE_OP_LSH)
		      : s[0] == '!' ? PRUNE_OP_NEQ : '=';
		break;
	case 4:
		t->type = PRUNE_T_AID;
		break;
	case 5:
	case 9:
		t->type = PRUNE_T_EID;
		break;
	case 6:
		t->type = PRUNE_T_NUM;
		t->ok = num_value(s, best, &t->num);
		break;
	case 7:
		t->type = PRUNE_T_HID;
		t->ok = hid_value(s, best, t);
		break;
	case 8: {
		char tmp[V6_SCAN_MAX + 1];

		t->type = PRUNE_T_HID6;
		memcpy(tmp, s, best);
		tmp[best] = '\0';
		t->ok = inet_pton(AF_INET6, tmp, t->addr) == 1;
		break;
	}
	case 10:
		t->type = PRUNE_T_NUM;
		t->ok = false;                /* a byte-test constant: never an address or port here */
		break;
	case 11:
		t->type = PRUNE_T_ID;
		break;
	case 12:
		t->type = PRUNE_T_ID;
		t->off = 1;                   /* the name without the backslash */
		t->len = (uint32_t)best - 1;
		break;
	default:
		t->type = PRUNE_T_ERR;
		break;
	}
	return best;
}

struct prune_tok *prune_lex(const char *expr, size_t *n)
{
	size_t cap = 16, nt = 0, i = 0, len;
	struct prune_tok *t = malloc(cap * sizeof(*t)), *nt_;

	if (!t)
		return NULL;
	for (;;) {
		while (expr[i] == ' ' || expr[i] == '\t' || expr[i] == '\n' || expr[i] == '\r')
			i++;
		if (nt + 1 >= cap) {
			cap *= 2;
			nt_ = realloc(t, cap * sizeof(*t));
			if (!nt_) {
				free(t);
				errno = ENOMEM;
				return NULL;
			}
			t = nt_;
		}
		memset(&t[nt], 0, sizeof(t[nt]));
		if (!expr[i]) {
			t[nt].type = PRUNE_T_END;
			t[nt].off = (uint32_t)i;
			break;
		}
		if (i > UINT32_MAX / 2 || !(len = lex_one(expr + i, &t[nt]))) {
			free(t);
			errno = E2BIG;
			return NULL;
		}
		t[nt].off += (uint32_t)i;
		i += len;
		nt++;
	}
	*n = nt;
	return t;
}
