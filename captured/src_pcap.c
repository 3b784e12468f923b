/* Source: a capture file, read with libpcap (pcap, nanosecond pcap, pcapng;
 * any link type libpcap reads), timestamps kept to the nanosecond. */
#include <errno.h>
#include <libgen.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"

#define SRC_PCAP_IOBUF (1u << 20)

struct src_pcap {
	pcap_t *p;                 /* owns fp */
	FILE *fp;
	char *iobuf;               /* fp's buffer: freed after fp is closed */
	char *path;
	uint64_t packets;
};

static void *pcap_src_create(const struct source_args *a, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct src_pcap *s = calloc(1, sizeof(*s));
	const char *arg = a->arg;

	if (!s || !(s->path = strdup(arg))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	/* libpcap reads through stdio's default 4 KiB buffer: one read(2)
	 * per 4 KiB; a large buffer of our own cuts that to one per MiB */
	s->fp = fopen(arg, "rb");
	if (!s->fp) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", arg, strerror(e));
		free(s->path);
		free(s);
		errno = e;
		return NULL;
	}
	/* glibc ignores the size unless it is given the buffer too */
	s->iobuf = malloc(SRC_PCAP_IOBUF);
	if (s->iobuf)
		setvbuf(s->fp, s->iobuf, _IOFBF, SRC_PCAP_IOBUF);
	s->p = pcap_fopen_offline_with_tstamp_precision(s->fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!s->p) {
		fclose(s->fp);
		free(s->iobuf);
		snprintf(err, errlen, "%s: %s", arg, ebuf);
		free(s->path);
		free(s);
		errno = EINVAL;
		return NULL;
	}
	return s;
}

static void pcap_src_destroy(void *ctx)
{
	struct src_pcap *s = ctx;

	pcap_close(s->p);
	free(s->iobuf);
	free(s->path);
	free(s);
}

/* libpcap speaks DLT_ values, pcapng wants LINKTYPE_ values, and they differ
 * for some (DLT_RAW is 12 on Linux, LINKTYPE_RAW 101).  libpcap's mapping is
 * not exported, but its pcap writer applies it: let it write a file header
 * to memory and read the link type back from it. */
static uint16_t file_linktype(pcap_t *p)
{
	uint8_t hdr[64] = { 0 };
	FILE *fp = fmemopen(hdr, sizeof(hdr), "w");
	pcap_dumper_t *d = fp ? pcap_dump_fopen(p, fp) : NULL;
	uint32_t lt;

	if (!d) {
		if (fp)
			fclose(fp);
		return (uint16_t)pcap_datalink(p);
	}
	pcap_dump_close(d);
	memcpy(&lt, hdr + 20, sizeof(lt));   /* host order, as the magic says */
	return (uint16_t)(lt & 0xffff);
}

static void pcap_src_info(void *ctx, struct source_info *info)
{
	struct src_pcap *s = ctx;
	char copy[4096], *base, *dot;
	int dlt = pcap_datalink(s->p);
	const char *dname = pcap_datalink_val_to_name(dlt);

	memset(info, 0, sizeof(*info));
	info->lossless = true;
	info->linktype = file_linktype(s->p);
	info->snaplen = (uint32_t)pcap_snapshot(s->p);
	snprintf(copy, sizeof(copy), "%s", s->path);
	base = basename(copy);
	dot = strchr(base, '.');
	if (dot && dot != base)
		*dot = 0;
	snprintf(info->label, sizeof(info->label), "%s", base);
	snprintf(info->name, sizeof(info->name), "file:%s", s->path);
	snprintf(info->description, sizeof(info->description),
		 "ingested from %s (%s, %s); timestamps as recorded in that file",
		 s->path, dname ? dname : "unknown link type",
		 pcap_get_tstamp_precision(s->p) == PCAP_TSTAMP_PRECISION_NANO ?
		 "read at ns precision" : "us precision");
}

static int pcap_src_run(void *ctx, struct feeder *f, volatile sig_atomic_t *stop,
			char *err, size_t errlen)
{
	struct src_pcap *s = ctx;
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	while (!*stop && (rc = pcap_next_ex(s->p, &h, &data)) == 1) {
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;

		s->packets++;
		/* a lossless feeder only fails for a packet larger than a batch */
		if (feeder_add(f, ts, data, h->caplen, h->len, 0, -1) == -EMSGSIZE) {
			snprintf(err, errlen, "%s: packet %llu: %u bytes do not fit in a batch "
				 "(raise batch_size)", s->path, (unsigned long long)s->packets,
				 h->caplen);
			return -EMSGSIZE;
		}
	}
	if (*stop || rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc == PCAP_ERROR) {
		snprintf(err, errlen, "%s: damaged after packet %llu: %s (packets before it "
			 "were stored)", s->path, (unsigned long long)s->packets,
			 pcap_geterr(s->p));
		return -EBADMSG;
	}
	return 0;
}

static void pcap_src_stats(void *ctx, struct source_stats *st)
{
	struct src_pcap *s = ctx;

	st->packets = s->packets;
	st->ifdrop = 0;
}

const struct source_ops src_pcap_ops = {
	.name = "pcap file",
	.create = pcap_src_create,
	.destroy = pcap_src_destroy,
	.info = pcap_src_info,
	.run = pcap_src_run,
	.stats = pcap_src_stats,
};
