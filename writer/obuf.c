#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "obuf.h"

int obuf_reserve(struct obuf *b, size_t need)
{
	size_t cap;
	uint8_t *p;

	if (b->cap - b->len >= need)
		return 0;
	if (need > SIZE_MAX / 2 - b->len)
		return -ENOMEM;
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int obuf_append(struct obuf *b, const void *src, size_t len)
{
	int err = obuf_reserve(b, len);

	if (err)
		return err;
	if (len)
		memcpy(b->data + b->len, src, len);
	b->len += len;
	return 0;
}

void obuf_reset(struct obuf *b)
{
	b->len = 0;
}

void obuf_free(struct obuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
