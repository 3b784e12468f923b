/* Frame pruning for filtered slices: from a pcap-filter(7) expression, a
 * conservative predicate over a frame's flow summary (flowsum.h).  A frame
 * is skipped only when its summary proves that no packet in it can match;
 * every packet of the frames that are read is still checked with the
 * compiled BPF program, so results equal libpcap's exactly and pruning
 * only changes the work done.
 *
 * Understood: host/net (IPv4 and IPv6 literals, CIDR, "net N mask M",
 * abbreviated nets such as "net 10.1"), src/dst qualifiers (treated as
 * either direction), port/portrange (numbers), ip/ip6/arp/rarp/tcp/udp/
 * sctp/icmp/icmp6/igmp, "ip proto N", "ip6 proto N", "proto N", vlan [ID],
 * and/&&, or/||, not/!, parentheses, and pcap-filter's abbreviations
 * ("host a or b", "port 80 or 443").  Everything else (names that need
 * resolving, ether/wlan/arithmetic/len/byte tests, ...) is "may match";
 * keywords after which libpcap looks at other offsets (mpls, pppoes,
 * geneve, vxlan, ...) make the whole expression "may match".  A syntax
 * libpcap rejects never reaches here (pcap_compile runs first).
 */
#ifndef CAPTURED_PRUNE_H
#define CAPTURED_PRUNE_H

#include <stdbool.h>
#include <stddef.h>

#include "flowsum.h"

struct prune;

/* expr: the filter, "" for none.  NULL and errno ENOMEM only: what cannot
 * be parsed becomes "may match". */
struct prune *prune_create(const char *expr);
void prune_destroy(struct prune *p);
/* false when fs proves that no packet of the frame can match; true
 * otherwise (and always for fs NULL: a frame without a summary). */
bool prune_may_match(const struct prune *p, const struct flowsum *fs);
/* false when the predicate can never rule a frame out ("" or only
 * unknown parts): callers need not load summaries. */
bool prune_useful(const struct prune *p);
/* The predicate as text ("and(host 10.0.0.1, port 53)", "MAYBE"), for
 * tests and --explain.  Returns the length snprintf would. */
int prune_describe(const struct prune *p, char *buf, size_t len);

#endif
