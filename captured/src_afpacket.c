/* Source: live capture of one RX worker with AF_PACKET TPACKET_V3: a ring of
 * blocks the kernel fills and retires, the kernel BPF filter compiled by
 * libpcap, and a fanout group shared by the interface's workers. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "hwts.h"
#include "log.h"
#include "pcapng.h"
#include "source.h"

#define AFP_BLOCK_MAX (4u << 20)
#define AFP_FRAME_SIZE 2048u       /* V3 only checks it; packets have any size */
#define AFP_HDR_ROOM 256u          /* block header, tpacket3_hdr, sockaddr_ll, padding */
#define AFP_VLAN_LEN 4u
#define AFP_STEP_MAX_MS 100
#define AFP_STATS_NS 100000000
#define AFP_SLL_OFF TPACKET_ALIGN(sizeof(struct tpacket3_hdr))

/* Counters the run thread keeps and stats() reads. */
enum { C_PACKETS, C_BYTES, C_BACKWARDS, C_HARDWARE, C_SOFTWARE, C_N };

struct afp {
	int fd;
	uint8_t *ring;
	size_t ring_len;
	uint32_t block_size, nblocks, cur;
	uint32_t snaplen;
	int32_t queue;
	int32_t epb_queue;        /* the RX queue for epb_queue, -1 when unknown */
	int step_ms;               /* block retire timeout and longest poll */
	int64_t tick_ns;           /* feeder_tick age: flush_time less two steps */
	uint64_t last_ts, errors;
	struct log_limit lim;
	struct tscale_map *tsmap;  /* PHC to UTC for hardware stamps, or NULL */
	struct tscale_rule rule;   /* taken once per block */
	bool rule_ok;
	struct source_info info;   /* fixed after create() */
	/* the run thread stores, stats() loads: relaxed, no locked RMW per
	 * packet; ifdrop is added to by whoever reads PACKET_STATISTICS */
	_Atomic uint64_t c[C_N], ifdrop;
};

/* Formats "IF: what: strerror(errno)"; returns -errno. */
static int fail(char *err, size_t errlen, const char *iface, const char *what)
{
	int e = errno ? errno : EIO;

	snprintf(err, errlen, "%s: %s: %s%s", iface, what, strerror(e),
		 e == EPERM || e == EACCES ? " (needs CAP_NET_RAW)" : "");
	return -e;
}

static int sopt(struct afp *s, int level, int name, const void *v, socklen_t len,
		const char *iface, const char *what, char *err, size_t errlen)
{
	return setsockopt(s->fd, level, name, v, len) < 0 ? fail(err, errlen, iface, what) : 0;
}

/* Ethernet only: what DLT_EN10MB filters and VLAN re-insertion expect. */
static int link_type(struct afp *s, const char *iface, char *err, size_t errlen)
{
	struct ifreq ifr = { 0 };
	int one = 1, type;

	memcpy(ifr.ifr_name, iface, strlen(iface));
	if (ioctl(s->fd, SIOCGIFHWADDR, &ifr) < 0)
		return fail(err, errlen, iface, "SIOCGIFHWADDR");
	type = ifr.ifr_hwaddr.sa_family;
	s->info.linktype = DLT_EN10MB;
	/* lo has Ethernet headers, and shows each packet twice, out and in:
	 * keep it once, as libpcap does */
	if (type == ARPHRD_LOOPBACK)
		return sopt(s, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one), iface,
			    "PACKET_IGNORE_OUTGOING", err, errlen);
	if (type == ARPHRD_ETHER)
		return 0;
	snprintf(err, errlen, "%s: link type ARPHRD %d is not supported (Ethernet and "
		 "loopback are)", iface, type);
	return -EPROTONOSUPPORT;
}

static void driver_name(struct afp *s, const char *iface)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { .ifr_data = (void *)&di };

	memcpy(ifr.ifr_name, iface, strlen(iface));
	if (ioctl(s->fd, SIOCETHTOOL, &ifr) == 0)
		snprintf(s->info.hardware, sizeof(s->info.hardware), "%.32s%s%.32s", di.driver,
			 di.bus_info[0] ? " " : "", di.bus_info);
}

