/* The PTP hardware clock (PHC) of a network interface: found through
 * ETHTOOL_GET_TS_INFO's phc_index, opened as /dev/ptpN, and compared with
 * CLOCK_REALTIME.
 *
 * The offset is measured with PTP_SYS_OFFSET_PRECISE where the driver has
 * it (cross-timestamping), else PTP_SYS_OFFSET_EXTENDED (system time read
 * just before and after each PHC read), else PTP_SYS_OFFSET as a last
 * resort; the method in use is reported by phc_method().
 */
#ifndef CAPTURED_PHC_H
#define CAPTURED_PHC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct phc;

/* The PHC index of iface: >= 0, or -ENODEV when the device has none (veth,
 * virtio), other negative errno (-ENODEV also for a missing interface,
 * with a message in err saying which). */
int phc_index_of(const char *iface, char *err, size_t errlen);
/* Opens /dev/ptpN.  NULL and errno with a message in err ("/dev/ptp3:
 * No such file or directory"). */
struct phc *phc_open(int index, char *err, size_t errlen);
void phc_destroy(struct phc *p);
int phc_get_index(const struct phc *p);
/* The dynamic POSIX clock of the device (FD_TO_CLOCKID). */
clockid_t phc_clockid(const struct phc *p);
/* "precise", "extended", "basic": the ioctl the last measurement used;
 * "none" before the first successful one. */
const char *phc_method(const struct phc *p);

/* Measures PHC time minus CLOCK_REALTIME, in ns, from up to samples
 * readings (the one with the narrowest system-time window wins), and the
 * uncertainty of that measurement (half the window; 0 with "precise").
 * 0 or negative errno. */
int phc_offset(struct phc *p, int samples, int64_t *offset_ns, int64_t *uncert_ns);

#endif
