/* Source: AF_XDP, one RX queue per worker.
 *
 * Our XDP program (bpf/capture.bpf.c, xdp_prog.c) stamps each packet in
 * front of its data and redirects it to the queue's socket.  What is per
 * interface is done once, on the daemon's thread, by iface_open: the checks
 * that may refuse AF_XDP, loading and attaching the program (xdp_prog.c),
 * compiling the filter.  A worker then only makes its UMEM and socket and
 * puts the socket in the program's XSKMAP.  Stamps: the NIC's, read with
 * the XDP RX metadata kfunc when the device stamps every packet, else
 * CLOCK_TAI taken per packet in the program, turned into UTC here.  The
 * capture filter is applied here, in userspace (libpcap's BPF interpreter),
 * so that the XDP program stays small; packets it rejects are not counted
 * as seen.
 * Packets larger than a 4 KiB frame (MTU above ~3.5 KB) arrive as several
 * descriptors (XDP_USE_SG) and are gathered into a scratch buffer.
 *
 * Link flaps: down and up again leaves program and sockets in place (the
 * socket answers ENETDOWN meanwhile).  A deleted interface takes the
 * program's attachment and the sockets' binding with it (the sockets answer
 * ENXIO); so does a detached link for the program.  Each worker looks
 * every second (every step while it waits): the first to see the program
 * unattached attaches it again, to the interface that has the name now
 * (xdp_prog_reattach, under the interface's mutex), and each worker makes
 * its socket and UMEM again on that interface, over the same memory.
 * Counters go on: the kernel's per-socket ones are added to what the old
 * sockets counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <xdp/xsk.h>
/* libpcap's classic BPF and the kernel's eBPF (via xsk.h) both name a
 * struct bpf_insn; the name does not reach the ABI */
#define bpf_insn pcap_bpf_insn
#include <pcap/pcap.h>
#undef bpf_insn

#include "bpf/capture_meta.h"
#include "capture.skel.h"
#include "config.h"
#include "ifinfo.h"
#include "log.h"
#include "pcapng.h"
#include "priv.h"
#include "source.h"
#include "xdp_prog.h"

/* newer than the 6.1 headers */
#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4)
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0)
#endif
#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)
#endif
#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

#define AFXDP_FRAME 4096u          /* one page per frame */
#define AFXDP_MIN_FRAMES 4096u
#define AFXDP_BATCH 64u
/* Largest MTU whose frames drivers (mlx5, veth) still receive in one page
 * next to the XDP headroom and skb_shared_info; above it, multi-buffer. */
#define AFXDP_SG_MTU 3498u
#define AFXDP_POLL_MS 100
#define AFXDP_BUSY_POLL_US 20
#define NSEC 1000000000LL
#define AFXDP_CHECK_NS NSEC        /* looks at socket and program while capturing */
#define AFXDP_RETRY_NS NSEC        /* between tries to set up again */

/* The socket's link as its worker sees it. */
enum { LINK_UP, LINK_DOWN, LINK_GONE };

/* The interface's state, shared by its workers: the filter is read-only
 * once opened; the program and its map change when it is attached again,
 * under lock. */
struct afxdp_iface {
	char filter_str[256];
	uint32_t snaplen;
	bool sg, has_filter;
	struct bpf_program filter; /* pcap_offline_filter only reads it */
	pthread_mutex_t lock;      /* everything below */
	struct xdp_prog *prog;
	bool detached;             /* said: the program is attached to nothing */
	unsigned detaches;         /* times it was found so */
	int64_t retry_ns;          /* next try to attach it again */
	char last_err[256];        /* of the last failed try, said once */
};

struct afxdp {
	struct afxdp_iface *fi;
	const char *iface;         /* fi->prog->iface */
	int queue, fd;             /* fd: -1 while the socket is gone */
	uint32_t snaplen, nframes;
	int64_t flush_ns;          /* feeder_tick age */
	int poll_ms;               /* longest wait for packets */
	void *area;
	size_t area_len;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp, rx;
	bool zerocopy, busy_poll, in_map;
	bool bpf_cap;              /* bpf() on our own descriptors needs CAP_BPF here */
	/* run thread only: the packet being gathered from several descriptors */
	uint8_t *scratch;          /* snaplen bytes */
	uint32_t have, origlen;
	bool pending;
	struct capture_meta meta;  /* of the packet being delivered */
	uint64_t last_ts;
	int64_t tai_off;           /* CLOCK_TAI - CLOCK_REALTIME, whole seconds, in ns */
	struct tscale_map *tsmap;  /* PHC to UTC for hardware stamps, or NULL */
	struct tscale_rule rule;   /* taken once per batch */
	bool rule_ok;
	struct log_limit lim_err, lim_meta;
	/* the link, run thread only */
	int link;                  /* LINK_* */
	int ifindex;               /* the socket is bound to */
	unsigned gen;              /* of the XSKMAP the socket is in */
	unsigned detaches;         /* fi->detaches when last seen */
	int64_t since_ns, check_ns, retry_ns;
	char last_err[256];        /* of the last failed set-up, said once */
	/* fd, the sockets' drop counts and waiting, against stats() */
	pthread_mutex_t lock;
	uint64_t osdrop_base, ifdrop_base; /* what closed sockets counted */
	char waiting[160];
	_Atomic uint64_t link_losses;
	/* written by the run thread, read by stats() on any thread */
	_Atomic uint64_t packets, bytes, ts_hw, ts_sw, ts_back;
};

