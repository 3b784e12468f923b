/* captured's configuration: one option table, and everything derived from
 * it (file, command line, validation, man page); see config.h. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "config.h"

#define KI (1LL << 10)
#define MI (1LL << 20)
#define GI (1LL << 30)
#define TI (1LL << 40)
#define PI (1LL << 50)
#define SEC 1000000000LL
#define DAY (86400 * SEC)

/* The file holds lines of at most 199 characters (libinih's limit), so a
 * longer string could be set but not written back by config_print. */
#define STR_MAX 180

enum ctype { CT_STRING, CT_INT, CT_SIZE, CT_DURATION, CT_ENUM, CT_LEVEL, CT_BOOL, CT_MODE };

static const struct {
	const char *name;       /* in the man page */
	const char *syntax;     /* in errors: what a value must look like */
} ctypes[] = {
	[CT_STRING] = { "string", "a string" },
	[CT_INT] = { "int", "an integer" },
	[CT_SIZE] = { "size", "a size (integer with optional K, M, G, T or P suffix)" },
	[CT_DURATION] = { "duration", "a duration (integer with optional ns, us, ms, s, m, h or d)" },
	[CT_ENUM] = { "enum", "one of" },
	[CT_LEVEL] = { "level", "an integer or adaptive" },
	[CT_BOOL] = { "bool", "a boolean (yes, no, true, false, on, off, 1, 0)" },
	[CT_MODE] = { "mode", "an octal file mode (0660)" },
};

struct opt_desc {
	const char *key;
	enum ctype type;
	const char *def;        /* parsed like any value, so it is validated too */
	int64_t min, max;
	bool zero_ok;           /* 0 ("no limit") allowed below min; strings: "" allowed */
	bool reload;
	const char *const *names;       /* CT_ENUM: values, NULL-terminated */
	const char *help;
};

static const char *const compression_names[] = { "zstd", "none", NULL };
static const char *const backend_names[] = { "auto", "afxdp", "afpacket", NULL };
static const char *const fanout_names[] = { "hash", "queue", "cpu", NULL };
static const char *const timestamp_names[] = { "auto", "hardware", "software", NULL };
static const char *const xdp_mode_names[] = { "auto", "native", "generic", NULL };
static const char *const clock_source_names[] = { "auto", "ptp4l", "system", "none", NULL };

#define OPT(k, t, d, lo, hi, z, r, n, h) \
	{ .key = k, .type = t, .def = d, .min = lo, .max = hi, .zero_ok = z, .reload = r, \
	  .names = n, .help = h }

