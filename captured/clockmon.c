/* The clock monitor's sampling; see clockmon.h. */
#include <errno.h>
#include <event2/event.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include "clockmon_int.h"

#define SUBSCRIBE_S 180                /* renewed every SUBSCRIBE_S / 3 */
#define FIRST_WAIT_MS 1000             /* ptp4l's first answers at start */
#define PHC_SAMPLES 5

static const uint16_t gets[] = {
	PMC_ID_PORT_DATA_SET, PMC_ID_TIME_STATUS_NP, PMC_ID_PARENT_DATA_SET,
	PMC_ID_TIME_PROPERTIES_DATA_SET, PMC_ID_CURRENT_DATA_SET, PMC_ID_PORT_PROPERTIES_NP,
};

static int64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int64_t real_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int64_t abs64(int64_t v)
{
	return v < 0 ? (v == INT64_MIN ? INT64_MAX : -v) : v;
}

bool clockmon_ptp_hw(const struct clockmon *m)
{
	return m->have_pprops && m->pprops.timestamping != 0;
}

/* A port's state decides which port's data we keep: ptp4l answers a GET
 * to all ports once per port, and a boundary clock has one SLAVE. */
static bool better_port(const struct clockmon *m, const struct pmc_port_ds *p)
{
	if (!m->fresh_port || m->port.port.port == p->port.port)
		return true;
	return p->port_state == PMC_PS_SLAVE && m->port.port_state != PMC_PS_SLAVE;
}

static void publish(struct clockmon *m, int64_t now);

static void take(struct clockmon *m, const struct pmc_msg *msg)
{
	bool left = false;

	switch (msg->id) {
	case PMC_ID_PORT_DATA_SET:
		if (!better_port(m, &msg->u.port))
			return;
		/* a port leaving SLAVE is news now, not at the next tick */
		if (m->have_port && m->port.port.port == msg->u.port.port.port &&
		    m->port.port_state == PMC_PS_SLAVE && msg->u.port.port_state != PMC_PS_SLAVE) {
			log_msg(LOG_WARNING, "clock: ptp4l port %u left SLAVE for %s",
				msg->u.port.port.port, pmc_port_state_name(msg->u.port.port_state));
			left = true;
		}
		m->port = msg->u.port;
		m->have_port = m->fresh_port = true;
		break;
	case PMC_ID_TIME_STATUS_NP:
		m->tstatus = msg->u.tstatus;
		m->have_tstatus = m->fresh_tstatus = true;
		break;
	case PMC_ID_PARENT_DATA_SET:
		m->parent = msg->u.parent;
		m->have_parent = true;
		break;
	case PMC_ID_TIME_PROPERTIES_DATA_SET:
		m->tprop = msg->u.tprop;
		m->have_tprop = true;
		break;
	case PMC_ID_CURRENT_DATA_SET:
		m->current = msg->u.current;
		m->have_current = true;
		break;
	case PMC_ID_PORT_PROPERTIES_NP:
		if (m->have_pprops && m->pprops.port.port != msg->u.pprops.port.port &&
		    m->port.port.port != msg->u.pprops.port.port)
			return;
		m->pprops = msg->u.pprops;
		m->have_pprops = true;
		break;
	default:
		return;
	}
	m->last_answer_ns = mono_ns();
	if (!m->reachable)
		log_msg(LOG_NOTICE, "clock: ptp4l at %s answers", m->ptp_socket);
	m->reachable = true;
	if (left && m->q) {
		clockq_sample(m->q, m->last_answer_ns, &(struct clockq_sample){ .synced = false });
		publish(m, m->last_answer_ns);
	}
}

static void drain(struct clockmon *m)
{
	struct pmc_msg msg;
	int rc;

	for (;;) {
		rc = pmc_recv(m->pmc, &msg);
		if (rc == -EAGAIN)
			return;
		if (rc == -EBADMSG || rc == -EPROTONOSUPPORT) {
			m->rejected++;
			log_limited(&m->lim, LOG_WARNING, "clock: message from ptp4l rejected: %s "
				    "(%llu so far)", msg.why ? msg.why : "?",
				    (unsigned long long)m->rejected);
			continue;
		}
		if (rc < 0)
			return;
		if (msg.error || msg.empty)
			continue;
		take(m, &msg);
	}
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	drain(arg);
}