/* Hardware stamps where wanted and possible.  SO_TIMESTAMPING makes the
 * kernel take stamps, PACKET_TIMESTAMP says which one the ring gets. */
static int setup_timestamps(struct afp *s, const char *iface, int64_t want, char *err,
			    size_t errlen)
{
	int so = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE;
	int pt = SOF_TIMESTAMPING_SOFTWARE;
	const char *drv = s->info.hardware[0] ? s->info.hardware : iface;
	struct hwts_caps caps = { .phc_index = -1 };
	char why[200] = "timestamp = software";
	int rc = -EOPNOTSUPP;

	if (want != CONFIG_TS_SOFTWARE) {
		rc = hwts_query(iface, &caps, why, sizeof(why));
		if (!rc && (caps.rx_hardware || want == CONFIG_TS_HARDWARE))
			rc = hwts_enable_rx(iface, why, sizeof(why));
		else if (!rc) {
			snprintf(why, sizeof(why), "%s: no hardware RX timestamping", drv);
			rc = -EOPNOTSUPP;
		}
		if (rc && want == CONFIG_TS_HARDWARE) {
			snprintf(err, errlen, "timestamp = hardware, but %s", why);
			return rc;
		}
		if (rc && caps.rx_hardware)
			log_msg(LOG_WARNING, "%s: software timestamps: %s", iface, why);
	}
	snprintf(s->info.tsource, sizeof(s->info.tsource), rc ? "software" : "hardware");
	if (rc) {
		snprintf(s->info.description, sizeof(s->info.description),
			 "software timestamps (%s)", why);
	} else {
		so |= SOF_TIMESTAMPING_RAW_HARDWARE | SOF_TIMESTAMPING_RX_HARDWARE;
		pt |= SOF_TIMESTAMPING_RAW_HARDWARE;
		snprintf(s->info.description, sizeof(s->info.description), "hardware timestamps "
			 "(%s, PHC %d; software for packets the NIC leaves unstamped)", drv,
			 caps.phc_index);
	}
	if ((rc = sopt(s, SOL_SOCKET, SO_TIMESTAMPING, &so, sizeof(so), iface,
		       "SO_TIMESTAMPING", err, errlen)))
		return rc;
	return sopt(s, SOL_PACKET, PACKET_TIMESTAMP, &pt, sizeof(pt), iface,
		    "PACKET_TIMESTAMP", err, errlen);
}

static int setup_ring(struct afp *s, const char *iface, uint64_t ring_size, char *err,
		      size_t errlen)
{
	/* a block must hold the largest packet, or the kernel cuts it; beyond
	 * 64 KiB only BIG TCP aggregates come, so small rings do not pay for
	 * them.  Big blocks mean few wakeups, but keep 8 so that the kernel
	 * fills some while we drain others. */
	uint64_t need = (s->snaplen < 65536 ? s->snaplen : 65536) + AFP_VLAN_LEN + AFP_HDR_ROOM;
	uint32_t b = AFP_BLOCK_MAX, reserve = AFP_VLAN_LEN;
	struct tpacket_req3 req = { 0 };
	int v = TPACKET_V3, rc;
	char what[96];

	while (b / 2 >= need && b / 2 >= 4096 && ring_size / b < 8)
		b /= 2;
	req.tp_block_size = b;
	req.tp_block_nr = ring_size / b < 2 ? 2 : (uint32_t)(ring_size / b);
	req.tp_frame_size = AFP_FRAME_SIZE;
	req.tp_frame_nr = b / AFP_FRAME_SIZE * req.tp_block_nr;
	req.tp_retire_blk_tov = (unsigned)s->step_ms;
	snprintf(what, sizeof(what), "PACKET_RX_RING %u blocks of %u KiB", req.tp_block_nr,
		 b >> 10);
	/* PACKET_RESERVE: room before each frame to put back a VLAN tag */
	if ((rc = sopt(s, SOL_PACKET, PACKET_VERSION, &v, sizeof(v), iface,
		       "PACKET_VERSION TPACKET_V3", err, errlen)) ||
	    (rc = sopt(s, SOL_PACKET, PACKET_RESERVE, &reserve, sizeof(reserve), iface,
		       "PACKET_RESERVE", err, errlen)) ||
	    (rc = sopt(s, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req), iface, what, err,
		       errlen)))
		return rc;
	s->block_size = b;
	s->nblocks = req.tp_block_nr;
	s->ring = mmap(NULL, (size_t)b * s->nblocks, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, s->fd, 0);
	if (s->ring == MAP_FAILED) {
		s->ring = NULL;
		return fail(err, errlen, iface, "mmap of the ring");
	}
	s->ring_len = (size_t)b * s->nblocks;
	return 0;
}

