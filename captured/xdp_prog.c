/* captured's XDP program on one interface: the checks before it, making
 * sure nothing else is attached, loading and attaching through a BPF link,
 * the workers' XSKMAP slots, detaching.  See xdp_prog.h. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/net_tstamp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bpf/capture_meta.h"
#include "config.h"
#include "hwts.h"
#include "ifinfo.h"
#include "log.h"
#include "xdp_prog.h"

/* Looks and attaches: another program can appear in between, and the next
 * look then names it. */
#define XDP_PROG_TRIES 3
#define XDP_PROG_MAX_MAPS 8

static void close_fds(struct xdp_prog *p)
{
	if (p->link_fd >= 0)
		close(p->link_fd);
	if (p->prog_fd >= 0)
		close(p->prog_fd);
	if (p->xsks_fd >= 0)
		close(p->xsks_fd);
	p->link_fd = p->prog_fd = p->xsks_fd = -1;
}

static const char *mode_name(bool generic)
{
	return generic ? "generic" : "native";
}

/* What "ip link set dev IF ... off" detaches a program of that mode. */
static const char *ip_mode(bool generic)
{
	return generic ? "xdpgeneric" : "xdp";
}

/* The pid our program fd records (owner_pid, the only variable of its
 * .rodata map), 0 when unknown. */
static __u32 owner_of(const struct bpf_prog_info *info, const __u32 *map_ids)
{
	__u32 n = info->nr_map_ids < XDP_PROG_MAX_MAPS ? info->nr_map_ids : XDP_PROG_MAX_MAPS;
	__u32 i, len, key = 0, pid = 0;
	struct bpf_map_info mi;
	size_t l;
	int fd;

	for (i = 0; i < n && !pid; i++) {
		fd = bpf_map_get_fd_by_id(map_ids[i]);
		if (fd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		len = sizeof(mi);
		if (!bpf_obj_get_info_by_fd(fd, &mi, &len) && mi.type == BPF_MAP_TYPE_ARRAY &&
		    mi.value_size == sizeof(pid) && (l = strlen(mi.name)) >= 7 &&
		    !strcmp(mi.name + l - 7, ".rodata") && bpf_map_lookup_elem(fd, &key, &pid))
			pid = 0;
		close(fd);
	}
	return pid;
}

/* What is attached, when it is not a program of ours that no link holds
 * (which is removed): named in err, -EBUSY.  0 when nothing is attached
 * now.  Only bpf_xdp_query is needed to see that a program is there; the
 * rest takes CAP_SYS_ADMIN (bpf_prog_get_fd_by_id), without which we can
 * only name its id. */
static int clear_way(const struct xdp_prog *p, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	LIBBPF_OPTS(bpf_xdp_attach_opts, o);
	__u32 map_ids[XDP_PROG_MAX_MAPS], len = sizeof(struct bpf_prog_info), id, pid;
	struct bpf_prog_info info;
	char who[24] = "";
	bool generic;
	int rc = bpf_xdp_query(p->ifindex, 0, &q), fd;

	if (rc) {
		snprintf(err, errlen, "%s: querying XDP programs: %s", p->iface, strerror(-rc));
		return rc;
	}
	if (q.hw_prog_id) {
		snprintf(err, errlen, "%s: an offloaded XDP program (id %u) is attached; captured "
			 "does not replace it", p->iface, q.hw_prog_id);
		return -EBUSY;
	}
	/* the kernel never has native and generic programs at once */
	generic = !q.drv_prog_id;
	id = generic ? q.skb_prog_id : q.drv_prog_id;
	if (!id)
		return 0;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd == -ENOENT)
		return 0;   /* gone meanwhile */
	if (fd < 0) {
		snprintf(err, errlen, "%s: an XDP program (id %u) is attached in %s mode: another "
			 "captured's, or a foreign or left-over one (telling which needs "
			 "CAP_SYS_ADMIN: %s); if it is not needed, remove it with 'ip link set dev "
			 "%s %s off' (the kernel refuses for a running captured)", p->iface, id,
			 mode_name(generic), strerror(-fd), p->iface, ip_mode(generic));
		return -EBUSY;
	}
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = XDP_PROG_MAX_MAPS;
	info.map_ids = (__u64)(unsigned long)map_ids;
	rc = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (rc) {
		snprintf(err, errlen, "%s: XDP program id %u: %s", p->iface, id, strerror(-rc));
		goto out;
	}
	if (info.type != BPF_PROG_TYPE_XDP || (strcmp(info.name, "captured_hw") &&
					       strcmp(info.name, "captured_sw"))) {
		snprintf(err, errlen, "%s: another XDP program, '%s' (id %u), is attached in %s "
			 "mode; captured does not replace it (remove it with 'ip link set dev %s "
			 "%s off' if it is not needed)", p->iface, info.name, id,
			 mode_name(generic), p->iface, ip_mode(generic));
		rc = -EBUSY;
		goto out;
	}
	pid = owner_of(&info, map_ids);
	if (pid)
		snprintf(who, sizeof(who), " (pid %u)", pid);
	/* Exactly that program (XDP_FLAGS_REPLACE), and only if no link holds
	 * it: a running captured's link makes the kernel refuse with EBUSY. */
	o.old_prog_fd = fd;
	rc = bpf_xdp_detach(p->ifindex, generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE, &o);
	if (rc == -EBUSY) {
		snprintf(err, errlen, "%s: another captured%s is capturing %s: its XDP program "
			 "(id %u) is attached in %s mode; one daemon per interface", p->iface, who,
			 p->iface, id, mode_name(generic));
	} else if (!rc) {
		log_msg(LOG_NOTICE, "%s: removed the XDP program (id %u) of a captured%s that is "
			"gone", p->iface, id, who);
	} else if (rc == -EEXIST) {
		rc = 0;     /* replaced meanwhile: look again */
	} else {
		snprintf(err, errlen, "%s: removing the XDP program (id %u) of a captured that is "
			 "gone: %s", p->iface, id, strerror(-rc));
	}
out:
	close(fd);
	return rc;
}

