/* Source: live capture of one RX worker with AF_PACKET TPACKET_V3: a ring of
 * blocks the kernel fills and retires, the kernel BPF filter compiled by
 * libpcap, and a fanout group shared by the interface's workers.
 *
 * Link flaps: a link that goes down and up again keeps its socket (the
 * kernel unhooks and rehooks it, fanout membership included).  An interface
 * that is deleted leaves the socket bound to nothing, and a socket in a
 * fanout group cannot be bound again: the worker closes socket and ring,
 * waits for an interface of the same name, and makes socket, ring, fanout
 * group (its id follows the new ifindex, so that no member of the old group
 * is in the way) and filter (compiled once, at create) again.  Counters
 * live outside the socket and go on. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/capability.h>
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
#include <pthread.h>
#include <stdarg.h>
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
#include "ifinfo.h"
#include "log.h"
#include "pcapng.h"
#include "priv.h"
#include "source.h"

#define AFP_BLOCK_MAX (4u << 20)
#define AFP_FRAME_SIZE 2048u       /* V3 only checks it; packets have any size */
#define AFP_HDR_ROOM 256u          /* block header, tpacket3_hdr, sockaddr_ll, padding */
#define AFP_VLAN_LEN 4u
#define AFP_STEP_MAX_MS 100
#define AFP_STATS_NS 100000000
#define AFP_SLL_OFF TPACKET_ALIGN(sizeof(struct tpacket3_hdr))
#define AFP_LINK_CHECK_NS 1000000000   /* looks at the link while capturing */
#define AFP_RETRY_NS 1000000000        /* between tries to set up again */

/* The link as the run thread sees it. */
enum { LINK_UP, LINK_DOWN, LINK_GONE };

/* Counters the run thread keeps and stats() reads. */
enum { C_PACKETS, C_BYTES, C_BACKWARDS, C_HARDWARE, C_SOFTWARE, C_N };

/* A bound socket and its ring. */
struct afp_sock {
	int fd;
	uint8_t *ring;
	size_t ring_len;
	uint32_t block_size, nblocks;
};

struct afp {
	int fd;                    /* -1 while the interface is gone */
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
	/* what setting the socket up again takes (the configuration is not kept) */
	char iface[IFNAMSIZ];
	int ifindex;               /* the socket is bound to */
	int fanout_base;           /* fanout id ^ ifindex: the id follows the ifindex */
	int nworkers;
	int64_t fanout, tsmode;
	bool promisc;
	uint64_t ring_size;
	struct sock_fprog filter;  /* compiled at create */
	/* the link, run thread only */
	int link;                  /* LINK_* */
	int64_t since_ns, check_ns, retry_ns;
	char last_err[256];        /* of the last failed set-up, said once */
	/* fd and waiting against stats() on other threads */
	pthread_mutex_t lock;
	char waiting[160];
	_Atomic uint64_t link_losses;
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

static int sopt(int fd, int level, int name, const void *v, socklen_t len, const char *iface,
		const char *what, char *err, size_t errlen)
{
	return setsockopt(fd, level, name, v, len) < 0 ? fail(err, errlen, iface, what) : 0;
}

/* Ethernet only: what DLT_EN10MB filters and VLAN re-insertion expect. */
static int link_type(int fd, const char *iface, struct source_info *inf, char *err,
		     size_t errlen)
{
	struct ifreq ifr = { 0 };
	int one = 1, type;

	memcpy(ifr.ifr_name, iface, strlen(iface));
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return fail(err, errlen, iface, "SIOCGIFHWADDR");
	type = ifr.ifr_hwaddr.sa_family;
	inf->linktype = DLT_EN10MB;
	/* lo has Ethernet headers, and shows each packet twice, out and in:
	 * keep it once, as libpcap does */
	if (type == ARPHRD_LOOPBACK)
		return sopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one), iface,
			    "PACKET_IGNORE_OUTGOING", err, errlen);
	if (type == ARPHRD_ETHER)
		return 0;
	snprintf(err, errlen, "%s: link type ARPHRD %d is not supported (Ethernet and "
		 "loopback are)", iface, type);
	return -EPROTONOSUPPORT;
}

