/* Unit tests for crash and full-disk safety: a close that fails (file
 * size limit, as a full disk would) keeps the file open, locked and whole,
 * and a second close seals it; store_recover seals the torn .part files of
 * a store and leaves those of live writers alone; store_make_room deletes
 * oldest first and never a live file. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

#include "batch.h"
#include "capfile.h"
#include "pcapng.h"
#include "store.h"

#define BASE_TS 1700000000000000000ull
#define NS 1000000000LL

static char *g_root;

static const struct pcapng_idb idb = {
	.linktype = 1, .snaplen = 65535, .tsresol = 9, .name = "eth0",
};

static char *make_dir(void)
{
	char *p;

	if (asprintf(&p, "%s/t.XXXXXX", g_root) < 0 || !mkdtemp(p))
		fail_msg("cannot make a directory under %s", g_root);
	return p;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static long long file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) < 0 ? -1 : (long long)sb.st_size;
}

/* A .part file that some process holds locked (a live writer). */
static bool locked(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool busy;

	if (fd < 0)
		return false;
	busy = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return busy;
}

/* Writes nframes data frames of npkt packets each, stamped from ts. */
static int put_frames(struct capfile_w *w, int nframes, int npkt, uint64_t ts)
{
	struct batch_pool *pool = batch_pool_create(1, 65536);
	struct batch *b = pool ? batch_pool_get_free(pool) : NULL;
	uint8_t pkt[200];
	uint64_t lost = 0;
	int err = b ? 0 : -ENOMEM;

	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 31 + 7);
	for (int f = 0; f < nframes && !err; f++) {
		batch_reset(b);
		for (int i = 0; i < npkt; i++)
			batch_add(b, 0, ts + (uint64_t)(f * npkt + i), pkt, sizeof(pkt),
				  sizeof(pkt), 0, -1);
		err = capfile_w_feed(w, b, 3);
		if (!err)
			err = capfile_w_flush(w, &lost);
	}
	if (b)
		batch_pool_put_free(pool, b);
	batch_pool_destroy(pool);
	return err;
}

/* A store file named for start, nframes data frames, open (not closed). */
static struct capfile_w *open_file(const char *dir, int64_t start, bool plain, int nframes,
				   char *path, size_t len)
{
	struct capfile_w_opts o = { .path = path, .plain = plain, .idbs = &idb, .nidb = 1 };
	char name[256];
	struct capfile_w *w;

	assert_int_equal(store_name(name, sizeof(name), start, "eth0", 0, 0, plain), 0);
	snprintf(path, len, "%s/%s", dir, name);
	w = capfile_w_create(&o);
	assert_non_null(w);
	assert_int_equal(put_frames(w, nframes, 5, (uint64_t)start), 0);
	return w;
}

static void closed_file(const char *dir, int64_t start, int nframes, char *path, size_t len)
{
	struct capfile_w *w = open_file(dir, start, false, nframes, path, len);

	assert_int_equal(capfile_w_close(w, NULL, 0, NULL), 0);
	capfile_w_destroy(w);
}

static void check_complete(const char *path, size_t nframes, uint64_t packets)
{
	char err[512];
	struct capfile_r *r = capfile_r_open(path, err, sizeof(err));
	uint64_t n = 0;

	if (!r)
		fail_msg("%s", err);
	assert_int_equal(capfile_r_state(r), CAPFILE_COMPLETE);
	assert_int_equal(capfile_r_nframes(r), nframes);
	for (size_t i = 0; i < capfile_r_nframes(r); i++)
		n += capfile_r_entry(r, i)->packets;
	assert_true(n == packets);
	capfile_r_close(r);
}

/* ---- a close that fails, then works ---- */

/* In a child (RLIMIT_FSIZE is per process).  Exit codes say which check
 * failed. */
static int close_retry_child(const char *path)
{
	struct capfile_w_opts o = { .path = path, .plain = !strstr(path, ".zst"), .idbs = &idb,
				    .nidb = 1 };
	struct capfile_w *w = capfile_w_create(&o);
	struct rlimit rl, lim;
	struct pcapng_isb isb;
	char part[4200], idx[4200];
	long long size, isize = 0;
	uint64_t lost = 0;
	int rc;

	if (!w)
		return 10;
	if (put_frames(w, 2, 4, BASE_TS))
		return 11;
	snprintf(part, sizeof(part), "%s.part", path);
	snprintf(idx, sizeof(idx), "%s.idx.part", path);
	size = file_size(part);
	if (o.plain)
		isize = file_size(idx);
	/* no byte more may be written: the statistics frame fails */
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &rl);
	lim = rl;
	lim.rlim_cur = (rlim_t)(size > isize ? size : isize);
	if (setrlimit(RLIMIT_FSIZE, &lim))
		return 12;
	pcapng_isb_init(&isb, 0);
	isb.ifrecv = 8;
	isb.usrdeliv = 8;
	rc = capfile_w_close(w, &isb, 1, &lost);
	if (rc != -EFBIG)
		return 13;
	/* still the .part file, cut back to its whole frames, still locked */
	if (!exists(part) || exists(path) || file_size(part) != size)
		return 14;
	if (o.plain && file_size(idx) != isize)
		return 15;
	if (!locked(part))
		return 16;
	/* a second try fails the same way, and changes nothing */
	if (capfile_w_close(w, &isb, 1, &lost) != -EFBIG || file_size(part) != size)
		return 17;
	setrlimit(RLIMIT_FSIZE, &rl);
	if (capfile_w_close(w, &isb, 1, &lost) || lost)
		return 18;
	if (exists(part) || !exists(path))
		return 19;
	/* closed: the descriptor is gone; another close says so */
	if (capfile_w_close(w, &isb, 1, &lost) != -EBADF)
		return 20;
	capfile_w_destroy(w);
	return 0;
}