static void ask_ptp4l(struct clockmon *m, int64_t now)
{
	int rc = 0;

	for (size_t i = 0; i < sizeof(gets) / sizeof(gets[0]) && rc >= 0; i++)
		rc = pmc_send_get(m->pmc, gets[i]);
	if (rc >= 0 && (m->subscribed_ns == INT64_MIN ||
			now - m->subscribed_ns >= (int64_t)SUBSCRIBE_S / 3 * 1000000000)) {
		rc = pmc_send_subscribe(m->pmc, SUBSCRIBE_S);
		if (rc >= 0)
			m->subscribed_ns = now;
	}
	if (rc < 0) {
		/* a restarted ptp4l forgets subscriptions: renew when it is back */
		m->subscribed_ns = INT64_MIN;
		if (m->reachable || m->last_answer_ns == INT64_MIN)
			log_limited(&m->lim, LOG_WARNING, "clock: no ptp4l at %s (%s); clock "
				    "quality from it is lost until it answers", m->ptp_socket,
				    strerror(-rc));
		m->reachable = false;
	}
}

/* ptp4l's clock when it is a PHC: open it once we know the interface. */
static void ptp_phc_open(struct clockmon *m)
{
	char err[256];
	int idx;

	if (!clockmon_ptp_hw(m) || !strcmp(m->ptp_phc_iface, m->pprops.interface))
		return;
	phc_destroy(m->ptp_phc);
	m->ptp_phc = NULL;
	snprintf(m->ptp_phc_iface, sizeof(m->ptp_phc_iface), "%s", m->pprops.interface);
	idx = phc_index_of(m->pprops.interface, err, sizeof(err));
	if (idx >= 0)
		m->ptp_phc = phc_open(idx, err, sizeof(err));
	if (!m->ptp_phc)
		log_msg(LOG_WARNING, "clock: ptp4l stamps in hardware on %s, but its PHC cannot "
			"be read (%s): the bound cannot include how far the timestamps' clock "
			"is from it", m->pprops.interface, err);
}

static void measure_phcs(struct clockmon *m)
{
	m->ts_phc_ok = m->ts_phc &&
		       !phc_offset(m->ts_phc, PHC_SAMPLES, &m->ts_phc_off, &m->ts_phc_unc);
	ptp_phc_open(m);
	m->ptp_phc_ok = m->ptp_phc &&
			!phc_offset(m->ptp_phc, PHC_SAMPLES, &m->ptp_phc_off, &m->ptp_phc_unc);
}

/* PHC - CLOCK_REALTIME should be the TAI-UTC offset (PTP timescale) or
 * whole seconds (ARB epochs are set in seconds by phc2sys -O); what is
 * left is how far the two clocks are apart. */
static int64_t residual(const struct clockmon *m, int64_t off)
{
	int64_t s = 1000000000;

	if (m->have_tprop && (m->tprop.flags & PMC_TP_PTP_TIMESCALE) &&
	    (m->tprop.flags & PMC_TP_UTC_OFF_VALID))
		return off - (int64_t)m->tprop.current_utc_offset * s;
	return off - (off >= 0 ? (off + s / 2) / s : (off - s / 2) / s) * s;
}

/* How far the timestamps' clock is from the clock ptp4l disciplines. */
static void compute_extra(struct clockmon *m)
{
	bool ptp_hw = clockmon_ptp_hw(m);
	bool same = m->hw == ptp_hw && (!m->hw || !strcmp(m->iface, m->pprops.interface));

	m->extra_ns = 0;
	if (same)
		return;
	if (m->hw && !ptp_hw)            /* capture PHC against CLOCK_REALTIME */
		m->extra_ns = m->ts_phc_ok ? abs64(residual(m, m->ts_phc_off)) + m->ts_phc_unc :
			      INT64_MIN;
	else if (!m->hw && ptp_hw)       /* CLOCK_REALTIME against ptp4l's PHC */
		m->extra_ns = m->ptp_phc_ok ? abs64(residual(m, m->ptp_phc_off)) + m->ptp_phc_unc :
			      INT64_MIN;
	else                             /* two PHCs, through CLOCK_REALTIME */
		m->extra_ns = m->ts_phc_ok && m->ptp_phc_ok ?
			      abs64(m->ts_phc_off - m->ptp_phc_off) + m->ts_phc_unc +
			      m->ptp_phc_unc : INT64_MIN;
}

