/* The capture daemon's lifecycle; see daemon.h. */
#include <bpf/libbpf.h>
#include <errno.h>
#include <event2/event.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "daemon_int.h"
#include "hwts.h"
#include "log.h"
#include "priv.h"
#include "wconf.h"

/* libbpf reports on stderr what our own messages already say better (a
 * refused load or attach comes back as an error we explain);
 * CAPTURED_DEBUG_BPF=1 shows its messages too. */
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || !getenv("CAPTURED_DEBUG_BPF"))
		return 0;
	fputs("debug: libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

static const struct source_ops *backend_ops(int backend)
{
	return backend == CONFIG_BACKEND_AFXDP ? &src_afxdp_ops : &src_afpacket_ops;
}

/* The RX queues to serve: "all", or a list checked against the device. */
static int pick_queues(struct daemon *d, int *q, char *err, size_t errlen)
{
	const char *s = config_str(d->conf, CONFIG_QUEUES);
	int n, i;

	if (!strcmp(s, "all")) {
		n = d->ifi.rx_queues < DAEMON_MAX_WORKERS ? d->ifi.rx_queues : DAEMON_MAX_WORKERS;
		for (i = 0; i < n; i++)
			q[i] = i;
		return n;
	}
	n = ifinfo_parse_list(s, d->ifi.rx_queues, q, DAEMON_MAX_WORKERS);
	if (n <= 0)
		snprintf(err, errlen, "queues: '%s' is not a list of RX queues of %s, which has "
			 "%d (0-%d)", s, d->ifi.name, d->ifi.rx_queues, d->ifi.rx_queues - 1);
	return n > 0 ? n : -EINVAL;
}

/* Cores for the workers, in queue order: the NIC's node, or the list. */
static int pick_cpus(struct daemon *d, int *cpu, int n, char *err, size_t errlen)
{
	const char *s = config_str(d->conf, CONFIG_CPUS);
	int list[CPU_SETSIZE], m = 0, i;
	cpu_set_t online;

	sched_getaffinity(0, sizeof(online), &online);
	if (!strcmp(s, "auto")) {
		for (i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &d->ifi.local_cpus) && CPU_ISSET(i, &online))
				list[m++] = i;
	} else {
		m = ifinfo_parse_list(s, CPU_SETSIZE, list, CPU_SETSIZE);
		for (i = 0; i < m; i++) {
			if (!CPU_ISSET(list[i], &online)) {
				snprintf(err, errlen, "cpus: core %d is not one this process may "
					 "run on", list[i]);
				return -EINVAL;
			}
		}
		if (m <= 0) {
			snprintf(err, errlen, "cpus: '%s' is not a list of cores (2,4-6)", s);
			return -EINVAL;
		}
	}
	for (i = 0; i < n; i++)
		cpu[i] = m ? list[i % m] : -1;
	return 0;
}

static void stop_workers(struct daemon *d)
{
	int i;

	for (i = 0; i < d->nw; i++)
		worker_stop(d->w[i]);
	for (i = 0; i < d->nw; i++)
		worker_destroy(d->w[i]);
	d->nw = 0;
	if (d->shared && d->ops->iface_close)
		d->ops->iface_close(d->shared);
	d->shared = NULL;
}

static int start_workers(struct daemon *d, int backend, const int *q, const int *cpu, int n,
			 char *err, size_t errlen)
{
	struct worker_opts wo = {
		.ops = backend_ops(backend), .conf = d->conf, .iface = d->ifi.name,
		.nworkers = n, .fanout_id = (getpid() ^ d->ifi.ifindex) & 0xffff,
		.node_cpus = &d->ifi.local_cpus, .store = d->store, .os = d->os,
		.userappl = d->userappl, .hardware = d->ifi.driver,
		.clock = d->prov, .tsmap = &d->tsmap,
	};
	struct source_args sa = { .conf = d->conf, .iface = d->ifi.name, .nworkers = n,
				  .fanout_id = wo.fanout_id, .tsmap = &d->tsmap };
	int i;

	d->ops = wo.ops;
	if (wo.ops->iface_open) {
		d->shared = wo.ops->iface_open(&sa, err, errlen);
		if (!d->shared)
			return -EIO;
		wo.shared = d->shared;
	}
	for (i = 0; i < n; i++) {
		wo.queue = q[i];
		wo.cpu = cpu[i];
		d->w[i] = worker_create(&wo, err, errlen);
		if (!d->w[i]) {
			d->nw = i;
			stop_workers(d);
			return -EIO;
		}
		d->nw = i + 1;
	}
	d->backend = backend == CONFIG_BACKEND_AFXDP ? "afxdp" : "afpacket";
	return 0;
}

