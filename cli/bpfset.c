#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfset.h"

#define MAX_PROGS 16

struct prog {
	uint16_t linktype;
	uint32_t snaplen;
	struct bpf_program bpf;
};

struct bpfset {
	char *filter;
	struct prog progs[MAX_PROGS];   /* in place: callers keep pointers */
	size_t n;
};

struct bpfset *bpfset_create(const char *filter)
{
	struct bpfset *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->filter = strdup(filter ? filter : "");
	if (!b->filter) {
		free(b);
		errno = ENOMEM;
		return NULL;
	}
	return b;
}

void bpfset_destroy(struct bpfset *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		pcap_freecode(&b->progs[i].bpf);
	free(b->filter);
	free(b);
}

const char *bpfset_filter(const struct bpfset *b)
{
	return b->filter;
}

size_t bpfset_count(const struct bpfset *b)
{
	return b->n;
}

/* libpcap compiles for a DLT; IDBs hold LINKTYPE values.  libpcap maps one
 * to the other when it opens a file, so open a file header in memory. */
static pcap_t *pcap_for(uint16_t linktype, uint32_t snaplen, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	uint32_t h[6] = { 0xA1B23C4Du, 2u | 4u << 16, 0, 0, snaplen ? snaplen : 262144,
			  linktype };
	FILE *fp = fmemopen(h, sizeof(h), "r");
	pcap_t *p;

	if (!fp) {
		snprintf(err, errlen, "fmemopen: %s", strerror(errno));
		return NULL;
	}
	p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!p) {
		fclose(fp);
		snprintf(err, errlen, "link type %u: %s", linktype, ebuf);
	}
	return p;
}

const struct bpf_program *bpfset_get(struct bpfset *b, uint16_t linktype, uint32_t snaplen,
				     char *err, size_t errlen)
{
	struct prog *pr;
	pcap_t *p;

	errno = 0;
	if (!b->filter[0])
		return NULL;
	for (size_t i = 0; i < b->n; i++)
		if (b->progs[i].linktype == linktype && b->progs[i].snaplen == snaplen)
			return &b->progs[i].bpf;
	if (b->n == MAX_PROGS) {
		snprintf(err, errlen, "more than %d link types and snapshot lengths", MAX_PROGS);
		errno = E2BIG;
		return NULL;
	}
	pr = &b->progs[b->n];
	p = pcap_for(linktype, snaplen, err, errlen);
	if (!p) {
		errno = EINVAL;
		return NULL;
	}
	if (bpfset_refuse(b->filter, err, errlen) ||
	    pcap_compile(p, &pr->bpf, b->filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		if (!bpfset_refuse(b->filter, err, errlen))
			snprintf(err, errlen, "filter '%s': %s", b->filter, pcap_geterr(p));
		pcap_close(p);
		errno = EINVAL;
		return NULL;
	}
	pcap_close(p);
	pr->linktype = linktype;
	pr->snaplen = snaplen;
	b->n++;
	return &pr->bpf;
}

int bpfset_refuse(const char *filter, char *err, size_t errlen)
{
	if (!strstr(filter, "protochain"))
		return 0;
	snprintf(err, errlen, "filter '%s': protochain is refused: libpcap 1.10's code for it "
		 "can loop forever on some IPv6 packets (write the chain out with ip6 proto)",
		 filter);
	return -EINVAL;
}