static const struct opt_desc opts[CONFIG_NOPTS] = {
	[CONFIG_STORE] = OPT("store", CT_STRING, "./store", 0, 0, 0, 0, NULL,
			     "The store directory"),
	[CONFIG_COMPRESSION] = OPT("compression", CT_ENUM, "zstd", 0, 0, 0, 1, compression_names,
				   "Compression of capture files: zstd frames, or plain pcapng"),
	[CONFIG_LEVEL] = OPT("level", CT_LEVEL, "3", -7, 19, 0, 1, NULL,
			     "zstd level; 0 stores uncompressed zstd frames, adaptive follows the load"),
	[CONFIG_FRAME_SIZE] = OPT("frame_size", CT_SIZE, "1M", 4 * KI, 64 * MI, 0, 1, NULL,
				  "Uncompressed bytes per zstd frame"),
	[CONFIG_ROTATE_SIZE] = OPT("rotate_size", CT_SIZE, "1G", MI, TI, 0, 1, NULL,
				   "Bytes written per file before a new file"),
	[CONFIG_ROTATE_TIME] = OPT("rotate_time", CT_DURATION, "1h", SEC, 7 * DAY, 0, 1, NULL,
				   "Packet-time span per file before a new file"),
	[CONFIG_RETAIN_SIZE] = OPT("retain_size", CT_SIZE, "0", MI, PI, 1, 1, NULL,
				   "Store byte budget, oldest files removed first; 0 means no limit"),
	[CONFIG_RETAIN_AGE] = OPT("retain_age", CT_DURATION, "0", 60 * SEC, 3650 * DAY, 1, 1, NULL,
				  "Finished files last written longer ago are removed; 0 means no limit"),
	[CONFIG_RING_BATCHES] = OPT("ring_batches", CT_INT, "64", 4, 65536, 0, 0, NULL,
				    "Batches in the SPSC ring of each writer"),
	[CONFIG_BATCH_SIZE] = OPT("batch_size", CT_SIZE, "256K", 64 * KI, 16 * MI, 0, 0, NULL,
				  "Bytes per batch handed to a writer"),
	[CONFIG_SNAPLEN] = OPT("snaplen", CT_INT, "262144", 64, 262144, 0, 0, NULL,
			       "Bytes captured per packet"),
	[CONFIG_INTERFACE] = OPT("interface", CT_STRING, "", 0, 0, 1, 0, NULL,
				 "Network interface to capture from (the -i option)"),
	[CONFIG_BACKEND] = OPT("backend", CT_ENUM, "auto", 0, 0, 0, 0, backend_names,
			       "Capture path: AF_XDP, AF_PACKET TPACKET_V3, or auto (AF_XDP where it "
			       "works, AF_PACKET otherwise)"),
	[CONFIG_QUEUES] = OPT("queues", CT_STRING, "all", 0, 0, 0, 0, NULL,
			      "RX queues to capture, one worker each: all, or a list such as 0,2-3"),
	[CONFIG_CPUS] = OPT("cpus", CT_STRING, "auto", 0, 0, 0, 0, NULL,
			    "Cores for the workers, in queue order: auto (the interface's NUMA node), "
			    "or a list such as 2,4-6"),
	[CONFIG_FANOUT] = OPT("fanout", CT_ENUM, "hash", 0, 0, 0, 0, fanout_names,
			      "AF_PACKET: how packets are spread over the workers: by flow hash, by "
			      "RX queue, or by receiving CPU"),
	[CONFIG_RING_SIZE] = OPT("ring_size", CT_SIZE, "64M", MI, 16 * GI, 0, 0, NULL,
				 "Kernel ring memory per worker: TPACKET_V3 blocks, or AF_XDP UMEM"),
	[CONFIG_PROMISC] = OPT("promisc", CT_BOOL, "yes", 0, 0, 0, 0, NULL,
			       "Put the interface in promiscuous mode"),
	[CONFIG_FILTER] = OPT("filter", CT_STRING, "", 0, 0, 1, 0, NULL,
			      "Capture filter in pcap-filter(7) syntax; empty captures everything"),
	[CONFIG_TIMESTAMP] = OPT("timestamp", CT_ENUM, "auto", 0, 0, 0, 0, timestamp_names,
				 "Timestamp source: hardware where the NIC can (auto), hardware or "
				 "refuse to start, or software"),
	[CONFIG_XDP_MODE] = OPT("xdp_mode", CT_ENUM, "auto", 0, 0, 0, 0, xdp_mode_names,
				"AF_XDP: attach the XDP program in the driver (native), in the "
				"generic path, or native where it works (auto)"),
	[CONFIG_BUSY_POLL] = OPT("busy_poll", CT_BOOL, "no", 0, 0, 0, 0, NULL,
				 "AF_XDP: busy-poll the queue instead of waiting for interrupts"),
	[CONFIG_XDP_ALLOW_ADDRESSED] = OPT("xdp_allow_addressed", CT_BOOL, "no", 0, 0, 0, 0, NULL,
					   "AF_XDP: capture on an interface that has an IP address, "
					   "taking its packets away from the host"),
	[CONFIG_CONTROL_SOCKET] = OPT("control_socket", CT_STRING, "/run/captured/control", 0, 0, 0,
				      0, NULL, "Path of the control socket capctl status talks to"),
	[CONFIG_CONTROL_GROUP] = OPT("control_group", CT_STRING, "", 0, 0, 1, 0, NULL,
				     "Group owning the control socket; empty keeps the daemon's group"),
	[CONFIG_CONTROL_MODE] = OPT("control_mode", CT_MODE, "0660", 0, 0777, 0, 0, NULL,
				    "Permissions of the control socket"),
	[CONFIG_USER] = OPT("user", CT_STRING, "", 0, 0, 1, 0, NULL,
			    "Live capture started as root: the user (name or uid) to run as once "
			    "sockets, XDP program, control socket and store are set up, keeping only "
			    "the capabilities link recovery needs; empty keeps the user"),
	[CONFIG_GROUP] = OPT("group", CT_STRING, "", 0, 0, 1, 0, NULL,
			     "With user: the group to run as instead of the user's own; empty "
			     "keeps the user's (or, without user, the current) group"),
	[CONFIG_STATS_INTERVAL] = OPT("stats_interval", CT_DURATION, "1s", 100000000, 3600 * SEC, 0,
				      1, NULL, "How often statistics are collected, rates computed "
				      "and interface statistics written into the capture"),
	[CONFIG_FLUSH_TIME] = OPT("flush_time", CT_DURATION, "1s", 10000000, 60 * SEC, 0, 0, NULL,
				  "Longest a captured packet waits in memory before it is written"),
	[CONFIG_FLOW_INDEX] = OPT("flow_index", CT_BOOL, "yes", 0, 0, 0, 1, NULL,
				  "Keep a flow summary (addresses, ports, protocols, VLANs) beside "
				  "every frame, so that filtered queries skip frames that cannot match"),
	[CONFIG_CLOCK_SOURCE] = OPT("clock_source", CT_ENUM, "auto", 0, 0, 0, 0, clock_source_names,
				    "What tells how good the timestamps' clock is: ptp4l's management "
				    "socket, the kernel's NTP state of the system clock (system), "
				    "nothing (none), or ptp4l when its socket exists at start (auto)"),
	[CONFIG_PTP_SOCKET] = OPT("ptp_socket", CT_STRING, "/var/run/ptp4l", 0, 0, 0, 0, NULL,
				  "ptp4l's management socket (its uds_address)"),
	[CONFIG_PTP_DOMAIN] = OPT("ptp_domain", CT_INT, "0", 0, 255, 0, 0, NULL,
				  "PTP domain number of that ptp4l instance"),
	[CONFIG_PTP_CLIENT_SOCKET] = OPT("ptp_client_socket", CT_STRING, "/run/captured/pmc", 0, 0,
					 0, 0, NULL, "Path the daemon's management client binds "
					 "(ptp4l answers to it)"),
	[CONFIG_PTP_POLL] = OPT("ptp_poll", CT_DURATION, "1s", 100000000, 60 * SEC, 0, 0, NULL,
				"How often ptp4l, the PHC and the system clock are asked"),
	[CONFIG_CLOCK_TIMEOUT] = OPT("clock_timeout", CT_DURATION, "5s", 200000000, 600 * SEC, 0, 0,
				     NULL, "No answer from ptp4l for this long counts as lost sync"),
	[CONFIG_CLOCK_LOCK] = OPT("clock_lock", CT_DURATION, "1us", 1, SEC, 0, 0, NULL,
				  "Offset from the master within which a sample counts toward LOCKED"),
	[CONFIG_CLOCK_UNLOCK] = OPT("clock_unlock", CT_DURATION, "10us", 1, 10 * SEC, 0, 0, NULL,
				    "Offset from the master that ends LOCKED (at least clock_lock)"),
	[CONFIG_CLOCK_LOCK_SAMPLES] = OPT("clock_lock_samples", CT_INT, "4", 1, 1000, 0, 0, NULL,
					  "Good samples in a row before the clock counts as LOCKED"),
	[CONFIG_CLOCK_HOLDOVER] = OPT("clock_holdover", CT_DURATION, "60s", SEC, DAY, 0, 0, NULL,
				      "How long a clock that lost its lock stays in HOLDOVER before "
				      "it counts as FREERUN"),
	[CONFIG_CLOCK_DRIFT] = OPT("clock_drift", CT_INT, "1000", 0, 1000000, 0, 0, NULL,
				   "Drift in ppb assumed in HOLDOVER, for the error bound"),
};