static int start_capture(struct daemon *d, char *err, size_t errlen)
{
	int backend = (int)config_int(d->conf, CONFIG_BACKEND), q[DAEMON_MAX_WORKERS];
	int cpu[DAEMON_MAX_WORKERS], n, rc;
	char why[512];

	n = pick_queues(d, q, err, errlen);
	if (n < 0)
		return n;
	rc = pick_cpus(d, cpu, n, err, errlen);
	if (rc)
		return rc;
	if (backend != CONFIG_BACKEND_AUTO)
		return start_workers(d, backend, q, cpu, n, err, errlen);
	if (!start_workers(d, CONFIG_BACKEND_AFXDP, q, cpu, n, why, sizeof(why)))
		return 0;
	snprintf(d->backend_note, sizeof(d->backend_note), "AF_XDP not used: %s", why);
	log_msg(LOG_NOTICE, "%s: AF_XDP not used (%s); capturing through AF_PACKET",
		d->ifi.name, why);
	return start_workers(d, CONFIG_BACKEND_AFPACKET, q, cpu, n, err, errlen);
}

/* Before the workers, so that their first files say where time comes
 * from; whether stamps will be hardware ones is what the sources will
 * find (hwts_query), checked again once they run. */
static int start_clock(struct daemon *d, char *err, size_t errlen)
{
	struct hwts_caps caps = { .phc_index = -1 };
	struct clockmon_args a = { .conf = d->conf, .iface = d->ifi.name, .base = d->base,
				   .map = &d->tsmap };
	char why[256];

	tscale_map_init(&d->tsmap);
	d->prov = clockprov_create();
	if (!d->prov) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	a.prov = d->prov;
	a.hw_timestamps = config_int(d->conf, CONFIG_TIMESTAMP) != CONFIG_TS_SOFTWARE &&
			  !hwts_query(d->ifi.name, &caps, why, sizeof(why)) && caps.rx_hardware;
	d->cm = clockmon_create(&a, err, errlen);
	return d->cm ? 0 : -errno;
}

static void check_tsource(struct daemon *d)
{
	struct worker_stats ws;
	bool hw = false;

	for (int i = 0; i < d->nw; i++) {
		worker_sample(d->w[i], &ws);
		hw |= !strcmp(ws.tsource, "hardware");
	}
	clockmon_set_hw(d->cm, hw);
}

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	log_msg(LOG_NOTICE, "%s: stopping (%s)", d->ifi.name, strsignal((int)sig));
	sd_notify(0, "STOPPING=1");
	event_base_loopbreak(d->base);
}

static struct timeval tv_of_ns(int64_t ns)
{
	return (struct timeval){ .tv_sec = ns / 1000000000, .tv_usec = ns % 1000000000 / 1000 };
}

/* Re-reads the file into a fresh config, puts the command line on top, and
 * applies what may change while running. */
static void reload(struct daemon *d)
{
	struct config *c = config_create();
	struct writer_opts wo = { 0 };
	struct timeval tv;
	char err[512];
	int o, i;

	if (!c || (d->o.conf_path && config_load_file(c, d->o.conf_path, err, sizeof(err))) ||
	    (d->o.cli && config_merge(c, d->o.cli))) {
		log_msg(LOG_ERR, "reload: %s; keeping the running configuration",
			c ? err : "out of memory");
		config_destroy(c);
		return;
	}
	for (o = 0; o < CONFIG_NOPTS; o++) {
		char a[256], b[256];

		config_value(d->conf, o, a, sizeof(a));
		config_value(c, o, b, sizeof(b));
		if (!strcmp(a, b))
			continue;
		if (config_reloadable(o))
			log_msg(LOG_NOTICE, "reload: %s = %s (was %s)", config_name(o), b, a);
		else
			log_msg(LOG_WARNING, "reload: %s changed to %s, which needs a restart; "
				"%s stays", config_name(o), b, a);
	}
	/* keep the old values of what cannot change; take the rest */
	for (o = 0; o < CONFIG_NOPTS; o++)
		if (config_reloadable(o) && config_copy_opt(d->conf, c, o))
			log_msg(LOG_ERR, "reload: %s: out of memory", config_name(o));
	config_destroy(c);
	wconf_fill(&wo, d->conf);
	for (i = 0; i < d->nw; i++)
		writer_reconfigure(worker_writer(d->w[i]), &wo);
	tv = tv_of_ns(config_int(d->conf, CONFIG_STATS_INTERVAL));
	event_add(d->ev_stats, &tv);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)sig;
	(void)what;
	sd_notify(0, "RELOADING=1");
	log_msg(LOG_NOTICE, "%s: SIGHUP: closing open files, reloading %s", d->ifi.name,
		d->o.conf_path ? d->o.conf_path : "(no configuration file)");
	for (int i = 0; i < d->nw; i++)
		writer_rotate(worker_writer(d->w[i]));
	reload(d);
	sd_notify(0, "READY=1");
}

