/* capctl ptp: ask ptp4l over its management socket what `pmc -u` would,
 * with our own client (ptp/pmc.c). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "capctl.h"
#include "pmc.h"

#define PTP_SOCKET "/var/run/ptp4l"
#define PTP_TIMEOUT_MS 2000
#define PTP_MAX_PORTS 16
#define PTP_USAGE "usage: ptp [--socket PATH] [--domain N] [--json] [--timeout MS]"

struct ptp_state {
	struct pmc_msg ports[PTP_MAX_PORTS];    /* PORT_DATA_SET, per port */
	struct pmc_msg props[PTP_MAX_PORTS];    /* PORT_PROPERTIES_NP, per port */
	int nports, nprops;
	struct pmc_msg current, parent, tprop, tstatus;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* $XDG_RUNTIME_DIR/capctl-ptp.PID, or /tmp/capctl-ptp.PID: ptp4l answers to
 * the path a client binds. */
static int client_path(char *buf, size_t len)
{
	const char *dir = getenv("XDG_RUNTIME_DIR");
	struct stat sb;
	int n;

	if (dir && dir[0] == '/' && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) &&
	    access(dir, W_OK | X_OK) == 0) {
		n = snprintf(buf, len, "%s/capctl-ptp.%ld", dir, (long)getpid());
		if (n > 0 && (size_t)n < len)
			return 0;
	}
	n = snprintf(buf, len, "/tmp/capctl-ptp.%ld", (long)getpid());
	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* Says why a GET failed; always 1 (the exit status). */
static int get_failed(int rc, const struct pmc_msg *m, uint16_t id, const char *path,
		      unsigned domain, int timeout_ms)
{
	switch (rc) {
	case -ENOENT:
	case -ECONNREFUSED:
		capctl_err("no ptp4l at %s (is it running? the path is its uds_address): %s", path,
			   strerror(-rc));
		break;
	case -EACCES:
	case -EPERM:
		capctl_err("permission denied: cannot send to %s (ptp4l's socket; run capctl as "
			   "root or as its owner)", path);
		break;
	case -ETIMEDOUT:
		capctl_err("no answer from ptp4l at %s within %d ms (is its domainNumber %u? "
			   "ptp4l ignores management messages of other domains; see --domain)",
			   path, timeout_ms, domain);
		break;
	case -EPROTO:
		capctl_err("ptp4l at %s answered GET %s with error %s (%u)", path, pmc_id_name(id),
			   pmc_error_name(m->error), (unsigned)m->error);
		break;
	case -EBADMSG:
	case -EPROTONOSUPPORT:
		capctl_err("malformed answer from %s to GET %s: %s", path, pmc_id_name(id),
			   m->why ? m->why : strerror(-rc));
		break;
	default:
		capctl_err("GET %s from %s: %s", pmc_id_name(id), path, strerror(-rc));
		break;
	}
	return 1;
}

/* All the GETs within timeout_ms; 0, or 1 after saying why. */
static int query(struct pmc *p, struct ptp_state *st, const char *path, unsigned domain,
		 int timeout_ms)
{
	static const uint16_t ids[] = {
		PMC_ID_PORT_DATA_SET, PMC_ID_PORT_PROPERTIES_NP, PMC_ID_CURRENT_DATA_SET,
		PMC_ID_PARENT_DATA_SET, PMC_ID_TIME_PROPERTIES_DATA_SET, PMC_ID_TIME_STATUS_NP,
	};
	int64_t deadline = now_ms() + timeout_ms;
	struct pmc_msg *m;
	size_t i;
	int rc, left;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		left = (int)(deadline - now_ms());
		if (left < 1)
			left = 1;
		switch (ids[i]) {
		case PMC_ID_PORT_DATA_SET:
			rc = pmc_get_ports(p, ids[i], st->ports, PTP_MAX_PORTS, left);
			st->nports = rc > 0 ? rc : 0;
			m = st->ports;
			break;
		case PMC_ID_PORT_PROPERTIES_NP:
			rc = pmc_get_ports(p, ids[i], st->props, PTP_MAX_PORTS, left);
			st->nprops = rc > 0 ? rc : 0;
			m = st->props;
			break;
		default:
			m = ids[i] == PMC_ID_CURRENT_DATA_SET ? &st->current :
			    ids[i] == PMC_ID_PARENT_DATA_SET ? &st->parent :
			    ids[i] == PMC_ID_TIME_PROPERTIES_DATA_SET ? &st->tprop : &st->tstatus;
			rc = pmc_get(p, ids[i], m, left);
			break;
		}
		if (rc < 0)
			return get_failed(rc, m, ids[i], path, domain, timeout_ms);
	}
	return 0;
}

