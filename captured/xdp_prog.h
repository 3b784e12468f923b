/* captured's XDP program on one interface, and what AF_XDP needs to know
 * and check of the interface first: opened once by the daemon's main
 * thread (src_afxdp.c's iface_open), shared by the AF_XDP workers of that
 * interface, which only put their sockets in its XSKMAP.
 *
 * The program is attached through a BPF link, not the netlink call: the
 * kernel detaches it when the last descriptor of the link closes, so a
 * daemon that dies, even by SIGKILL, leaves nothing attached, and nobody
 * can replace or detach the program while the daemon runs (ip link set ...
 * xdp off is refused).  Finding, attaching and detaching need CAP_BPF and
 * CAP_NET_ADMIN only; a program already attached is inspected with
 * bpf_prog_get_fd_by_id, which needs CAP_SYS_ADMIN and is used only to say
 * more about it and to remove one of ours that no link holds any more.
 *
 * One daemon per interface: a second one finds the first one's program
 * attached and is refused.
 *
 * The link goes on holding the program when the interface is deleted, but
 * attached to nothing; so does a link someone detached (bpftool link
 * detach).  xdp_prog_attached() tells, xdp_prog_reattach() attaches the
 * program again: to the interface that now has the name (re-created, new
 * ifindex), with the same checks as at open.  The caller serializes these
 * with every other use of the struct (src_afxdp.c holds a mutex).
 */
#ifndef CAPTURED_XDP_PROG_H
#define CAPTURED_XDP_PROG_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

struct config;

struct xdp_prog {
	char iface[IFNAMSIZ], driver[32];
	int ifindex;
	unsigned mtu;              /* by SIOCGIFMTU: sysfs may show another netns */
	int prog_fd, xsks_fd, link_fd, promisc_fd;
	bool hw;                   /* the variant that reads NIC timestamps */
	bool generic;              /* attached in the generic (skb) path */
	unsigned gen;              /* changes with xsks_fd: sockets go into the new map */
	/* what attaching again takes */
	int mode, tsmode;          /* xdp_mode, timestamp */
	bool allow_addressed, promisc;
	int (*load)(const char *iface, int ifindex, bool hw, int *xsks_fd, char *err,
		    size_t errlen);     /* the xdp_prog_load_fn given to open */
};

/* Loads the program (not attached): the captured_hw variant device-bound to
 * ifindex if hw, else captured_sw, with owner_pid set to our pid.  Returns
 * the program's fd and its XSKMAP's in *xsks_fd, or negative errno with a
 * message.  src_afxdp.c provides it: the build generates the skeleton for
 * that file. */
typedef int xdp_prog_load_fn(const char *iface, int ifindex, bool hw, int *xsks_fd,
			     char *err, size_t errlen);

/* Checks that iface may be given to AF_XDP (no IP address unless
 * xdp_allow_addressed), loads the program and attaches it (xdp_mode: auto
 * is native, then generic with a log line), turns on promiscuous mode
 * (promisc).  timestamp: the variant that reads NIC timestamps is loaded
 * when the device stamps every packet (device-bound, native mode only; the
 * software one, with a log line, where it cannot be; refused when
 * timestamp = hardware).  NULL and errno with a message: EADDRINUSE, EBUSY
 * when an XDP program is attached already (another captured, or a foreign
 * program: named, with the way to remove a leftover), EOPNOTSUPP, load or
 * attach failures. */
struct xdp_prog *xdp_prog_open(const char *iface, const struct config *c,
			       xdp_prog_load_fn *load, char *err, size_t errlen);
/* Detaches the program (closing the link) and frees p.  NULL is a no-op. */
void xdp_prog_close(struct xdp_prog *p);
/* Puts the AF_XDP socket xsk_fd, bound to queue, in the XSKMAP: from now on
 * the queue's packets go to it.  0, or negative errno with a message
 * (-EBUSY: the queue has a socket already). */
int xdp_prog_add(const struct xdp_prog *p, int queue, int xsk_fd, char *err, size_t errlen);
/* Takes queue's socket out: its packets go to the host again. */
void xdp_prog_remove(const struct xdp_prog *p, int queue);
/* Whether the program is attached to an interface: false once the
 * interface is gone or the link was detached. */
bool xdp_prog_attached(const struct xdp_prog *p);
/* Attaches the program again to the interface named p->iface, which may be
 * a new one (p->ifindex then changes): checked as by xdp_prog_open
 * (address, nothing else attached), the variant reading NIC timestamps
 * loaded again for a new device (p->gen changes: the XSKMAP is new),
 * promiscuous mode taken again.  0, or negative errno with a message
 * (-ENODEV: no interface of that name). */
int xdp_prog_reattach(struct xdp_prog *p, char *err, size_t errlen);

#endif
