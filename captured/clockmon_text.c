/* What the clock monitor says: the section text every file starts with,
 * the status object, the one-line summary. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include "clockmon_int.h"

struct text {
	char *buf;
	size_t len, cap;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len >= t->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len = n < 0 ? t->cap : t->len + (size_t)n;
}

const char *clockmon_source_name(int source)
{
	static const char *const names[] = { "auto", "ptp4l", "system", "none" };

	return source >= 0 && source < 4 ? names[source] : "?";
}

const char *clockmon_ts_clock(const struct clockmon *m)
{
	return m->hw ? "the NIC's PHC (hardware timestamps)" :
	       "CLOCK_REALTIME (software timestamps)";
}

void clockmon_ptp_clock(const struct clockmon *m, char *buf, size_t len)
{
	if (!m->have_pprops)
		snprintf(buf, len, "?");
	else if (clockmon_ptp_hw(m))
		snprintf(buf, len, "PHC of %s", m->pprops.interface);
	else
		snprintf(buf, len, "CLOCK_REALTIME");
}

static const char *timescale(const struct clockmon *m)
{
	if (!m->have_tprop)
		return "unknown";
	return m->tprop.flags & PMC_TP_PTP_TIMESCALE ? "PTP" : "ARB";
}

static const char *leap(const struct clockmon *m)
{
	if (!m->have_tprop)
		return "unknown";
	return m->tprop.flags & PMC_TP_LEAP61 ? "61" : m->tprop.flags & PMC_TP_LEAP59 ? "59" :
	       "none";
}

/* "key=value" lines and a comment for people; a change starts new files,
 * so only what describes a whole file goes in (not offsets or states). */
void clockmon_publish_section(struct clockmon *m)
{
	char kvb[2048], cb[1024], gm[32] = "unknown", ptpc[96];
	struct text kv = { kvb, 0, sizeof(kvb) }, c = { cb, 0, sizeof(cb) };

	kvb[0] = cb[0] = 0;
	if (m->have_parent)
		pmc_clock_id_str(&m->parent.gm_identity, gm, sizeof(gm));
	clockmon_ptp_clock(m, ptpc, sizeof(ptpc));
	add(&kv, "timestamps=%s\n", m->hw ? "hardware" : "software");
	add(&kv, "timestamp_clock=%s\n", m->hw ? "phc" : "CLOCK_REALTIME");
	add(&kv, "clock_source=%s\n", clockmon_source_name(m->source));
	add(&c, "timestamps: %s; ", m->hw ? "hardware (NIC PHC)" : "software (CLOCK_REALTIME)");
	if (m->source == CONFIG_CLOCK_PTP4L) {
		add(&kv, "ptp4l_socket=%s\nptp_domain=%d\nptp_clock=%s\n", m->ptp_socket,
		    m->domain, ptpc);
		add(&kv, "grandmaster=%s\n", gm);
		if (m->have_parent)
			add(&kv, "gm_clock_class=%u\ngm_clock_accuracy=0x%02x\n",
			    m->parent.gm_quality.clock_class, m->parent.gm_quality.clock_accuracy);
		add(&kv, "timescale=%s\n", timescale(m));
		if (m->have_tprop)
			add(&kv, "utc_offset=%d\nutc_offset_valid=%d\ntime_traceable=%d\n",
			    m->tprop.current_utc_offset,
			    !!(m->tprop.flags & PMC_TP_UTC_OFF_VALID),
			    !!(m->tprop.flags & PMC_TP_TIME_TRACEABLE));
		add(&kv, "leap=%s\n", leap(m));
		add(&c, "clock quality from ptp4l (%s, domain %d, disciplining %s); grandmaster %s",
		    m->ptp_socket, m->domain, ptpc, gm);
		if (m->have_parent)
			add(&c, " (class %u)", m->parent.gm_quality.clock_class);
		if (m->have_tprop)
			add(&c, "; %s timescale, UTC offset %d s%s%s", timescale(m),
			    m->tprop.current_utc_offset,
			    m->tprop.flags & PMC_TP_UTC_OFF_VALID ? "" : " (not valid)",
			    strcmp(leap(m), "none") ? ", leap second pending" : "");
	} else if (m->source == CONFIG_CLOCK_SYSTEM) {
		add(&c, "clock quality from the kernel's NTP state; no PTP");
	} else {
		add(&c, "clock quality not monitored");
	}
	if (m->hw)
		add(&c, "; hardware timestamps converted to UTC%s",
		    m->rule_valid ? "" : " (no rule yet: stored as the PHC counts)");
	add(&kv, "utc_rule=%s\n", !m->hw ? "none" : m->rule_valid ? "valid" : "missing");
	add(&c, "; per-frame clock state and error bound in the store index");
	clockprov_set_section(m->prov, cb, kvb);
}

static json_t *num_or_null(int64_t v)
{
	return v == INT64_MIN ? json_null() : json_integer(v);
}

