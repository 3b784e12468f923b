/* What the daemon says about itself: the status reply of the control
 * socket (JSON), the sd_notify STATUS line, and the warnings behind both. */
#include <errno.h>
#include <jansson.h>
#include <linux/net_tstamp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "daemon_int.h"
#include "hwts.h"
#include "log.h"

static int64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* A device stamping every packet can be narrowed by another program on
 * the same NIC (ptp4l without "hwts_filter full"); packets then arrive
 * without hardware stamps.  Said once per change, kept for status. */
static void check_hw_filter(struct daemon *d, const struct worker_stats *s)
{
	char msg[256] = "";
	int filter;

	if (strcmp(s->tsource, "hardware") || hwts_rx_filter(d->ifi.name, &filter))
		return;
	if (filter != HWTSTAMP_FILTER_ALL)
		snprintf(msg, sizeof(msg), "hardware RX timestamp filter of %s is now '%s', not "
			 "'all': other packets get no hardware timestamps (ptp4l on this NIC "
			 "needs hwts_filter full)", d->ifi.name, hwts_filter_name(filter));
	if (strcmp(msg, d->hw_filter_warning) && msg[0])
		log_msg(LOG_WARNING, "%s", msg);
	snprintf(d->hw_filter_warning, sizeof(d->hw_filter_warning), "%s", msg);
}

/* The NIC's own counters, summed since start from the kernel's 32-bit ones
 * (they wrap in about an hour at 1 Mpps; sampled every stats_interval).
 * An interface that disappears is said once, and once that it is back; a
 * new interface of the same name (another ifindex) starts counting from
 * where the old one ended, as the workers do. */
static void sample_nic(struct daemon *d)
{
	struct ifinfo_rx r;
	bool gone = ifinfo_rx_stats(d->ifi.name, &r) == -ENODEV;

	if (!gone && d->nic_raw.ifindex != r.ifindex) {
		if (!d->nic_gone)
			log_msg(LOG_WARNING, "%s: the interface was replaced (ifindex %d, was %d)",
				d->ifi.name, r.ifindex, d->nic_raw.ifindex);
		d->nic_raw = r;
	}
	if (!gone && d->nic_gone)
		log_msg(LOG_NOTICE, "%s: the interface is back (ifindex %d)", d->ifi.name,
			r.ifindex);
#define NIC_ADD(f) (d->nic.f += (uint32_t)(r.f - d->nic_raw.f))
	if (!gone) {
		NIC_ADD(packets);
		NIC_ADD(bytes);
		NIC_ADD(missed);
		NIC_ADD(fifo);
		NIC_ADD(over);
		d->nic_raw = r;
	}
#undef NIC_ADD
	if (gone && !d->nic_gone)
		log_msg(LOG_ERR, "%s: the interface is gone; nothing is captured until an "
			"interface of that name comes back, which the workers then capture from",
			d->ifi.name);
	d->nic_gone = gone;
}

void daemon_sample(struct daemon *d)
{
	int64_t now = mono_ns();
	struct worker_stats s;
	int i;

	sample_nic(d);
	for (i = 0; i < d->nw; i++) {
		struct daemon_rate *r = &d->rate[i];
		double dt = (double)(now - r->at_ns) / 1e9;

		worker_sample(d->w[i], &s);
		/* the worker logged why when it stopped */
		if (!s.running && s.error[0])
			d->worker_failed = true;
		/* rates over at least a tenth of a second, or they are noise */
		if (r->at_ns && dt >= 0.1) {
			r->pps = (double)(s.src.packets - r->packets) / dt;
			r->bps = (double)(s.src.bytes - r->bytes) * 8 / dt;
		}
		if (!r->at_ns || dt >= 0.1) {
			r->packets = s.src.packets;
			r->bytes = s.src.bytes;
			r->at_ns = now;
		}
		if (i == 0)
			check_hw_filter(d, &s);
		d->last[i] = s;
	}
}

static json_t *drops_json(const struct worker_stats *s)
{
	return json_pack("{sI sI sI sI}", "kernel", (json_int_t)s->src.ifdrop,
			 "bypass", (json_int_t)s->src.osdrop, "writer", (json_int_t)s->writer_drops,
			 "lost", (json_int_t)s->wr.lost_packets);
}

static json_t *stored_json(const struct worker_stats *s, bool level)
{
	json_t *j = json_pack("{sI sI sI sI}", "packets", (json_int_t)s->wr.packets,
			      "bytes", (json_int_t)s->wr.bytes,
			      "disk_bytes", (json_int_t)s->wr.disk_bytes,
			      "files", (json_int_t)s->wr.files);

	if (j && level)
		json_object_set_new(j, "level", json_integer(s->wr.level));
	return j;
}

