/* Unit tests for captured/control.c: replies, request limits, stale and
 * live sockets, files in the way, mode, group and parent directory, the
 * client limit and the timeout.  The event loop runs in a thread of its
 * own while the test plays blocking clients; the control object is made
 * before the thread starts and destroyed after it stopped, so only the
 * loop thread touches it in between. */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
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

#include <event2/event.h>

#include "testutil.h"

#include "control.h"
#include "log.h"

struct loop {
	struct event_base *base;
	struct event *stop;
	int pipe[2];
	pthread_t th;
};

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void *loop_main(void *arg)
{
	struct loop *l = arg;

	event_base_dispatch(l->base);
	return NULL;
}

static void loop_init(struct loop *l)
{
	l->base = event_base_new();
	assert_non_null(l->base);
	assert_int_equal(pipe(l->pipe), 0);
	l->stop = event_new(l->base, l->pipe[0], EV_READ | EV_PERSIST, on_stop, l->base);
	assert_non_null(l->stop);
	assert_int_equal(event_add(l->stop, NULL), 0);
}

static void loop_start(struct loop *l)
{
	assert_int_equal(pthread_create(&l->th, NULL, loop_main, l), 0);
}

static void loop_stop(struct loop *l)
{
	assert_int_equal(write(l->pipe[1], "x", 1), 1);
	assert_int_equal(pthread_join(l->th, NULL), 0);
}

static void loop_free(struct loop *l)
{
	event_free(l->stop);
	close(l->pipe[0]);
	close(l->pipe[1]);
	event_base_free(l->base);
}

/* "reply to 'REQUEST'\n"; NULL (out of memory) for "nomem". */
static char *handler(const char *request, void *arg)
{
	char *s;

	(void)arg;
	if (!strcmp(request, "nomem"))
		return NULL;
	return asprintf(&s, "reply to '%s'\n", request) < 0 ? NULL : s;
}

static struct control *make(struct loop *l, const char *path, unsigned mode)
{
	char err[512] = "";
	struct control *c = control_create(l->base, path, NULL, mode, handler, NULL, err,
					   sizeof(err));

	if (!c)
		fail_msg("control_create %s: %s", path, err);
	return c;
}

static void pjoin(char *dst, size_t len, const char *dir, const char *name)
{
	int n = snprintf(dst, len, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < len);
}

static void set_sun(struct sockaddr_un *sa, const char *path)
{
	assert_true(strlen(path) < sizeof(sa->sun_path));
	memcpy(sa->sun_path, path, strlen(path) + 1);
}

