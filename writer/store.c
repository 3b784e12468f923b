/* The store directory: marker, file names, listing, retention. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "capfile.h"
#include "log.h"
#include "store.h"

#define STAMP_LEN 26    /* YYYYMMDDTHHMMSS.NNNNNNNNNZ */
#define MARKER_TEXT "captured store, format 1\n"

struct store {
	char *dir;
};

static bool dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool empty = true;

	if (!d)
		return false;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = false;
			break;
		}
	closedir(d);
	return empty;
}

static int write_marker(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, MARKER_TEXT, strlen(MARKER_TEXT));
	close(fd);
	return n == (ssize_t)strlen(MARKER_TEXT) ? 0 : -EIO;
}

struct store *store_open(const char *dir, bool create, char *err, size_t errlen)
{
	struct store *st = NULL;
	char marker[4096];
	struct stat sb;
	int e;

	snprintf(marker, sizeof(marker), "%s/%s", dir, STORE_MARKER);
	if (create && mkdir(dir, 0750) < 0 && errno != EEXIST) {
		e = errno;
		snprintf(err, errlen, "%s: cannot create the store: %s", dir, strerror(e));
		goto fail;
	}
	if (stat(dir, &sb) < 0) {
		e = errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(e));
		goto fail;
	}
	if (!S_ISDIR(sb.st_mode)) {
		e = ENOTDIR;
		snprintf(err, errlen, "%s: not a directory", dir);
		goto fail;
	}
	if (access(marker, F_OK) < 0) {
		e = ENOENT;
		if (!create) {
			snprintf(err, errlen, "%s: not a captured store (no %s in it)", dir,
				 STORE_MARKER);
			goto fail;
		}
		if (!dir_is_empty(dir)) {
			snprintf(err, errlen, "%s: exists, is not empty and is not a captured "
				 "store (no %s); refusing to write into it", dir, STORE_MARKER);
			goto fail;
		}
		e = -write_marker(marker);
		if (e) {
			snprintf(err, errlen, "%s: cannot mark as a store: %s", dir, strerror(e));
			goto fail;
		}
	}
	st = calloc(1, sizeof(*st));
	if (!st || !(st->dir = strdup(dir))) {
		free(st);
		e = ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return st;
fail:
	errno = e;
	return NULL;
}

void store_destroy(struct store *st)
{
	if (!st)
		return;
	free(st->dir);
	free(st);
}

const char *store_dir(const struct store *st)
{
	return st->dir;
}