static json_t *queue_json(const struct worker_stats *s, const struct daemon_rate *r)
{
	json_t *q = json_pack("{si si ss ss sI sI sf sf so sI sI sI so ss sb}",
			      "queue", s->queue, "cpu", s->cpu, "mode", s->mode,
			      "timestamps", s->tsource, "packets", (json_int_t)s->src.packets,
			      "bytes", (json_int_t)s->src.bytes, "pps", r->pps, "bps", r->bps,
			      "drops", drops_json(s), "ts_backwards", (json_int_t)s->src.ts_backwards,
			      "ts_hardware", (json_int_t)s->src.ts_hardware,
			      "ts_software", (json_int_t)s->src.ts_software,
			      "stored", stored_json(s, true), "file", s->wr.current,
			      "running", s->running);

	if (q && s->error[0])
		json_object_set_new(q, "error", json_string(s->error));
	if (q) {
		json_object_set_new(q, "link_losses", json_integer((json_int_t)s->src.link_losses));
		json_object_set_new(q, "waiting", json_string(s->src.waiting));
	}
	return q;
}

/* Sums over the queues, in the shape of one queue's counters. */
static void sum_stats(const struct daemon *d, struct worker_stats *t, double *pps, double *bps)
{
	memset(t, 0, sizeof(*t));
	*pps = *bps = 0;
	for (int i = 0; i < d->nw; i++) {
		const struct worker_stats *s = &d->last[i];

		t->src.packets += s->src.packets;
		t->src.bytes += s->src.bytes;
		t->src.ifdrop += s->src.ifdrop;
		t->src.osdrop += s->src.osdrop;
		t->writer_drops += s->writer_drops;
		t->wr.lost_packets += s->wr.lost_packets;
		t->wr.packets += s->wr.packets;
		t->wr.bytes += s->wr.bytes;
		t->wr.disk_bytes += s->wr.disk_bytes;
		t->wr.files += s->wr.files;
		if (s->wr.store_error)
			t->wr.store_error = s->wr.store_error;
		*pps += d->rate[i].pps;
		*bps += d->rate[i].bps;
	}
}

static json_t *store_json(const struct daemon *d)
{
	struct store_file *files = NULL;
	uint64_t bytes = 0;
	struct statvfs vfs;
	size_t n = 0, i;
	json_t *j;

	if (store_list(d->store, &files, &n))
		n = 0;
	for (i = 0; i < n; i++)
		bytes += files[i].disk_bytes;
	free(files);
	j = json_pack("{ss sI sI sI}", "path", store_dir(d->store), "files", (json_int_t)n,
		      "bytes", (json_int_t)bytes,
		      "retain_size", (json_int_t)config_int(d->conf, CONFIG_RETAIN_SIZE));
	if (j && !statvfs(store_dir(d->store), &vfs)) {
		json_object_set_new(j, "fs_free", json_integer((json_int_t)(vfs.f_bavail * vfs.f_frsize)));
		json_object_set_new(j, "fs_size", json_integer((json_int_t)(vfs.f_blocks * vfs.f_frsize)));
	}
	return j;
}

static json_t *nic_json(const struct daemon *d)
{
	/* not rx_dropped: most drivers count there what the host's stack
	 * threw away after capture (unknown protocols), which is no loss of ours */
	return json_pack("{sI sI sI sI sI sb}", "packets", (json_int_t)d->nic.packets,
			 "bytes", (json_int_t)d->nic.bytes, "missed", (json_int_t)d->nic.missed, "fifo", (json_int_t)d->nic.fifo,
			 "over", (json_int_t)d->nic.over, "gone", d->nic_gone);
}

