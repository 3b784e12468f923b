/* "none" backend: the frame is stored as plain pcapng bytes, for stores
 * that Wireshark must open directly; the index then lives in a sidecar. */
#include <errno.h>
#include <stdlib.h>

#include "comp.h"

static void *none_create(void)
{
	/* no state, but a non-NULL context keeps the callers uniform */
	void *p = malloc(1);

	if (!p)
		errno = ENOMEM;
	return p;
}

static void none_destroy(void *ctx)
{
	free(ctx);
}

static int none_begin(void *ctx, int level)
{
	(void)ctx;
	(void)level;
	return 0;
}

static int none_feed(void *ctx, const void *src, size_t len, struct obuf *out)
{
	(void)ctx;
	return obuf_append(out, src, len);
}

static int none_end(void *ctx, struct obuf *out)
{
	(void)ctx;
	(void)out;
	return 0;
}

const struct comp_ops comp_none_ops = {
	.name = "none",
	.create = none_create,
	.destroy = none_destroy,
	.begin = none_begin,
	.feed = none_feed,
	.end = none_end,
};