static void sample_ptp4l(struct clockmon *m, int64_t now)
{
	struct clockq_sample s = { 0 };
	bool gm_self;

	if (!m->fresh_port || !m->fresh_tstatus) {
		clockq_tick(m->q, now);
		return;
	}
	compute_extra(m);
	/* the grandmaster itself: its parent is its own port's clock */
	gm_self = m->have_parent && !memcmp(&m->parent.gm_identity, &m->port.port.clock,
					    sizeof(m->port.port.clock));
	if (gm_self) {
		s.synced = m->have_tprop && (m->tprop.flags & PMC_TP_TIME_TRACEABLE);
		s.has_offset = true;
	} else {
		s.synced = m->port.port_state == PMC_PS_SLAVE && m->tstatus.gm_present;
		s.has_offset = (m->port.port_state == PMC_PS_SLAVE ||
				m->port.port_state == PMC_PS_UNCALIBRATED) && m->tstatus.gm_present;
		s.offset_ns = m->tstatus.master_offset_ns;
	}
	if (m->extra_ns == INT64_MIN)
		s.has_offset = s.synced = false;
	else
		s.extra_ns = m->extra_ns;
	clockq_sample(m->q, now, &s);
}

static void sample_system(struct clockmon *m, int64_t now)
{
	struct timex tx = { 0 };
	struct clockq_sample s = { 0 };

	m->ntp_rc = adjtimex(&tx);
	m->ntp_status = tx.status;
	m->ntp_esterror_us = tx.esterror;
	m->ntp_maxerror_us = tx.maxerror;
	s.synced = m->ntp_rc >= 0 && m->ntp_rc != TIME_ERROR && !(tx.status & STA_UNSYNC);
	s.has_offset = s.synced;
	s.offset_ns = (int64_t)tx.esterror * 1000;
	if (m->hw) {
		/* the PHC against the system clock the kernel knows about */
		s.extra_ns = m->ts_phc_ok ? abs64(residual(m, m->ts_phc_off)) + m->ts_phc_unc : 0;
		if (!m->ts_phc_ok)
			s.has_offset = s.synced = false;
	}
	clockq_sample(m->q, now, &s);
}

static void publish_rule(struct clockmon *m)
{
	struct tscale t = { 0 };
	struct tscale_rule r;
	bool valid;

	if (!m->hw || !m->map)
		return;
	if (m->have_tprop) {
		t.ptp_timescale = m->tprop.flags & PMC_TP_PTP_TIMESCALE;
		t.utc_offset_valid = m->tprop.flags & PMC_TP_UTC_OFF_VALID;
		t.utc_offset = m->tprop.current_utc_offset;
		t.leap61 = m->tprop.flags & PMC_TP_LEAP61;
		t.leap59 = m->tprop.flags & PMC_TP_LEAP59;
	} else {
		/* nobody says: a PHC counts TAI when phc2sys or ptp4l run it */
		t.ptp_timescale = true;
	}
	valid = !tscale_rule(&t, real_ns() + (m->ts_phc_ok ? m->ts_phc_off : 0),
			     m->ts_phc_ok ? m->ts_phc_off : INT64_MIN, &r);
	if (valid != m->rule_valid || (valid && memcmp(&r, &m->rule, sizeof(r)))) {
		if (valid)
			log_msg(LOG_INFO, "clock: hardware timestamps of %s: UTC = PHC - %lld ns%s",
				m->iface, (long long)r.offset_ns,
				r.leap_at != INT64_MAX ? ", leap second pending" : "");
		else
			log_msg(LOG_WARNING, "clock: no rule from PHC time to UTC for %s: "
				"hardware timestamps are stored as the PHC counts", m->iface);
	}
	m->rule_valid = valid;
	m->rule = r;
	tscale_map_set(m->map, &r, valid);
}

