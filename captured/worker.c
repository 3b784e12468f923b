/* An RX worker thread; see worker.h. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "priv.h"
#include "wconf.h"
#include "worker.h"

#define EPB_OVERHEAD 64

struct worker {
	struct worker_opts o;
	pthread_t thread;
	bool joined;
	volatile sig_atomic_t stop;
	void *src;
	struct source_info info;
	struct batch_pool *pool;
	struct feeder *feeder;
	struct writer *writer;
	struct pcapng_idb idb;

	pthread_mutex_t lock;           /* everything below */
	pthread_cond_t cond;
	int state;                      /* 0 starting, 1 running, 2 failed, 3 ended */
	char error[256];
};

enum { W_STARTING, W_RUNNING, W_FAILED, W_ENDED };

static void set_state(struct worker *w, int state, const char *error)
{
	pthread_mutex_lock(&w->lock);
	w->state = state;
	if (error)
		snprintf(w->error, sizeof(w->error), "%s", error);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* Starts the writer thread from a thread that has no capabilities, so
 * that the writer has none either: threads inherit their creator's.  It
 * inherits the worker's affinity (the NIC's node) all the same. */
static void *start_writer_bare(void *arg)
{
	struct writer *wr = arg;

	priv_thread_none();
	return (void *)(intptr_t)writer_start(wr);
}

static int start_writer(struct worker *w, bool bare)
{
	pthread_t t;
	void *ret;
	int rc;

	if (!bare) {
		rc = writer_start(w->writer);
	} else if ((rc = -pthread_create(&t, NULL, start_writer_bare, w->writer)) == 0) {
		pthread_join(t, &ret);
		rc = (int)(intptr_t)ret;
	}
	if (rc)
		errno = -rc;
	return rc;
}

/* Source, pool, feeder and writer, on the worker's thread. */
static int setup(struct worker *w, const struct config *c, char *err, size_t errlen)
{
	struct source_args sa = {
		.conf = c, .iface = w->o.iface, .queue = w->o.queue,
		.nworkers = w->o.nworkers, .fanout_id = w->o.fanout_id, .shared = w->o.shared,
		.tsmap = w->o.tsmap,
	};
	size_t batch = (size_t)config_int(c, CONFIG_BATCH_SIZE);
	struct writer_opts wo = { 0 };
	bool limit = priv_wanted(c);

	w->src = w->o.ops->create(&sa, err, errlen);
	if (!w->src)
		return -errno;
	w->o.ops->info(w->src, &w->info);
	/* the source is set up: from here on this thread keeps only what it
	 * needs to set it up again, and the writer thread started below
	 * inherits no more than that (priv.h) */
	if (limit)
		priv_thread_limit(c, w->info.recover_caps);
	if (batch < w->info.snaplen + EPB_OVERHEAD)
		batch = w->info.snaplen + EPB_OVERHEAD;
	w->pool = batch_pool_create((size_t)config_int(c, CONFIG_RING_BATCHES), batch);
	w->feeder = w->pool ? feeder_create(w->pool, false, w->info.snaplen) : NULL;
	if (!w->feeder) {
		snprintf(err, errlen, "queue %d: cannot allocate %lld batches of %zu bytes",
			 w->o.queue, (long long)config_int(c, CONFIG_RING_BATCHES), batch);
		return -ENOMEM;
	}
	w->idb.linktype = w->info.linktype;
	w->idb.snaplen = w->info.snaplen;
	w->idb.tsresol = 9;
	w->idb.name = w->info.name;
	w->idb.description = w->info.description;
	w->idb.hardware = w->o.hardware && *w->o.hardware ? w->o.hardware : NULL;
	w->idb.os = w->o.os;
	w->idb.filter = w->info.filter[0] ? w->info.filter : NULL;
	wconf_fill(&wo, c);
	wo.store = w->o.store;
	wo.iface = w->info.label;
	wo.queue = w->o.queue;
	wo.idb = w->idb;
	wo.shb_os = w->o.os;
	wo.shb_userappl = w->o.userappl;
	wo.lossless_source = false;
	wo.feeder = w->feeder;
	wo.clock = w->o.clock;
	w->writer = writer_create(&wo, w->pool);
	/* switching users, the writer needs what the switch takes until it
	 * (and loses all with it); otherwise it starts with nothing */
	if (!w->writer || start_writer(w, limit && !priv_switching(c))) {
		snprintf(err, errlen, "queue %d: cannot start the writer: %s", w->o.queue,
			 strerror(errno));
		return -ENOMEM;
	}
	/* through the switch to the configured user; the writer loses all */
	if (limit)
		priv_thread_keep();
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct writer_ifstats ifs = { 0 };
	struct source_stats ss;
	char err[256] = "";
	cpu_set_t one;
	int rc;

	if (setup(w, w->o.conf, err, sizeof(err))) {
		set_state(w, W_FAILED, err);
		return NULL;
	}
	if (w->o.cpu >= 0) {
		CPU_ZERO(&one);
		CPU_SET(w->o.cpu, &one);
		rc = pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
		if (rc)
			log_msg(LOG_WARNING, "%s queue %d: cannot pin to core %d: %s", w->o.iface,
				w->o.queue, w->o.cpu, strerror(rc));
	}
	set_state(w, W_RUNNING, NULL);
	rc = w->o.ops->run(w->src, w->feeder, &w->stop, err, sizeof(err));
	feeder_flush(w->feeder);
	w->o.ops->stats(w->src, &ss);
	ifs.ifrecv = ss.packets + ss.ifdrop + ss.osdrop;
	ifs.ifdrop = ss.ifdrop;
	ifs.osdrop = ss.osdrop;
	writer_set_ifstats(w->writer, &ifs);
	writer_finish(w->writer);
	if (rc) {
		log_msg(LOG_ERR, "%s queue %d: capture stopped: %s", w->o.iface, w->o.queue, err);
		set_state(w, W_FAILED, err);
	} else {
		set_state(w, W_ENDED, NULL);
	}
	return NULL;
}