static void add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
			      memory_order_relaxed);
}

static uint64_t get(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (int64_t)t.tv_sec * NSEC + t.tv_nsec;
}

/* The TAI-UTC offset (37 s in 2017-2025) as the kernel knows it (0 until
 * an NTP or PTP daemon sets it). */
static int64_t tai_offset(void)
{
	int64_t d = clock_ns(CLOCK_TAI) - clock_ns(CLOCK_REALTIME);

	return (d + NSEC / 2) / NSEC * NSEC;
}

/* The loader xdp_prog_open uses: the skeleton is built for this file. */
static int load_prog(const char *iface, int ifindex, bool hw, int *xsks_fd, char *err,
		     size_t errlen)
{
	struct capture_bpf *skel = capture_bpf__open();
	struct bpf_program *hp;
	int rc, fd = -1;

	*xsks_fd = -1;
	if (!skel) {
		rc = -errno;
		snprintf(err, errlen, "%s: opening the XDP program: %s", iface, strerror(-rc));
		return rc;
	}
	skel->rodata->owner_pid = (__u32)getpid();
	hp = skel->progs.captured_hw;
	if (hw) {
		/* metadata kfuncs resolve to the driver's code: device-bound only */
		bpf_program__set_ifindex(hp, (__u32)ifindex);
		bpf_program__set_flags(hp, bpf_program__flags(hp) | BPF_F_XDP_DEV_BOUND_ONLY);
		bpf_program__set_autoload(skel->progs.captured_sw, false);
	} else {
		bpf_program__set_autoload(hp, false);
	}
	rc = capture_bpf__load(skel);
	/* our own descriptors: the skeleton goes, program and map stay */
	if (!rc) {
		fd = fcntl(bpf_program__fd(hw ? hp : skel->progs.captured_sw), F_DUPFD_CLOEXEC, 0);
		*xsks_fd = fcntl(bpf_map__fd(skel->maps.xsks), F_DUPFD_CLOEXEC, 0);
		rc = fd < 0 || *xsks_fd < 0 ? -errno : fd;
	}
	if (rc < 0) {
		if (fd >= 0)
			close(fd);
		if (*xsks_fd >= 0)
			close(*xsks_fd);
		*xsks_fd = -1;
		snprintf(err, errlen, "%s: loading the XDP program%s: %s", iface,
			 hw ? " that reads NIC timestamps" : "", strerror(-rc));
	}
	capture_bpf__destroy(skel);
	return rc;
}

static int make_socket(struct afxdp *s, uint16_t bind_flags)
{
	struct xsk_umem_config uc = {
		/* twice the frames: freed frames always fit back */
		.fill_size = 2 * s->nframes, .comp_size = 64, .frame_size = AFXDP_FRAME,
	};
	struct xsk_socket_config sc = {
		.rx_size = s->nframes, .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = bind_flags,
	};
	int rc;

	/* libxdp leaves the cached ring indexes of a ring struct as they were:
	 * after a socket of the past, start from zero */
	memset(&s->fill, 0, sizeof(s->fill));
	memset(&s->comp, 0, sizeof(s->comp));
	memset(&s->rx, 0, sizeof(s->rx));
	rc = xsk_umem__create(&s->umem, s->area, s->area_len, &s->fill, &s->comp, &uc);
	if (rc)
		return rc;
	rc = xsk_socket__create(&s->xsk, s->iface, (__u32)s->queue, s->umem, &s->rx, NULL, &sc);
	if (rc) {
		s->xsk = NULL;
		xsk_umem__delete(s->umem);
		s->umem = NULL;
	}
	return rc;
}