static json_t *warnings_json(const struct daemon *d, const struct worker_stats *t)
{
	json_t *w = json_array();
	char msg[512];

	if (!w)
		return NULL;
	if (d->hw_filter_warning[0])
		json_array_append_new(w, json_string(d->hw_filter_warning));
	if (d->nic_gone) {
		snprintf(msg, sizeof(msg), "interface %s is gone: nothing is captured", d->ifi.name);
		json_array_append_new(w, json_string(msg));
	}
	if (d->nic.missed + d->nic.fifo + d->nic.over) {
		snprintf(msg, sizeof(msg), "the NIC dropped packets before any ring (missed %llu, "
			 "fifo %llu, over %llu since start; see ethtool -S %s)",
			 (unsigned long long)d->nic.missed, (unsigned long long)d->nic.fifo,
			 (unsigned long long)d->nic.over, d->ifi.name);
		json_array_append_new(w, json_string(msg));
	}
	if (d->backend_note[0])
		json_array_append_new(w, json_string(d->backend_note));
	for (int i = 0; i < d->nw; i++) {
		if (d->last[i].running && d->last[i].src.waiting[0]) {
			snprintf(msg, sizeof(msg), "queue %d is waiting: %s", d->last[i].queue,
				 d->last[i].src.waiting);
			json_array_append_new(w, json_string(msg));
		}
		if (d->last[i].running)
			continue;
		snprintf(msg, sizeof(msg), "queue %d is not capturing: %s", d->last[i].queue,
			 d->last[i].error[0] ? d->last[i].error : "stopped");
		json_array_append_new(w, json_string(msg));
	}
	/* a writer that paused because the store refused its writes */
	for (int i = 0; i < d->nw; i++) {
		const struct writer_stats *ws = &d->last[i].wr;

		if (!ws->store_error)
			continue;
		snprintf(msg, sizeof(msg), "%s: queue %d has not written for %.0f s (%s); its "
			 "packets are counted as lost; it tries again every second%s%s",
			 ws->store_error == ENOSPC || ws->store_error == EDQUOT ? "store full" :
			 "store not writable", d->last[i].queue,
			 (double)(mono_ns() - ws->pause_since_ns) / 1e9, strerror(ws->store_error),
			 ws->unsealed[0] ? "; to be closed then: " : "", ws->unsealed);
		json_array_append_new(w, json_string(msg));
	}
	if (t->src.ifdrop + t->src.osdrop + t->writer_drops + t->wr.lost_packets) {
		snprintf(msg, sizeof(msg), "packets lost since start: %llu in the kernel ring, "
			 "%llu in the bypass ring, %llu at the writer, %llu not written (write errors, "
			 "full store)",
			 (unsigned long long)t->src.ifdrop, (unsigned long long)t->src.osdrop,
			 (unsigned long long)t->writer_drops, (unsigned long long)t->wr.lost_packets);
		json_array_append_new(w, json_string(msg));
	}
	return w;
}

char *daemon_status_json(struct daemon *d)
{
	struct worker_stats t;
	double pps, bps;
	json_t *root, *queues = json_array(), *tot;
	char *text = NULL, *out;
	size_t n;

	sum_stats(d, &t, &pps, &bps);
	for (int i = 0; queues && i < d->nw; i++)
		json_array_append_new(queues, queue_json(&d->last[i], &d->rate[i]));
	tot = json_pack("{sI sI sf sf so so}", "packets", (json_int_t)t.src.packets,
			"bytes", (json_int_t)t.src.bytes, "pps", pps, "bps", bps,
			"drops", drops_json(&t), "stored", stored_json(&t, false));
	root = json_pack("{ss si sf ss ss so so so so so so}", "version", d->o.version,
			 "pid", (int)getpid(), "uptime_s", (double)(mono_ns() - d->start_ns) / 1e9,
			 "interface", d->ifi.name, "backend", d->backend ? d->backend : "",
			 "store", store_json(d), "nic", nic_json(d), "clock",
			 d->cm ? clockmon_status(d->cm) : json_null(), "queues", queues,
			 "totals", tot, "warnings", warnings_json(d, &t));
	if (root)
		text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return NULL;
	n = strlen(text);
	out = realloc(text, n + 2);
	if (!out) {
		free(text);
		return NULL;
	}
	memcpy(out + n, "\n", 2);
	return out;
}

void daemon_status_line(struct daemon *d, char *buf, size_t len)
{
	struct worker_stats t;
	double pps, bps;
	char clock[96] = "";

	sum_stats(d, &t, &pps, &bps);
	if (d->cm)
		clockmon_summary(d->cm, clock, sizeof(clock));
	snprintf(buf, len, "%s via %s, %d queue%s: %llu packets, %.0f pps, dropped %llu kernel "
		 "%llu bypass %llu writer, %llu lost; %s%s%s", d->ifi.name,
		 d->backend ? d->backend : "-", d->nw, d->nw == 1 ? "" : "s",
		 (unsigned long long)t.src.packets, pps, (unsigned long long)t.src.ifdrop,
		 (unsigned long long)t.src.osdrop, (unsigned long long)t.writer_drops,
		 (unsigned long long)t.wr.lost_packets, clock,
		 d->worker_failed ? "; A QUEUE STOPPED" : "",
		 t.wr.store_error == ENOSPC || t.wr.store_error == EDQUOT ? "; STORE FULL" :
		 t.wr.store_error ? "; STORE NOT WRITABLE" : "");
}