/* The port to show first: the one that follows a master, else the first. */
static int main_port(const struct ptp_state *st)
{
	int i;

	for (i = 0; i < st->nports; i++)
		if (st->ports[i].u.port.port_state == PMC_PS_SLAVE)
			return i;
	for (i = 0; i < st->nports; i++)
		if (st->ports[i].u.port.port_state == PMC_PS_UNCALIBRATED)
			return i;
	return 0;
}

/* PORT_PROPERTIES_NP of port number, or NULL */
static const struct pmc_port_props *props_of(const struct ptp_state *st, uint16_t port)
{
	int i;

	for (i = 0; i < st->nprops; i++)
		if (st->props[i].u.pprops.port.port == port)
			return &st->props[i].u.pprops;
	return NULL;
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void print_port_line(const struct ptp_state *st, int i)
{
	const struct pmc_port_ds *pd = &st->ports[i].u.port;
	const struct pmc_port_props *pp = props_of(st, pd->port.port);

	printf("port %u (%s): %s, %s timestamping\n", (unsigned)pd->port.port,
	       pp && pp->interface[0] ? pp->interface : "?", pmc_port_state_name(pd->port_state),
	       pp ? pmc_timestamping_name(pp->timestamping) : "?");
}

static void print_human(const struct ptp_state *st, const char *path, unsigned domain)
{
	const struct pmc_time_properties *tp = &st->tprop.u.tprop;
	const struct pmc_time_status *ts = &st->tstatus.u.tstatus;
	const struct pmc_parent_ds *pa = &st->parent.u.parent;
	char a[32], b[32];
	int mp = main_port(st), i;

	printf("ptp4l %s, domain %u, clock %s\n", path, domain,
	       pmc_clock_id_str(&st->current.source.clock, a, sizeof(a)));
	print_port_line(st, mp);
	for (i = 0; i < st->nports; i++)
		if (i != mp)
			print_port_line(st, i);
	/* ptp4l keeps the last offset when Syncs stop; ingress_time is 0 then */
	printf("%-20s %" PRId64 " ns%s\n", "master offset", ts->master_offset_ns,
	       ts->ingress_time_ns ? "" : " (no Sync)");
	printf("%-20s %" PRId64 " ns\n", "path delay", st->current.u.current.mean_path_delay_ns);
	printf("%-20s %s, %s\n", "grandmaster", pmc_clock_id_str(&pa->gm_identity, a, sizeof(a)),
	       ts->gm_present ? "present" : "not present");
	printf("%-20s %s\n", "parent port", pmc_port_id_str(&pa->parent_port, b, sizeof(b)));
	printf("%-20s %u\n", "steps removed", (unsigned)st->current.u.current.steps_removed);
	printf("%-20s %d s, %s\n", "UTC offset", tp->current_utc_offset,
	       tp->flags & PMC_TP_UTC_OFF_VALID ? "valid" : "not valid");
	printf("%-20s %s\n", "leap second",
	       tp->flags & PMC_TP_LEAP61 ? "61-second last minute today (UTC)" :
	       tp->flags & PMC_TP_LEAP59 ? "59-second last minute today (UTC)" : "none");
	printf("%-20s %s\n", "PTP timescale",
	       tp->flags & PMC_TP_PTP_TIMESCALE ? "yes (TAI)" : "no (ARB)");
	printf("%-20s %s\n", "time traceable", yes_no(tp->flags & PMC_TP_TIME_TRACEABLE));
	printf("%-20s %s\n", "frequency traceable", yes_no(tp->flags & PMC_TP_FREQ_TRACEABLE));
	printf("%-20s %s (0x%02x)\n", "time source", pmc_time_source_name(tp->time_source),
	       (unsigned)tp->time_source);
}

/* json_object_set_new, ignoring allocation failures until the dump */
static void jset(json_t *o, const char *k, json_t *v)
{
	json_object_set_new(o, k, v);
}

static json_t *port_json(const struct ptp_state *st, int i)
{
	const struct pmc_port_ds *pd = &st->ports[i].u.port;
	const struct pmc_port_props *pp = props_of(st, pd->port.port);
	json_t *o = json_object();
	char b[32];

	jset(o, "port_number", json_integer(pd->port.port));
	jset(o, "port_identity", json_string(pmc_port_id_str(&pd->port, b, sizeof(b))));
	jset(o, "port_state", json_string(pmc_port_state_name(pd->port_state)));
	jset(o, "interface", pp ? json_string(pp->interface) : json_null());
	jset(o, "timestamping", pp ? json_string(pmc_timestamping_name(pp->timestamping)) :
	     json_null());
	jset(o, "log_announce_interval", json_integer(pd->log_announce_interval));
	jset(o, "announce_receipt_timeout", json_integer(pd->announce_receipt_timeout));
	jset(o, "log_sync_interval", json_integer(pd->log_sync_interval));
	jset(o, "log_min_delay_req_interval", json_integer(pd->log_min_delay_req_interval));
	jset(o, "delay_mechanism", json_integer(pd->delay_mechanism));
	jset(o, "peer_mean_path_delay_ns", json_integer(pd->peer_mean_path_delay_ns));
	return o;
}

/* 0, or 1 when the JSON could not be made or written */
static int print_json(const struct ptp_state *st, const char *path, unsigned domain)
{
	const struct pmc_time_properties *tp = &st->tprop.u.tprop;
	const struct pmc_time_status *ts = &st->tstatus.u.tstatus;
	const struct pmc_parent_ds *pa = &st->parent.u.parent;
	json_t *o = json_object(), *ports = json_array(), *mp;
	int i, m = main_port(st), rc = 1;
	char b[32], *s = NULL;

	if (!o || !ports)
		goto out;
	mp = port_json(st, m);
	jset(o, "socket", json_string(path));
	jset(o, "domain", json_integer(domain));
	jset(o, "clock_identity",
	     json_string(pmc_clock_id_str(&st->current.source.clock, b, sizeof(b))));
	/* the main port's fields, flat */
	json_object_update(o, mp);
	json_decref(mp);
	jset(o, "master_offset_ns", json_integer(ts->master_offset_ns));
	jset(o, "ingress_time_ns", json_integer(ts->ingress_time_ns));
	jset(o, "offset_from_master_ns", json_integer(st->current.u.current.offset_from_master_ns));
	jset(o, "mean_path_delay_ns", json_integer(st->current.u.current.mean_path_delay_ns));
	jset(o, "steps_removed", json_integer(st->current.u.current.steps_removed));
	jset(o, "gm_identity", json_string(pmc_clock_id_str(&pa->gm_identity, b, sizeof(b))));
	jset(o, "gm_present", json_boolean(ts->gm_present));
	jset(o, "parent_port_identity",
	     json_string(pmc_port_id_str(&pa->parent_port, b, sizeof(b))));
	jset(o, "gm_priority1", json_integer(pa->gm_priority1));
	jset(o, "gm_priority2", json_integer(pa->gm_priority2));
	jset(o, "gm_clock_class", json_integer(pa->gm_quality.clock_class));
	jset(o, "gm_clock_accuracy", json_integer(pa->gm_quality.clock_accuracy));
	jset(o, "gm_offset_scaled_log_variance",
	     json_integer(pa->gm_quality.offset_scaled_log_variance));
	jset(o, "current_utc_offset", json_integer(tp->current_utc_offset));
	jset(o, "current_utc_offset_valid", json_boolean(tp->flags & PMC_TP_UTC_OFF_VALID));
	jset(o, "leap61", json_boolean(tp->flags & PMC_TP_LEAP61));
	jset(o, "leap59", json_boolean(tp->flags & PMC_TP_LEAP59));
	jset(o, "ptp_timescale", json_boolean(tp->flags & PMC_TP_PTP_TIMESCALE));
	jset(o, "time_traceable", json_boolean(tp->flags & PMC_TP_TIME_TRACEABLE));
	jset(o, "frequency_traceable", json_boolean(tp->flags & PMC_TP_FREQ_TRACEABLE));
	jset(o, "time_source", json_integer(tp->time_source));
	jset(o, "time_source_name", json_string(pmc_time_source_name(tp->time_source)));
	for (i = 0; i < st->nports; i++)
		json_array_append_new(ports, port_json(st, i));
	jset(o, "ports", ports);
	ports = NULL;
	s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!s) {
		capctl_err("out of memory");
		goto out;
	}
	printf("%s\n", s);
	rc = 0;
out:
	free(s);
	json_decref(ports);
	json_decref(o);
	return rc;
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *v)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || *end || *v < min || *v > max ? -1 : 0;
}