/* libpcap emits the kernel's VLAN ancillary loads (the kernel strips the tag
 * before the filter runs) only on a live handle; other expressions compile
 * the same on a dead one, which needs no socket. */
static int attach_filter(struct afp *s, const char *iface, const char *expr,
			 char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog = { 0 };
	struct sock_fprog fp;
	pcap_t *p = NULL;
	int rc;

	if (strstr(expr, "vlan")) {
		p = pcap_create(iface, ebuf);
		if (p && (pcap_set_snaplen(p, (int)s->snaplen) || pcap_activate(p) < 0)) {
			pcap_close(p);
			p = NULL;
		}
	}
	if (!p && !(p = pcap_open_dead(DLT_EN10MB, (int)s->snaplen))) {
		snprintf(err, errlen, "%s: filter: out of memory", iface);
		return -ENOMEM;
	}
	/* even "" compiles to "accept snaplen bytes": the kernel copies no more */
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "%s: filter '%s': %s", iface, expr, pcap_geterr(p));
		rc = -EINVAL;
		goto out;
	}
	fp.len = (unsigned short)prog.bf_len;
	fp.filter = (struct sock_filter *)prog.bf_insns;
	rc = sopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp), iface, "SO_ATTACH_FILTER",
		  err, errlen);
	pcap_freecode(&prog);
out:
	pcap_close(p);
	return rc;
}

/* Join the interface's fanout group; take a promiscuous membership. */
static int join(struct afp *s, const struct source_args *a, int ifindex, char *err,
		size_t errlen)
{
	static const int modes[] = { [CONFIG_FANOUT_HASH] = PACKET_FANOUT_HASH,
		[CONFIG_FANOUT_QUEUE] = PACKET_FANOUT_QM, [CONFIG_FANOUT_CPU] = PACKET_FANOUT_CPU };
	int64_t m = config_int(a->conf, CONFIG_FANOUT);
	const char *mname = config_str(a->conf, CONFIG_FANOUT);
	struct packet_mreq mr = { .mr_ifindex = ifindex, .mr_type = PACKET_MR_PROMISC };
	char what[96];
	int rc;

	snprintf(s->info.mode, sizeof(s->info.mode), "afpacket tpacket_v3");
	if (a->nworkers > 1 && m >= 0 && m <= CONFIG_FANOUT_CPU) {
		/* plain hash: the defrag flag would hold fragments back, reordering */
		int arg = (a->fanout_id & 0xffff) | modes[m] << 16;

		snprintf(what, sizeof(what), "PACKET_FANOUT group %d mode %s (does another "
			 "program use the group?)", a->fanout_id, mname);
		if ((rc = sopt(s, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg), a->iface, what,
			       err, errlen)))
			return rc;
		snprintf(s->info.mode, sizeof(s->info.mode), "afpacket tpacket_v3 fanout %s", mname);
	}
	/* the kernel counts these and drops ours when the socket closes */
	if (!config_int(a->conf, CONFIG_PROMISC))
		return 0;
	return sopt(s, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr), a->iface,
		    "PACKET_MR_PROMISC", err, errlen);
}