static void release(struct worker *w)
{
	writer_destroy(w->writer);
	feeder_destroy(w->feeder);
	batch_pool_destroy(w->pool);
	if (w->src)
		w->o.ops->destroy(w->src);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

struct worker *worker_create(const struct worker_opts *o, char *err, size_t errlen)
{
	struct worker *w = calloc(1, sizeof(*w));
	pthread_attr_t attr;
	int rc;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	w->o = *o;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	pthread_attr_init(&attr);
	if (o->node_cpus && CPU_COUNT(o->node_cpus))
		pthread_attr_setaffinity_np(&attr, sizeof(*o->node_cpus), o->node_cpus);
	rc = pthread_create(&w->thread, &attr, worker_main, w);
	pthread_attr_destroy(&attr);
	if (rc) {
		snprintf(err, errlen, "queue %d: cannot start a thread: %s", o->queue, strerror(rc));
		release(w);
		errno = rc;
		return NULL;
	}
	pthread_mutex_lock(&w->lock);
	while (w->state == W_STARTING)
		pthread_cond_wait(&w->cond, &w->lock);
	rc = w->state;
	pthread_mutex_unlock(&w->lock);
	if (rc == W_FAILED) {
		snprintf(err, errlen, "%s", w->error);
		pthread_join(w->thread, NULL);
		release(w);
		errno = EIO;
		return NULL;
	}
	w->o.conf = NULL;       /* the caller's; not kept */
	return w;
}

void worker_stop(struct worker *w)
{
	if (w)
		w->stop = 1;
}

void worker_destroy(struct worker *w)
{
	if (!w)
		return;
	worker_stop(w);
	pthread_join(w->thread, NULL);
	release(w);
}

void worker_sample(struct worker *w, struct worker_stats *s)
{
	struct writer_ifstats ifs = { 0 };
	struct source_info info;

	memset(s, 0, sizeof(*s));
	s->queue = w->o.queue;
	s->cpu = w->o.cpu;
	w->o.ops->stats(w->src, &s->src);
	s->fed = feeder_packets(w->feeder);
	s->writer_drops = feeder_drops(w->feeder);
	ifs.ifrecv = s->src.packets + s->src.ifdrop + s->src.osdrop;
	ifs.ifdrop = s->src.ifdrop;
	ifs.osdrop = s->src.osdrop;
	pthread_mutex_lock(&w->lock);
	s->running = w->state == W_RUNNING;
	snprintf(s->error, sizeof(s->error), "%s", w->error);
	pthread_mutex_unlock(&w->lock);
	/* after the run ended, the final counters are already in */
	if (s->running)
		writer_set_ifstats(w->writer, &ifs);
	writer_get_stats(w->writer, &s->wr);
	/* a copy: the writer reads w->info's strings through its IDB */
	w->o.ops->info(w->src, &info);
	snprintf(s->mode, sizeof(s->mode), "%s", info.mode);
	snprintf(s->tsource, sizeof(s->tsource), "%s", info.tsource);
}

struct writer *worker_writer(struct worker *w)
{
	return w->writer;
}