int store_name(char *buf, size_t len, int64_t start_ns, const char *iface, int queue,
	       int seq, bool plain)
{
	char clean[STORE_IFACE_MAX], plus[16] = "";
	time_t secs = (time_t)(start_ns / 1000000000);
	struct tm tm;
	size_t i;
	int n;

	if (start_ns < 0 || !gmtime_r(&secs, &tm))
		return -EINVAL;
	for (i = 0; iface[i] && i < sizeof(clean) - 1; i++) {
		char c = iface[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '-';

		clean[i] = ok ? c : '-';
	}
	clean[i] = 0;
	if (!i)
		snprintf(clean, sizeof(clean), "unknown");
	/* "_N" sorts after ".pcapng", so ls shows a file before its namesakes */
	if (seq > 0)
		snprintf(plus, sizeof(plus), "_%d", seq);
	n = snprintf(buf, len, "%04d%02d%02dT%02d%02d%02d.%09lldZ_%s_q%d%s.pcapng%s",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, (long long)(start_ns % 1000000000), clean, queue, plus,
		     plain ? "" : ".zst");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int parse_digits(const char *s, int n, long long *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int store_parse_name(const char *name, struct store_file *f)
{
	char s[256], *q, *u;
	long long Y, M, D, h, m, sec, ns, queue;
	struct tm tm = { 0 }, back;
	time_t t;

	if (strlen(name) >= sizeof(s))
		return -EINVAL;
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(s, sizeof(s), "%s", name);
	f->partial = capfile_strip_suffix(s, CAPFILE_PART_SUFFIX);
	if (capfile_strip_suffix(s, ".pcapng.zst"))
		f->plain = false;
	else if (capfile_strip_suffix(s, ".pcapng"))
		f->plain = true;
	else
		return -EINVAL;
	if (strlen(s) < STAMP_LEN + 4 || s[8] != 'T' || s[15] != '.' || s[25] != 'Z' ||
	    s[26] != '_' || parse_digits(s, 4, &Y) || parse_digits(s + 4, 2, &M) ||
	    parse_digits(s + 6, 2, &D) || parse_digits(s + 9, 2, &h) ||
	    parse_digits(s + 11, 2, &m) || parse_digits(s + 13, 2, &sec) ||
	    parse_digits(s + 16, 9, &ns))
		return -EINVAL;
	/* IFACE holds no '_' (store_name replaces it), so the first '_' after
	 * it starts the queue: _qQUEUE, then an optional _SEQ */
	u = strchr(s + 27, '_');
	if (!u || u == s + 27 || u[1] != 'q' || (size_t)(u - (s + 27)) >= STORE_IFACE_MAX)
		return -EINVAL;
	q = strchr(u + 2, '_');
	if (q) {
		long long seq;

		if (!q[1] || strlen(q + 1) > 9 || parse_digits(q + 1, (int)strlen(q + 1), &seq))
			return -EINVAL;
		*q = 0;
	}
	if (!u[2] || strlen(u + 2) > 5 || parse_digits(u + 2, (int)strlen(u + 2), &queue) ||
	    queue > 65535)
		return -EINVAL;
	memcpy(f->iface, s + 27, (size_t)(u - (s + 27)));
	f->queue = (int)queue;
	tm.tm_year = (int)Y - 1900;
	tm.tm_mon = (int)M - 1;
	tm.tm_mday = (int)D;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)m;
	tm.tm_sec = (int)sec;
	t = timegm(&tm);
	/* timegm normalizes (hour 24 is the next day): insist on the same fields */
	if (t < 0 || !gmtime_r(&t, &back) || back.tm_year != tm.tm_year ||
	    back.tm_mon != (int)M - 1 || back.tm_mday != (int)D || back.tm_hour != (int)h ||
	    back.tm_min != (int)m || back.tm_sec != (int)sec)
		return -EINVAL;
	/* nanoseconds since the epoch end in 2262 */
	if (t > (INT64_MAX - (int64_t)ns) / 1000000000)
		return -EINVAL;
	f->start_ns = (int64_t)t * 1000000000 + ns;
	return 0;
}

static int cmp_file(const void *a, const void *b)
{
	const struct store_file *x = a, *y = b;

	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The sidecar of a plain file.  A .part file's is NAME.idx.part, or
 * NAME.idx if its writer died between the two renames of a close. */
static bool sidecar_path(const char *dir, const struct store_file *f, char *path,
			 size_t len)
{
	char base[256];

	snprintf(base, sizeof(base), "%s", f->name);
	capfile_strip_suffix(base, CAPFILE_PART_SUFFIX);
	snprintf(path, len, "%s/%s%s%s", dir, base, CAPFILE_IDX_SUFFIX,
		 f->partial ? CAPFILE_PART_SUFFIX : "");
	if (access(path, F_OK) == 0)
		return true;
	if (!f->partial)
		return false;
	snprintf(path, len, "%s/%s%s", dir, base, CAPFILE_IDX_SUFFIX);
	return access(path, F_OK) == 0;
}

static uint64_t sidecar_bytes(const char *dir, const struct store_file *f)
{
	char path[4096];
	struct stat sb;

	if (!sidecar_path(dir, f, path, sizeof(path)))
		return 0;
	return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

int store_list(const struct store *st, struct store_file **files, size_t *n)
{
	struct store_file *v = NULL, *p;
	size_t cnt = 0, cap = 0;
	DIR *d = opendir(st->dir);
	struct dirent *de;
	char path[4096];
	struct stat sb;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct store_file f;

		if (store_parse_name(de->d_name, &f))
			continue;
		snprintf(path, sizeof(path), "%s/%s", st->dir, de->d_name);
		/* lstat: a symbolic link is not a store file, wherever it points
		 * (a reader must not be led outside the store) */
		if (lstat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;   /* gone meanwhile (retention), or not a file */
		f.disk_bytes = (uint64_t)sb.st_size;
		f.mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
		if (f.plain)
			f.disk_bytes += sidecar_bytes(st->dir, &f);
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			p = realloc(v, cap * sizeof(*v));
			if (!p) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = p;
		}
		v[cnt++] = f;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_file);
	*files = v;
	*n = cnt;
	return 0;
}

static int remove_file(const struct store *st, const struct store_file *f)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", st->dir, f->name);
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	if (f->plain && sidecar_path(st->dir, f, path, sizeof(path)) &&
	    unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* capfile_w creates files as .NAME.part.new and links them into place; a
 * crash between link and unlink leaves the hidden name holding the space. */
static void sweep_hidden(const struct store *st)
{
	DIR *d = opendir(st->dir);
	struct dirent *de;
	char path[4096];
	struct stat sb;

	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		int fd;

		if (de->d_name[0] != '.' || n < 10 || strcmp(de->d_name + n - 9, ".part.new"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", st->dir, de->d_name);
		/* a writer is between open and flock for microseconds: leave
		 * anything recent alone */
		if (stat(path, &sb) < 0 || sb.st_mtime > time(NULL) - 60)
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			unlink(path);
		close(fd);
	}
	closedir(d);
}

/* A .part file whose writer is alive holds an exclusive lock on it. */
static bool has_live_writer(const struct store *st, const struct store_file *f)
{
	char path[4096];
	int fd;
	bool live;

	snprintf(path, sizeof(path), "%s/%s", st->dir, f->name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	live = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return live;
}

int store_retain(const struct store *st, uint64_t max_bytes, int64_t max_age_ns,
		 int64_t now_ns, uint64_t *files, uint64_t *bytes)
{
	struct store_file *v;
	uint64_t total = 0;
	size_t n;
	int err;

	sweep_hidden(st);
	err = store_list(st, &v, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		total += v[i].disk_bytes;
	/* oldest first; a file being written is never deleted but counts in
	 * the total; a torn one left by a dead writer ages out like the rest,
	 * or crashes would slowly eat the budget of the finished files */
	for (size_t i = 0; i < n; i++) {
		bool too_big = max_bytes && total > max_bytes;
		bool too_old = max_age_ns && v[i].mtime_ns < now_ns - max_age_ns;

		if (!too_big && !too_old)
			continue;
		if (v[i].partial && has_live_writer(st, &v[i]))
			continue;
		err = remove_file(st, &v[i]);
		if (err)
			break;
		total -= v[i].disk_bytes;
		*files += 1;
		*bytes += v[i].disk_bytes;
	}
	free(v);
	return err;
}

int store_space(const struct store *st, uint64_t *avail)
{
	struct statvfs vfs;

	if (statvfs(st->dir, &vfs) < 0)
		return -errno;
	*avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	return 0;
}

int store_make_room(const struct store *st, uint64_t want, uint64_t *files, uint64_t *bytes)
{
	struct store_file *v;
	uint64_t avail = 0;
	size_t n;
	int err;

	err = store_list(st, &v, &n);
	if (err)
		return err;
	/* oldest first, like retention; never a file being written */
	for (size_t i = 0; i < n; i++) {
		err = store_space(st, &avail);
		if (err || avail >= want)
			break;
		if (v[i].partial && has_live_writer(st, &v[i]))
			continue;
		err = remove_file(st, &v[i]);
		if (err)
			break;
		*files += 1;
		*bytes += v[i].disk_bytes;
	}
	free(v);
	return err;
}

int store_recover(const struct store *st)
{
	struct store_file *v;
	char path[4096], msg[1024];
	size_t n;
	int err, sealed = 0;

	sweep_hidden(st);
	err = store_list(st, &v, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		if (!v[i].partial)
			continue;
		snprintf(path, sizeof(path), "%s/%s", st->dir, v[i].name);
		msg[0] = 0;
		/* capfile_repair refuses (-EBUSY) a file a live writer holds */
		err = capfile_repair(path, NULL, msg, sizeof(msg));
		if (err == -EBUSY || err == -ENOENT)
			continue;   /* being written; or closed or deleted meanwhile */
		if (err)
			log_msg(LOG_WARNING, "recovery: %s; left as it is", msg);
		else
			log_msg(LOG_NOTICE, "recovery: %s", msg);
		sealed += !err;
	}
	free(v);
	return sealed;
}
