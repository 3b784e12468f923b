/* What the daemon needs to know about a network interface before it starts
 * RX workers on it: index, RX queues, NUMA node and local cores, MTU,
 * addresses, driver.  Read from sysfs, ioctls and getifaddrs; no state.
 */
#ifndef CAPTURED_IFINFO_H
#define CAPTURED_IFINFO_H

#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ifinfo {
	char name[IFNAMSIZ];
	int ifindex;
	int rx_queues;             /* /sys/class/net/IF/queues/rx-N count, at least 1 */
	int numa_node;             /* -1: none (virtual device) or unknown */
	cpu_set_t local_cpus;      /* cores of the NUMA node; all online cores if none */
	unsigned mtu;
	bool up;
	bool has_ip;               /* an IPv4 or IPv6 address other than link-local IPv6 */
	char driver[32];           /* "veth", "ixgbe", "" if unknown */
	char ip[64];               /* the first such address, for messages */
};

/* 0, or negative errno with a message: -ENODEV "no interface 'eth9'". */
int ifinfo_get(const char *name, struct ifinfo *info, char *err, size_t errlen);
/* The interface's receive counters (rtnl_link_stats64, as ip -s link
 * shows them): what the NIC dropped before any queue's ring saw it. */
struct ifinfo_rx {
	int ifindex;               /* of the interface the counters are of */
	uint64_t packets, bytes;
	uint64_t missed;           /* rx_missed_errors: the NIC's FIFO overflowed */
	uint64_t fifo, over;       /* rx_fifo_errors, rx_over_errors */
};

/* 0, or negative errno (-ENODEV when the interface is gone). */
int ifinfo_rx_stats(const char *name, struct ifinfo_rx *rx);

/* Where the interface named name is now, for RX workers that follow it
 * through link flaps: its ifindex and its IFF_ flags (IFF_UP: up).  The
 * ioctls go through fd, any socket of the caller's network namespace
 * (AF_UNIX will do), or a socket made for the call when fd < 0.  0, or
 * negative errno: -ENODEV when no interface has that name. */
int ifinfo_link(int fd, const char *name, int *ifindex, unsigned *flags);

/* Parse "0,2-3,7" into ascending distinct values below limit, at most max of
 * them.  Returns how many, or -EINVAL (syntax, value >= limit, too many). */
int ifinfo_parse_list(const char *s, int limit, int *out, int max);
/* Turn promiscuous mode on for as long as the returned descriptor is open
 * (an AF_PACKET socket holding PACKET_MR_PROMISC membership; the kernel
 * counts such requests, so it is undone on close or exit).  The fd, or
 * negative errno. */
int ifinfo_promisc(int ifindex);

#endif
