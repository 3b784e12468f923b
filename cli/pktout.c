#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "obuf.h"
#include "pktout.h"

#define FLUSH_AT (1u << 20)
#define MAX_IF 256
#define PCAP_NSEC_MAGIC 0xA1B23C4Du
#define PCAP_USEC_MAGIC 0xA1B2C3D4u

struct out_if {
	uint8_t *block;
	size_t len;
};

struct pktout {
	int fd;
	bool close_fd;
	enum pktout_format fmt;
	ZSTD_CCtx *zc;
	struct obuf buf, zbuf;
	struct out_if ifs[MAX_IF];
	size_t nif;
	uint16_t linktype;          /* pcap */
	uint32_t snaplen;           /* pcap: the largest of the interfaces */
	uint32_t min_snaplen;       /* pcap: pktout_min_snaplen */
	uint32_t hdr_snaplen;       /* pcap: as written in the header */
	bool header_done;
	int err;                    /* first write error, sticky */
};

static int write_fd(struct pktout *o, const uint8_t *p, size_t len)
{
	while (len && !o->err) {
		ssize_t n = write(o->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			o->err = n < 0 ? -errno : -EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	return o->err;
}

static int zstd_out(struct pktout *o, const uint8_t *p, size_t len, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { p, len, 0 };
	size_t left;

	do {
		ZSTD_outBuffer ob;

		obuf_reset(&o->zbuf);
		if (obuf_reserve(&o->zbuf, ZSTD_CStreamOutSize()))
			return -ENOMEM;
		ob = (ZSTD_outBuffer){ o->zbuf.data, o->zbuf.cap, 0 };
		left = ZSTD_compressStream2(o->zc, &ob, &in, mode);
		if (ZSTD_isError(left))
			return -EIO;
		if (write_fd(o, o->zbuf.data, ob.pos))
			return o->err;
	} while (mode != ZSTD_e_continue ? left != 0 : in.pos < in.size);
	return 0;
}

static int flush(struct pktout *o, ZSTD_EndDirective mode)
{
	int err;

	if (o->zc)
		err = zstd_out(o, o->buf.data, o->buf.len, mode);
	else
		err = write_fd(o, o->buf.data, o->buf.len);
	obuf_reset(&o->buf);
	return err;
}

int pktout_parse_format(const char *s, enum pktout_format *fmt)
{
	if (!strcmp(s, "pcapng"))
		*fmt = PKTOUT_PCAPNG;
	else if (!strcmp(s, "pcap") || !strcmp(s, "pcap-ns"))
		*fmt = PKTOUT_PCAP;
	else if (!strcmp(s, "pcap-us"))
		*fmt = PKTOUT_PCAP_US;
	else
		return -EINVAL;
	return 0;
}

struct pktout *pktout_open(const char *path, bool force, enum pktout_format fmt,
			   bool zstd, const char *appl, char *err, size_t errlen)
{
	struct pktout *o = calloc(1, sizeof(*o));
	int e = ENOMEM;

	snprintf(err, errlen, "out of memory");
	if (!o)
		goto fail;
	o->fmt = fmt;
	if (!path || !strcmp(path, "-")) {
		o->fd = STDOUT_FILENO;
		if (isatty(o->fd)) {
			snprintf(err, errlen, "refusing to write packets to a terminal; use -w FILE "
				 "or a pipe (| tshark -r -)");
			e = EINVAL;
			goto fail;
		}
	} else {
		o->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL),
			     0644);
		if (o->fd < 0) {
			e = errno;
			snprintf(err, errlen, "%s: %s%s", path, strerror(e),
				 e == EEXIST ? " (use --force to overwrite)" : "");
			goto fail;
		}
		o->close_fd = true;
	}
	if (zstd) {
		o->zc = ZSTD_createCCtx();
		if (!o->zc)
			goto fail;
		ZSTD_CCtx_setParameter(o->zc, ZSTD_c_compressionLevel, 3);
		ZSTD_CCtx_setParameter(o->zc, ZSTD_c_checksumFlag, 1);
	}
	if (fmt == PKTOUT_PCAPNG) {
		if (obuf_reserve(&o->buf, 512))
			goto fail;
		o->buf.len = pcapng_put_shb(o->buf.data, o->buf.cap, NULL, NULL,
					    appl, NULL);
	}
	return o;
fail:
	if (o && o->close_fd)
		close(o->fd);
	if (o) {
		ZSTD_freeCCtx(o->zc);
		obuf_free(&o->buf);
		free(o);
	}
	errno = e;
	return NULL;
}