/* Zero-copy where the driver can, copy mode otherwise. */
static int open_socket(struct afxdp *s, bool quiet, char *err, size_t errlen)
{
	uint16_t base = XDP_USE_NEED_WAKEUP | (s->fi->sg ? XDP_USE_SG : 0);
	struct xdp_options opt = { 0 };
	socklen_t len = sizeof(opt);
	int rc = make_socket(s, base | XDP_ZEROCOPY), zc = rc;

	if (rc)
		rc = make_socket(s, base | XDP_COPY);
	if (rc && s->fi->sg) {
		snprintf(err, errlen, "%s queue %d: the kernel or driver refuses multi-buffer "
			 "AF_XDP (XDP_USE_SG), needed at MTU %u: %s", s->iface, s->queue,
			 s->fi->prog->mtu, strerror(-rc));
		return rc;
	}
	if (rc == -ENOBUFS) {
		/* the kernel pins the UMEM against RLIMIT_MEMLOCK, per user */
		snprintf(err, errlen, "%s queue %d: AF_XDP socket: %s: the UMEM, %zu bytes, is "
			 "more than RLIMIT_MEMLOCK lets this user lock (raise the limit, grant "
			 "CAP_IPC_LOCK, or lower ring_size)", s->iface, s->queue, strerror(-rc),
			 s->area_len);
	} else if (rc) {
		snprintf(err, errlen, "%s queue %d: AF_XDP socket: %s", s->iface, s->queue,
			 rc == -EBUSY ? "the queue has an AF_XDP socket already (another "
			 "captured?)" : strerror(-rc));
	}
	if (rc)
		return rc;
	pthread_mutex_lock(&s->lock);
	s->fd = xsk_socket__fd(s->xsk);
	pthread_mutex_unlock(&s->lock);
	if (!getsockopt(s->fd, SOL_XDP, XDP_OPTIONS, &opt, &len))
		s->zerocopy = opt.flags & XDP_OPTIONS_ZEROCOPY;
	if (zc && !quiet)
		log_msg(LOG_INFO, "%s queue %d: zero-copy refused (%s); copy mode", s->iface,
			s->queue, strerror(-zc));
	return 0;
}

static void busy_poll_setup(struct afxdp *s)
{
	int one = 1, us = AFXDP_BUSY_POLL_US, budget = AFXDP_BATCH;

	if (setsockopt(s->fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one)) ||
	    setsockopt(s->fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us)) ||
	    setsockopt(s->fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof(budget))) {
		log_msg(LOG_WARNING, "%s queue %d: busy polling refused (%s); waiting in poll()",
			s->iface, s->queue, strerror(errno));
		s->busy_poll = false;
	}
}

static int compile_filter(struct afxdp_iface *fi, char *err, size_t errlen)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, (int)fi->snaplen);
	int rc = 0;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (pcap_compile(p, &fi->filter, fi->filter_str, 1, PCAP_NETMASK_UNKNOWN)) {
		snprintf(err, errlen, "filter '%s': %s", fi->filter_str, pcap_geterr(p));
		rc = -EINVAL;
	}
	fi->has_filter = !rc;
	pcap_close(p);
	return rc;
}

static void afxdp_iface_close(void *shared)
{
	struct afxdp_iface *fi = shared;

	if (!fi)
		return;
	/* detaches the program: every queue's packets go to the host again */
	xdp_prog_close(fi->prog);
	if (fi->has_filter)
		pcap_freecode(&fi->filter);
	pthread_mutex_destroy(&fi->lock);
	free(fi);
}

/* UMEMs are pinned memory, counted against RLIMIT_MEMLOCK of the user
 * without CAP_IPC_LOCK: those made again after link loss by a daemon that
 * dropped its capabilities are.  Lifted where we may (root, or systemd's
 * LimitMEMLOCK=infinity already); afxdp_info says when the workers must
 * keep CAP_IPC_LOCK instead. */
static void memlock_up(void)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	if (setrlimit(RLIMIT_MEMLOCK, &rl) && !getrlimit(RLIMIT_MEMLOCK, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_MEMLOCK, &rl);
	}
}

static bool memlock_unlimited(void)
{
	struct rlimit rl;

	return !getrlimit(RLIMIT_MEMLOCK, &rl) && rl.rlim_cur == RLIM_INFINITY;
}

/* Everything per interface, so that a refusal comes once, before any
 * worker: the checks and the program (xdp_prog.c), the filter. */
static void *afxdp_iface_open(const struct source_args *a, char *err, size_t errlen)
{
	const struct config *c = a->conf;
	struct afxdp_iface *fi = calloc(1, sizeof(*fi));
	int rc = -ENOMEM;

	if (!fi) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	pthread_mutex_init(&fi->lock, NULL);
	fi->snaplen = (uint32_t)config_int(c, CONFIG_SNAPLEN);
	snprintf(fi->filter_str, sizeof(fi->filter_str), "%s", config_str(c, CONFIG_FILTER));
	/* a bad filter before any program is loaded */
	if (fi->filter_str[0] && (rc = compile_filter(fi, err, errlen)))
		goto out;
	fi->prog = xdp_prog_open(a->iface, c, load_prog, err, errlen);
	if (!fi->prog) {
		rc = -errno;
		goto out;
	}
	fi->sg = fi->prog->mtu > AFXDP_SG_MTU;
	memlock_up();
	rc = 0;
out:
	if (rc) {
		afxdp_iface_close(fi);
		errno = -rc;
		return NULL;
	}
	return fi;
}