static int client(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { 10, 0 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	set_sun(&sa, path);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fail_msg("connect %s: %s", path, strerror(errno));
	return fd;
}

/* Everything the server sends until it closes, as a string. */
static char *read_all(int fd)
{
	static const size_t cap = 4096;
	char *buf = calloc(1, cap + 1);
	size_t n = 0;
	ssize_t r;

	assert_non_null(buf);
	while (n < cap && (r = read(fd, buf + n, cap - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail_msg("read: %s (after '%s')", strerror(errno), buf);
		n += (size_t)r;
	}
	close(fd);
	return buf;
}

static void exchange(const char *path, const char *req, size_t len, bool half_close,
		     const char *want)
{
	int fd = client(path);
	char *got;

	assert_int_equal(send(fd, req, len, MSG_NOSIGNAL), (ssize_t)len);
	if (half_close)
		shutdown(fd, SHUT_WR);
	got = read_all(fd);
	assert_string_equal(got, want);
	free(got);
}

static void test_reply(void **state)
{
	char path[512], line[CONTROL_MAX_REQUEST + 64];
	struct loop l;
	struct control *c;

	pjoin(path, sizeof(path), *state, "reply.sock");
	loop_init(&l);
	c = make(&l, path, 0600);
	loop_start(&l);
	exchange(path, "status\n", 7, false, "reply to 'status'\n");
	exchange(path, "status\r\n", 8, false, "reply to 'status'\n");
	exchange(path, "status", 6, true, "reply to 'status'\n");
	exchange(path, "status\nmore\n", 12, false, "reply to 'status'\n");
	exchange(path, "\n", 1, false, "reply to ''\n");
	exchange(path, "nomem\n", 6, false, "error: out of memory\n");
	/* too long: the longest line that fits, one more, far more, no newline */
	memset(line, 'x', sizeof(line));
	line[CONTROL_MAX_REQUEST - 1] = '\n';
	{
		char want[CONTROL_MAX_REQUEST + 32];

		snprintf(want, sizeof(want), "reply to '%.*s'\n", CONTROL_MAX_REQUEST - 1, line);
		exchange(path, line, CONTROL_MAX_REQUEST, false, want);
	}
	line[CONTROL_MAX_REQUEST - 1] = 'x';
	line[CONTROL_MAX_REQUEST] = '\n';
	exchange(path, line, CONTROL_MAX_REQUEST + 1, false, "error: request too long\n");
	line[CONTROL_MAX_REQUEST] = 'x';
	line[sizeof(line) - 1] = '\n';
	exchange(path, line, sizeof(line), false, "error: request too long\n");
	exchange(path, line, sizeof(line) - 1, false, "error: request too long\n");
	loop_stop(&l);
	control_destroy(c);
	loop_free(&l);
	assert_int_equal(access(path, F_OK), -1);
}

static void test_stale(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[512];
	struct loop l;
	struct control *c;
	struct stat sb;
	int fd;

	pjoin(path, sizeof(path), *state, "stale.sock");
	/* bound, never listening, closed: what a killed daemon leaves */
	set_sun(&sa, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	loop_init(&l);
	c = make(&l, path, 0660);
	loop_start(&l);
	exchange(path, "status\n", 7, false, "reply to 'status'\n");
	loop_stop(&l);
	control_destroy(c);
	loop_free(&l);
}

static void test_live(void **state)
{
	char path[512], err[512] = "";
	struct loop l;
	struct control *c, *c2;

	pjoin(path, sizeof(path), *state, "live.sock");
	loop_init(&l);
	c = make(&l, path, 0660);
	errno = 0;
	c2 = control_create(l.base, path, NULL, 0660, handler, NULL, err, sizeof(err));
	assert_null(c2);
	assert_int_equal(errno, EADDRINUSE);
	assert_non_null(strstr(err, "another captured is running"));
	assert_non_null(strstr(err, path));
	/* the first one still answers (its probe connection is dropped) */
	loop_start(&l);
	exchange(path, "status\n", 7, false, "reply to 'status'\n");
	loop_stop(&l);
	control_destroy(c);
	loop_free(&l);
}

static void test_not_socket(void **state)
{
	char path[512], err[512] = "", buf[16] = "";
	struct loop l;
	FILE *f;

	pjoin(path, sizeof(path), *state, "file");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("keep me\n", f);
	fclose(f);
	loop_init(&l);
	errno = 0;
	assert_null(control_create(l.base, path, NULL, 0660, handler, NULL, err, sizeof(err)));
	assert_int_equal(errno, EEXIST);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a socket"));
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "keep me\n");
	/* a directory is refused the same way */
	pjoin(path, sizeof(path), *state, "dir");
	assert_int_equal(mkdir(path, 0700), 0);
	assert_null(control_create(l.base, path, NULL, 0660, handler, NULL, err, sizeof(err)));
	assert_int_equal(errno, EEXIST);
	loop_free(&l);
}

static void test_mode_group(void **state)
{
	static const unsigned modes[] = { 0600, 0660, 0666, 0700 };
	char path[512], err[512] = "";
	struct group *gr = getgrgid(getegid());
	struct loop l;
	struct control *c;
	struct stat sb;

	pjoin(path, sizeof(path), *state, "mode.sock");
	loop_init(&l);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		c = make(&l, path, modes[i]);
		assert_int_equal(lstat(path, &sb), 0);
		assert_true(S_ISSOCK(sb.st_mode));
		assert_int_equal(sb.st_mode & 07777, modes[i]);
		control_destroy(c);
		assert_int_equal(access(path, F_OK), -1);
	}
	assert_non_null(gr);
	c = control_create(l.base, path, gr->gr_name, 0640, handler, NULL, err, sizeof(err));
	if (!c)
		fail_msg("group %s: %s", gr->gr_name, err);
	assert_int_equal(lstat(path, &sb), 0);
	assert_int_equal(sb.st_gid, gr->gr_gid);
	control_destroy(c);
	errno = 0;
	assert_null(control_create(l.base, path, "no-such-group-xq7", 0660, handler, NULL, err,
				   sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "no-such-group-xq7"));
	assert_int_equal(access(path, F_OK), -1);
	loop_free(&l);
}

static void test_parent(void **state)
{
	char path[512], dir[512], err[512] = "";
	struct loop l;
	struct control *c;
	struct stat sb;
	FILE *f;

	pjoin(dir, sizeof(dir), *state, "run/captured");
	pjoin(path, sizeof(path), dir, "control");
	loop_init(&l);
	c = make(&l, path, 0660);
	assert_int_equal(stat(dir, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	control_destroy(c);
	/* a parent that cannot be made: the directory is named */
	pjoin(dir, sizeof(dir), *state, "plain");
	f = fopen(dir, "w");
	assert_non_null(f);
	fclose(f);
	pjoin(path, sizeof(path), dir, "sub/control");
	errno = 0;
	assert_null(control_create(l.base, path, NULL, 0660, handler, NULL, err, sizeof(err)));
	assert_int_equal(errno, ENOTDIR);
	assert_non_null(strstr(err, "cannot create directory"));
	assert_non_null(strstr(err, dir));
	/* too long for sun_path */
	memset(path, 'a', 200);
	path[200] = '\0';
	assert_null(control_create(l.base, path, NULL, 0660, handler, NULL, err, sizeof(err)));
	assert_int_equal(errno, ENAMETOOLONG);
	loop_free(&l);
}

static void test_busy(void **state)
{
	char path[512], *got;
	int fds[CONTROL_MAX_CLIENTS], extra;
	struct loop l;
	struct control *c;

	pjoin(path, sizeof(path), *state, "busy.sock");
	loop_init(&l);
	c = make(&l, path, 0660);
	loop_start(&l);
	/* 64 silent clients hold every slot; the kernel queues connections in
	 * order, so the 65th is accepted after them */
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		fds[i] = client(path);
	extra = client(path);
	got = read_all(extra);
	assert_string_equal(got, "error: busy\n");
	free(got);
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		assert_int_equal(send(fds[i], "status\n", 7, MSG_NOSIGNAL), 7);
		got = read_all(fds[i]);
		assert_string_equal(got, "reply to 'status'\n");
		free(got);
	}
	/* the slots are free again */
	exchange(path, "status\n", 7, false, "reply to 'status'\n");
	loop_stop(&l);
	assert_int_equal(control_clients(c), 0);
	control_destroy(c);
	loop_free(&l);
}

static double now_s(void)
{
	return (double)log_now_ns() / 1e9;
}

static void test_timeout(void **state)
{
	char path[512], *got;
	struct loop l;
	struct control *c;
	double t0, dt;
	int fd, fd2;

	pjoin(path, sizeof(path), *state, "timeout.sock");
	loop_init(&l);
	c = make(&l, path, 0660);
	control_set_timeout(c, 200);
	loop_start(&l);
	t0 = now_s();
	fd = client(path);
	fd2 = client(path);
	assert_int_equal(send(fd2, "sta", 3, MSG_NOSIGNAL), 3);
	got = read_all(fd);    /* nothing sent: closed without a word */
	dt = now_s() - t0;
	assert_string_equal(got, "");
	free(got);
	got = read_all(fd2);   /* half a line: the same */
	assert_string_equal(got, "");
	free(got);
	assert_true(dt >= 0.15);
	assert_true(dt < 5);
	/* closed while connected: the server frees the connection */
	close(client(path));
	exchange(path, "status\n", 7, false, "reply to 'status'\n");
	loop_stop(&l);
	assert_int_equal(control_clients(c), 0);
	control_destroy(c);
	loop_free(&l);
}

static void test_destroy_keeps_other_file(void **state)
{
	char path[512];
	struct loop l;
	struct control *c;
	FILE *f;

	pjoin(path, sizeof(path), *state, "replaced.sock");
	loop_init(&l);
	c = make(&l, path, 0660);
	/* something else took the path meanwhile: destroy leaves it alone */
	assert_int_equal(unlink(path), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	control_destroy(c);
	assert_int_equal(access(path, F_OK), 0);
	control_destroy(NULL);
	loop_free(&l);
}

static int group_setup(void **state)
{
	char *root;

	if (testutil_make_root(&root, "control") < 0)
		return -1;
	*state = root;
	return 0;
}

static int group_teardown(void **state)
{
	testutil_rm_rf(*state);
	free(*state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_not_socket),
		cmocka_unit_test(test_mode_group),
		cmocka_unit_test(test_parent),
		cmocka_unit_test(test_busy),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_destroy_keeps_other_file),
	};

	/* a client that goes away must not kill the test (nor the daemon) */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