static void afp_destroy(void *ctx)
{
	struct afp *s = ctx;

	if (!s)
		return;
	/* hardware stamping stays on: harmless, and another program may use it */
	if (s->ring)
		munmap(s->ring, s->ring_len);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

static void *afp_create(const struct source_args *a, char *err, size_t errlen)
{
	/* a filter that takes nothing, until ring, fanout and filter are set:
	 * no unfiltered packet and no packet outside the fanout gets in */
	struct sock_filter drop = { BPF_RET | BPF_K, 0, 0, 0 };
	struct sock_fprog none = { 1, &drop };
	const char *iface = a->iface ? a->iface : "", *expr;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct afp *s = NULL;
	int64_t step;
	int rc;

	if (!a->conf || !*iface || strlen(iface) >= IFNAMSIZ ||
	    !(sll.sll_ifindex = (int)if_nametoindex(iface))) {
		snprintf(err, errlen, a->conf ? "no interface '%s'" : "%s: no configuration",
			 iface);
		rc = a->conf ? -ENODEV : -EINVAL;
		goto out;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		snprintf(err, errlen, "%s: out of memory", iface);
		rc = -ENOMEM;
		goto out;
	}
	expr = config_str(a->conf, CONFIG_FILTER) ? config_str(a->conf, CONFIG_FILTER) : "";
	s->lim = (struct log_limit)LOG_LIMIT_INIT(10);
	s->queue = a->queue;
	s->tsmap = a->tsmap;
	/* only fanout by queue gives a worker exactly one RX queue's packets;
	 * otherwise the packet's queue is unknown and the EPB says nothing */
	s->epb_queue = a->nworkers > 1 && config_int(a->conf, CONFIG_FANOUT) == CONFIG_FANOUT_QUEUE ?
		       a->queue : -1;
	s->snaplen = (uint32_t)config_int(a->conf, CONFIG_SNAPLEN);
	/* a packet waits up to a step in a kernel block, up to tick_ns in a
	 * batch, and up to a step more for the next tick: flush_time in all */
	step = config_int(a->conf, CONFIG_FLUSH_TIME) / 4 / 1000000;
	s->step_ms = step < 1 ? 1 : step > AFP_STEP_MAX_MS ? AFP_STEP_MAX_MS : (int)step;
	s->tick_ns = config_int(a->conf, CONFIG_FLUSH_TIME) - 2 * s->step_ms * 1000000LL;
	for (int i = 0; i < C_N; i++)
		atomic_init(&s->c[i], 0);
	atomic_init(&s->ifdrop, 0);
	/* protocol 0: the socket sees nothing until bound with ETH_P_ALL */
	s->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		rc = fail(err, errlen, iface, "AF_PACKET socket");
		goto out;
	}
	driver_name(s, iface);
	if ((rc = link_type(s, iface, err, errlen)) ||
	    (rc = setup_timestamps(s, iface, config_int(a->conf, CONFIG_TIMESTAMP), err,
				   errlen)) ||
	    (rc = setup_ring(s, iface, (uint64_t)config_int(a->conf, CONFIG_RING_SIZE), err,
			     errlen)) ||
	    (rc = sopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &none, sizeof(none), iface,
		       "SO_ATTACH_FILTER", err, errlen)))
		goto out;
	if (bind(s->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		rc = fail(err, errlen, iface, "bind");
		goto out;
	}
	if ((rc = join(s, a, sll.sll_ifindex, err, errlen)) ||
	    (rc = attach_filter(s, iface, expr, err, errlen)))
		goto out;
	s->info.snaplen = s->snaplen;
	snprintf(s->info.label, sizeof(s->info.label), "%s", iface);
	snprintf(s->info.name, sizeof(s->info.name), "%s", iface);
	snprintf(s->info.filter, sizeof(s->info.filter), "%s", expr);
out:
	if (rc) {
		afp_destroy(s);
		errno = -rc;
		return NULL;
	}
	return s;
}