/* Counts of the socket's kernel drops (they die with the socket). */
static void sock_drops(const struct afxdp *s, uint64_t *osdrop, uint64_t *ifdrop)
{
	struct xdp_statistics xs;
	socklen_t len = sizeof(xs);

	*osdrop = *ifdrop = 0;
	memset(&xs, 0, sizeof(xs));
	if (s->fd < 0 || getsockopt(s->fd, SOL_XDP, XDP_STATISTICS, &xs, &len))
		return;
	*osdrop = xs.rx_ring_full + xs.rx_fill_ring_empty_descs;
	*ifdrop = xs.rx_dropped;
	/* copy mode counts a packet that found the fill ring empty in both */
	if (!s->zerocopy)
		*ifdrop -= xs.rx_dropped < xs.rx_fill_ring_empty_descs ? xs.rx_dropped :
			   xs.rx_fill_ring_empty_descs;
}

/* Socket and UMEM go (the memory stays, for the next ones); what the
 * socket counted is kept.  With the interface's lock held: first out of
 * the map, so that the queue's packets go to the host from then on. */
static void bring_down(struct afxdp *s)
{
	uint64_t os, ifd;

	if (s->in_map && s->gen == s->fi->prog->gen)
		xdp_prog_remove(s->fi->prog, s->queue);
	s->in_map = false;
	pthread_mutex_lock(&s->lock);
	sock_drops(s, &os, &ifd);
	s->osdrop_base += os;
	s->ifdrop_base += ifd;
	s->fd = -1;
	pthread_mutex_unlock(&s->lock);
	if (s->xsk)
		xsk_socket__delete(s->xsk);
	if (s->umem)
		xsk_umem__delete(s->umem);
	s->xsk = NULL;
	s->umem = NULL;
	s->pending = false;
}

/* The queue's UMEM and socket on the interface that has the name now, in
 * the program's XSKMAP.  With the interface's lock held. */
static int bring_up(struct afxdp *s, bool quiet, char *err, size_t errlen)
{
	uint32_t idx, i;
	int rc = open_socket(s, quiet, err, errlen);

	if (rc)
		return rc;
	if (xsk_ring_prod__reserve(&s->fill, s->nframes, &idx) != s->nframes) {
		snprintf(err, errlen, "%s queue %d: fill ring too small", s->iface, s->queue);
		bring_down(s);
		return -ENOSPC;
	}
	for (i = 0; i < s->nframes; i++)
		*xsk_ring_prod__fill_addr(&s->fill, idx + i) = (uint64_t)i * AFXDP_FRAME;
	xsk_ring_prod__submit(&s->fill, s->nframes);
	rc = xdp_prog_add(s->fi->prog, s->queue, s->fd, err, errlen);
	if (rc) {
		bring_down(s);
		return rc;
	}
	s->in_map = true;
	s->gen = s->fi->prog->gen;
	s->ifindex = s->fi->prog->ifindex;
	if (s->busy_poll)
		busy_poll_setup(s);
	return 0;
}

static void afxdp_destroy(void *ctx)
{
	struct afxdp *s = ctx;

	if (!s)
		return;
	if (s->fi) {
		pthread_mutex_lock(&s->fi->lock);
		bring_down(s);
		pthread_mutex_unlock(&s->fi->lock);
	}
	if (s->area)
		munmap(s->area, s->area_len);
	pthread_mutex_destroy(&s->lock);
	free(s->scratch);
	free(s);
}

static int probe_bpf(void *arg)
{
	struct xdp_prog *p = arg;
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(p->prog_fd, &info, &len);
}

