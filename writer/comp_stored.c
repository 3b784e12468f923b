/* "Stored" backend: a valid zstd frame made of raw (uncompressed) blocks.
 *
 * libzstd has no public way to force raw blocks, and even its fastest
 * negative levels spend time matching.  When a writer falls behind, the
 * adaptive policy needs a mode that costs only a copy, yet the file must stay
 * a plain sequence of zstd frames for zstd(1), libzstd and Wireshark.  The
 * frame layout follows RFC 8878: magic, a frame header descriptor with no
 * content size, checksum or dictionary, a window descriptor, then raw blocks
 * of at most 128 KiB and a final empty raw block marked last.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "comp.h"

#define STORED_BLOCK_MAX (128u * 1024u)
#define ZSTD_MAGIC_LE 0xFD2FB528u
/* Window_Descriptor: exponent 7, mantissa 0 -> 2^(10+7) = 128 KiB */
#define STORED_WINDOW_DESC (7u << 3)

struct stored {
	int started;   /* frame header written */
};

static void *stored_create(void)
{
	struct stored *s = calloc(1, sizeof(*s));

	if (!s)
		errno = ENOMEM;
	return s;
}

static void stored_destroy(void *ctx)
{
	free(ctx);
}

static int stored_begin(void *ctx, int level)
{
	struct stored *s = ctx;

	(void)level;
	s->started = 0;
	return 0;
}

static void put_block_header(uint8_t *p, uint32_t size, int last)
{
	uint32_t h = (size << 3) | (0u << 1) | (last ? 1u : 0u);

	p[0] = h & 0xff;
	p[1] = (h >> 8) & 0xff;
	p[2] = (h >> 16) & 0xff;
}

/* The frame header goes out lazily with the first bytes, so begin() needs
 * no output buffer; a frame with no data still gets one in end(). */
static int stored_header(struct stored *s, struct obuf *out)
{
	static const uint8_t hdr[6] = { ZSTD_MAGIC_LE & 0xff, (ZSTD_MAGIC_LE >> 8) & 0xff,
					(ZSTD_MAGIC_LE >> 16) & 0xff, ZSTD_MAGIC_LE >> 24,
					0x00, STORED_WINDOW_DESC };

	if (s->started)
		return 0;
	s->started = 1;
	return obuf_append(out, hdr, sizeof(hdr));
}

static int stored_feed_blocks(const uint8_t *src, size_t len, struct obuf *out)
{
	size_t nblocks = (len + STORED_BLOCK_MAX - 1) / STORED_BLOCK_MAX;
	int err = obuf_reserve(out, len + 3 * nblocks);

	if (err)
		return err;
	while (len) {
		uint32_t n = len > STORED_BLOCK_MAX ? STORED_BLOCK_MAX : (uint32_t)len;

		put_block_header(out->data + out->len, n, 0);
		memcpy(out->data + out->len + 3, src, n);
		out->len += 3 + n;
		src += n;
		len -= n;
	}
	return 0;
}

static int stored_feed(void *ctx, const void *src, size_t len, struct obuf *out)
{
	int err = stored_header(ctx, out);

	return err ? err : stored_feed_blocks(src, len, out);
}

static int stored_end(void *ctx, struct obuf *out)
{
	struct stored *s = ctx;
	uint8_t last[3];
	int err = stored_header(s, out);

	s->started = 0;
	if (err)
		return err;
	put_block_header(last, 0, 1);
	return obuf_append(out, last, sizeof(last));
}

const struct comp_ops comp_stored_ops = {
	.name = "stored",
	.create = stored_create,
	.destroy = stored_destroy,
	.begin = stored_begin,
	.feed = stored_feed,
	.end = stored_end,
};
