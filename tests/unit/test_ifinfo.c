/* Unit tests of captured/ifinfo.c: lists of queues and cores, and what
 * the loopback interface, which every machine has, looks like. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ifinfo.h"

static void test_parse_list(void **state)
{
	int v[8], n;

	(void)state;
	n = ifinfo_parse_list("0", 4, v, 8);
	assert_int_equal(n, 1);
	assert_int_equal(v[0], 0);
	n = ifinfo_parse_list("3,0-1,1", 4, v, 8);
	assert_int_equal(n, 3);
	assert_int_equal(v[0], 0);
	assert_int_equal(v[1], 1);
	assert_int_equal(v[2], 3);
	n = ifinfo_parse_list("2-5", 8, v, 8);
	assert_int_equal(n, 4);
	assert_int_equal(v[3], 5);
	/* out of range, reversed, empty parts, junk, too many */
	assert_int_equal(ifinfo_parse_list("4", 4, v, 8), -EINVAL);
	assert_int_equal(ifinfo_parse_list("3-1", 4, v, 8), -EINVAL);
	assert_int_equal(ifinfo_parse_list("1,", 4, v, 8), -EINVAL);
	assert_int_equal(ifinfo_parse_list(",1", 4, v, 8), -EINVAL);
	assert_int_equal(ifinfo_parse_list("", 4, v, 8), -EINVAL);
	assert_int_equal(ifinfo_parse_list("a", 4, v, 8), -EINVAL);
	assert_int_equal(ifinfo_parse_list("-1", 4, v, 8), -EINVAL);
	assert_int_equal(ifinfo_parse_list("1--2", 4, v, 8), -EINVAL);
	assert_int_equal(ifinfo_parse_list("1 ", 4, v, 8), -EINVAL);
	assert_int_equal(ifinfo_parse_list("0-7", 8, v, 4), -EINVAL);
	assert_int_equal(ifinfo_parse_list("99999999999999999999", 8, v, 4), -EINVAL);
}

static void test_loopback(void **state)
{
	struct ifinfo ifi;
	char err[256];

	(void)state;
	assert_int_equal(ifinfo_get("lo", &ifi, err, sizeof(err)), 0);
	assert_true(ifi.ifindex > 0);
	assert_true(ifi.rx_queues >= 1);
	assert_int_equal(ifi.numa_node, -1);
	/* no NUMA node: every core this machine has online */
	assert_true(CPU_COUNT(&ifi.local_cpus) >= 1);
	assert_true(ifi.mtu >= 1500);
	assert_int_equal(ifinfo_get("nosuchif0", &ifi, err, sizeof(err)), -ENODEV);
	assert_non_null(strstr(err, "no interface 'nosuchif0'"));
	assert_int_equal(ifinfo_get("waytoolonginterfacename", &ifi, err, sizeof(err)), -EINVAL);
}

/* Where an interface is now, through a socket of ours or one made for it. */
static void test_link(void **state)
{
	struct ifinfo ifi;
	char err[256];
	unsigned flags;
	int idx, fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ifinfo_get("lo", &ifi, err, sizeof(err)), 0);
	assert_int_equal(ifinfo_link(-1, "lo", &idx, &flags), 0);
	assert_int_equal(idx, ifi.ifindex);
	assert_int_equal(!!(flags & IFF_UP), ifi.up);
	assert_int_equal(ifinfo_link(fd, "lo", &idx, &flags), 0);
	assert_int_equal(idx, ifi.ifindex);
	assert_int_equal(ifinfo_link(fd, "nosuchif0", &idx, &flags), -ENODEV);
	assert_int_equal(idx, 0);
	assert_int_equal(ifinfo_link(-1, "waytoolonginterfacename", &idx, &flags), -ENODEV);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_list),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_link),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