/* The queue's UMEM and socket, in the interface's XSKMAP. */
static void *afxdp_create(const struct source_args *a, char *err, size_t errlen)
{
	const struct config *c = a->conf;
	struct afxdp *s = calloc(1, sizeof(*s));
	uint64_t want;
	int rc = -ENOMEM;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	s->fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	atomic_init(&s->link_losses, 0);
	if (!a->shared) {
		snprintf(err, errlen, "%s: AF_XDP worker without its interface's state", a->iface);
		rc = -EINVAL;
		goto out;
	}
	s->iface = ((struct afxdp_iface *)a->shared)->prog->iface;
	s->queue = a->queue;
	s->tsmap = a->tsmap;
	s->snaplen = ((struct afxdp_iface *)a->shared)->snaplen;
	/* the source has half of flush_time (the writer the other half,
	 * wconf.c): a batch handed over after flush_time / 2 less one poll,
	 * which lasts at most flush_time / 4 */
	s->poll_ms = (int)(config_int(c, CONFIG_FLUSH_TIME) / 4 / 1000000);
	s->poll_ms = s->poll_ms < 1 ? 1 : s->poll_ms > AFXDP_POLL_MS ? AFXDP_POLL_MS : s->poll_ms;
	s->flush_ns = config_int(c, CONFIG_FLUSH_TIME) / 2 - s->poll_ms * 1000000LL;
	if (s->flush_ns < 0)
		s->flush_ns = 0;
	s->busy_poll = config_int(c, CONFIG_BUSY_POLL);
	s->lim_err = (struct log_limit)LOG_LIMIT_INIT(10);
	s->lim_meta = (struct log_limit)LOG_LIMIT_INIT(60);
	s->scratch = malloc(s->snaplen);
	if (!s->scratch) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* a power of two, for the rings; touched first by the kernel pinning
	 * it, on this (the worker's) thread, so on the worker's node */
	want = (uint64_t)config_int(c, CONFIG_RING_SIZE) / AFXDP_FRAME;
	for (s->nframes = AFXDP_MIN_FRAMES; (uint64_t)s->nframes * 2 <= want;)
		s->nframes *= 2;
	s->area_len = (size_t)s->nframes * AFXDP_FRAME;
	s->area = mmap(NULL, s->area_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (s->area == MAP_FAILED) {
		s->area = NULL;
		rc = -errno;
		snprintf(err, errlen, "%s queue %d: UMEM of %zu bytes: %s", s->iface, s->queue,
			 s->area_len, strerror(-rc));
		goto out;
	}
	s->fi = a->shared;
	pthread_mutex_lock(&s->fi->lock);
	rc = bring_up(s, false, err, errlen);
	pthread_mutex_unlock(&s->fi->lock);
	if (rc)
		goto out;
	s->link = LINK_UP;
	s->tai_off = tai_offset();
	/* before Linux 6.5 every bpf() command needs CAP_BPF (or
	 * CAP_SYS_ADMIN) where unprivileged BPF is off; since, only loading
	 * programs and making maps do: measured, for what recovery keeps */
	pthread_mutex_lock(&s->fi->lock);
	s->bpf_cap = priv_needed(PRIV_CAP(CAP_BPF) | PRIV_CAP(CAP_SYS_ADMIN), probe_bpf,
				 s->fi->prog);
	pthread_mutex_unlock(&s->fi->lock);
out:
	if (rc) {
		afxdp_destroy(s);
		errno = -rc;
		return NULL;
	}
	return s;
}

static void deliver(struct afxdp *s, struct feeder *f, const uint8_t *data, uint32_t caplen,
		    uint32_t origlen)
{
	struct pcap_pkthdr h;
	uint64_t ts;

	/* on what we have, as a kernel filter sees the packet before the cut */
	if (s->fi->has_filter) {
		h.caplen = caplen;
		h.len = origlen;
		if (!pcap_offline_filter(&s->fi->filter, &h, data))
			return;
	}
	if (caplen > s->snaplen)
		caplen = s->snaplen;
	if (s->meta.flags == CAPTURE_META_TS_HW) {
		/* the PHC's time scale (TAI under ptp4l) */
		ts = s->rule_ok ? (uint64_t)tscale_apply(&s->rule, (int64_t)s->meta.ts_ns) :
		     s->meta.ts_ns;
		add(&s->ts_hw, 1);
	} else if (s->meta.flags == CAPTURE_META_TS_SW) {
		ts = s->meta.ts_ns - (uint64_t)s->tai_off;
		add(&s->ts_sw, 1);
	} else {
		/* the program found no room for metadata: later but still ours */
		ts = (uint64_t)clock_ns(CLOCK_REALTIME);
		add(&s->ts_sw, 1);
		log_limited(&s->lim_meta, LOG_WARNING, "%s queue %d: packets without XDP "
			    "metadata; stamped on reading", s->iface, s->queue);
	}
	if (ts < s->last_ts)
		add(&s->ts_back, 1);
	s->last_ts = ts;
	add(&s->packets, 1);
	add(&s->bytes, origlen);
	feeder_add(f, ts, data, caplen, origlen, PCAPNG_EPB_DIR_IN, s->queue);
}

/* One descriptor: a whole packet, or a part of one (XDP_PKT_CONTD: more
 * follow), gathered into scratch up to snaplen. */
static void handle(struct afxdp *s, struct feeder *f, const struct xdp_desc *d)
{
	uint8_t *data = xsk_umem__get_data(s->area, d->addr);
	bool more = d->options & XDP_PKT_CONTD;
	uint32_t n;

	if (!s->pending) {
		memset(&s->meta, 0, sizeof(s->meta));
		if ((d->addr & (AFXDP_FRAME - 1)) >= sizeof(s->meta)) {
			/* cleared so that a frame without new metadata shows none */
			memcpy(&s->meta, data - sizeof(s->meta), sizeof(s->meta));
			memset(data - sizeof(s->meta), 0, sizeof(s->meta));
		}
		if (!more) {
			deliver(s, f, data, d->len, d->len);
			return;
		}
		s->have = s->origlen = 0;
	}
	n = d->len < s->snaplen - s->have ? d->len : s->snaplen - s->have;
	memcpy(s->scratch + s->have, data, n);
	s->have += n;
	s->origlen += d->len;
	s->pending = more;
	if (!more)
		deliver(s, f, s->scratch, s->have, s->origlen);
}

/* A wakeup; returns the errno that says the socket lost its link (ENXIO:
 * unbound, its interface gone; ENETDOWN: link down), else 0. */
static int kick(struct afxdp *s)
{
	if (recvfrom(s->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL) < 0 && errno != EAGAIN &&
	    errno != EBUSY && errno != ENOBUFS && errno != EINTR) {
		if (errno == ENXIO || errno == ENETDOWN)
			return errno;
		log_limited(&s->lim_err, LOG_WARNING, "%s queue %d: wakeup: %s", s->iface,
			    s->queue, strerror(errno));
	}
	return 0;
}

/* Gives the frames of n descriptors back to the kernel. */
static int refill(struct afxdp *s, const uint64_t *addr, uint32_t n)
{
	uint32_t idx, i;

	/* cannot fail: the fill ring holds twice the frames there are */
	if (xsk_ring_prod__reserve(&s->fill, n, &idx) != n) {
		log_limited(&s->lim_err, LOG_ERR, "%s queue %d: fill ring full", s->iface,
			    s->queue);
		return 0;
	}
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&s->fill, idx + i) = addr[i];
	xsk_ring_prod__submit(&s->fill, n);
	return xsk_ring_prod__needs_wakeup(&s->fill) ? kick(s) : 0;
}

static void set_waiting(struct afxdp *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_waiting(struct afxdp *s, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&s->lock);
	va_start(ap, fmt);
	vsnprintf(s->waiting, sizeof(s->waiting), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&s->lock);
}

static double secs_since(int64_t then, int64_t now)
{
	return (double)(now - then) / 1e9;
}

static void lost(struct afxdp *s, int64_t now)
{
	if (s->link == LINK_UP) {
		s->since_ns = now;
		atomic_fetch_add(&s->link_losses, 1);
	}
}

/* The program attached to the interface of the name, by whichever worker
 * sees first that it is not.  With the interface's lock held; true when
 * attached. */
static bool follow_program(struct afxdp *s, int64_t now)
{
	struct afxdp_iface *fi = s->fi;
	char err[256];
	int was = fi->prog->ifindex, rc;

	if (xdp_prog_attached(fi->prog))
		return true;
	if (!fi->detached) {
		fi->detached = true;
		fi->detaches++;
		fi->retry_ns = now;
		fi->last_err[0] = '\0';
		log_msg(LOG_WARNING, "%s: the XDP program is attached to nothing any more (the "
			"interface went away, or its link was detached); attaching it again once "
			"%s is there", s->iface, s->iface);
	}
	if (now < fi->retry_ns)
		return false;
	rc = xdp_prog_reattach(fi->prog, err, sizeof(err));
	if (rc) {
		fi->retry_ns = now + AFXDP_RETRY_NS;
		/* "no interface" is what waiting means; other reasons are said */
		if (rc != -ENODEV && strcmp(err, fi->last_err))
			log_msg(LOG_WARNING, "%s: cannot attach the XDP program again yet: %s; "
				"trying again every second", s->iface, err);
		snprintf(fi->last_err, sizeof(fi->last_err), "%s", err);
		return false;
	}
	fi->detached = false;
	log_msg(LOG_NOTICE, "%s: XDP program attached again (ifindex %d%s, %s mode)", s->iface,
		fi->prog->ifindex, fi->prog->ifindex == was ? ", the same interface" : ", a new "
		"interface", fi->prog->generic ? "generic" : "native");
	return true;
}

/* Where socket and program are, after an error on the socket (e, 0 for
 * none) or on the clock; sets up again what went. */
static void check_link(struct afxdp *s, int e, int64_t now)
{
	struct afxdp_iface *fi = s->fi;
	char err[256];
	bool prog_ok;
	int rc;

	if (s->fd >= 0 && !e)
		e = kick(s);
	/* ENXIO: the socket is bound to nothing, its interface is gone */
	if (s->fd >= 0 && e == ENXIO) {
		lost(s, now);
		s->link = LINK_GONE;
		s->retry_ns = now;
		s->last_err[0] = '\0';
		pthread_mutex_lock(&fi->lock);
		bring_down(s);
		pthread_mutex_unlock(&fi->lock);
		log_msg(LOG_WARNING, "%s queue %d: the interface is gone (it had ifindex %d); "
			"socket closed, counters kept; waiting for an interface named %s",
			s->iface, s->queue, s->ifindex, s->iface);
	} else if (s->fd >= 0 && e == ENETDOWN && s->link == LINK_UP) {
		lost(s, now);
		s->link = LINK_DOWN;
		log_msg(LOG_WARNING, "%s queue %d: link down; waiting for it to come back, "
			"counters kept", s->iface, s->queue);
	} else if (s->fd >= 0 && !e && s->link == LINK_DOWN) {
		s->link = LINK_UP;
		log_msg(LOG_NOTICE, "%s queue %d: link up again after %.1f s; capturing", s->iface,
			s->queue, secs_since(s->since_ns, now));
	}
	/* bpf() and sockets: CAP_BPF, CAP_NET_ADMIN, CAP_NET_RAW */
	priv_raise();
	pthread_mutex_lock(&fi->lock);
	prog_ok = follow_program(s, now);
	if (s->detaches != fi->detaches) {
		/* an outage of every queue, whichever worker saw it */
		s->detaches = fi->detaches;
		lost(s, now);
		if (s->link == LINK_UP)
			s->link = LINK_GONE;
	}
	if (prog_ok && s->fd >= 0 && s->ifindex != fi->prog->ifindex) {
		/* a socket of the interface that was replaced before we saw it go */
		lost(s, now);
		s->link = LINK_GONE;
		s->retry_ns = now;
		bring_down(s);
	}
	if (prog_ok && s->fd >= 0 && s->gen != fi->prog->gen) {
		/* the program was loaded again: a new XSKMAP */
		rc = xdp_prog_add(fi->prog, s->queue, s->fd, err, sizeof(err));
		if (rc)
			log_limited(&s->lim_err, LOG_ERR, "%s", err);
		s->in_map = !rc;
		s->gen = fi->prog->gen;
	}
	if (prog_ok && s->fd < 0 && now >= s->retry_ns) {
		rc = bring_up(s, true, err, sizeof(err));
		if (!rc) {
			/* the same outage goes on while the new interface is down */
			s->link = kick(s) == ENETDOWN ? LINK_DOWN : LINK_UP;
			log_msg(LOG_NOTICE, "%s queue %d: %s is back (ifindex %d): UMEM and socket "
				"set up again after %.1f s; %s", s->iface, s->queue, s->iface,
				s->ifindex, secs_since(s->since_ns, now), s->link == LINK_UP ?
				"capturing" : "its link is down: capturing once it is up");
		} else {
			s->retry_ns = now + AFXDP_RETRY_NS;
			if (strcmp(err, s->last_err))
				log_msg(LOG_WARNING, "%s queue %d: cannot capture on %s again yet: "
					"%s; trying again every second", s->iface, s->queue,
					s->iface, err);
			snprintf(s->last_err, sizeof(s->last_err), "%s", err);
		}
	}
	if (!prog_ok && s->link == LINK_UP && s->fd >= 0) {
		/* detached, with the interface still there */
		lost(s, now);
		s->link = LINK_GONE;
	} else if (prog_ok && s->fd >= 0 && s->link == LINK_GONE) {
		s->link = LINK_UP;
	}
	if (s->link == LINK_UP)
		set_waiting(s, "%s", "");
	else if (s->link == LINK_DOWN)
		set_waiting(s, "link of %s down", s->iface);
	else if (fi->detached && fi->last_err[0] && strstr(fi->last_err, "no interface"))
		set_waiting(s, "interface %s gone; waiting for it to come back", s->iface);
	else if (fi->detached)
		set_waiting(s, "XDP program not attached to %s: %s", s->iface,
			    fi->last_err[0] ? fi->last_err : "attaching it again");
	else
		set_waiting(s, "interface %s is back but cannot be captured yet: %s", s->iface,
			    s->last_err);
	pthread_mutex_unlock(&fi->lock);
	priv_lower();
}

static int afxdp_run(void *ctx, struct feeder *f, volatile sig_atomic_t *stop, char *err,
		     size_t errlen)
{
	struct afxdp *s = ctx;
	struct pollfd pfd = { .events = POLLIN };
	uint64_t addr[AFXDP_BATCH];
	int64_t now, next_tai = 0;
	uint32_t n, idx, i;
	int e;

	(void)err;
	(void)errlen;
	s->check_ns = log_now_ns() + AFXDP_CHECK_NS;
	while (!*stop) {
		priv_sync();
		now = log_now_ns();
		e = 0;
		if (now >= next_tai) {
			/* leap seconds change it; re-read each second */
			s->tai_off = tai_offset();
			next_tai = now + NSEC;
		}
		if (s->fd < 0) {
			/* no socket: the interface is gone */
			feeder_tick(f, s->flush_ns);
			poll(NULL, 0, AFXDP_POLL_MS);
		} else if (!(n = xsk_ring_cons__peek(&s->rx, AFXDP_BATCH, &idx))) {
			feeder_tick(f, s->flush_ns);
			pfd.fd = s->fd;
			if (s->busy_poll) {
				e = kick(s);
			} else if (poll(&pfd, 1, s->poll_ms) < 0 && errno != EINTR) {
				log_limited(&s->lim_err, LOG_WARNING, "%s queue %d: poll: %s",
					    s->iface, s->queue, strerror(errno));
				usleep(AFXDP_POLL_MS * 1000);
			} else if (pfd.revents & POLLERR) {
				socklen_t len = sizeof(e);

				if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
					e = errno;
			}
			if (!e && xsk_ring_prod__needs_wakeup(&s->fill))
				e = kick(s);
		} else {
			s->rule_ok = s->tsmap && tscale_map_get(s->tsmap, &s->rule);
			for (i = 0; i < n; i++) {
				const struct xdp_desc *d = xsk_ring_cons__rx_desc(&s->rx, idx + i);

				addr[i] = d->addr & ~(uint64_t)(AFXDP_FRAME - 1);
				handle(s, f, d);
			}
			xsk_ring_cons__release(&s->rx, n);
			e = refill(s, addr, n);
			feeder_tick(f, s->flush_ns);
		}
		now = log_now_ns();
		if (e || now >= s->check_ns) {
			check_link(s, e, now);
			s->check_ns = now + (s->link == LINK_UP ? AFXDP_CHECK_NS :
					     AFXDP_POLL_MS * 1000000LL);
		}
	}
	feeder_flush(f);
	return 0;
}

static void afxdp_info(void *ctx, struct source_info *info)
{
	struct afxdp *s = ctx;
	struct afxdp_iface *fi = s->fi;
	const char *path, *copy = s->zerocopy ? "zero-copy" : "copy";
	bool hw;

	memset(info, 0, sizeof(*info));
	pthread_mutex_lock(&fi->lock);
	path = fi->prog->generic ? "generic" : "native";
	hw = fi->prog->hw;
	snprintf(info->hardware, sizeof(info->hardware), "%s", fi->prog->driver);
	pthread_mutex_unlock(&fi->lock);
	info->linktype = DLT_EN10MB;
	info->snaplen = s->snaplen;
	snprintf(info->label, sizeof(info->label), "%s", s->iface);
	snprintf(info->name, sizeof(info->name), "%s", s->iface);
	snprintf(info->filter, sizeof(info->filter), "%s", fi->filter_str);
	snprintf(info->mode, sizeof(info->mode), "afxdp %s %s", path, copy);
	snprintf(info->tsource, sizeof(info->tsource), "%s", hw ? "hardware" : "software");
	snprintf(info->description, sizeof(info->description), "AF_XDP %s %s mode, %s%s", path,
		 copy, hw ? "NIC timestamps read in the XDP program, software ones "
		 "(CLOCK_TAI) where the NIC gives none" : "software timestamps taken in the XDP "
		 "program (CLOCK_TAI)", fi->has_filter ? "; filtered in userspace" : "");
	/* measured on Linux 6.18: a new socket and promiscuous mode need
	 * CAP_NET_RAW; pinning its UMEM CAP_IPC_LOCK unless RLIMIT_MEMLOCK is
	 * unlimited; attaching the loaded program through a new BPF link and
	 * updating its map need nothing more (CAP_BPF on older kernels,
	 * measured at create); loading the device-bound variant again for a
	 * new device, and SIOCSHWTSTAMP on it, CAP_BPF and CAP_NET_ADMIN */
	info->recover_caps = PRIV_CAP(CAP_NET_RAW) |
			     (memlock_unlimited() ? 0 : PRIV_CAP(CAP_IPC_LOCK)) |
			     (s->bpf_cap || hw ? PRIV_CAP(CAP_BPF) : 0) |
			     (hw ? PRIV_CAP(CAP_NET_ADMIN) : 0);
}

static void afxdp_stats(void *ctx, struct source_stats *st)
{
	struct afxdp *s = ctx;
	uint64_t os, ifd;

	memset(st, 0, sizeof(*st));
	st->packets = get(&s->packets);
	st->bytes = get(&s->bytes);
	st->ts_hardware = get(&s->ts_hw);
	st->ts_software = get(&s->ts_sw);
	st->ts_backwards = get(&s->ts_back);
	st->link_losses = atomic_load(&s->link_losses);
	pthread_mutex_lock(&s->lock);
	sock_drops(s, &os, &ifd);
	st->osdrop = s->osdrop_base + os;
	st->ifdrop = s->ifdrop_base + ifd;
	snprintf(st->waiting, sizeof(st->waiting), "%s", s->waiting);
	pthread_mutex_unlock(&s->lock);
}

const struct source_ops src_afxdp_ops = {
	.name = "afxdp",
	.create = afxdp_create,
	.destroy = afxdp_destroy,
	.info = afxdp_info,
	.run = afxdp_run,
	.stats = afxdp_stats,
	.iface_open = afxdp_iface_open,
	.iface_close = afxdp_iface_close,
};
