/* Hardware timestamping of a network interface.
 *
 * What the device can do (ETHTOOL_GET_TS_INFO), turning on hardware RX
 * stamps of every packet (SIOCSHWTSTAMP with HWTSTAMP_FILTER_ALL), and
 * reading the filter now in force (SIOCGHWTSTAMP), so that the daemon can
 * warn when another program (ptp4l without "hwts_filter full") narrowed it
 * to PTP packets only.  Used by both RX paths; no state of its own.
 */
#ifndef CAPTURED_HWTS_H
#define CAPTURED_HWTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hwts_caps {
	bool rx_hardware;          /* SOF_TIMESTAMPING_RX_HARDWARE + RAW_HARDWARE, filter ALL */
	bool rx_software;          /* SOF_TIMESTAMPING_RX_SOFTWARE */
	int phc_index;             /* /dev/ptpN of the device, -1 if none */
	uint32_t so_timestamping;  /* ethtool_ts_info.so_timestamping */
	uint32_t rx_filters;       /* ethtool_ts_info.rx_filters, bit per HWTSTAMP_FILTER_* */
};

/* 0, or negative errno with a message in err ("eth0: ETHTOOL_GET_TS_INFO:
 * ..."); a device without the ioctl gives all false, phc -1, and 0. */
int hwts_query(const char *iface, struct hwts_caps *caps, char *err, size_t errlen);
/* Ask the device to stamp every received packet.  0, or negative errno with
 * a message (-EOPNOTSUPP/-ENOTSUP/-ERANGE: the device cannot; -EPERM). */
int hwts_enable_rx(const char *iface, char *err, size_t errlen);
/* The RX filter in force now (HWTSTAMP_FILTER_*).  0 or negative errno. */
int hwts_rx_filter(const char *iface, int *filter);
/* "all", "none", "ptp_v2_event", ...: for log lines and status. */
const char *hwts_filter_name(int filter);

#endif
