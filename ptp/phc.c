/* The PTP hardware clock of a network interface: which /dev/ptpN it is,
 * and how far it is from CLOCK_REALTIME.
 *
 * Three ioctls measure the offset, best first:
 *   PTP_SYS_OFFSET_PRECISE   the device latches its clock and the system
 *                            clock together (PCIe PTM, ART): no window
 *   PTP_SYS_OFFSET_EXTENDED  the driver reads CLOCK_REALTIME right before
 *                            and after the PHC register read
 *   PTP_SYS_OFFSET           the core reads CLOCK_REALTIME between whole
 *                            gettime calls: the window includes the
 *                            driver's locking and the bus round trips
 * A driver without one answers EOPNOTSUPP (ENOTTY from a kernel older than
 * the ioctl); the first method that works is kept for the next calls, so
 * that a sampling loop does not pay for two failing ioctls every time.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/ptp_clock.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "phc.h"

#define NS_PER_S 1000000000LL

/* The dynamic POSIX clock of an open character device: the kernel's
 * CLOCKFD encoding, ((~(clockid_t)fd << 3) | 3) as in linuxptp, computed
 * in unsigned arithmetic because shifting the negative ~fd left is
 * undefined in C (UBSan says so); same bits. */
#define PHC_FD_TO_CLOCKID(fd) ((clockid_t)((~(unsigned)(fd) << 3) | 3u))

enum phc_meth { PHC_PRECISE, PHC_EXTENDED, PHC_BASIC, PHC_NONE };

struct phc {
	int fd;
	int index;
	enum phc_meth next;     /* the first method still worth trying */
	enum phc_meth used;     /* what the last successful measurement used */
};

int phc_index_of(const char *iface, char *err, size_t errlen)
{
	struct ethtool_ts_info ti = { .cmd = ETHTOOL_GET_TS_INFO };
	struct ifreq ifr;
	int fd = -1, rc;

	if (!iface || !*iface || strlen(iface) >= IFNAMSIZ) {
		snprintf(err, errlen, "'%s' is not an interface name", iface ? iface : "");
		rc = -EINVAL;
		goto out;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, iface, strlen(iface));
	ifr.ifr_data = (void *)&ti;
	/* any datagram socket carries SIOCETHTOOL; AF_UNIX where a kernel has
	 * no IPv4 */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: socket: %s", iface, strerror(-rc));
		goto out;
	}
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0) {
		rc = -errno;
		if (rc == -ENODEV) {
			snprintf(err, errlen, "no interface '%s'", iface);
		} else if (rc == -EOPNOTSUPP || rc == -EINVAL) {
			/* a driver without the ioctl has no clock to tell of */
			snprintf(err, errlen, "%s: no PTP hardware clock (no ETHTOOL_GET_TS_INFO)",
				 iface);
			rc = -ENODEV;
		} else {
			snprintf(err, errlen, "%s: ETHTOOL_GET_TS_INFO: %s", iface, strerror(-rc));
		}
		goto out;
	}
	if (ti.phc_index < 0) {
		snprintf(err, errlen, "%s: no PTP hardware clock (software timestamps only)",
			 iface);
		rc = -ENODEV;
		goto out;
	}
	rc = ti.phc_index;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

struct phc *phc_open(int index, char *err, size_t errlen)
{
	struct phc *p = NULL;
	char path[32];
	int fd = -1, e = 0;

	if (index < 0) {
		snprintf(err, errlen, "/dev/ptp%d: not a PHC index", index);
		e = EINVAL;
		goto out;
	}
	snprintf(path, sizeof(path), "/dev/ptp%d", index);
	/* read-write, as linuxptp opens it: setting or adjusting the clock
	 * through its clock id needs a writable file */
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		goto out;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		goto out;
	}
	p->fd = fd;
	p->index = index;
	p->next = PHC_PRECISE;
	p->used = PHC_NONE;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	if (!p)
		errno = e;
	return p;
}

void phc_destroy(struct phc *p)
{
	if (!p)
		return;
	close(p->fd);
	free(p);
}

int phc_get_index(const struct phc *p)
{
	return p->index;
}

clockid_t phc_clockid(const struct phc *p)
{
	return PHC_FD_TO_CLOCKID(p->fd);
}

const char *phc_method(const struct phc *p)
{
	static const char *const names[] = { "precise", "extended", "basic", "none" };

	return names[p->used];
}

/* A kernel timestamp in ns; false when it does not fit (a PHC set to
 * nonsense, beyond 2262). */