struct config {
	int64_t val[CONFIG_NOPTS];
	char *str[CONFIG_NOPTS];        /* CT_STRING options only */
	bool set[CONFIG_NOPTS];         /* set explicitly, for config_merge */
};

/* Suffixes of sizes and durations, largest first: fmt_num prints a value
 * with the first that divides it.  A bare number is bytes or seconds. */
static const struct unit {
	const char *name;
	int64_t mul;
} size_units[] = {
	{ "P", PI }, { "T", TI }, { "G", GI }, { "M", MI }, { "K", KI }, { "", 1 }, { NULL, 0 },
}, dur_units[] = {
	{ "d", DAY }, { "h", 3600 * SEC }, { "m", 60 * SEC }, { "s", SEC }, { "ms", 1000000 },
	{ "us", 1000 }, { "ns", 1 }, { "", SEC }, { NULL, 0 },
};

/* [-]digits at *pp; leaves *pp after them. */
static int parse_num(const char **pp, bool neg_ok, int64_t *v)
{
	const char *p = *pp;
	bool neg = neg_ok && *p == '-';
	int64_t x = 0;

	p += neg;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++)
		if (__builtin_mul_overflow(x, 10, &x) || __builtin_add_overflow(x, *p - '0', &x))
			return -ERANGE;
	*v = neg ? -x : x;
	*pp = p;
	return 0;
}