static void on_stats(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	char line[512];

	(void)fd;
	(void)what;
	daemon_sample(d);
	daemon_status_line(d, line, sizeof(line));
	sd_notifyf(0, "STATUS=%s", line);
}

/* The watchdog is fed only while every worker is running: a dead worker
 * means lost packets, and a restart by systemd is the way back. */
static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	daemon_sample(d);
	if (!d->worker_failed)
		sd_notify(0, "WATCHDOG=1");
}

static char *on_request(const char *req, void *arg)
{
	struct daemon *d = arg;

	if (!strcmp(req, "status")) {
		daemon_sample(d);
		return daemon_status_json(d);
	}
	if (!strcmp(req, "rotate")) {
		for (int i = 0; i < d->nw; i++)
			writer_rotate(worker_writer(d->w[i]));
		return strdup("ok\n");
	}
	return strdup("error: unknown request (status, rotate)\n");
}

static int setup_loop(struct daemon *d, char *err, size_t errlen)
{
	struct timeval tv = tv_of_ns(config_int(d->conf, CONFIG_STATS_INTERVAL));
	uint64_t wd_usec = 0;

	d->base = event_base_new();
	if (!d->base) {
		snprintf(err, errlen, "cannot create the event loop");
		return -ENOMEM;
	}
	d->ev_term = evsignal_new(d->base, SIGTERM, on_stop, d);
	d->ev_int = evsignal_new(d->base, SIGINT, on_stop, d);
	d->ev_hup = evsignal_new(d->base, SIGHUP, on_hup, d);
	d->ev_stats = event_new(d->base, -1, EV_PERSIST, on_stats, d);
	if (!d->ev_term || !d->ev_int || !d->ev_hup || !d->ev_stats ||
	    event_add(d->ev_term, NULL) || event_add(d->ev_int, NULL) ||
	    event_add(d->ev_hup, NULL) || event_add(d->ev_stats, &tv)) {
		snprintf(err, errlen, "cannot set up signal and timer events");
		return -ENOMEM;
	}
	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec) {
		tv = tv_of_ns((int64_t)wd_usec * 1000 / 2);
		d->ev_watchdog = event_new(d->base, -1, EV_PERSIST, on_watchdog, d);
		if (!d->ev_watchdog || event_add(d->ev_watchdog, &tv)) {
			snprintf(err, errlen, "cannot set up the watchdog timer");
			return -ENOMEM;
		}
	}
	d->ctl = control_create(d->base, config_str(d->conf, CONFIG_CONTROL_SOCKET),
				config_str(d->conf, CONFIG_CONTROL_GROUP),
				(unsigned)config_int(d->conf, CONFIG_CONTROL_MODE), on_request, d,
				err, errlen);
	return d->ctl ? 0 : -errno;
}

/* ---- startup recovery (crash safety): begin ---- */
/* A daemon that was killed (SIGKILL, the OOM killer) or crashed leaves
 * its open files as .part files that no process holds.  Before capturing,
 * they are sealed (store_recover: cut after the last whole frame, seek
 * table, final name; one log line per file), so that after a restart the
 * store holds only complete files and files being written.  Files that
 * another live daemon writes into the same store are not touched. */
static void recover_store(struct daemon *d)
{
	int n = store_recover(d->store);

	if (n < 0)
		log_msg(LOG_WARNING, "%s: recovery: cannot list the store: %s",
			store_dir(d->store), strerror(-n));
	else if (n > 0)
		log_msg(LOG_NOTICE, "%s: recovery: sealed %d torn file%s left by an earlier run",
			store_dir(d->store), n, n == 1 ? "" : "s");
}
/* ---- startup recovery (crash safety): end ---- */

