/* Shared helpers of capctl's subcommands. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "capctl.h"
#include "capfile.h"
#include "store.h"

void capctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("capctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

struct store *capctl_store_files(const struct capctl_ctx *ctx, struct store_file **files,
				 size_t *n)
{
	char err[1024];
	struct store *st = store_open(ctx->store, false, err, sizeof(err));
	int rc;

	if (!st) {
		capctl_err("%s", err);
		return NULL;
	}
	rc = store_list(st, files, n);
	if (rc) {
		capctl_err("%s: %s", ctx->store, strerror(-rc));
		store_destroy(st);
		return NULL;
	}
	return st;
}

struct capfile_r *capctl_open_file(const char *path, char *err, size_t errlen)
{
	struct capfile_r *r = capfile_r_open(path, err, errlen);
	char final[4096];

	if (r || errno != ENOENT || strlen(path) >= sizeof(final))
		return r;
	strcpy(final, path);
	if (!capfile_strip_suffix(final, CAPFILE_PART_SUFFIX))
		return NULL;   /* errno is still ENOENT */
	return capfile_r_open(final, err, errlen);
}

int capctl_in_store(const struct capctl_ctx *ctx, const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX], real_dir[PATH_MAX], real_store[PATH_MAX];
	struct stat sb;

	snprintf(dir, sizeof(dir), "%s", path);
	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode)) {
		snprintf(err, errlen, "%s: a symbolic link; capctl reads only the files of its "
			 "store (--store %s)", path, ctx->store);
		return -EPERM;
	}
	if (!realpath(dirname(dir), real_dir)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -EPERM;
	}
	if (!ctx->store_given) {
		char marker[PATH_MAX + 32];

		snprintf(marker, sizeof(marker), "%s/%s", real_dir, STORE_MARKER);
		if (access(marker, F_OK) == 0)
			return 0;
	}
	if (!realpath(ctx->store, real_store) || strcmp(real_dir, real_store)) {
		snprintf(err, errlen, "%s: not in the store %s; capctl reads only the files of "
			 "its store (give --store the file's directory)", path, ctx->store);
		return -EPERM;
	}
	return 0;
}

char *capctl_join_args(int argc, char **argv)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	if (!s)
		return NULL;
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