int capctl_ptp(const struct capctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "domain", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ 0 }
	};
	struct pmc_args a = { .server = PTP_SOCKET };
	char client[sizeof(((struct sockaddr_un *)0)->sun_path)];
	sigset_t block, old;
	struct ptp_state *st = NULL;
	unsigned long v, timeout = PTP_TIMEOUT_MS;
	struct pmc *p = NULL;
	bool json = false;
	int ch, rc = 1;

	(void)ctx;
	while ((ch = getopt_long(argc, argv, "S:d:jt:", opts, NULL)) != -1) {
		switch (ch) {
		case 'S':
			a.server = optarg;
			break;
		case 'd':
			if (parse_uint(optarg, 0, 255, &v) < 0) {
				capctl_err("ptp: --domain must be 0 to 255, not '%s'", optarg);
				return 2;
			}
			a.domain = (uint8_t)v;
			break;
		case 'j':
			json = true;
			break;
		case 't':
			if (parse_uint(optarg, 1, 600000, &timeout) < 0) {
				capctl_err("ptp: --timeout must be 1 to 600000 ms, not '%s'",
					   optarg);
				return 2;
			}
			break;
		default:
			capctl_err(PTP_USAGE);
			return 2;
		}
	}
	if (optind < argc) {
		capctl_err("ptp: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (!*a.server || strlen(a.server) >= sizeof(client)) {
		capctl_err("ptp: socket path empty or too long (at most %zu bytes): '%s'",
			   sizeof(client) - 1, a.server);
		return 2;
	}
	if (client_path(client, sizeof(client)) < 0) {
		capctl_err("ptp: no room for a client socket path");
		return 1;
	}
	a.client = client;
	st = calloc(1, sizeof(*st));
	if (!st) {
		capctl_err("out of memory");
		return 1;
	}
	/* The client socket must not outlive us: signals that would end us
	 * wait until it is removed (at most the timeout). */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &old);
	p = pmc_create(&a);
	if (!p) {
		capctl_err("cannot bind a client socket at %s: %s", client, strerror(errno));
		goto out;
	}
	if (query(p, st, a.server, a.domain, (int)timeout))
		goto out;
	pmc_destroy(p);
	p = NULL;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (json)
		rc = print_json(st, a.server, a.domain);
	else {
		print_human(st, a.server, a.domain);
		rc = 0;
	}
	if (fflush(stdout) != 0)
		rc = 1;
out:
	pmc_destroy(p);
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(st);
	return rc;
}
