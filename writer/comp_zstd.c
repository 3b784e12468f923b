/* zstd backend: one ZSTD frame per store frame, with zstd's content
 * checksum so that verify can tell a flipped bit from a good frame. */
#include <errno.h>
#include <stdlib.h>
#include <zstd.h>

#include "comp.h"

static void *zstd_create(void)
{
	ZSTD_CCtx *cctx = ZSTD_createCCtx();

	if (!cctx) {
		errno = ENOMEM;
		return NULL;
	}
	return cctx;
}

static void zstd_destroy(void *ctx)
{
	ZSTD_freeCCtx(ctx);
}

static int zstd_begin(void *ctx, int level)
{
	ZSTD_CCtx *cctx = ctx;

	ZSTD_CCtx_reset(cctx, ZSTD_reset_session_only);
	if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)))
		return -EINVAL;
	return 0;
}

static int zstd_run(ZSTD_CCtx *cctx, const void *src, size_t len, struct obuf *out,
		    ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { src, len, 0 };
	size_t left;
	int err;

	do {
		ZSTD_outBuffer ob;

		err = obuf_reserve(out, ZSTD_CStreamOutSize());
		if (err)
			return err;
		ob.dst = out->data + out->len;
		ob.size = out->cap - out->len;
		ob.pos = 0;
		left = ZSTD_compressStream2(cctx, &ob, &in, mode);
		if (ZSTD_isError(left))
			return -EIO;
		out->len += ob.pos;
	} while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return 0;
}

static int zstd_feed(void *ctx, const void *src, size_t len, struct obuf *out)
{
	return zstd_run(ctx, src, len, out, ZSTD_e_continue);
}

static int zstd_end(void *ctx, struct obuf *out)
{
	return zstd_run(ctx, NULL, 0, out, ZSTD_e_end);
}

const struct comp_ops comp_zstd_ops = {
	.name = "zstd",
	.create = zstd_create,
	.destroy = zstd_destroy,
	.begin = zstd_begin,
	.feed = zstd_feed,
	.end = zstd_end,
};

const struct comp_ops *comp_for_level(int level)
{
	if (level == COMP_LEVEL_STORED)
		return &comp_stored_ops;
	if (level == COMP_LEVEL_PLAIN)
		return &comp_none_ops;
	return &comp_zstd_ops;
}