/* Digits and one suffix of u; size suffixes are case-insensitive and may be
 * followed by B or iB (1M, 1MB, 1MiB are all 2^20), since people write all. */
static int parse_units(const char *s, const struct unit *u, bool size, int64_t *out)
{
	const char *p = s;
	int64_t v;
	size_t l;
	int rc = parse_num(&p, false, &v);

	for (; !rc && u->name; u++) {
		l = strlen(u->name);
		if (size ? strncasecmp(p, u->name, l) : strncmp(p, u->name, l))
			continue;
		if (size && (!strcasecmp(p + l, "B") || (l && !strcasecmp(p + l, "iB"))))
			l = strlen(p);
		if (!p[l])
			return __builtin_mul_overflow(v, u->mul, out) ? -ERANGE : 0;
	}
	return rc ? rc : -EINVAL;
}

int config_parse_size(const char *s, int64_t *out)
{
	return parse_units(s, size_units, true, out);
}

int config_parse_duration(const char *s, int64_t *out_ns)
{
	return parse_units(s, dur_units, false, out_ns);
}

int config_parse_bool(const char *s, bool *out)
{
	static const char *const words[] = { "no", "yes", "false", "true", "off", "on", "0", "1" };
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (!strcasecmp(s, words[i])) {
			*out = i % 2;
			return 0;
		}
	}
	return -EINVAL;
}

/* A value as the file would say it, with the largest exact unit. */
static void fmt_num(enum ctype t, int64_t v, char *buf, size_t len)
{
	const struct unit *u = t == CT_SIZE ? size_units : dur_units;

	if (t == CT_LEVEL && v == CONFIG_LEVEL_ADAPTIVE)
		snprintf(buf, len, "adaptive");
	else if (t == CT_MODE)
		snprintf(buf, len, "0%03llo", (unsigned long long)v);
	else if (t == CT_BOOL)
		snprintf(buf, len, "%s", v ? "yes" : "no");
	else if ((t == CT_SIZE || t == CT_DURATION) && v) {
		while (v % u->mul)
			u++;
		snprintf(buf, len, "%lld%s", (long long)(v / u->mul), u->name);
	} else
		snprintf(buf, len, "%lld", (long long)v);
}

/* "0 or 16M..1P", "-7..19 or adaptive", "zstd, none" */
static void fmt_range(const struct opt_desc *d, char *buf, size_t len)
{
	char lo[32], hi[32];
	size_t i, n = 0;

	buf[0] = '\0';
	if (d->type == CT_ENUM) {
		for (i = 0; d->names[i] && n < len; i++)
			n += snprintf(buf + n, len - n, "%s%s", i ? ", " : "", d->names[i]);
	} else if (d->type == CT_STRING) {
		if (d->zero_ok)
			snprintf(buf, len, "may be empty");
	} else if (d->type != CT_BOOL) {
		fmt_num(d->type, d->min, lo, sizeof(lo));
		fmt_num(d->type, d->max, hi, sizeof(hi));
		snprintf(buf, len, "%s%s..%s%s", d->zero_ok ? "0 or " : "", lo, hi,
			 d->type == CT_LEVEL ? " or adaptive" : "");
	}
}