static void publish(struct clockmon *m, int64_t now)
{
	struct clockq_view v;

	clockq_get(m->q, now, &v);
	clockprov_set_quality(m->prov, (uint8_t)v.state, v.bound_ns);
	if (v.state != m->last_state) {
		char bound[48] = "unknown";

		if (v.bound_ns != INT64_MIN)
			snprintf(bound, sizeof(bound), "%lld ns", (long long)v.bound_ns);
		log_msg(m->last_state == CLOCKQ_LOCKED ? LOG_WARNING : LOG_NOTICE,
			"clock: %s -> %s (error bound %s)%s", clockq_state_name(m->last_state),
			clockq_state_name(v.state), bound,
			m->last_state == CLOCKQ_LOCKED ? ": timestamps from now on are not "
			"known to be locked to the grandmaster" : "");
		m->last_state = v.state;
	}
	clockmon_publish_section(m);
}

static void tick(struct clockmon *m)
{
	int64_t now = mono_ns();

	measure_phcs(m);
	if (m->source == CONFIG_CLOCK_PTP4L) {
		drain(m);
		sample_ptp4l(m, now);
		m->fresh_port = m->fresh_tstatus = false;
		ask_ptp4l(m, now);
	} else if (m->source == CONFIG_CLOCK_SYSTEM) {
		sample_system(m, now);
	}
	publish_rule(m);
	publish(m, now);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	tick(arg);
}

/* At start: ask ptp4l and wait for the first answers, briefly. */
static void first_round(struct clockmon *m)
{
	int64_t end = mono_ns() + (int64_t)FIRST_WAIT_MS * 1000000;
	struct pollfd p = { .fd = pmc_fd(m->pmc), .events = POLLIN };

	ask_ptp4l(m, mono_ns());
	while (m->reachable || m->last_answer_ns == INT64_MIN) {
		int64_t left = end - mono_ns();

		if (left <= 0 || (m->have_port && m->have_tstatus && m->have_parent &&
				  m->have_tprop && m->have_current && m->have_pprops))
			break;
		if (poll(&p, 1, (int)(left / 1000000) + 1) > 0)
			drain(m);
		if (!m->reachable && m->last_answer_ns == INT64_MIN && m->subscribed_ns == INT64_MIN)
			break;   /* nothing listens at the socket */
	}
	if (m->last_answer_ns == INT64_MIN)
		log_msg(LOG_WARNING, "clock: no answer from ptp4l at %s (domain %d) at start; "
			"clock state stays unknown until it answers", m->ptp_socket, m->domain);
}

static int setup(struct clockmon *m, const struct clockmon_args *a, char *err, size_t errlen)
{
	const struct config *c = a->conf;
	struct clockq_conf qc = {
		.lock_ns = config_int(c, CONFIG_CLOCK_LOCK),
		.unlock_ns = config_int(c, CONFIG_CLOCK_UNLOCK),
		.lock_samples = (unsigned)config_int(c, CONFIG_CLOCK_LOCK_SAMPLES),
		.holdover_ns = config_int(c, CONFIG_CLOCK_HOLDOVER),
		.timeout_ns = config_int(c, CONFIG_CLOCK_TIMEOUT),
		.drift_ppb = (uint32_t)config_int(c, CONFIG_CLOCK_DRIFT),
	};
	struct pmc_args pa = { .server = m->ptp_socket,
			       .client = config_str(c, CONFIG_PTP_CLIENT_SOCKET),
			       .domain = (uint8_t)m->domain };
	struct stat st;
	int idx;

	if (qc.unlock_ns < qc.lock_ns) {
		snprintf(err, errlen, "clock_unlock must be at least clock_lock");
		return -EINVAL;
	}
	m->q = clockq_create(&qc);
	if (!m->q) {
		snprintf(err, errlen, "clock quality: %s", strerror(errno));
		return -errno;
	}
	if (m->source == CONFIG_CLOCK_AUTO)
		m->source = stat(m->ptp_socket, &st) == 0 && S_ISSOCK(st.st_mode) ?
			    CONFIG_CLOCK_PTP4L : CONFIG_CLOCK_SYSTEM;
	if (m->hw) {
		idx = phc_index_of(m->iface, err, errlen);
		m->ts_phc = idx >= 0 ? phc_open(idx, err, errlen) : NULL;
		if (!m->ts_phc)
			log_msg(LOG_WARNING, "clock: the PHC of %s cannot be read (%s): hardware "
				"timestamps cannot be turned into UTC by measurement", m->iface, err);
	}
	if (m->source == CONFIG_CLOCK_PTP4L) {
		m->pmc = pmc_create(&pa);
		if (!m->pmc) {
			snprintf(err, errlen, "ptp_client_socket %s: %s (the directory must exist "
				 "and be writable)", pa.client, strerror(errno));
			return -errno;
		}
		m->ev_read = event_new(m->base, pmc_fd(m->pmc), EV_READ | EV_PERSIST, on_read, m);
		if (!m->ev_read || event_add(m->ev_read, NULL)) {
			snprintf(err, errlen, "cannot watch the ptp4l client socket");
			return -ENOMEM;
		}
	}
	return 0;
}