/* Loads the variant hw (the software one, with a log line, when the
 * variant reading NIC timestamps cannot be loaded). */
static int load(struct xdp_prog *p, bool hw, xdp_prog_load_fn *fn, char *err, size_t errlen)
{
	int xsks = -1, fd;

	close_fds(p);
	fd = fn(p->iface, p->ifindex, hw, &xsks, err, errlen);
	if (fd < 0 && hw) {
		log_msg(LOG_WARNING, "%s; software timestamps instead", err);
		hw = false;
		fd = fn(p->iface, p->ifindex, false, &xsks, err, errlen);
	}
	if (fd < 0)
		return fd;
	p->prog_fd = fd;
	p->xsks_fd = xsks;
	p->hw = hw;
	p->gen++;
	return 0;
}

static int link_attach(struct xdp_prog *p, bool generic)
{
	LIBBPF_OPTS(bpf_link_create_opts, o,
		    .flags = generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
	int fd = bpf_link_create(p->prog_fd, p->ifindex, BPF_XDP, &o);

	if (fd < 0)
		return fd;
	p->link_fd = fd;
	p->generic = generic;
	return 0;
}

/* In the driver, the generic path, or the driver and then the generic path
 * (auto, which then becomes generic for the next try).  -EBUSY or -EEXIST:
 * a program was attached meanwhile. */
static int attach(struct xdp_prog *p, int *mode, xdp_prog_load_fn *fn, char *err,
		  size_t errlen)
{
	int rc;

	if (*mode != CONFIG_XDP_GENERIC) {
		rc = link_attach(p, false);
		if (!rc || rc == -EBUSY || rc == -EEXIST)
			return rc;
		if (*mode == CONFIG_XDP_NATIVE) {
			snprintf(err, errlen, "%s: attaching the XDP program in native mode: %s "
				 "(xdp_mode = generic may work)", p->iface, strerror(-rc));
			return rc;
		}
		log_msg(LOG_NOTICE, "%s: native XDP refused (%s); attaching in generic mode%s",
			p->iface, strerror(-rc),
			p->hw ? ", with software timestamps (NIC ones need native)" : "");
		*mode = CONFIG_XDP_GENERIC;
		/* the kernel runs device-bound programs in the driver only */
		if (p->hw && (rc = load(p, false, fn, err, errlen)))
			return rc;
	}
	rc = link_attach(p, true);
	if (rc && rc != -EBUSY && rc != -EEXIST)
		snprintf(err, errlen, "%s: attaching the XDP program in generic mode: %s",
			 p->iface, strerror(-rc));
	return rc;
}

/* Looks, loads, attaches. */
static int open_prog(struct xdp_prog *p, int mode, bool hw, xdp_prog_load_fn *load_fn,
		     char *err, size_t errlen)
{
	int tries, rc;

	if (hw && mode == CONFIG_XDP_GENERIC) {
		log_msg(LOG_NOTICE, "%s: xdp_mode = generic: software timestamps (NIC ones need "
			"native XDP)", p->iface);
		hw = false;
	}
	for (tries = 0; tries < XDP_PROG_TRIES; tries++) {
		/* first the look: a refusal costs no verifier run */
		rc = clear_way(p, err, errlen);
		if (rc)
			return rc;
		if (p->prog_fd < 0 && (rc = load(p, hw, load_fn, err, errlen)))
			return rc;
		rc = attach(p, &mode, load_fn, err, errlen);
		if (rc != -EBUSY && rc != -EEXIST)
			return rc;
	}
	/* names what won the last race */
	if (!(rc = clear_way(p, err, errlen))) {
		snprintf(err, errlen, "%s: attaching the XDP program: %s (XDP programs kept "
			 "coming and going)", p->iface, strerror(EBUSY));
		rc = -EBUSY;
	}
	return rc;
}

/* By ioctl: sysfs (ifinfo) shows the mounter's network namespace, and
 * whether sockets need multi-buffer depends on it. */
static unsigned if_mtu(const char *iface, unsigned dflt)
{
	struct ifreq ifr;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	if (fd >= 0 && !ioctl(fd, SIOCGIFMTU, &ifr))
		dflt = (unsigned)ifr.ifr_mtu;
	if (fd >= 0)
		close(fd);
	return dflt;
}

/* Read NIC stamps when the device stamps every packet (asked to if it can). */
static int want_hw(const char *iface, int tsmode, bool *hw, char *err, size_t errlen)
{
	struct hwts_caps caps;
	char e[256] = "";
	int filter = -1;

	*hw = false;
	if (tsmode == CONFIG_TS_SOFTWARE)
		return 0;
	if (!hwts_query(iface, &caps, e, sizeof(e)) && caps.rx_hardware) {
		*hw = (!hwts_rx_filter(iface, &filter) && filter == HWTSTAMP_FILTER_ALL) ||
		      !hwts_enable_rx(iface, e, sizeof(e));
		if (!*hw && tsmode == CONFIG_TS_AUTO)
			log_msg(LOG_NOTICE, "%s; software timestamps", e);
	}
	if (*hw || tsmode != CONFIG_TS_HARDWARE)
		return 0;
	snprintf(err, errlen, "%s: timestamp = hardware, but the device cannot stamp every "
		 "packet%s%s", iface, e[0] ? ": " : "", e);
	return -EOPNOTSUPP;
}

struct xdp_prog *xdp_prog_open(const char *iface, const struct config *c,
			       xdp_prog_load_fn *load_fn, char *err, size_t errlen)
{
	int tsmode = (int)config_int(c, CONFIG_TIMESTAMP);
	struct xdp_prog *p = calloc(1, sizeof(*p));
	struct ifinfo ii;
	int rc = -ENOMEM;
	bool hw;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	p->link_fd = p->prog_fd = p->xsks_fd = p->promisc_fd = -1;
	p->mode = (int)config_int(c, CONFIG_XDP_MODE);
	p->tsmode = tsmode;
	p->allow_addressed = config_int(c, CONFIG_XDP_ALLOW_ADDRESSED);
	p->promisc = config_int(c, CONFIG_PROMISC);
	p->load = load_fn;
	rc = ifinfo_get(iface, &ii, err, errlen);
	if (rc)
		goto out;
	snprintf(p->iface, sizeof(p->iface), "%s", ii.name);
	snprintf(p->driver, sizeof(p->driver), "%s", ii.driver);
	p->ifindex = ii.ifindex;
	p->mtu = if_mtu(p->iface, ii.mtu);
	if (ii.has_ip && !p->allow_addressed) {
		snprintf(err, errlen, "%s has address %s: AF_XDP would take its packets away from "
			 "the host (set xdp_allow_addressed = yes, or use AF_PACKET)", p->iface,
			 ii.ip);
		rc = -EADDRINUSE;
		goto out;
	}
	rc = want_hw(p->iface, tsmode, &hw, err, errlen);
	if (!rc)
		rc = open_prog(p, p->mode, hw, load_fn, err, errlen);
	if (rc)
		goto out;
	if (tsmode == CONFIG_TS_HARDWARE && !p->hw) {
		snprintf(err, errlen, "%s: timestamp = hardware, but the XDP program stamps in "
			 "software (see the log)", p->iface);
		rc = -EOPNOTSUPP;
		goto out;
	}
	if (p->promisc && (p->promisc_fd = ifinfo_promisc(p->ifindex)) < 0) {
		rc = p->promisc_fd;
		snprintf(err, errlen, "%s: promiscuous mode: %s", p->iface, strerror(-rc));
		goto out;
	}
out:
	if (rc) {
		xdp_prog_close(p);
		errno = -rc;
		return NULL;
	}
	return p;
}

void xdp_prog_close(struct xdp_prog *p)
{
	if (!p)
		return;
	/* the link's last descriptor: the kernel detaches exactly our program */
	close_fds(p);
	if (p->promisc_fd >= 0)
		close(p->promisc_fd);
	free(p);
}

int xdp_prog_add(const struct xdp_prog *p, int queue, int xsk_fd, char *err, size_t errlen)
{
	__u32 q = (__u32)queue;
	int rc;

	if (queue < 0 || queue >= CAPTURE_MAX_QUEUES) {
		snprintf(err, errlen, "%s: queue %d: the XDP program serves queues 0 to %d",
			 p->iface, queue, CAPTURE_MAX_QUEUES - 1);
		return -ERANGE;
	}
	/* BPF_NOEXIST: two workers never share a queue */
	rc = bpf_map_update_elem(p->xsks_fd, &q, &xsk_fd, BPF_NOEXIST);
	if (rc == -EEXIST) {
		snprintf(err, errlen, "%s: queue %d has a socket in the XSKMAP already", p->iface,
			 queue);
		return -EBUSY;
	}
	if (rc)
		snprintf(err, errlen, "%s: queue %d: adding the socket to the XSKMAP: %s",
			 p->iface, queue, strerror(-rc));
	return rc;
}

void xdp_prog_remove(const struct xdp_prog *p, int queue)
{
	__u32 q = (__u32)queue;

	bpf_map_delete_elem(p->xsks_fd, &q);
}

bool xdp_prog_attached(const struct xdp_prog *p)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);

	if (p->link_fd < 0)
		return false;
	memset(&info, 0, sizeof(info));
	/* the kernel clears the link's device when it unregisters or when
	 * the link is detached; it then reports ifindex 0.  Without CAP_BPF
	 * the question cannot be asked: say attached rather than flap */
	if (bpf_obj_get_info_by_fd(p->link_fd, &info, &len))
		return true;
	return info.xdp.ifindex != 0;
}