static int64_t now_mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static json_t *ptp4l_status(struct clockmon *m, int64_t now)
{
	json_t *o = json_object();
	char gm[32] = "unknown", ptpc[96];

	json_object_set_new(o, "socket", json_string(m->ptp_socket));
	json_object_set_new(o, "domain", json_integer(m->domain));
	json_object_set_new(o, "reachable", json_boolean(m->reachable));
	json_object_set_new(o, "last_answer_s", m->last_answer_ns == INT64_MIN ? json_null() :
			    json_real((double)(now - m->last_answer_ns) / 1e9));
	json_object_set_new(o, "rejected", json_integer((json_int_t)m->rejected));
	if (m->have_port)
		json_object_set_new(o, "port_state",
				    json_string(pmc_port_state_name(m->port.port_state)));
	if (m->have_tstatus) {
		json_object_set_new(o, "master_offset_ns", json_integer(m->tstatus.master_offset_ns));
		json_object_set_new(o, "gm_present", json_boolean(m->tstatus.gm_present));
	}
	if (m->have_current) {
		json_object_set_new(o, "path_delay_ns", json_integer(m->current.mean_path_delay_ns));
		json_object_set_new(o, "steps_removed", json_integer(m->current.steps_removed));
	}
	if (m->have_parent) {
		pmc_clock_id_str(&m->parent.gm_identity, gm, sizeof(gm));
		json_object_set_new(o, "grandmaster", json_string(gm));
		json_object_set_new(o, "gm_clock_class",
				    json_integer(m->parent.gm_quality.clock_class));
	}
	if (m->have_tprop) {
		json_object_set_new(o, "timescale", json_string(timescale(m)));
		json_object_set_new(o, "utc_offset", json_integer(m->tprop.current_utc_offset));
		json_object_set_new(o, "utc_offset_valid",
				    json_boolean(m->tprop.flags & PMC_TP_UTC_OFF_VALID));
		json_object_set_new(o, "leap", json_string(leap(m)));
	}
	clockmon_ptp_clock(m, ptpc, sizeof(ptpc));
	json_object_set_new(o, "clock", json_string(ptpc));
	return o;
}

json_t *clockmon_status(struct clockmon *m)
{
	json_t *o = json_object(), *p;
	struct clockq_view v;
	int64_t now = now_mono();

	clockq_get(m->q, now, &v);
	json_object_set_new(o, "source", json_string(clockmon_source_name(m->source)));
	json_object_set_new(o, "timestamps", json_string(m->hw ? "hardware" : "software"));
	json_object_set_new(o, "state", json_string(clockq_state_name(v.state)));
	json_object_set_new(o, "bound_ns", num_or_null(v.bound_ns));
	json_object_set_new(o, "state_for_s", v.since_ns == INT64_MIN ? json_null() :
			    json_real((double)(now - v.since_ns) / 1e9));
	json_object_set_new(o, "since_lock_s", v.last_lock_ns == INT64_MIN ? json_null() :
			    json_real(v.state == CLOCKQ_LOCKED ? 0.0 :
				      (double)(now - v.last_lock_ns) / 1e9));
	json_object_set_new(o, "extra_ns", num_or_null(m->extra_ns));
	if (m->source == CONFIG_CLOCK_PTP4L)
		json_object_set_new(o, "ptp4l", ptp4l_status(m, now));
	if (m->source == CONFIG_CLOCK_SYSTEM) {
		p = json_object();
		json_object_set_new(p, "synchronized", json_boolean(m->ntp_rc != TIME_ERROR &&
								    !(m->ntp_status & STA_UNSYNC)));
		json_object_set_new(p, "esterror_us", json_integer(m->ntp_esterror_us));
		json_object_set_new(p, "maxerror_us", json_integer(m->ntp_maxerror_us));
		json_object_set_new(o, "system", p);
	}
	if (m->ts_phc) {
		p = json_object();
		json_object_set_new(p, "index", json_integer(phc_get_index(m->ts_phc)));
		json_object_set_new(p, "method", json_string(phc_method(m->ts_phc)));
		json_object_set_new(p, "offset_ns", m->ts_phc_ok ? json_integer(m->ts_phc_off) :
				    json_null());
		json_object_set_new(p, "uncertainty_ns", m->ts_phc_ok ?
				    json_integer(m->ts_phc_unc) : json_null());
		json_object_set_new(o, "phc", p);
	}
	if (m->hw)
		json_object_set_new(o, "utc_rule_offset_ns", m->rule_valid ?
				    json_integer(m->rule.offset_ns) : json_null());
	return o;
}

void clockmon_summary(struct clockmon *m, char *buf, size_t len)
{
	struct clockq_view v;

	clockq_get(m->q, now_mono(), &v);
	if (v.bound_ns == INT64_MIN)
		snprintf(buf, len, "clock %s", clockq_state_name(v.state));
	else
		snprintf(buf, len, "clock %s, bound %lld ns", clockq_state_name(v.state),
			 (long long)v.bound_ns);
}