static void afp_info(void *ctx, struct source_info *info)
{
	*info = ((struct afp *)ctx)->info;
}

/* PACKET_STATISTICS resets the kernel's counters on each read: add up.
 * tp_freeze_q_cnt (times the ring was full) is within tp_drops. */
static void collect_drops(struct afp *s)
{
	struct tpacket_stats_v3 st = { 0 };
	socklen_t len = sizeof(st);

	if (getsockopt(s->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0 && st.tp_drops)
		atomic_fetch_add_explicit(&s->ifdrop, st.tp_drops, memory_order_relaxed);
}

static void packet(struct afp *s, struct feeder *f, struct tpacket3_hdr *h, uint64_t *t)
{
	/* pcapng EPB flags: direction in bits 0-1, reception type in 2-4 */
	static const uint32_t rxtype[] = { [PACKET_HOST] = 1u << 2,
		[PACKET_BROADCAST] = 3u << 2, [PACKET_MULTICAST] = 2u << 2,
		[PACKET_OTHERHOST] = 4u << 2 };
	const struct sockaddr_ll *sll = (const void *)((uint8_t *)h + AFP_SLL_OFF);
	uint64_t ts = (uint64_t)h->tp_sec * 1000000000u + h->tp_nsec;
	uint8_t *data = (uint8_t *)h + h->tp_mac;
	uint32_t st = h->tp_status, caplen = h->tp_snaplen, origlen = h->tp_len, flags;
	uint16_t tci = h->hv1.tp_vlan_tci, tpid = h->hv1.tp_vlan_tpid;

	flags = sll->sll_pkttype == PACKET_OUTGOING ? PCAPNG_EPB_DIR_OUT :
		PCAPNG_EPB_DIR_IN | (sll->sll_pkttype < 4 ? rxtype[sll->sll_pkttype] : 0);
	/* the kernel took the outer tag out (one of TCI 0 too); put it back
	 * after the MAC addresses, into the PACKET_RESERVE room, as libpcap does */
	if ((tci || (st & TP_STATUS_VLAN_VALID)) && caplen >= 2 * ETH_ALEN) {
		if (!tpid && !(st & TP_STATUS_VLAN_TPID_VALID))
			tpid = ETH_P_8021Q;
		data -= AFP_VLAN_LEN;
		memmove(data, data + AFP_VLAN_LEN, 2 * ETH_ALEN);
		data[12] = (uint8_t)(tpid >> 8);
		data[13] = (uint8_t)tpid;
		data[14] = (uint8_t)(tci >> 8);
		data[15] = (uint8_t)tci;
		caplen += AFP_VLAN_LEN;
		origlen += AFP_VLAN_LEN;
	}
	/* raw hardware stamps count the PHC's time scale (TAI under ptp4l) */
	if ((st & TP_STATUS_TS_RAW_HARDWARE) && s->rule_ok)
		ts = (uint64_t)tscale_apply(&s->rule, (int64_t)ts);
	t[C_PACKETS]++;
	t[C_BYTES] += origlen;
	t[st & TP_STATUS_TS_RAW_HARDWARE ? C_HARDWARE : C_SOFTWARE]++;
	t[C_BACKWARDS] += ts < s->last_ts;
	s->last_ts = ts;
	/* -ENOBUFS (the writer is behind) the feeder counts */
	if (feeder_add(f, ts, data, caplen < s->snaplen ? caplen : s->snaplen, origlen, flags,
		       s->epb_queue) == -EMSGSIZE)
		log_limited(&s->lim, LOG_WARNING, "%s queue %d: %u-byte packet does not fit in "
			    "a batch (raise batch_size)", s->info.name, s->queue, caplen);
}

static void walk_block(struct afp *s, struct feeder *f, struct tpacket_block_desc *bd)
{
	uint32_t n = bd->hdr.bh1.num_pkts, off = bd->hdr.bh1.offset_to_first_pkt;
	uint64_t t[C_N] = { 0 };

	s->rule_ok = s->tsmap && tscale_map_get(s->tsmap, &s->rule);
	for (uint32_t i = 0; i < n; i++) {
		struct tpacket3_hdr *h = (void *)((uint8_t *)bd + off);

		/* a bad offset would take us out of the ring; the VLAN tag goes
		 * into the reserve before tp_mac */
		if (off > s->block_size - sizeof(*h) || h->tp_mac > s->block_size - off ||
		    h->tp_mac < AFP_SLL_OFF + sizeof(struct sockaddr_ll) + AFP_VLAN_LEN ||
		    h->tp_snaplen > s->block_size - off - h->tp_mac) {
			log_limited(&s->lim, LOG_ERR, "%s queue %d: damaged ring block (packet %u "
				    "of %u at offset %u); rest of the block skipped (%llu errors)",
				    s->info.name, s->queue, i, n, off,
				    (unsigned long long)++s->errors);
			break;
		}
		packet(s, f, h, t);
		if (!h->tp_next_offset)
			break;
		off += h->tp_next_offset;
	}
	for (int i = 0; i < C_N; i++)
		atomic_store_explicit(&s->c[i], atomic_load_explicit(&s->c[i], memory_order_relaxed)
				      + t[i], memory_order_relaxed);
}

static int afp_run(void *ctx, struct feeder *f, volatile sig_atomic_t *stop, char *err,
		   size_t errlen)
{
	struct afp *s = ctx;
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	int64_t now, last_tick = log_now_ns(), last_stats = last_tick;

	(void)err;
	(void)errlen;
	while (!*stop) {
		struct tpacket_block_desc *bd = (void *)(s->ring + (size_t)s->cur * s->block_size);

		if (__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) {
			walk_block(s, f, bd);
			/* our reads of the block come before the kernel refills it */
			__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL,
					 __ATOMIC_RELEASE);
			s->cur = (s->cur + 1) % s->nblocks;
		} else if (poll(&pfd, 1, s->step_ms) < 0 && errno != EINTR) {
			log_limited(&s->lim, LOG_ERR, "%s queue %d: poll: %s", s->info.name,
				    s->queue, strerror(errno));
		} else if (pfd.revents & POLLERR) {
			/* ENETDOWN when the link went down (the kernel rebinds when it
			 * comes back): reading it clears it */
			int e = 0;
			socklen_t len = sizeof(e);

			if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0 && e)
				log_limited(&s->lim, LOG_WARNING, "%s queue %d: %s; waiting",
					    s->info.name, s->queue, strerror(e));
		}
		now = log_now_ns();
		if (now - last_tick >= s->step_ms * 1000000LL) {
			feeder_tick(f, s->tick_ns);
			last_tick = now;
		}
		if (now - last_stats >= AFP_STATS_NS) {
			collect_drops(s);
			last_stats = now;
		}
	}
	collect_drops(s);
	feeder_flush(f);
	return 0;
}

static void afp_stats(void *ctx, struct source_stats *st)
{
	struct afp *s = ctx;

	collect_drops(s);
	st->packets = atomic_load_explicit(&s->c[C_PACKETS], memory_order_relaxed);
	st->bytes = atomic_load_explicit(&s->c[C_BYTES], memory_order_relaxed);
	st->ifdrop = atomic_load_explicit(&s->ifdrop, memory_order_relaxed);
	st->osdrop = 0;
	st->ts_backwards = atomic_load_explicit(&s->c[C_BACKWARDS], memory_order_relaxed);
	st->ts_hardware = atomic_load_explicit(&s->c[C_HARDWARE], memory_order_relaxed);
	st->ts_software = atomic_load_explicit(&s->c[C_SOFTWARE], memory_order_relaxed);
}

const struct source_ops src_afpacket_ops = {
	.name = "afpacket",
	.create = afp_create,
	.destroy = afp_destroy,
	.info = afp_info,
	.run = afp_run,
	.stats = afp_stats,
};
