/* Clock provenance shared between the clock monitor and the writers. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clockprov.h"

#define BOUND_BITS 56
#define BOUND_UNKNOWN ((UINT64_C(1) << BOUND_BITS) - 1)
#define BOUND_CAP (INT64_C(1) << 55)

struct clockprov {
	_Atomic uint64_t quality;   /* state << 56 | bound (BOUND_UNKNOWN: unknown) */
	_Atomic uint64_t gen;
	pthread_mutex_t lock;
	char *comment, *kv;         /* under lock */
};

static uint64_t pack(uint8_t state, int64_t bound)
{
	uint64_t b;

	if (bound == INT64_MIN)
		b = BOUND_UNKNOWN;
	else if (bound < 0)
		b = 0;
	else
		b = (uint64_t)(bound > BOUND_CAP ? BOUND_CAP : bound);
	return (uint64_t)state << BOUND_BITS | b;
}

struct clockprov *clockprov_create(void)
{
	struct clockprov *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	p->comment = strdup("");
	p->kv = strdup("");
	if (!p->comment || !p->kv) {
		clockprov_destroy(p);
		errno = ENOMEM;
		return NULL;
	}
	atomic_init(&p->quality, pack(0, INT64_MIN));
	atomic_init(&p->gen, 0);
	return p;
}

void clockprov_destroy(struct clockprov *p)
{
	if (!p)
		return;
	free(p->comment);
	free(p->kv);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void clockprov_set_quality(struct clockprov *p, uint8_t state, int64_t bound_ns)
{
	atomic_store_explicit(&p->quality, pack(state, bound_ns), memory_order_relaxed);
}

void clockprov_set_section(struct clockprov *p, const char *comment, const char *kv)
{
	char *c, *k;

	pthread_mutex_lock(&p->lock);
	if (!strcmp(p->comment, comment) && !strcmp(p->kv, kv))
		goto out;
	c = strdup(comment);
	k = strdup(kv);
	if (!c || !k) {
		/* keep the old text: a file then says what it said before */
		free(c);
		free(k);
		goto out;
	}
	free(p->comment);
	free(p->kv);
	p->comment = c;
	p->kv = k;
	atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
out:
	pthread_mutex_unlock(&p->lock);
}

void clockprov_quality(const struct clockprov *p, uint8_t *state, int64_t *bound_ns)
{
	uint64_t q = atomic_load_explicit(&p->quality, memory_order_relaxed);
	uint64_t b = q & BOUND_UNKNOWN;

	*state = (uint8_t)(q >> BOUND_BITS);
	*bound_ns = b == BOUND_UNKNOWN ? INT64_MIN : (int64_t)b;
}

uint64_t clockprov_gen(const struct clockprov *p)
{
	return atomic_load_explicit(&p->gen, memory_order_acquire);
}

uint64_t clockprov_section(const struct clockprov *p, char *comment, size_t clen, char *kv,
			   size_t kvlen)
{
	struct clockprov *q = (struct clockprov *)p;
	uint64_t gen;

	pthread_mutex_lock(&q->lock);
	snprintf(comment, clen, "%s", q->comment);
	snprintf(kv, kvlen, "%s", q->kv);
	gen = atomic_load_explicit(&q->gen, memory_order_relaxed);
	pthread_mutex_unlock(&q->lock);
	return gen;
}