/* static: the child checks for leaks at exit, and must find nothing of
 * the parent's but what is reachable */
static char g_path[4096];

static void close_retry(bool plain)
{
	char *dir = make_dir(), *path = g_path;
	int status;
	pid_t pid;

	snprintf(path, sizeof(g_path), "%s/x.pcapng%s", dir, plain ? "" : ".zst");
	free(dir);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		exit(close_retry_child(path));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d", WTERMSIG(status));
	if (WEXITSTATUS(status))
		fail_msg("child check %d failed", WEXITSTATUS(status));
	/* header, two data frames, statistics */
	check_complete(path, 4, 8);
}

static void test_close_retry(void **state)
{
	(void)state;
	close_retry(false);
}

static void test_close_retry_plain(void **state)
{
	(void)state;
	close_retry(true);
}

/* ---- store_recover ---- */

static void test_recover(void **state)
{
	char *dir = make_dir(), err[512], torn[4096], live[4096], done[4096], plain[4096];
	char final[4096];
	struct capfile_w *w, *lw;
	struct store *st;

	(void)state;
	st = store_open(dir, true, err, sizeof(err));
	if (!st)
		fail_msg("%s", err);
	closed_file(dir, (int64_t)BASE_TS, 2, done, sizeof(done));
	w = open_file(dir, (int64_t)BASE_TS + NS, false, 3, torn, sizeof(torn));
	capfile_w_destroy(w);               /* killed: a torn .part file */
	w = open_file(dir, (int64_t)BASE_TS + 2 * NS, true, 2, plain, sizeof(plain));
	capfile_w_destroy(w);               /* the same, plain (sidecar) */
	lw = open_file(dir, (int64_t)BASE_TS + 3 * NS, false, 1, live, sizeof(live));
	strcat(torn, ".part");
	strcat(plain, ".part");
	strcat(live, ".part");
	assert_true(exists(torn) && exists(plain) && exists(live));

	assert_int_equal(store_recover(st), 2);
	/* sealed: final names, complete, every frame kept (header + data) */
	snprintf(final, sizeof(final), "%.*s", (int)(strlen(torn) - 5), torn);
	assert_false(exists(torn));
	check_complete(final, 4, 15);
	snprintf(final, sizeof(final), "%.*s", (int)(strlen(plain) - 5), plain);
	assert_false(exists(plain));
	check_complete(final, 3, 10);
	/* the live writer's file and the closed one are untouched */
	assert_true(exists(live));
	assert_true(locked(live));
	check_complete(done, 3, 10);   /* closed without ISBs: no statistics frame */
	/* nothing left to do; then the live writer dies too */
	assert_int_equal(store_recover(st), 0);
	capfile_w_destroy(lw);
	assert_int_equal(store_recover(st), 1);
	snprintf(final, sizeof(final), "%.*s", (int)(strlen(live) - 5), live);
	check_complete(final, 2, 5);
	store_destroy(st);
	free(dir);
}

/* A .part file whose header frame never made it: not sealed, left as is. */
static void test_recover_empty(void **state)
{
	char *dir = make_dir(), err[512], path[4096], name[256];
	struct store *st;
	int fd;

	(void)state;
	st = store_open(dir, true, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(store_name(name, sizeof(name), (int64_t)BASE_TS, "eth0", 0, 0, false), 0);
	snprintf(path, sizeof(path), "%s/%s.part", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\x28\xb5\x2f\xfd", 4), 4);
	close(fd);
	assert_int_equal(store_recover(st), 0);
	assert_true(exists(path));
	store_destroy(st);
	free(dir);
}

/* ---- store_make_room ---- */

static void test_make_room(void **state)
{
	char *dir = make_dir(), err[512], p[3][4096], live[4096];
	struct capfile_w *lw;
	uint64_t files = 0, bytes = 0, avail = 0, want = 0;
	struct store *st;

	(void)state;
	st = store_open(dir, true, err, sizeof(err));
	assert_non_null(st);
	for (int i = 0; i < 3; i++) {
		closed_file(dir, (int64_t)BASE_TS + i * NS, 2, p[i], sizeof(p[i]));
		want += (uint64_t)file_size(p[i]);
	}
	lw = open_file(dir, (int64_t)BASE_TS - NS, false, 1, live, sizeof(live));
	strcat(live, ".part");
	assert_int_equal(store_space(st, &avail), 0);
	assert_true(avail > 0);
	/* room enough: nothing goes */
	assert_int_equal(store_make_room(st, 0, &files, &bytes), 0);
	assert_true(files == 0 && bytes == 0);
	/* never enough: every file but the live one goes */
	assert_int_equal(store_make_room(st, UINT64_MAX, &files, &bytes), 0);
	assert_true(files == 3);
	assert_true(bytes == want);
	for (int i = 0; i < 3; i++)
		assert_false(exists(p[i]));
	assert_true(exists(live));
	capfile_w_destroy(lw);
	store_destroy(st);
	free(dir);
}

static int group_setup(void **state)
{
	(void)state;
	return testutil_make_root(&g_root, "test_recovery");
}

static int group_teardown(void **state)
{
	(void)state;
	testutil_rm_rf(g_root);
	free(g_root);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_close_retry),
		cmocka_unit_test(test_close_retry_plain),
		cmocka_unit_test(test_recover),
		cmocka_unit_test(test_recover_empty),
		cmocka_unit_test(test_make_room),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