static bool ts_ns(const struct ptp_clock_time *t, int64_t *ns)
{
	int64_t s;

	if (t->nsec >= NS_PER_S)
		return false;
	return !__builtin_mul_overflow(t->sec, NS_PER_S, &s) &&
	       !__builtin_add_overflow(s, (int64_t)t->nsec, ns);
}

/* One reading: PHC time phc between system times sys0 and sys1.  Keeps it
 * in *best (offset, window) when its window is narrower.  False when the
 * numbers make no sense (system clock stepped back in between). */
static bool consider(const struct ptp_clock_time *sys0, const struct ptp_clock_time *phc,
		     const struct ptp_clock_time *sys1, int64_t *best_off, int64_t *best_win)
{
	int64_t a, b, c, win, off;

	if (!ts_ns(sys0, &a) || !ts_ns(phc, &b) || !ts_ns(sys1, &c))
		return false;
	if (__builtin_sub_overflow(c, a, &win) || win < 0)
		return false;
	/* midpoint without overflow: a + win/2; phc - midpoint */
	if (__builtin_sub_overflow(b, a + win / 2, &off))
		return false;
	if (win < *best_win) {
		*best_win = win;
		*best_off = off;
	}
	return true;
}

static int measure_precise(int fd, int64_t *off, int64_t *unc)
{
	struct ptp_sys_offset_precise pr;
	int64_t d, s;

	memset(&pr, 0, sizeof(pr));
	if (ioctl(fd, PTP_SYS_OFFSET_PRECISE, &pr) < 0)
		return -errno;
	if (!ts_ns(&pr.device, &d) || !ts_ns(&pr.sys_realtime, &s) ||
	    __builtin_sub_overflow(d, s, off))
		return -ERANGE;
	*unc = 0;
	return 0;
}

static int measure_extended(int fd, int n, int64_t *off, int64_t *unc)
{
	struct ptp_sys_offset_extended *ex;
	int64_t win = INT64_MAX;
	unsigned i;
	int rc = 0;

	/* 1.2 KiB: keep it off the RX threads' small stacks */
	ex = calloc(1, sizeof(*ex));
	if (!ex)
		return -errno;
	ex->n_samples = (unsigned)n;
	if (ioctl(fd, PTP_SYS_OFFSET_EXTENDED, ex) < 0) {
		rc = -errno;
		goto out;
	}
	for (i = 0; i < ex->n_samples && i < PTP_MAX_SAMPLES; i++)
		consider(&ex->ts[i][0], &ex->ts[i][1], &ex->ts[i][2], off, &win);
	if (win == INT64_MAX) {
		rc = -ERANGE;
		goto out;
	}
	*unc = (win + 1) / 2;
out:
	free(ex);
	return rc;
}

static int measure_basic(int fd, int n, int64_t *off, int64_t *unc)
{
	struct ptp_sys_offset *so;
	int64_t win = INT64_MAX;
	unsigned i;
	int rc = 0;

	so = calloc(1, sizeof(*so));
	if (!so)
		return -errno;
	so->n_samples = (unsigned)n;
	if (ioctl(fd, PTP_SYS_OFFSET, so) < 0) {
		rc = -errno;
		goto out;
	}
	/* sys, phc, sys, phc, ..., sys: each PHC read between two system reads */
	for (i = 0; i < so->n_samples && i < PTP_MAX_SAMPLES; i++)
		consider(&so->ts[2 * i], &so->ts[2 * i + 1], &so->ts[2 * i + 2], off, &win);
	if (win == INT64_MAX) {
		rc = -ERANGE;
		goto out;
	}
	*unc = (win + 1) / 2;
out:
	free(so);
	return rc;
}

int phc_offset(struct phc *p, int samples, int64_t *offset_ns, int64_t *uncert_ns)
{
	int64_t off = 0, unc = 0;
	enum phc_meth m;
	int rc = -EOPNOTSUPP;

	if (samples < 1)
		return -EINVAL;
	if (samples > PTP_MAX_SAMPLES)
		samples = PTP_MAX_SAMPLES;
	for (m = p->next; m < PHC_NONE; m++) {
		if (m == PHC_PRECISE)
			rc = measure_precise(p->fd, &off, &unc);
		else if (m == PHC_EXTENDED)
			rc = measure_extended(p->fd, samples, &off, &unc);
		else
			rc = measure_basic(p->fd, samples, &off, &unc);
		/* only "this driver cannot" moves on for good; anything else
		 * (EINTR, EIO from a device being reset) is this call's failure */
		if (rc != -EOPNOTSUPP && rc != -ENOTTY)
			break;
		p->next = m + 1;
	}
	if (rc)
		goto out;
	p->used = m;
	*offset_ns = off;
	*uncert_ns = unc;
out:
	return rc;
}
