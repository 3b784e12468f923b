/* Unit tests of ptp/pmc.c, the management client, against a stand-in
 * ptp4l: a UNIX datagram socket in a temporary directory that the test
 * drives (or a thread for the blocking pmc_get).  The answers are ptp4l
 * 3.1.1's own bytes (see test_pmc_msg.c) with the sequence patched. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "pmc.h"
#include "testutil.h"

/* ptp4l 3.1.1: PORT_DATA_SET of port 1 (SLAVE), TIME_STATUS_NP, an error
 * status NOT_SUPPORTED for 0x2017 */
static const char R_PORT_DS[] =
	"0d020050070000000000000000000000000000004ae736fffe88f43900010003047f0000000000000000"
	"4242000002000001001c20044ae736fffe88f439000109fd0000000000000000fe03fd010002";
static const char R_TSTATUS[] =
	"0d020068070000000000000000000000000000004ae736fffe88f43900000004047f0000000000000000"
	"42420000020000010034c00000000000000001cf18eebcab317c50430000000000000000000000000000"
	"00000000000000000000000196824dfffe918e48";
static const char R_ERR_NOT_SUPPORTED[] =
	"0d02003c070000000000000000000000000000004ae736fffe88f43900000007047f0000000000000000"
	"424200000200000200080006c00000000000";

struct fix {
	char *root;
	char srv[200], cli[200];
	int sfd;                 /* the stand-in server */
	struct pmc *p;
};