/* ---- privilege drop (least privilege): begin ---- */
/* Once everything is set up (sockets, XDP program, control socket, store):
 * run as the configured user and group, with no capability on this thread
 * and none on the writers; the RX workers limited themselves already to
 * what link recovery needs (priv.h).  Under systemd, User= has switched
 * already: only the capabilities are dropped, and user must then name
 * the same user or be empty. */
static int drop_privileges(struct daemon *d, char *err, size_t errlen)
{
	struct priv_args a = {
		.user = config_str(d->conf, CONFIG_USER),
		.group = config_str(d->conf, CONFIG_GROUP),
		.store_dir = store_dir(d->store),
		.control_socket = config_str(d->conf, CONFIG_CONTROL_SOCKET),
		.control_group_set = *config_str(d->conf, CONFIG_CONTROL_GROUP) != '\0',
	};
	char done[512];
	int rc = priv_drop(&a, done, sizeof(done), err, errlen);

	if (!rc && done[0])
		log_msg(LOG_NOTICE, "%s: %s", d->ifi.name, done);
	return rc;
}
/* ---- privilege drop (least privilege): end ---- */

struct daemon *daemon_create(const struct daemon_opts *opts, char *err, size_t errlen)
{
	struct daemon *d = calloc(1, sizeof(*d));
	struct timespec t;
	struct utsname un;
	int rc = -ENOMEM;

	if (!d) {
		config_destroy(opts->conf);
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	d->o = *opts;
	d->conf = opts->conf;
	clock_gettime(CLOCK_MONOTONIC, &t);
	d->start_ns = (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
	uname(&un);
	snprintf(d->os, sizeof(d->os), "%s %s %s", un.sysname, un.release, un.machine);
	snprintf(d->userappl, sizeof(d->userappl), "captured %s", opts->version);
	/* a client that leaves before its reply would otherwise kill us */
	signal(SIGPIPE, SIG_IGN);
	libbpf_set_print(libbpf_log);
	rc = ifinfo_get(config_str(d->conf, CONFIG_INTERFACE), &d->ifi, err, errlen);
	if (rc)
		goto out;
	ifinfo_rx_stats(d->ifi.name, &d->nic_raw);
	d->store = store_open(config_str(d->conf, CONFIG_STORE), true, err, errlen);
	rc = d->store ? setup_loop(d, err, errlen) : -errno;
	if (rc)
		goto out;
	recover_store(d);
	rc = start_clock(d, err, errlen);
	if (rc)
		goto out;
	rc = start_capture(d, err, errlen);
	if (rc)
		goto out;
	check_tsource(d);
	rc = drop_privileges(d, err, errlen);
	if (rc)
		goto out;
	log_msg(LOG_NOTICE, "%s: capturing %d queue%s through %s into %s", d->ifi.name, d->nw,
		d->nw == 1 ? "" : "s", d->backend, store_dir(d->store));
	return d;
out:
	daemon_destroy(d);
	errno = rc < 0 ? -rc : EINVAL;
	return NULL;
}

int daemon_run(struct daemon *d)
{
	char line[512];

	daemon_sample(d);
	daemon_status_line(d, line, sizeof(line));
	sd_notifyf(0, "READY=1\nSTATUS=%s\nMAINPID=%lu", line, (unsigned long)getpid());
	event_base_dispatch(d->base);
	stop_workers(d);
	log_msg(LOG_NOTICE, "%s: stopped; every file is closed", d->ifi.name);
	return d->worker_failed ? 1 : 0;
}

void daemon_destroy(struct daemon *d)
{
	if (!d)
		return;
	stop_workers(d);
	clockmon_destroy(d->cm);
	clockprov_destroy(d->prov);
	control_destroy(d->ctl);
	if (d->ev_term)
		event_free(d->ev_term);
	if (d->ev_int)
		event_free(d->ev_int);
	if (d->ev_hup)
		event_free(d->ev_hup);
	if (d->ev_stats)
		event_free(d->ev_stats);
	if (d->ev_watchdog)
		event_free(d->ev_watchdog);
	if (d->base)
		event_base_free(d->base);
	store_destroy(d->store);
	config_destroy(d->conf);
	free(d);
}
