/* capctl subcommands; each returns the process exit status:
 * 0 success, 1 failure or damage found, 2 usage error. */
#ifndef CAPTURED_CAPCTL_H
#define CAPTURED_CAPCTL_H

#include <stdbool.h>
#include <stddef.h>

struct capctl_ctx {
	const char *store;          /* --store DIR */
	bool store_given;           /* by --store or $CAPTURED_STORE, not the default */
};

int capctl_list(const struct capctl_ctx *ctx, int argc, char **argv);
int capctl_slice(const struct capctl_ctx *ctx, int argc, char **argv);
int capctl_verify(const struct capctl_ctx *ctx, int argc, char **argv);
int capctl_status(const struct capctl_ctx *ctx, int argc, char **argv);
int capctl_ptp(const struct capctl_ctx *ctx, int argc, char **argv);
int capctl_follow(const struct capctl_ctx *ctx, int argc, char **argv);
int capctl_stats(const struct capctl_ctx *ctx, int argc, char **argv);

struct store;
struct store_file;

/* Opens ctx->store for reading and lists its files (*files malloc'd).
 * NULL, with the reason on stderr, on failure. */
struct store *capctl_store_files(const struct capctl_ctx *ctx, struct store_file **files,
				 size_t *n);

struct capfile_r;

/* capfile_r_open, following a .part file that its writer closed (renamed)
 * since it was listed.  NULL with errno ENOENT: the file is gone. */
struct capfile_r *capctl_open_file(const char *path, char *err, size_t errlen);

/* 0 when path names a file (not a symbolic link) directly in ctx->store,
 * or, when no store was given, directly in a store directory (one with
 * the store marker); -EPERM with the reason in err otherwise.  capctl
 * reads and repairs only files of a store. */
int capctl_in_store(const struct capctl_ctx *ctx, const char *path, char *err, size_t errlen);

/* The words of a filter given as several arguments, joined by spaces
 * (as tcpdump does); malloc'd, NULL on ENOMEM. */
char *capctl_join_args(int argc, char **argv);

/* Messages on stderr, prefixed "capctl: ". */
void capctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