static void driver_name(int fd, const char *iface, struct source_info *inf)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { .ifr_data = (void *)&di };

	memcpy(ifr.ifr_name, iface, strlen(iface));
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0)
		snprintf(inf->hardware, sizeof(inf->hardware), "%.32s%s%.32s", di.driver,
			 di.bus_info[0] ? " " : "", di.bus_info);
}

/* Hardware stamps where wanted and possible.  SO_TIMESTAMPING makes the
 * kernel take stamps, PACKET_TIMESTAMP says which one the ring gets. */
static int setup_timestamps(int fd, const char *iface, int64_t want, struct source_info *inf,
			    bool quiet, char *err, size_t errlen)
{
	int so = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE;
	int pt = SOF_TIMESTAMPING_SOFTWARE;
	const char *drv = inf->hardware[0] ? inf->hardware : iface;
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
		if (rc && caps.rx_hardware && !quiet)
			log_msg(LOG_WARNING, "%s: software timestamps: %s", iface, why);
	}
	snprintf(inf->tsource, sizeof(inf->tsource), rc ? "software" : "hardware");
	if (rc) {
		snprintf(inf->description, sizeof(inf->description),
			 "software timestamps (%s)", why);
	} else {
		so |= SOF_TIMESTAMPING_RAW_HARDWARE | SOF_TIMESTAMPING_RX_HARDWARE;
		pt |= SOF_TIMESTAMPING_RAW_HARDWARE;
		snprintf(inf->description, sizeof(inf->description), "hardware timestamps "
			 "(%s, PHC %d; software for packets the NIC leaves unstamped)", drv,
			 caps.phc_index);
	}
	if ((rc = sopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &so, sizeof(so), iface,
		       "SO_TIMESTAMPING", err, errlen)))
		return rc;
	return sopt(fd, SOL_PACKET, PACKET_TIMESTAMP, &pt, sizeof(pt), iface,
		    "PACKET_TIMESTAMP", err, errlen);
}

static int setup_ring(struct afp *s, struct afp_sock *k, char *err, size_t errlen)
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

	while (b / 2 >= need && b / 2 >= 4096 && s->ring_size / b < 8)
		b /= 2;
	req.tp_block_size = b;
	req.tp_block_nr = s->ring_size / b < 2 ? 2 : (uint32_t)(s->ring_size / b);
	req.tp_frame_size = AFP_FRAME_SIZE;
	req.tp_frame_nr = b / AFP_FRAME_SIZE * req.tp_block_nr;
	req.tp_retire_blk_tov = (unsigned)s->step_ms;
	snprintf(what, sizeof(what), "PACKET_RX_RING %u blocks of %u KiB", req.tp_block_nr,
		 b >> 10);
	/* PACKET_RESERVE: room before each frame to put back a VLAN tag */
	if ((rc = sopt(k->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v), s->iface,
		       "PACKET_VERSION TPACKET_V3", err, errlen)) ||
	    (rc = sopt(k->fd, SOL_PACKET, PACKET_RESERVE, &reserve, sizeof(reserve), s->iface,
		       "PACKET_RESERVE", err, errlen)) ||
	    (rc = sopt(k->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req), s->iface, what, err,
		       errlen)))
		return rc;
	k->block_size = b;
	k->nblocks = req.tp_block_nr;
	k->ring = mmap(NULL, (size_t)b * k->nblocks, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, k->fd, 0);
	if (k->ring == MAP_FAILED) {
		k->ring = NULL;
		return fail(err, errlen, s->iface, "mmap of the ring");
	}
	k->ring_len = (size_t)b * k->nblocks;
	return 0;
}

/* libpcap emits the kernel's VLAN ancillary loads (the kernel strips the tag
 * before the filter runs) only on a live handle; other expressions compile
 * the same on a dead one, which needs no socket.  Kept in s->filter for
 * the sockets to come. */