/* Why s cannot be a string value, or NULL: the file must hold it as is. */
static const char *bad_string(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > STR_MAX || isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]))
		return "must be 1 to 180 bytes without leading or trailing blanks";
	/* config_print writes "key = value": there a leading ';' follows a
	 * blank and starts a comment */
	if (s[0] == ';')
		return "must not start with ';' (after 'key = ' it starts a comment)";
	for (i = 0; i < n; i++)
		if (iscntrl((unsigned char)s[i]) || (i && s[i] == ';' && isspace((unsigned char)s[i - 1])))
			return "must not hold control characters or a blank before ';' (a comment)";
	return NULL;
}

static int set_err(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Octal digits, at most 4 of them (0660, 660). */
static int parse_mode(const char *s, int64_t *v)
{
	size_t n = strspn(s, "01234567");

	if (!n || n > 4 || s[n])
		return -EINVAL;
	*v = strtoll(s, NULL, 8);
	return 0;
}

/* Text to value, or an error naming the option and the value. */
static int parse_value(const struct opt_desc *d, const char *s, int64_t *v, char *err,
		       size_t errlen)
{
	const char *why, *p = s;
	char range[128];
	bool b = false;
	int rc;

	fmt_range(d, range, sizeof(range));
	*v = 0;
	if (d->type == CT_STRING) {
		if (d->zero_ok && !*s)
			return 0;
		why = bad_string(s);
		return why ? set_err(err, errlen, -EINVAL, "%s: '%s' %s", d->key, s, why) : 0;
	}
	if (d->type == CT_ENUM) {
		for (; d->names[*v]; (*v)++)
			if (!strcmp(s, d->names[*v]))
				return 0;
		return set_err(err, errlen, -EINVAL, "%s: '%s' is not one of %s", d->key, s, range);
	}
	if (d->type == CT_LEVEL && !strcmp(s, "adaptive")) {
		*v = CONFIG_LEVEL_ADAPTIVE;
		return 0;
	}
	if (d->type == CT_BOOL)
		rc = config_parse_bool(s, &b), *v = b;
	else if (d->type == CT_SIZE)
		rc = config_parse_size(s, v);
	else if (d->type == CT_DURATION)
		rc = config_parse_duration(s, v);
	else if (d->type == CT_MODE)
		rc = parse_mode(s, v);
	else if (!(rc = parse_num(&p, true, v)) && *p)
		rc = -EINVAL;
	if (rc == -EINVAL)
		return set_err(err, errlen, rc, "%s: '%s' is not %s", d->key, s,
			       ctypes[d->type].syntax);
	if (!rc && d->type != CT_BOOL && !(d->zero_ok && !*v) && (*v < d->min || *v > d->max))
		rc = -ERANGE;
	return rc ? set_err(err, errlen, -EINVAL, "%s: '%s' out of range %s", d->key, s, range) : 0;
}

int config_set_opt(struct config *c, enum config_opt o, const char *value, char *err,
		   size_t errlen)
{
	char *str = NULL;
	int64_t v;
	int rc;

	if ((unsigned)o >= CONFIG_NOPTS)
		return set_err(err, errlen, -EINVAL, "option number %d unknown", (int)o);
	rc = parse_value(&opts[o], value, &v, err, errlen);
	if (rc)
		return rc;
	if (opts[o].type == CT_STRING) {
		str = strdup(value);
		if (!str)
			return set_err(err, errlen, -ENOMEM, "%s: out of memory", opts[o].key);
		free(c->str[o]);
		c->str[o] = str;
	}
	c->val[o] = v;
	c->set[o] = true;
	return 0;
}

int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen)
{
	int o;

	for (o = 0; o < CONFIG_NOPTS; o++)
		if (!strcmp(key, opts[o].key))
			return config_set_opt(c, o, value, err, errlen);
	return set_err(err, errlen, -EINVAL, "unknown option '%s'", key);
}

struct config *config_create(void)
{
	struct config *c = calloc(1, sizeof(*c));
	char err[128];
	int o, rc;

	if (!c)
		return NULL;
	for (o = 0; o < CONFIG_NOPTS; o++) {
		rc = config_set_opt(c, o, opts[o].def, err, sizeof(err));
		if (rc) {
			config_destroy(c);
			errno = -rc;
			return NULL;
		}
		c->set[o] = false;
	}
	return c;
}

