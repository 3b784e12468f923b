/* Hardware timestamping of a network interface: what ethtool says the
 * device can do, turning on RX stamps of every packet, and reading the RX
 * filter in force.  Every call opens a datagram socket of its own for the
 * ioctls, so the file keeps no state. */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hwts.h"

#define RX_HW_FLAGS (SOF_TIMESTAMPING_RX_HARDWARE | SOF_TIMESTAMPING_RAW_HARDWARE)

/* A socket for interface ioctls, and ifr naming iface.  The fd, or
 * negative errno (-ENODEV for a name that cannot be an interface). */
static int ioctl_socket(const char *iface, struct ifreq *ifr)
{
	int fd;

	if (!iface || !*iface || strlen(iface) >= IFNAMSIZ)
		return -ENODEV;
	memset(ifr, 0, sizeof(*ifr));
	memcpy(ifr->ifr_name, iface, strlen(iface));
	/* any socket carries interface ioctls: AF_UNIX, so that the unit's
	 * RestrictAddressFamilies= needs no AF_INET */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

int hwts_query(const char *iface, struct hwts_caps *caps, char *err, size_t errlen)
{
	struct ethtool_ts_info ti = { .cmd = ETHTOOL_GET_TS_INFO };
	struct ifreq ifr;
	int fd, rc = 0;

	memset(caps, 0, sizeof(*caps));
	caps->phc_index = -1;
	fd = ioctl_socket(iface, &ifr);
	if (fd < 0) {
		rc = fd;
		if (rc == -ENODEV)
			snprintf(err, errlen, "no interface '%s'", iface ? iface : "");
		else
			snprintf(err, errlen, "%s: socket: %s", iface, strerror(-rc));
		goto out;
	}
	ifr.ifr_data = (void *)&ti;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0) {
		rc = -errno;
		/* a driver without the ioctl can do nothing in hardware */
		if (rc == -EOPNOTSUPP || rc == -EINVAL) {
			rc = 0;
			goto out;
		}
		if (rc == -ENODEV)
			snprintf(err, errlen, "no interface '%s'", iface);
		else
			snprintf(err, errlen, "%s: ETHTOOL_GET_TS_INFO: %s", iface, strerror(-rc));
		goto out;
	}
	caps->so_timestamping = ti.so_timestamping;
	caps->rx_filters = ti.rx_filters;
	caps->phc_index = ti.phc_index;
	caps->rx_software = ti.so_timestamping & SOF_TIMESTAMPING_RX_SOFTWARE;
	/* a PTP-only RX filter stamps a few packets, not the capture */
	caps->rx_hardware = (ti.so_timestamping & RX_HW_FLAGS) == RX_HW_FLAGS &&
			    (ti.rx_filters & (1u << HWTSTAMP_FILTER_ALL));
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* SIOCGHWTSTAMP into cfg: 0 or negative errno. */
static int get_config(int fd, struct ifreq *ifr, struct hwtstamp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	ifr->ifr_data = (void *)cfg;
	return ioctl(fd, SIOCGHWTSTAMP, ifr) < 0 ? -errno : 0;
}

int hwts_enable_rx(const char *iface, char *err, size_t errlen)
{
	struct hwtstamp_config cfg;
	struct ifreq ifr;
	int fd, rc;

	fd = ioctl_socket(iface, &ifr);
	if (fd < 0) {
		rc = fd;
		if (rc == -ENODEV)
			snprintf(err, errlen, "no interface '%s'", iface ? iface : "");
		else
			snprintf(err, errlen, "%s: socket: %s", iface, strerror(-rc));
		goto out;
	}
	/* keep the TX setting: ptp4l may be using TX stamps on this device;
	 * drivers without SIOCGHWTSTAMP (old ones) get TX off */
	if (get_config(fd, &ifr, &cfg)) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.tx_type = HWTSTAMP_TX_OFF;
	} else if (cfg.rx_filter == HWTSTAMP_FILTER_ALL) {
		rc = 0;
		goto out;
	}
	cfg.flags = 0;
	cfg.rx_filter = HWTSTAMP_FILTER_ALL;
	ifr.ifr_data = (void *)&cfg;
	if (ioctl(fd, SIOCSHWTSTAMP, &ifr) < 0) {
		rc = -errno;
		if (rc == -ENODEV)
			snprintf(err, errlen, "no interface '%s'", iface);
		else if (rc == -EPERM)
			snprintf(err, errlen, "%s: SIOCSHWTSTAMP: %s (needs CAP_NET_ADMIN)",
				 iface, strerror(-rc));
		else if (rc == -EOPNOTSUPP || rc == -ERANGE || rc == -EINVAL)
			snprintf(err, errlen, "%s: SIOCSHWTSTAMP rx_filter all: %s (the device "
				 "cannot stamp every received packet)", iface, strerror(-rc));
		else
			snprintf(err, errlen, "%s: SIOCSHWTSTAMP rx_filter all: %s", iface,
				 strerror(-rc));
		goto out;
	}
	/* the driver writes back what it did; a narrower filter than asked
	 * for would stamp only some packets */
	if (cfg.rx_filter != HWTSTAMP_FILTER_ALL) {
		rc = -ERANGE;
		snprintf(err, errlen, "%s: SIOCSHWTSTAMP: asked for rx_filter all, the device "
			 "set %s", iface, hwts_filter_name(cfg.rx_filter));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int hwts_rx_filter(const char *iface, int *filter)
{
	struct hwtstamp_config cfg;
	struct ifreq ifr;
	int fd, rc;

	fd = ioctl_socket(iface, &ifr);
	if (fd < 0)
		return fd;
	rc = get_config(fd, &ifr, &cfg);
	if (!rc)
		*filter = cfg.rx_filter;
	close(fd);
	return rc;
}

const char *hwts_filter_name(int filter)
{
	/* indexed by HWTSTAMP_FILTER_*; the names of ethtool -T, shortened */
	static const char *const names[] = {
		[HWTSTAMP_FILTER_NONE] = "none",
		[HWTSTAMP_FILTER_ALL] = "all",
		[HWTSTAMP_FILTER_SOME] = "some",
		[HWTSTAMP_FILTER_PTP_V1_L4_EVENT] = "ptp_v1_l4_event",
		[HWTSTAMP_FILTER_PTP_V1_L4_SYNC] = "ptp_v1_l4_sync",
		[HWTSTAMP_FILTER_PTP_V1_L4_DELAY_REQ] = "ptp_v1_l4_delay_req",
		[HWTSTAMP_FILTER_PTP_V2_L4_EVENT] = "ptp_v2_l4_event",
		[HWTSTAMP_FILTER_PTP_V2_L4_SYNC] = "ptp_v2_l4_sync",
		[HWTSTAMP_FILTER_PTP_V2_L4_DELAY_REQ] = "ptp_v2_l4_delay_req",
		[HWTSTAMP_FILTER_PTP_V2_L2_EVENT] = "ptp_v2_l2_event",
		[HWTSTAMP_FILTER_PTP_V2_L2_SYNC] = "ptp_v2_l2_sync",
		[HWTSTAMP_FILTER_PTP_V2_L2_DELAY_REQ] = "ptp_v2_l2_delay_req",
		[HWTSTAMP_FILTER_PTP_V2_EVENT] = "ptp_v2_event",
		[HWTSTAMP_FILTER_PTP_V2_SYNC] = "ptp_v2_sync",
		[HWTSTAMP_FILTER_PTP_V2_DELAY_REQ] = "ptp_v2_delay_req",
		[HWTSTAMP_FILTER_NTP_ALL] = "ntp_all",
	};

	if (filter < 0 || (size_t)filter >= sizeof(names) / sizeof(names[0]) || !names[filter])
		return "unknown";
	return names[filter];
}