static int compile_filter(struct afp *s, const char *expr, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog = { 0 };
	pcap_t *p = NULL;
	size_t len;
	int rc = 0;

	if (strstr(expr, "vlan")) {
		p = pcap_create(s->iface, ebuf);
		if (p && (pcap_set_snaplen(p, (int)s->snaplen) || pcap_activate(p) < 0)) {
			pcap_close(p);
			p = NULL;
		}
	}
	if (!p && !(p = pcap_open_dead(DLT_EN10MB, (int)s->snaplen))) {
		snprintf(err, errlen, "%s: filter: out of memory", s->iface);
		return -ENOMEM;
	}
	/* even "" compiles to "accept snaplen bytes": the kernel copies no more */
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "%s: filter '%s': %s", s->iface, expr, pcap_geterr(p));
		rc = -EINVAL;
		goto out;
	}
	len = (size_t)prog.bf_len * sizeof(struct sock_filter);
	s->filter.filter = malloc(len ? len : 1);
	if (!s->filter.filter) {
		snprintf(err, errlen, "%s: filter: out of memory", s->iface);
		rc = -ENOMEM;
	} else {
		memcpy(s->filter.filter, prog.bf_insns, len);
		s->filter.len = (unsigned short)prog.bf_len;
	}
	pcap_freecode(&prog);
out:
	pcap_close(p);
	return rc;
}

/* Join the interface's fanout group; take a promiscuous membership. */
static int join(struct afp *s, int fd, int ifindex, struct source_info *inf, char *err,
		size_t errlen)
{
	static const int modes[] = { [CONFIG_FANOUT_HASH] = PACKET_FANOUT_HASH,
		[CONFIG_FANOUT_QUEUE] = PACKET_FANOUT_QM, [CONFIG_FANOUT_CPU] = PACKET_FANOUT_CPU };
	static const char *const names[] = { "hash", "queue", "cpu" };
	struct packet_mreq mr = { .mr_ifindex = ifindex, .mr_type = PACKET_MR_PROMISC };
	int id = (s->fanout_base ^ ifindex) & 0xffff;
	char what[96];
	int rc;

	snprintf(inf->mode, sizeof(inf->mode), "afpacket tpacket_v3");
	if (s->nworkers > 1 && s->fanout >= 0 && s->fanout <= CONFIG_FANOUT_CPU) {
		/* plain hash: the defrag flag would hold fragments back, reordering */
		int arg = id | modes[s->fanout] << 16;

		snprintf(what, sizeof(what), "PACKET_FANOUT group %d mode %s (does another "
			 "program use the group?)", id, names[s->fanout]);
		if ((rc = sopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg), s->iface, what,
			       err, errlen)))
			return rc;
		snprintf(inf->mode, sizeof(inf->mode), "afpacket tpacket_v3 fanout %s",
			 names[s->fanout]);
	}
	/* the kernel counts these and drops ours when the socket closes */
	if (!s->promisc)
		return 0;
	return sopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr), s->iface,
		    "PACKET_MR_PROMISC", err, errlen);
}

static void close_sock(struct afp_sock *k)
{
	if (k->ring)
		munmap(k->ring, k->ring_len);
	if (k->fd >= 0)
		close(k->fd);
	k->ring = NULL;
	k->fd = -1;
}

/* A socket bound to ifindex with ring, fanout and filter, into k; inf gets
 * what the socket found out (link type, driver, stamps, mode). */