static int bind_at(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* sends hex (sequence replaced by seq unless < 0) from fd to path; 0 or
 * -1 (no cmocka assertion: the server thread calls it too) */
static int send_raw(int fd, const char *path, const char *hex, int seq)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t b[PMC_MSG_MAX];
	size_t n = strlen(hex) / 2, i;
	unsigned v;

	if (n > sizeof(b))
		return -1;
	for (i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		b[i] = (uint8_t)v;
	}
	if (seq >= 0 && n >= 32) {
		b[30] = (uint8_t)(seq >> 8);
		b[31] = (uint8_t)seq;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	return sendto(fd, b, n, 0, (struct sockaddr *)&sa, sizeof(sa)) == (ssize_t)n ? 0 : -1;
}

static void send_to(int fd, const char *path, const char *hex, int seq)
{
	assert_int_equal(send_raw(fd, path, hex, seq), 0);
}

/* the server reads one request; returns its parsed form */
static void server_read(struct fix *f, struct pmc_msg *m)
{
	struct sockaddr_un from;
	socklen_t flen = sizeof(from);
	uint8_t b[PMC_MSG_MAX];
	ssize_t n;

	n = recvfrom(f->sfd, b, sizeof(b), 0, (struct sockaddr *)&from, &flen);
	assert_true(n > 0);
	/* from the client's bound path, so ptp4l can answer */
	assert_string_equal(from.sun_path, f->cli);
	assert_int_equal(pmc_msg_parse(b, (size_t)n, m), 0);
}

static int setup(void **state)
{
	struct pmc_args a = { .domain = 7 };
	struct fix *f = calloc(1, sizeof(*f));

	if (!f || testutil_make_root(&f->root, "pmc") < 0)
		return -1;
	snprintf(f->srv, sizeof(f->srv), "%s/ptp4l", f->root);
	snprintf(f->cli, sizeof(f->cli), "%s/client", f->root);
	f->sfd = bind_at(f->srv);
	a.server = f->srv;
	a.client = f->cli;
	f->p = pmc_create(&a);
	if (!f->p)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	pmc_destroy(f->p);
	if (f->sfd >= 0)
		close(f->sfd);
	testutil_rm_rf(f->root);
	free(f->root);
	free(f);
	return 0;
}

static void test_socket(void **state)
{
	struct fix *f = *state;
	int fd = pmc_fd(f->p);
	struct stat sb;

	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(stat(f->cli, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
}

static void test_send_and_recv(void **state)
{
	struct fix *f = *state;
	uint32_t pid = (uint32_t)getpid();
	struct pmc_msg m, r;

	assert_int_equal(pmc_send_get(f->p, PMC_ID_PORT_DATA_SET), 0);
	assert_int_equal(pmc_send_get(f->p, PMC_ID_TIME_STATUS_NP), 1);
	server_read(f, &r);
	assert_int_equal(r.action, PMC_ACTION_GET);
	assert_int_equal(r.id, PMC_ID_PORT_DATA_SET);
	assert_int_equal(r.domain, 7);
	assert_int_equal(r.sequence, 0);
	/* the source identity carries our PID, as pmc's does */
	assert_int_equal(r.source.clock.id[0], (uint8_t)(pid >> 24));
	assert_int_equal(r.source.clock.id[3], (uint8_t)pid);
	assert_true(r.source.port == (pid & 0xffff) || r.source.port == 1 ||
		    r.source.port == 0xfffe);
	server_read(f, &r);
	assert_int_equal(r.id, PMC_ID_TIME_STATUS_NP);
	assert_int_equal(r.sequence, 1);
	assert_int_equal(pmc_send_subscribe(f->p, 60), 2);
	server_read(f, &r);
	assert_int_equal(r.action, PMC_ACTION_SET);
	assert_int_equal(r.id, PMC_ID_SUBSCRIBE_EVENTS_NP);
	assert_int_equal(r.u.sub.duration, 60);
	assert_int_equal(r.u.sub.bits, 3);

	assert_int_equal(pmc_recv(f->p, &m), -EAGAIN);
	send_to(f->sfd, f->cli, R_PORT_DS, 0);
	assert_int_equal(pmc_recv(f->p, &m), 0);
	assert_int_equal(m.id, PMC_ID_PORT_DATA_SET);
	assert_int_equal(m.u.port.port_state, PMC_PS_SLAVE);
	assert_int_equal(pmc_recv(f->p, &m), -EAGAIN);

	/* garbage from the server: rejected with a reason */
	send_to(f->sfd, f->cli, "0d02", -1);
	assert_int_equal(pmc_recv(f->p, &m), -EBADMSG);
	assert_non_null(m.why);
}

/* Only the server's socket may talk to the client. */
static void test_other_sender(void **state)
{
	struct fix *f = *state;
	char other[256];
	struct pmc_msg m;
	int fd;

	snprintf(other, sizeof(other), "%s/other", f->root);
	fd = bind_at(other);
	send_to(fd, f->cli, R_PORT_DS, 0);
	assert_int_equal(pmc_recv(f->p, &m), -EPROTONOSUPPORT);
	assert_non_null(strstr(m.why, "server"));
	close(fd);
	unlink(other);
	/* unbound (unnamed) sender; a path that starts with the server's */
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	send_to(fd, f->cli, R_PORT_DS, 0);
	assert_int_equal(pmc_recv(f->p, &m), -EPROTONOSUPPORT);
	close(fd);
	snprintf(other, sizeof(other), "%s/ptp4lx", f->root);
	fd = bind_at(other);
	send_to(fd, f->cli, R_PORT_DS, 0);
	assert_int_equal(pmc_recv(f->p, &m), -EPROTONOSUPPORT);
	close(fd);
	unlink(other);
}

/* ---- pmc_get against a thread playing ptp4l ---- */

struct script {
	struct fix *f;
	const char *const *hex;   /* sent in order; "SEQ" marks where the answer's
				     sequence is patched in */
	size_t n;
	int seq_of;               /* index of the answer */
	int requests;             /* how many requests to read first */
};

static void *server_main(void *arg)
{
	struct script *s = arg;
	uint8_t b[PMC_MSG_MAX];
	struct pmc_msg r;
	int i, seq = 0;
	size_t k;

	for (i = 0; i < s->requests; i++) {
		ssize_t n = recv(s->f->sfd, b, sizeof(b), 0);

		if (n <= 0 || pmc_msg_parse(b, (size_t)n, &r) < 0)
			return NULL;
		seq = r.sequence;
	}
	for (k = 0; k < s->n; k++)
		if (send_raw(s->f->sfd, s->f->cli, s->hex[k], (int)k >= s->seq_of ? seq : -1) < 0)
			return NULL;
	return NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_get_skips_unrelated(void **state)
{
	struct fix *f = *state;
	/* a notification (its own sequence 0x0003), garbage, a Sync, the
	 * wrong id with our sequence, then the answer */
	static const char SYNC[] =
		"00020048070000000000000000000000000000004ae736fffe88f439"
		"00000000047f00000000000000004242000002000001001420010001"
		"000000000000000000000000000000";
	static const char *const seqd[] = { R_PORT_DS, "0d020048", SYNC, R_TSTATUS, R_PORT_DS };
	struct script s = { .f = f, .hex = seqd, .n = 5, .seq_of = 3, .requests = 1 };
	struct pmc_msg m;
	pthread_t th;

	/* the first GET uses sequence 0: make the notification's differ */
	assert_int_equal(pmc_send_get(f->p, PMC_ID_CURRENT_DATA_SET), 0);
	server_read(f, &m);
	assert_int_equal(pthread_create(&th, NULL, server_main, &s), 0);
	assert_int_equal(pmc_get(f->p, PMC_ID_PORT_DATA_SET, &m, 2000), 0);
	pthread_join(th, NULL);
	assert_int_equal(m.id, PMC_ID_PORT_DATA_SET);
	assert_int_equal(m.sequence, 1);
	assert_int_equal(m.u.port.port_state, PMC_PS_SLAVE);
	/* the stray TIME_STATUS_NP answer was consumed; nothing is left */
	assert_int_equal(pmc_recv(f->p, &m), -EAGAIN);
}

static void test_get_error_status(void **state)
{
	struct fix *f = *state;
	static const char *const seqd[] = { R_ERR_NOT_SUPPORTED };
	struct script s = { .f = f, .hex = seqd, .n = 1, .seq_of = 0, .requests = 1 };
	struct pmc_msg m;
	pthread_t th;

	assert_int_equal(pthread_create(&th, NULL, server_main, &s), 0);
	assert_int_equal(pmc_get(f->p, PMC_ID_TIME_STATUS_NP, &m, 2000), -EPROTO);
	pthread_join(th, NULL);
	assert_int_equal(m.error, PMC_ERR_NOT_SUPPORTED);
}

static void test_get_timeout(void **state)
{
	struct fix *f = *state;
	static const char *const seqd[] = { "0d02" };
	struct script s = { .f = f, .hex = seqd, .n = 1, .seq_of = 1, .requests = 1 };
	struct pmc_msg m;
	int64_t t0 = now_ms();
	pthread_t th;

	/* nobody answers */
	assert_int_equal(pmc_get(f->p, PMC_ID_PORT_DATA_SET, &m, 100), -ETIMEDOUT);
	assert_true(now_ms() - t0 >= 100);
	assert_true(now_ms() - t0 < 1000);
	/* only garbage comes: that is the answer at the deadline */
	assert_int_equal(pthread_create(&th, NULL, server_main, &s), 0);
	assert_int_equal(pmc_get(f->p, PMC_ID_PORT_DATA_SET, &m, 300), -EBADMSG);
	pthread_join(th, NULL);
	assert_non_null(m.why);
}

static void test_get_ports(void **state)
{
	struct fix *f = *state;
	static const char R_PORT2[] =
		"0d020050070000000000000000000000000000004ae736fffe88f439"
		"00020003047f00000000000000004242000002000001001c20044ae7"
		"36fffe88f439000206fd0000000000000000fe03fd010002";
	static const char *const seqd[] = { R_PORT_DS, R_PORT2 };
	struct script s = { .f = f, .hex = seqd, .n = 2, .seq_of = 0, .requests = 1 };
	struct pmc_msg m[4];
	pthread_t th;
	int64_t t0;

	assert_int_equal(pthread_create(&th, NULL, server_main, &s), 0);
	t0 = now_ms();
	assert_int_equal(pmc_get_ports(f->p, PMC_ID_PORT_DATA_SET, m, 4, 2000), 2);
	pthread_join(th, NULL);
	assert_true(now_ms() - t0 < 1000);
	assert_int_equal(m[0].u.port.port.port, 1);
	assert_int_equal(m[0].u.port.port_state, PMC_PS_SLAVE);
	assert_int_equal(m[1].u.port.port.port, 2);
	assert_int_equal(m[1].u.port.port_state, PMC_PS_MASTER);
	/* max 1: the first only */
	s.n = 1;
	assert_int_equal(pthread_create(&th, NULL, server_main, &s), 0);
	assert_int_equal(pmc_get_ports(f->p, PMC_ID_PORT_DATA_SET, m, 1, 2000), 1);
	pthread_join(th, NULL);
	assert_int_equal(pmc_get_ports(f->p, PMC_ID_PORT_DATA_SET, m, 0, 2000), -EINVAL);
}

/* ptp4l stops (socket gone, or left behind) and comes back. */
static void test_server_restart(void **state)
{
	struct fix *f = *state;
	struct pmc_msg m;

	close(f->sfd);
	f->sfd = -1;
	/* the socket file is left: nobody listens */
	assert_int_equal(pmc_send_get(f->p, PMC_ID_PORT_DATA_SET), -ECONNREFUSED);
	assert_int_equal(pmc_get(f->p, PMC_ID_PORT_DATA_SET, &m, 100), -ECONNREFUSED);
	unlink(f->srv);
	assert_int_equal(pmc_send_get(f->p, PMC_ID_PORT_DATA_SET), -ENOENT);
	/* back: the next call works, with a later sequence */
	f->sfd = bind_at(f->srv);
	assert_true(pmc_send_get(f->p, PMC_ID_PORT_DATA_SET) > 0);
	server_read(f, &m);
	assert_int_equal(m.id, PMC_ID_PORT_DATA_SET);
	send_to(f->sfd, f->cli, R_PORT_DS, m.sequence);
	assert_int_equal(pmc_recv(f->p, &m), 0);
}

static void test_create(void **state)
{
	struct fix *f = *state;
	char path[300], lng[200];
	struct pmc_args a = { .server = f->srv, .client = path };
	struct pmc *p;
	struct stat sb;
	int fd;

	/* a stale socket at the client path is replaced */
	snprintf(path, sizeof(path), "%s/stale", f->root);
	fd = bind_at(path);
	close(fd);
	p = pmc_create(&a);
	assert_non_null(p);
	assert_int_equal(stat(path, &sb), 0);
	/* destroy removes it */
	pmc_destroy(p);
	assert_int_equal(stat(path, &sb), -1);
	/* ... but not what replaced it meanwhile */
	p = pmc_create(&a);
	assert_non_null(p);
	unlink(path);
	fd = bind_at(path);
	pmc_destroy(p);
	assert_int_equal(stat(path, &sb), 0);
	close(fd);
	unlink(path);
	/* a regular file is not ours to remove */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	errno = 0;
	assert_null(pmc_create(&a));
	assert_int_equal(errno, EEXIST);
	unlink(path);
	/* a path too long for sun_path, an empty one, none */
	memset(lng, 'x', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	a.client = lng;
	errno = 0;
	assert_null(pmc_create(&a));
	assert_int_equal(errno, EINVAL);
	a.client = path;
	a.server = lng;
	assert_null(pmc_create(&a));
	assert_int_equal(errno, EINVAL);
	a.server = "";
	assert_null(pmc_create(&a));
	assert_int_equal(errno, EINVAL);
	assert_null(pmc_create(NULL));
	assert_int_equal(errno, EINVAL);
	/* a directory that does not exist */
	a.server = f->srv;
	snprintf(path, sizeof(path), "%s/nodir/client", f->root);
	assert_null(pmc_create(&a));
	assert_int_equal(errno, ENOENT);
	pmc_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_and_recv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_sender, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_skips_unrelated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_error_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_ports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
