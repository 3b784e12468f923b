/* Unit tests of ptp/phc.c: finding an interface's PHC, and measuring a
 * PHC against CLOCK_REALTIME.
 *
 * Few machines that run the tests have a PHC (veth, virtio and loopback
 * have none), so the measurement logic (which ioctl, which sample, the
 * midpoint, falling back and remembering it) is also run against a fake
 * device: this file defines open() and ioctl(), which the linker prefers
 * to libc's for the whole test binary.  They pass every call through to
 * the kernel, except, while a test turns the fake on, opening /dev/ptp*
 * (which gives /dev/null) and the PTP_SYS_OFFSET* ioctls on that file
 * (answered from struct fake).  The real device, where there is one, is
 * measured without the fake.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <linux/ptp_clock.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "phc.h"

#define S 1000000000LL
#define B 1700000000LL  /* some system time, s */

/* The fake device.  File scope because open() and ioctl() take no
 * context; each test starts with fake_reset() and ends with fake_off(). */
static struct {
	bool on;
	int fd;
	int err[3];             /* errno of PRECISE, EXTENDED, BASIC; 0: answer */
	int calls[3];
	unsigned n_asked;       /* n_samples of the last EXTENDED or BASIC */
	struct ptp_sys_offset_precise pr;
	struct ptp_sys_offset_extended ex;
	struct ptp_sys_offset so;
} fake;

int open(const char *path, int flags, ...)
{
	unsigned mode = 0;
	va_list ap;
	int fd;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, unsigned);
		va_end(ap);
	}
	if (fake.on && !strncmp(path, "/dev/ptp", 8)) {
		fd = (int)syscall(SYS_openat, AT_FDCWD, "/dev/null", flags, 0);
		fake.fd = fd;
		return fd;
	}
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int i;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!fake.on || fd != fake.fd)
		return (int)syscall(SYS_ioctl, fd, req, arg);
	i = req == PTP_SYS_OFFSET_PRECISE ? 0 : req == PTP_SYS_OFFSET_EXTENDED ? 1 :
	    req == PTP_SYS_OFFSET ? 2 : -1;
	if (i < 0) {
		errno = ENOTTY;
		return -1;
	}
	fake.calls[i]++;
	if (fake.err[i]) {
		errno = fake.err[i];
		return -1;
	}
	if (i == 0) {
		memcpy(arg, &fake.pr, sizeof(fake.pr));
	} else if (i == 1) {
		struct ptp_sys_offset_extended *ex = arg;

		fake.n_asked = ex->n_samples;
		memcpy(ex->ts, fake.ex.ts, sizeof(ex->ts));
	} else {
		struct ptp_sys_offset *so = arg;

		fake.n_asked = so->n_samples;
		memcpy(so->ts, fake.so.ts, sizeof(so->ts));
	}
	return 0;
}

static struct ptp_clock_time ts(int64_t sec, int64_t ns)
{
	return (struct ptp_clock_time){ .sec = sec + ns / S, .nsec = (uint32_t)(ns % S) };
}

static struct phc *fake_open(void)
{
	char err[256];
	struct phc *p;

	memset(&fake, 0, sizeof(fake));
	fake.fd = -1;
	fake.on = true;
	p = phc_open(7, err, sizeof(err));
	assert_non_null(p);
	assert_int_equal(phc_get_index(p), 7);
	/* the kernel's CLOCKID_TO_FD gives the fd back; fd 3 would be -29 */
	assert_int_equal((int)~(unsigned)(phc_clockid(p) >> 3), fake.fd);
	assert_int_equal(phc_clockid(p) & 7, 3);
	assert_true(phc_clockid(p) < 0);
	assert_string_equal(phc_method(p), "none");
	return p;
}

static void fake_close(struct phc *p)
{
	phc_destroy(p);
	fake.on = false;
}

static void test_index(void **state)
{
	char err[256];

	(void)state;
	/* loopback answers ETHTOOL_GET_TS_INFO with software stamps only */
	assert_int_equal(phc_index_of("lo", err, sizeof(err)), -ENODEV);
	assert_non_null(strstr(err, "lo: no PTP hardware clock"));
	assert_int_equal(phc_index_of("nosuchif0", err, sizeof(err)), -ENODEV);
	assert_non_null(strstr(err, "no interface 'nosuchif0'"));
	assert_int_equal(phc_index_of("waytoolonginterfacename", err, sizeof(err)), -EINVAL);
	assert_int_equal(phc_index_of("", err, sizeof(err)), -EINVAL);
}

