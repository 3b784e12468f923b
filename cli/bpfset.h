/* Compiled libpcap filters for capctl commands that read files of
 * several link types: one program per (link type, snapshot length),
 * compiled on first use, as tcpdump -r would compile it for that file. */
#ifndef CAPTURED_BPFSET_H
#define CAPTURED_BPFSET_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

struct bpfset;

/* filter: a libpcap expression, "" for none.  NULL and errno ENOMEM. */
struct bpfset *bpfset_create(const char *filter);
void bpfset_destroy(struct bpfset *b);
const char *bpfset_filter(const struct bpfset *b);
/* Programs compiled so far. */
size_t bpfset_count(const struct bpfset *b);
/* The program for LINKTYPE linktype (as in pcapng IDBs) and snaplen; it
 * stays valid until bpfset_destroy.  NULL with errno 0 when there is no
 * filter; NULL with errno EINVAL (message in err) when libpcap rejects it
 * for that link type, E2BIG when too many link types were seen. */
/* 0, or -EINVAL with the reason in err for a filter we refuse although
 * libpcap compiles it: "protochain", whose code in libpcap 1.10 can loop
 * forever on some IPv6 packets (tcpdump hangs on them too). */
int bpfset_refuse(const char *filter, char *err, size_t errlen);
const struct bpf_program *bpfset_get(struct bpfset *b, uint16_t linktype, uint32_t snaplen,
				     char *err, size_t errlen);

#endif