void config_destroy(struct config *c)
{
	int o;

	if (!c)
		return;
	for (o = 0; o < CONFIG_NOPTS; o++)
		free(c->str[o]);
	free(c);
}

int config_copy_opt(struct config *dst, const struct config *src, enum config_opt o)
{
	char *str = NULL;

	if ((unsigned)o >= CONFIG_NOPTS)
		return -EINVAL;
	if (src->str[o] && !(str = strdup(src->str[o])))
		return -ENOMEM;
	free(dst->str[o]);
	dst->str[o] = str;
	dst->val[o] = src->val[o];
	dst->set[o] = src->set[o];
	return 0;
}

int config_merge(struct config *dst, const struct config *src)
{
	char *str;
	int o;

	for (o = 0; o < CONFIG_NOPTS; o++) {
		if (!src->set[o])
			continue;
		if (src->str[o]) {
			str = strdup(src->str[o]);
			if (!str)
				return -ENOMEM;
			free(dst->str[o]);
			dst->str[o] = str;
		}
		dst->val[o] = src->val[o];
		dst->set[o] = true;
	}
	return 0;
}

/* Loading a file: libinih does the syntax, through a reader of ours so that
 * line numbers are exact and what libinih would misread is refused. */
struct load {
	struct config *c;
	FILE *f;
	int line;               /* lines handed to libinih so far */
	int err_line;           /* first error, 0 if none; stops reading */
	int rc;
	char msg[256];
};

/* Records an error on the current line; libinih then reads no further. */
static char *load_fail(struct load *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->msg, sizeof(l->msg), fmt, ap);
	va_end(ap);
	l->err_line = l->line;
	l->rc = -EINVAL;
	return NULL;
}

static char *load_read(char *buf, int num, void *user)
{
	struct load *l = user;
	const char *p, *e;
	size_t n;
	int ch;

	if (l->err_line)
		return NULL;
	if (!fgets(buf, num, l->f)) {
		if (ferror(l->f))
			l->rc = -errno;
		return NULL;
	}
	l->line++;
	n = strlen(buf);
	/* libinih would take the rest of a long line for another line. */
	if (n && buf[n - 1] != '\n' && (ch = getc(l->f)) != '\n' && ch != EOF)
		return load_fail(l, "line longer than %d characters", num - 1);
	/* libinih would append an indented line to the previous key's value. */
	for (p = buf; *p == ' ' || *p == '\t'; p++)
		;
	if (p > buf && *p && !strchr(";#\r\n", *p))
		return load_fail(l, "indented line (continuation lines are not supported)");
	/* Checked here, not in the handler, so that an empty section is refused too. */
	e = *p == '[' ? strchr(p, ']') : NULL;
	if (e && (e - p != 9 || strncmp(p + 1, "captured", 8)))
		return load_fail(l, "section %.*s: only [captured] is allowed", (int)(e - p + 1), p);
	return buf;
}

static int load_handler(void *user, const char *section, const char *key, const char *value)
{
	struct load *l = user;

	/* section is "" before any header; load_read refused any but [captured]. */
	(void)section;
	l->rc = config_set(l->c, key, value, l->msg, sizeof(l->msg));
	if (l->rc)
		l->err_line = l->line;
	return !l->rc;
}

int config_load_file(struct config *c, const char *path, char *err, size_t errlen)
{
	struct load l = { .c = c };
	int rc = 0, line;

	l.f = fopen(path, "re");
	if (!l.f) {
		rc = -errno;
		return set_err(err, errlen, rc, "%s: %s", path, strerror(-rc));
	}
	line = ini_parse_stream(load_read, &l, load_handler, &l);
	if (ferror(l.f)) {
		rc = l.rc ? l.rc : -EIO;
		set_err(err, errlen, rc, "%s: %s", path, strerror(-rc));
	} else if (line > 0 && (!l.err_line || line < l.err_line)) {
		/* Found by libinih itself: neither a key nor a section. */
		rc = set_err(err, errlen, -EINVAL, "%s:%d: expected 'key = value' or '[captured]'",
			     path, line);
	} else if (l.err_line) {
		rc = set_err(err, errlen, l.rc, "%s:%d: %s", path, l.err_line, l.msg);
	} else if (line < 0) {
		rc = set_err(err, errlen, -ENOMEM, "%s: out of memory", path);
	}
	fclose(l.f);
	return rc;
}