static void test_open_errors(void **state)
{
	char err[256];

	(void)state;
	errno = 0;
	assert_null(phc_open(-1, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	if (access("/dev/ptp9999", F_OK) == 0)
		return;
	errno = 0;
	assert_null(phc_open(9999, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_string_equal(err, "/dev/ptp9999: No such file or directory");
}

/* Cross-timestamping: PHC - system, no window. */
static void test_fake_precise(void **state)
{
	struct phc *p = fake_open();
	int64_t off = 0, unc = -1;

	(void)state;
	fake.pr.device = ts(B + 37, 5);
	fake.pr.sys_realtime = ts(B, 0);
	assert_int_equal(phc_offset(p, 5, &off, &unc), 0);
	assert_true(off == 37 * S + 5);
	assert_true(unc == 0);
	assert_string_equal(phc_method(p), "precise");
	/* a PHC behind the system clock */
	fake.pr.device = ts(B - 1, 999999990);
	assert_int_equal(phc_offset(p, 5, &off, &unc), 0);
	assert_true(off == -10);
	/* nonsense from the driver: not a measurement */
	fake.pr.device.nsec = 1000000000;
	assert_int_equal(phc_offset(p, 5, &off, &unc), -ERANGE);
	fake_close(p);
}

/* No cross-timestamping: the narrowest of the EXTENDED windows, PHC minus
 * its midpoint, half the window (rounded up) as the uncertainty. */
static void test_fake_extended(void **state)
{
	struct phc *p = fake_open();
	int64_t off = 0, unc = -1;
	unsigned i;

	(void)state;
	fake.err[0] = EOPNOTSUPP;
	/* windows 300, 101, 200 ns */
	fake.ex.ts[0][0] = ts(B, 0);
	fake.ex.ts[0][1] = ts(B + 37, 200);
	fake.ex.ts[0][2] = ts(B, 300);
	fake.ex.ts[1][0] = ts(B, 1000);
	fake.ex.ts[1][1] = ts(B + 37, 1070);
	fake.ex.ts[1][2] = ts(B, 1101);
	fake.ex.ts[2][0] = ts(B, 2000);
	fake.ex.ts[2][1] = ts(B + 37, 2100);
	fake.ex.ts[2][2] = ts(B, 2200);
	assert_int_equal(phc_offset(p, 3, &off, &unc), 0);
	assert_int_equal(fake.n_asked, 3);
	/* midpoint of [1000, 1101] is 1050 (rounded down), PHC 1070 */
	assert_true(off == 37 * S + 20);
	assert_true(unc == 51);
	assert_string_equal(phc_method(p), "extended");
	assert_int_equal(fake.calls[0], 1);
	assert_int_equal(fake.calls[1], 1);
	/* PRECISE is not asked again */
	assert_int_equal(phc_offset(p, 3, &off, &unc), 0);
	assert_int_equal(fake.calls[0], 1);
	assert_int_equal(fake.calls[1], 2);
	/* a window across a step of the system clock back: skipped */
	fake.ex.ts[1][2] = ts(B, 999);
	assert_int_equal(phc_offset(p, 3, &off, &unc), 0);
	assert_true(off == 37 * S);            /* the 200 window, PHC at its midpoint */
	assert_true(unc == 100);
	/* none usable */
	for (i = 0; i < 3; i++)
		fake.ex.ts[i][2] = ts(B - 1, 0);
	assert_int_equal(phc_offset(p, 3, &off, &unc), -ERANGE);
	/* samples: at least 1, at most PTP_MAX_SAMPLES */
	assert_int_equal(phc_offset(p, 0, &off, &unc), -EINVAL);
	for (i = 0; i < PTP_MAX_SAMPLES; i++) {
		fake.ex.ts[i][0] = ts(B, 0);
		fake.ex.ts[i][1] = ts(B + 37, 1000 - i);
		fake.ex.ts[i][2] = ts(B, 2000 - 2 * (int64_t)i);
	}
	assert_int_equal(phc_offset(p, 1000, &off, &unc), 0);
	assert_int_equal(fake.n_asked, PTP_MAX_SAMPLES);
	/* the last is the narrowest: window 1952, midpoint 976, PHC 976 */
	assert_true(off == 37 * S);
	assert_true(unc == 976);
	fake_close(p);
}

/* Neither PRECISE (EOPNOTSUPP) nor EXTENDED (ENOTTY: a kernel older than
 * it): PTP_SYS_OFFSET, whose system reads sit between the PHC reads. */
static void test_fake_basic(void **state)
{
	struct phc *p = fake_open();
	int64_t off = 0, unc = -1;

	(void)state;
	fake.err[0] = EOPNOTSUPP;
	fake.err[1] = ENOTTY;
	fake.so.ts[0] = ts(B, 0);
	fake.so.ts[1] = ts(B + 37, 250);
	fake.so.ts[2] = ts(B, 500);
	fake.so.ts[3] = ts(B + 37, 540);
	fake.so.ts[4] = ts(B, 580);
	assert_int_equal(phc_offset(p, 2, &off, &unc), 0);
	assert_int_equal(fake.n_asked, 2);
	/* the second reading: window [500, 580], midpoint 540 */
	assert_true(off == 37 * S);
	assert_true(unc == 40);
	assert_string_equal(phc_method(p), "basic");
	assert_int_equal(phc_offset(p, 2, &off, &unc), 0);
	assert_int_equal(fake.calls[0], 1);
	assert_int_equal(fake.calls[1], 1);
	assert_int_equal(fake.calls[2], 2);
	fake_close(p);
}

static void test_fake_errors(void **state)
{
	struct phc *p = fake_open();
	int64_t off = 0, unc = -1;

	(void)state;
	/* a transient error is this call's, not a reason to give up on the
	 * method: the next call asks EXTENDED again */
	fake.err[0] = EOPNOTSUPP;
	fake.err[1] = EIO;
	assert_int_equal(phc_offset(p, 1, &off, &unc), -EIO);
	assert_string_equal(phc_method(p), "none");
	fake.err[1] = 0;
	fake.ex.ts[0][0] = ts(B, 0);
	fake.ex.ts[0][1] = ts(B, 10);
	fake.ex.ts[0][2] = ts(B, 20);
	assert_int_equal(phc_offset(p, 1, &off, &unc), 0);
	assert_true(off == 0 && unc == 10);
	assert_int_equal(fake.calls[0], 1);
	assert_int_equal(fake.calls[1], 2);
	assert_int_equal(fake.calls[2], 0);
	fake_close(p);

	/* nothing works: EOPNOTSUPP, and no more ioctls after that */
	p = fake_open();
	fake.err[0] = fake.err[1] = fake.err[2] = EOPNOTSUPP;
	assert_int_equal(phc_offset(p, 1, &off, &unc), -EOPNOTSUPP);
	assert_int_equal(phc_offset(p, 1, &off, &unc), -EOPNOTSUPP);
	assert_int_equal(fake.calls[0] + fake.calls[1] + fake.calls[2], 3);
	fake_close(p);
}

/* The first /dev/ptpN, or -1. */
static int first_phc(void)
{
	glob_t g;
	int idx = -1;
	size_t i;

	if (glob("/dev/ptp[0-9]*", 0, NULL, &g))
		return -1;
	for (i = 0; i < g.gl_pathc; i++) {
		int n = atoi(g.gl_pathv[i] + 8);

		if (idx < 0 || n < idx)
			idx = n;
	}
	globfree(&g);
	return idx;
}

static int64_t now_ns(clockid_t c)
{
	struct timespec t;

	if (clock_gettime(c, &t))
		return INT64_MIN;
	return t.tv_sec * S + t.tv_nsec;
}

/* A real PHC: the measurement must agree with reading the clock through
 * its POSIX clock id between two reads of CLOCK_REALTIME (which catches a
 * wrong sign or unit whatever the PHC is set to), and is sorted into UTC,
 * TAI (kernel's TAI offset, or 37 s) or free-running for the log. */
static void test_real(void **state)
{
	int64_t off, off2, unc, unc2, r0, t, r1, cross, tai_s;
	struct timex tx = { 0 };
	char err[256];
	struct phc *p;
	int idx;

	(void)state;
	idx = first_phc();
	if (idx < 0) {
		printf("no /dev/ptp* on this machine: PHC measurement skipped\n");
		fflush(stdout);
		skip();
	}
	p = phc_open(idx, err, sizeof(err));
	if (!p)
		fail_msg("%s", err);
	assert_int_equal(phc_offset(p, 9, &off, &unc), 0);
	assert_true(unc >= 0);
	assert_true(unc < S);
	assert_int_equal(phc_offset(p, 9, &off2, &unc2), 0);
	/* 2 ms: the two may sit on either side of a servo adjustment */
	assert_true(llabs(off2 - off) <= unc + unc2 + 2000000);
	r0 = now_ns(CLOCK_REALTIME);
	t = now_ns(phc_clockid(p));
	r1 = now_ns(CLOCK_REALTIME);
	assert_true(t != INT64_MIN);
	cross = t - (r0 + (r1 - r0) / 2);
	assert_true(llabs(cross - off) <= (r1 - r0) / 2 + unc + 2000000);
	tai_s = adjtimex(&tx) >= 0 && tx.tai > 0 ? tx.tai : 37;
	printf("/dev/ptp%d (%s): PHC - CLOCK_REALTIME = %lld ns +- %lld ns: %s\n", idx,
	       phc_method(p), (long long)off, (long long)unc,
	       llabs(off) < S ? "UTC" : llabs(off - tai_s * S) < S ? "TAI" :
	       "neither UTC nor TAI (free-running?)");
	phc_destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_fake_precise),
		cmocka_unit_test(test_fake_extended),
		cmocka_unit_test(test_fake_basic),
		cmocka_unit_test(test_fake_errors),
		cmocka_unit_test(test_real),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