int pktout_add_if(struct pktout *o, const uint8_t *block, size_t len,
		  const struct pcapng_idb *idb, char *err, size_t errlen)
{
	for (size_t i = 0; i < o->nif; i++)
		if (o->ifs[i].len == len && !memcmp(o->ifs[i].block, block, len))
			return (int)i;
	if (o->nif == MAX_IF) {
		snprintf(err, errlen, "more than %d distinct interfaces", MAX_IF);
		return -EINVAL;
	}
	if (o->fmt != PKTOUT_PCAPNG) {
		if (o->nif && idb->linktype != o->linktype) {
			snprintf(err, errlen, "pcap holds one link type, these packets have "
				 "%u and %u; use --format pcapng", o->linktype, idb->linktype);
			return -EINVAL;
		}
		if (o->header_done && idb->snaplen > o->hdr_snaplen) {
			snprintf(err, errlen, "interface with a larger snaplen after the pcap "
				 "header was written");
			return -EINVAL;
		}
		o->linktype = idb->linktype;
		if (idb->snaplen > o->snaplen)
			o->snaplen = idb->snaplen;
	} else if (obuf_append(&o->buf, block, len)) {
		return -ENOMEM;
	}
	o->ifs[o->nif].block = malloc(len);
	if (!o->ifs[o->nif].block)
		return -ENOMEM;
	memcpy(o->ifs[o->nif].block, block, len);
	o->ifs[o->nif].len = len;
	return (int)o->nif++;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

void pktout_min_snaplen(struct pktout *o, uint32_t snaplen)
{
	o->min_snaplen = snaplen;
}

static int pcap_header(struct pktout *o)
{
	uint8_t h[24];

	o->hdr_snaplen = o->snaplen > o->min_snaplen ? o->snaplen : o->min_snaplen;
	if (!o->hdr_snaplen)
		o->hdr_snaplen = 262144;
	put32(h, o->fmt == PKTOUT_PCAP_US ? PCAP_USEC_MAGIC : PCAP_NSEC_MAGIC);
	memcpy(h + 4, &(uint16_t){ 2 }, 2);
	memcpy(h + 6, &(uint16_t){ 4 }, 2);
	put32(h + 8, 0);
	put32(h + 12, 0);
	put32(h + 16, o->hdr_snaplen);
	put32(h + 20, o->nif ? o->linktype : 1);
	o->header_done = true;
	return obuf_append(&o->buf, h, sizeof(h));
}

int pktout_packet(struct pktout *o, uint32_t ifid, uint64_t ts_ns, const uint8_t *data,
		  uint32_t caplen, uint32_t origlen, uint32_t flags, int32_t queue)
{
	if (o->err)
		return o->err;
	if (o->fmt != PKTOUT_PCAPNG) {
		uint32_t frac = (uint32_t)(ts_ns % 1000000000u);
		uint8_t rec[16];

		if (!o->header_done && pcap_header(o))
			return -ENOMEM;
		/* truncated, as libpcap does when it reads ns into us */
		if (o->fmt == PKTOUT_PCAP_US)
			frac /= 1000u;
		put32(rec, (uint32_t)(ts_ns / 1000000000u));
		put32(rec + 4, frac);
		put32(rec + 8, caplen);
		put32(rec + 12, origlen);
		if (obuf_append(&o->buf, rec, sizeof(rec)) || obuf_append(&o->buf, data, caplen))
			return -ENOMEM;
	} else {
		struct pcapng_epb e = { ifid, ts_ns, caplen, origlen, data, flags, queue };
		size_t need = pcapng_epb_size(caplen, flags, queue);

		if (obuf_reserve(&o->buf, need))
			return -ENOMEM;
		o->buf.len += pcapng_put_epb(o->buf.data + o->buf.len, need, &e);
	}
	return o->buf.len >= FLUSH_AT ? flush(o, ZSTD_e_continue) : 0;
}

int pktout_flush(struct pktout *o)
{
	if (o->err)
		return o->err;
	/* without an interface the link type is unknown: no header yet */
	if (o->fmt != PKTOUT_PCAPNG && !o->header_done && o->nif && pcap_header(o))
		return -ENOMEM;
	return flush(o, ZSTD_e_flush);
}

int pktout_close(struct pktout *o)
{
	int err = 0;

	if (o->fmt != PKTOUT_PCAPNG && !o->header_done && pcap_header(o))
		err = -ENOMEM;
	if (!err)
		err = flush(o, ZSTD_e_end);
	if (o->close_fd && close(o->fd) < 0 && !err)
		err = -errno;
	for (size_t i = 0; i < o->nif; i++)
		free(o->ifs[i].block);
	ZSTD_freeCCtx(o->zc);
	obuf_free(&o->buf);
	obuf_free(&o->zbuf);
	free(o);
	return err;
}