struct option *config_getopt_table(const struct option *extra)
{
	size_t i, n = 0, names = 0;
	struct option *lo;
	char *p;

	while (extra && extra[n].name)
		n++;
	for (i = 0; i < CONFIG_NOPTS; i++)
		names += strlen(opts[i].key) + 1;
	/* The names live in the same block, after the array. */
	lo = malloc((n + CONFIG_NOPTS + 1) * sizeof(*lo) + names);
	if (!lo)
		return NULL;
	if (n)
		memcpy(lo, extra, n * sizeof(*lo));
	p = (char *)(lo + n + CONFIG_NOPTS + 1);
	for (i = 0; i < CONFIG_NOPTS; i++) {
		lo[n + i] = (struct option){ p, required_argument, NULL, CONFIG_OPT_BASE + (int)i };
		for (names = 0; opts[i].key[names]; names++)
			*p++ = opts[i].key[names] == '_' ? '-' : opts[i].key[names];
		*p++ = '\0';
	}
	lo[n + CONFIG_NOPTS] = (struct option){ NULL, 0, NULL, 0 };
	return lo;
}

int64_t config_int(const struct config *c, enum config_opt o)
{
	return (unsigned)o < CONFIG_NOPTS ? c->val[o] : 0;
}

const char *config_str(const struct config *c, enum config_opt o)
{
	if ((unsigned)o >= CONFIG_NOPTS)
		return NULL;
	if (opts[o].type == CT_ENUM)
		return opts[o].names[c->val[o]];
	return c->str[o];
}

const char *config_name(enum config_opt o)
{
	return (unsigned)o < CONFIG_NOPTS ? opts[o].key : NULL;
}

bool config_reloadable(enum config_opt o)
{
	return (unsigned)o < CONFIG_NOPTS && opts[o].reload;
}

/* roff: '-' must be \- to stay a hyphen-minus, '\' must be \e.  With
 * under_dash, '_' becomes \- too (the command-line name of a key). */
static void roff_puts(const char *s, bool under_dash, FILE *f)
{
	for (; *s; s++)
		fputs(*s == '-' || (under_dash && *s == '_') ? "\\-" : *s == '\\' ? "\\e" :
		      (char[2]){ *s, 0 }, f);
}

void config_print_man(FILE *f)
{
	char range[128];
	int o;

	for (o = 0; o < CONFIG_NOPTS; o++) {
		fmt_range(&opts[o], range, sizeof(range));
		fprintf(f, ".TP\n\\fB%s\\fR = \\fI%s\\fR\n", opts[o].key, ctypes[opts[o].type].name);
		roff_puts(opts[o].help, false, f);
		fputs(".\n.br\nCommand line: \\fB\\-\\-", f);
		roff_puts(opts[o].key, true, f);
		fprintf(f, "\\fR \\fI%s\\fR\n.br\nDefault: \\fB", ctypes[opts[o].type].name);
		roff_puts(*opts[o].def ? opts[o].def : "(empty)", false, f);
		fprintf(f, "\\fR.%s", range[0] ? opts[o].type == CT_ENUM ? " Values: " : " Range: " : "");
		roff_puts(range, false, f);
		fprintf(f, "%s Reloadable: %s.\n", range[0] ? "." : "", opts[o].reload ? "yes" : "no");
	}
}

void config_value(const struct config *c, enum config_opt o, char *buf, size_t len)
{
	const char *s = config_str(c, o);

	if (s)
		snprintf(buf, len, "%s", s);
	else if ((unsigned)o < CONFIG_NOPTS)
		fmt_num(opts[o].type, c->val[o], buf, len);
	else if (len)
		buf[0] = '\0';
}

void config_print(const struct config *c, FILE *f)
{
	char buf[256];
	int o;

	fputs("[captured]\n", f);
	for (o = 0; o < CONFIG_NOPTS; o++) {
		config_value(c, o, buf, sizeof(buf));
		fprintf(f, "%s = %s\n", opts[o].key, buf);
	}
}
