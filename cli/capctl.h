/* capctl subcommands; each returns the process exit status:
 * 0 success, 1 failure or damage found, 2 usage error. */
#ifndef CAPTURED_CAPCTL_H
#define CAPTURED_CAPCTL_H

#include <stdbool.h>

struct capctl_ctx {
	const char *store;          /* --store DIR */
};

int capctl_list(const struct capctl_ctx *ctx, int argc, char **argv);
int capctl_slice(const struct capctl_ctx *ctx, int argc, char **argv);
int capctl_verify(const struct capctl_ctx *ctx, int argc, char **argv);

/* Messages on stderr, prefixed "capctl: ". */
void capctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