int xdp_prog_reattach(struct xdp_prog *p, char *err, size_t errlen)
{
	struct ifinfo ii;
	int rc, mode;
	bool hw = p->hw;

	rc = ifinfo_get(p->iface, &ii, err, errlen);
	if (rc)
		return rc;
	if (ii.has_ip && !p->allow_addressed) {
		snprintf(err, errlen, "%s has address %s: AF_XDP would take its packets away from "
			 "the host (set xdp_allow_addressed = yes, or use AF_PACKET)", p->iface,
			 ii.ip);
		return -EADDRINUSE;
	}
	/* the old link holds no device any more: let it go */
	if (p->link_fd >= 0)
		close(p->link_fd);
	p->link_fd = -1;
	if (ii.ifindex != p->ifindex) {
		p->ifindex = ii.ifindex;
		snprintf(p->driver, sizeof(p->driver), "%s", ii.driver);
		p->mtu = if_mtu(p->iface, ii.mtu);
		/* a device-bound program is bound to the old device */
		if (hw) {
			rc = want_hw(p->iface, p->tsmode, &hw, err, errlen);
			if (!rc)
				rc = load(p, hw, p->load, err, errlen);
			if (rc)
				return rc;
		}
	}
	rc = clear_way(p, err, errlen);
	if (rc)
		return rc;
	/* the path it had: auto that fell back to generic stays there */
	mode = p->generic ? CONFIG_XDP_GENERIC : p->mode;
	rc = attach(p, &mode, p->load, err, errlen);
	if (rc == -EBUSY || rc == -EEXIST)
		snprintf(err, errlen, "%s: another XDP program was attached meanwhile", p->iface);
	if (rc)
		return rc;
	if (p->promisc) {
		if (p->promisc_fd >= 0)
			close(p->promisc_fd);
		p->promisc_fd = ifinfo_promisc(p->ifindex);
		if (p->promisc_fd < 0)
			log_msg(LOG_WARNING, "%s: promiscuous mode: %s", p->iface,
				strerror(-p->promisc_fd));
	}
	return 0;
}
