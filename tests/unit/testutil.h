/* Helpers shared by the cmocka unit tests.  Include after <cmocka.h>. */
#ifndef CAPTURED_TESTUTIL_H
#define CAPTURED_TESTUTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capindex.h"

/* Removes path and everything below it; no error if it is not there. */
static inline void testutil_rm_rf(const char *path)
{
	struct stat sb;
	struct dirent *de;
	char sub[4096];
	DIR *d;

	if (lstat(path, &sb) < 0)
		return;
	if (S_ISDIR(sb.st_mode) && (d = opendir(path))) {
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) <
			    (int)sizeof(sub))
				testutil_rm_rf(sub);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

/* A fresh directory $TMPDIR/NAME.XXXXXX (or under /tmp) in *root,
 * malloc'd; for a group setup.  0 or -1. */
static inline int testutil_make_root(char **root, const char *name)
{
	const char *base = getenv("TMPDIR");

	if (asprintf(root, "%s/%s.XXXXXX", base && *base ? base : "/tmp", name) < 0)
		return -1;
	return mkdtemp(*root) ? 0 : -1;
}

/* Every field, one assertion each, so a failure names the field. */
static inline void testutil_assert_entry_equal(const struct capindex_entry *a,
					       const struct capindex_entry *b)
{
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->flags, b->flags);
	assert_true(a->offset == b->offset);
	assert_int_equal(a->csize, b->csize);
	assert_int_equal(a->usize, b->usize);
	assert_true(a->ts_first == b->ts_first);
	assert_true(a->ts_last == b->ts_last);
	assert_true(a->ts_min == b->ts_min);
	assert_true(a->ts_max == b->ts_max);
	assert_int_equal(a->packets, b->packets);
	assert_true(a->bytes == b->bytes);
	assert_true(a->capbytes == b->capbytes);
	assert_int_equal(a->level, b->level);
	assert_int_equal(a->clock_state, b->clock_state);
	assert_true(a->clock_worst_ns == b->clock_worst_ns);
	assert_int_equal(a->ucrc, b->ucrc);
	assert_int_equal(a->flow_size, b->flow_size);
}

#endif
