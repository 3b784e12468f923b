/* A growable byte buffer for encoder and compressor output. */
#ifndef CAPTURED_OBUF_H
#define CAPTURED_OBUF_H

#include <stddef.h>
#include <stdint.h>

struct obuf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

/* Makes room for at least need more bytes; 0 or -ENOMEM. */
int obuf_reserve(struct obuf *b, size_t need);
int obuf_append(struct obuf *b, const void *src, size_t len);
void obuf_reset(struct obuf *b);
void obuf_free(struct obuf *b);

#endif