static int open_sock(struct afp *s, int ifindex, struct afp_sock *k, struct source_info *inf,
		     char *err, size_t errlen)
{
	/* a filter that takes nothing, until ring, fanout and filter are set:
	 * no unfiltered packet and no packet outside the fanout gets in */
	struct sock_filter drop = { BPF_RET | BPF_K, 0, 0, 0 };
	struct sock_fprog none = { 1, &drop };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = ifindex };
	int rc;

	memset(k, 0, sizeof(*k));
	/* protocol 0: the socket sees nothing until bound with ETH_P_ALL */
	k->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (k->fd < 0)
		return fail(err, errlen, s->iface, "AF_PACKET socket");
	driver_name(k->fd, s->iface, inf);
	if ((rc = link_type(k->fd, s->iface, inf, err, errlen)) ||
	    (rc = setup_timestamps(k->fd, s->iface, s->tsmode, inf, s->link != LINK_UP, err,
				   errlen)) ||
	    (rc = setup_ring(s, k, err, errlen)) ||
	    (rc = sopt(k->fd, SOL_SOCKET, SO_ATTACH_FILTER, &none, sizeof(none), s->iface,
		       "SO_ATTACH_FILTER", err, errlen)))
		goto out;
	if (bind(k->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		rc = fail(err, errlen, s->iface, "bind");
		goto out;
	}
	if ((rc = join(s, k->fd, ifindex, inf, err, errlen)) ||
	    (rc = sopt(k->fd, SOL_SOCKET, SO_ATTACH_FILTER, &s->filter, sizeof(s->filter),
		       s->iface, "SO_ATTACH_FILTER", err, errlen)))
		goto out;
out:
	if (rc)
		close_sock(k);
	return rc;
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
	free(s->filter.filter);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void *afp_create(const struct source_args *a, char *err, size_t errlen)
{
	const char *iface = a->iface ? a->iface : "", *expr;
	struct afp_sock k;
	struct afp *s = NULL;
	int64_t step;
	int rc, ifindex = 0;

	if (!a->conf || !*iface || strlen(iface) >= IFNAMSIZ ||
	    !(ifindex = (int)if_nametoindex(iface))) {
		snprintf(err, errlen, a->conf ? "no interface '%s'" : "%s: no configuration",
			 iface);
		errno = a->conf ? ENODEV : EINVAL;
		return NULL;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		snprintf(err, errlen, "%s: out of memory", iface);
		errno = ENOMEM;
		return NULL;
	}
	s->fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	expr = config_str(a->conf, CONFIG_FILTER) ? config_str(a->conf, CONFIG_FILTER) : "";
	memcpy(s->iface, iface, strlen(iface) + 1);
	s->lim = (struct log_limit)LOG_LIMIT_INIT(10);
	s->queue = a->queue;
	s->tsmap = a->tsmap;
	s->nworkers = a->nworkers;
	s->fanout = config_int(a->conf, CONFIG_FANOUT);
	s->fanout_base = a->fanout_id ^ ifindex;
	s->tsmode = config_int(a->conf, CONFIG_TIMESTAMP);
	s->promisc = config_int(a->conf, CONFIG_PROMISC);
	s->ring_size = (uint64_t)config_int(a->conf, CONFIG_RING_SIZE);
	/* only fanout by queue gives a worker exactly one RX queue's packets;
	 * otherwise the packet's queue is unknown and the EPB says nothing */
	s->epb_queue = a->nworkers > 1 && s->fanout == CONFIG_FANOUT_QUEUE ? a->queue : -1;
	s->snaplen = (uint32_t)config_int(a->conf, CONFIG_SNAPLEN);
	/* the source has half of flush_time, the writer the other half
	 * (wconf.c): a packet waits up to a step in a kernel block, up to
	 * tick_ns in a batch, and up to a step more for the next tick check
	 * (and a step of poll): flush_time / 2 in all */
	step = config_int(a->conf, CONFIG_FLUSH_TIME) / 8 / 1000000;
	s->step_ms = step < 1 ? 1 : step > AFP_STEP_MAX_MS ? AFP_STEP_MAX_MS : (int)step;
	s->tick_ns = config_int(a->conf, CONFIG_FLUSH_TIME) / 2 - 3 * s->step_ms * 1000000LL;
	if (s->tick_ns < 0)
		s->tick_ns = 0;
	for (int i = 0; i < C_N; i++)
		atomic_init(&s->c[i], 0);
	atomic_init(&s->ifdrop, 0);
	atomic_init(&s->link_losses, 0);
	if ((rc = compile_filter(s, expr, err, errlen)) ||
	    (rc = open_sock(s, ifindex, &k, &s->info, err, errlen)))
		goto out;
	s->fd = k.fd;
	s->ring = k.ring;
	s->ring_len = k.ring_len;
	s->block_size = k.block_size;
	s->nblocks = k.nblocks;
	s->ifindex = ifindex;
	s->link = LINK_UP;
	s->info.snaplen = s->snaplen;
	snprintf(s->info.label, sizeof(s->info.label), "%s", iface);
	snprintf(s->info.name, sizeof(s->info.name), "%s", iface);
	snprintf(s->info.filter, sizeof(s->info.filter), "%s", expr);
	/* a new socket after link loss; SIOCSHWTSTAMP for hardware stamps */
	s->info.recover_caps = PRIV_CAP(CAP_NET_RAW) |
			       (!strcmp(s->info.tsource, "hardware") ? PRIV_CAP(CAP_NET_ADMIN) : 0);
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
 * tp_freeze_q_cnt (times the ring was full) is within tp_drops.  Any
 * thread: the run thread may be replacing the socket. */
static void collect_drops(struct afp *s)
{
	struct tpacket_stats_v3 st = { 0 };
	socklen_t len = sizeof(st);

	pthread_mutex_lock(&s->lock);
	if (s->fd >= 0 && getsockopt(s->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0 &&
	    st.tp_drops)
		atomic_fetch_add_explicit(&s->ifdrop, st.tp_drops, memory_order_relaxed);
	pthread_mutex_unlock(&s->lock);
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

static void set_waiting(struct afp *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_waiting(struct afp *s, const char *fmt, ...)
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

/* The ifindex the socket is bound to: -1 once its interface is gone. */
static int bound_ifindex(int fd)
{
	struct sockaddr_ll sll = { 0 };
	socklen_t len = sizeof(sll);

	return getsockname(fd, (struct sockaddr *)&sll, &len) < 0 ? -1 : sll.sll_ifindex;
}

/* The interface went away under the socket: socket and ring go, the
 * counters stay.  Said once. */
static void lose_interface(struct afp *s, int64_t now, bool replaced)
{
	collect_drops(s);
	pthread_mutex_lock(&s->lock);
	if (s->ring)
		munmap(s->ring, s->ring_len);
	if (s->fd >= 0)
		close(s->fd);
	s->ring = NULL;
	s->fd = -1;
	pthread_mutex_unlock(&s->lock);
	if (s->link == LINK_UP) {
		s->since_ns = now;
		atomic_fetch_add(&s->link_losses, 1);
	}
	s->link = LINK_GONE;
	s->retry_ns = now;
	s->last_err[0] = '\0';
	log_msg(LOG_WARNING, "%s queue %d: the interface is %s (it had ifindex %d); socket "
		"closed, counters kept; waiting for an interface named %s", s->iface, s->queue,
		replaced ? "replaced by a new one" : "gone", s->ifindex, s->iface);
	set_waiting(s, "interface %s gone; waiting for it to come back", s->iface);
}

/* A socket on the interface that now has the name: ring, fanout group and
 * filter as before.  Tried again every AFP_RETRY_NS; a failure is said
 * once per reason. */
static void follow_interface(struct afp *s, int ifindex, unsigned flags, int64_t now)
{
	struct source_info inf = s->info;
	struct afp_sock k;
	char err[256];
	int rc;

	if (now < s->retry_ns)
		return;
	/* what the socket finds out goes to inf: s->info is the files' IDB */
	inf.description[0] = '\0';
	priv_raise();
	rc = open_sock(s, ifindex, &k, &inf, err, sizeof(err));
	priv_lower();
	if (rc) {
		s->retry_ns = now + AFP_RETRY_NS;
		if (strcmp(err, s->last_err)) {
			log_msg(LOG_WARNING, "%s queue %d: cannot capture on the new %s (ifindex "
				"%d) yet: %s; trying again every second", s->iface, s->queue,
				s->iface, ifindex, err);
			snprintf(s->last_err, sizeof(s->last_err), "%s", err);
		}
		set_waiting(s, "interface %s is back but cannot be captured yet: %s", s->iface,
			    err);
		return;
	}
	pthread_mutex_lock(&s->lock);
	s->fd = k.fd;
	s->ring = k.ring;
	s->ring_len = k.ring_len;
	s->block_size = k.block_size;
	s->nblocks = k.nblocks;
	s->cur = 0;
	s->waiting[0] = '\0';
	pthread_mutex_unlock(&s->lock);
	log_msg(LOG_NOTICE, "%s queue %d: %s is back (ifindex %d, was %d): socket, ring, %s and "
		"filter set up again after %.1f s; %s", s->iface, s->queue, s->iface,
		ifindex, s->ifindex, strstr(inf.mode, "fanout") ? "fanout group" : "binding",
		secs_since(s->since_ns, now), flags & IFF_UP ? "capturing" :
		"its link is down: capturing once it is up");
	if (strcmp(inf.tsource, s->info.tsource))
		log_msg(LOG_WARNING, "%s queue %d: %s timestamps now, not %s as the files' "
			"interface description says", s->iface, s->queue, inf.tsource,
			s->info.tsource);
	s->ifindex = ifindex;
	/* the same outage goes on while the new interface is down */
	s->link = flags & IFF_UP ? LINK_UP : LINK_DOWN;
	if (s->link == LINK_DOWN)
		set_waiting(s, "link of %s down", s->iface);
}

/* Where the link is, after an error on the socket (e, 0 for none) or on
 * the clock: down and up again keeps the socket, gone or replaced does not.
 * False while what it saw is not settled (an interface being deleted has
 * lost its name before the socket hears of it): look again soon. */
static bool check_link(struct afp *s, int e, int64_t now)
{
	unsigned flags = 0;
	int ifindex = 0, rc;

	if (s->fd >= 0 && bound_ifindex(s->fd) != s->ifindex)
		lose_interface(s, now, false);
	if (s->fd < 0) {
		rc = ifinfo_link(-1, s->iface, &ifindex, &flags);
		if (!rc && ifindex > 0)
			follow_interface(s, ifindex, flags, now);
		return s->fd >= 0;
	}
	/* the socket's own ioctl, by name */
	rc = ifinfo_link(s->fd, s->iface, &ifindex, &flags);
	if (rc || ifindex != s->ifindex)
		return false;   /* being deleted, or renamed: bound_ifindex will tell */
	if (!(flags & IFF_UP) && s->link == LINK_UP) {
		s->link = LINK_DOWN;
		s->since_ns = now;
		atomic_fetch_add(&s->link_losses, 1);
		log_msg(LOG_WARNING, "%s queue %d: link down%s%s; waiting for it to come back, "
			"counters kept", s->iface, s->queue, e ? ": " : "", e ? strerror(e) : "");
		set_waiting(s, "link of %s down", s->iface);
	} else if ((flags & IFF_UP) && s->link == LINK_DOWN) {
		s->link = LINK_UP;
		log_msg(LOG_NOTICE, "%s queue %d: link up again after %.1f s; capturing", s->iface,
			s->queue, secs_since(s->since_ns, now));
		set_waiting(s, "%s", "");
	} else if (e && e != ENETDOWN) {
		log_limited(&s->lim, LOG_WARNING, "%s queue %d: %s", s->iface, s->queue,
			    strerror(e));
	}
	return !e;
}

static int afp_run(void *ctx, struct feeder *f, volatile sig_atomic_t *stop, char *err,
		   size_t errlen)
{
	struct afp *s = ctx;
	struct pollfd pfd = { .events = POLLIN };
	int64_t now, last_tick = log_now_ns(), last_stats = last_tick;

	(void)err;
	(void)errlen;
	s->check_ns = last_tick + AFP_LINK_CHECK_NS;
	while (!*stop) {
		struct tpacket_block_desc *bd = s->ring ?
			(void *)(s->ring + (size_t)s->cur * s->block_size) : NULL;
		int e = 0;

		priv_sync();
		pfd.fd = s->fd;
		if (!bd) {
			/* no socket: the interface is gone */
			poll(NULL, 0, s->step_ms);
		} else if (__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
			   TP_STATUS_USER) {
			walk_block(s, f, bd);
			/* our reads of the block come before the kernel refills it */
			__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL,
					 __ATOMIC_RELEASE);
			s->cur = (s->cur + 1) % s->nblocks;
		} else if (poll(&pfd, 1, s->step_ms) < 0 && errno != EINTR) {
			log_limited(&s->lim, LOG_ERR, "%s queue %d: poll: %s", s->info.name,
				    s->queue, strerror(errno));
		} else if (pfd.revents & POLLERR) {
			/* ENETDOWN when the link went down or the interface away:
			 * reading it clears it */
			socklen_t len = sizeof(e);

			if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
				e = errno;
		}
		now = log_now_ns();
		if (e || now >= s->check_ns) {
			bool settled = check_link(s, e, now);

			s->check_ns = now + (settled && s->link == LINK_UP ? AFP_LINK_CHECK_NS :
					     s->step_ms * 1000000LL);
		}
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
	st->link_losses = atomic_load(&s->link_losses);
	pthread_mutex_lock(&s->lock);
	snprintf(st->waiting, sizeof(st->waiting), "%s", s->waiting);
	pthread_mutex_unlock(&s->lock);
}

const struct source_ops src_afpacket_ops = {
	.name = "afpacket",
	.create = afp_create,
	.destroy = afp_destroy,
	.info = afp_info,
	.run = afp_run,
	.stats = afp_stats,
};