struct clockmon *clockmon_create(const struct clockmon_args *a, char *err, size_t errlen)
{
	struct clockmon *m = calloc(1, sizeof(*m));
	int64_t poll_ns = config_int(a->conf, CONFIG_PTP_POLL);
	struct timeval tv = { .tv_sec = poll_ns / 1000000000,
			      .tv_usec = poll_ns % 1000000000 / 1000 };
	int rc = -ENOMEM;

	if (!m) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	m->source = (int)config_int(a->conf, CONFIG_CLOCK_SOURCE);
	m->hw = a->hw_timestamps;
	snprintf(m->iface, sizeof(m->iface), "%s", a->iface);
	snprintf(m->ptp_socket, sizeof(m->ptp_socket), "%s", config_str(a->conf, CONFIG_PTP_SOCKET));
	m->domain = (int)config_int(a->conf, CONFIG_PTP_DOMAIN);
	m->poll_ns = poll_ns;
	m->base = a->base;
	m->prov = a->prov;
	m->map = a->map;
	m->last_answer_ns = m->subscribed_ns = INT64_MIN;
	m->lim = (struct log_limit)LOG_LIMIT_INIT(60);
	rc = setup(m, a, err, errlen);
	if (rc)
		goto out;
	log_msg(LOG_NOTICE, "clock: timestamps of %s from %s; quality from %s", m->iface,
		clockmon_ts_clock(m), m->source == CONFIG_CLOCK_PTP4L ? m->ptp_socket :
		m->source == CONFIG_CLOCK_SYSTEM ? "the kernel's NTP state (adjtimex)" :
		"nowhere (clock_source = none)");
	if (m->pmc)
		first_round(m);
	tick(m);
	m->ev_tick = event_new(m->base, -1, EV_PERSIST, on_tick, m);
	if (!m->ev_tick || event_add(m->ev_tick, &tv)) {
		snprintf(err, errlen, "cannot set up the clock timer");
		rc = -ENOMEM;
		goto out;
	}
	return m;
out:
	clockmon_destroy(m);
	errno = rc < 0 ? -rc : ENOMEM;
	return NULL;
}

void clockmon_destroy(struct clockmon *m)
{
	if (!m)
		return;
	if (m->ev_tick)
		event_free(m->ev_tick);
	if (m->ev_read)
		event_free(m->ev_read);
	pmc_destroy(m->pmc);
	phc_destroy(m->ts_phc);
	phc_destroy(m->ptp_phc);
	clockq_destroy(m->q);
	free(m);
}

void clockmon_set_hw(struct clockmon *m, bool hw)
{
	char err[256];
	int idx;

	if (m->hw == hw)
		return;
	m->hw = hw;
	if (hw && !m->ts_phc) {
		idx = phc_index_of(m->iface, err, sizeof(err));
		m->ts_phc = idx >= 0 ? phc_open(idx, err, sizeof(err)) : NULL;
		if (!m->ts_phc)
			log_msg(LOG_WARNING, "clock: the PHC of %s cannot be read (%s)", m->iface,
				err);
	}
	log_msg(LOG_NOTICE, "clock: timestamps of %s come from %s", m->iface,
		clockmon_ts_clock(m));
	tick(m);
}
