/* Shared helpers of capctl's subcommands. */
#include <errno.h>
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
