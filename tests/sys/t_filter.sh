#!/bin/bash
# libpcap filters: capctl slice FILTER selects the same packets as
# tcpdump -r INPUT FILTER, for Ethernet (with VLAN and QinQ tags), raw IP
# and Linux cooked captures, over a store of several files, with and without
# a time window.  A filter libpcap rejects is an error with a message.
set -eu
. "$(dirname "$0")/../lib/common.sh"
need_tool python3 editcap capinfos tcpdump zstd
need_bins

# filter_vs STORE INPUT FILTER [SLICE ARGS...]: slice with FILTER (passed
# as one argument) equals tcpdump's selection; returns the count in $NSEL.
filter_vs() {
	local st=$1 in=$2 filter=$3
	shift 3
	bpf "$in" "$filter" "$T/exp.pcap"
	NSEL=$(npackets "$T/exp.pcap")
	slice "$st" "$T/got.pcapng" "$@" "$filter"
	same_packets "$T/exp.pcap" "$T/got.pcapng" "'$filter' ${*:+($*) }($NSEL packets)"
}

say "Ethernet with VLAN/QinQ tags, IPv4/IPv6, ARP; several files"
$GEN -o "$T/e.pcap" -n 6000 --seed 41 --nsec --vlan 0.15 --qinq 0.05 --ipv6 0.3 --arp 0.03 \
	--dup-ts 0.05 --span 20 --pool 0
ingest "$T/e.pcap" "$T/se" --frame-size 16K --rotate-size 1M
ne=$(store_files "$T/se" | wc -l)
check "the store has several files ($ne)"
[ "$ne" -ge 3 ] || die "only $ne files"
N=$(npackets "$T/e.pcap")

# Filters that must select a proper, non-empty subset of this input.
while IFS= read -r f; do
	[ -n "$f" ] || continue
	filter_vs "$T/se" "$T/e.pcap" "$f"
	[ "$NSEL" -gt 0 ] && [ "$NSEL" -lt "$N" ] || die "test data: '$f' selects $NSEL of $N packets"
done <<'EOF'
tcp
udp
icmp
ip6
arp
icmp6
host 10.1.1.5
src host 10.2.1.6 or dst host 172.16.1.7
net 10.2.0.0/16
net 192.168.0.0/16 and not net 192.168.1.0/24
ip6 net 2001:db8:1::/48
port 443
tcp port 80 or udp port 53
src port 22 and tcp
portrange 5000-9000
not tcp
tcp and not port 80 and not port 443
udp or icmp
ip6 and tcp
vlan
vlan 10
vlan and vlan
vlan 20 and vlan 101
not vlan and ip
vlan and ip6
ether host 02:00:00:00:00:05
ether broadcast or ether src 02:00:00:00:00:07
greater 1000
less 200
tcp[tcpflags] & tcp-push != 0
ip[8] = 64 and ip[9] = 17
EOF

say "the filter as several words, like tcpdump's arguments"
bpf "$T/e.pcap" "tcp and port 443" "$T/exp.pcap"
slice "$T/se" "$T/got.pcapng" tcp and port 443
same_packets "$T/exp.pcap" "$T/got.pcapng" "tcp and port 443 (as 4 arguments)"

say "filter and time window together"
mapfile -t TS < <($PCAPTOOL recs "$(norm_cached "$T/e.pcap")" | awk '{print $2}')
from=$(ns_to_epoch "${TS[1500]}") to=$(ns_to_epoch "${TS[4500]}")
window "$T/e.pcap" "$from" "$to" "$T/ew.pcap"
filter_vs "$T/se" "$T/ew.pcap" "udp or ip6" --from "$from" --to "$to"
[ "$NSEL" -gt 0 ] || die "test data: empty selection"
check "--format pcap with a filter"
bpf "$T/e.pcap" "icmp or icmp6" "$T/exp.pcap"
slice "$T/se" "$T/got.pcap" --format pcap icmp or icmp6
same_packets "$T/exp.pcap" "$T/got.pcap" "icmp or icmp6, --format pcap"
check "a filter nothing matches gives an empty capture"
filter_vs "$T/se" "$T/e.pcap" "host 203.0.113.99"
[ "$NSEL" = 0 ] || die "test data: 203.0.113.99 is in the input"

for link in 101 113 0; do
	say "link type $link"
	$GEN -o "$T/l$link.pcap" -n 2000 --seed $((50 + link)) --link $link --nsec --ipv6 0.3
	ingest "$T/l$link.pcap" "$T/s$link" --frame-size 16K
	N=$(npackets "$T/l$link.pcap")
	for f in "tcp" "ip6" "host 10.1.1.5" "net 172.16.0.0/16 and udp" "not icmp and port 53" "ip6 and icmp6"; do
		filter_vs "$T/s$link" "$T/l$link.pcap" "$f"
		[ "$NSEL" -gt 0 ] && [ "$NSEL" -lt "$N" ] || die "test data: '$f' selects $NSEL of $N packets"
	done
done

say "filters libpcap rejects"
for f in "hostt 10.1.0.5" "tcp and" "port 99999" "net 10.1.0.0/33" "ether host 1:2:3"; do
	check "'$f' is refused with a message"
	rm -f "$T/bad.pcapng"
	run_rc nz "filter '$f'" "$CAPCTL" --store "$T/se" slice -w "$T/bad.pcapng" "$f"
	[ -s "$T/last.err" ] || die "filter '$f': no message on stderr"
	grep -qiE 'filter|syntax|pcap|expression|invalid|illegal|unknown|error' "$T/last.err" ||
		die "filter '$f': message does not say what is wrong: $(head -1 "$T/last.err")"
	note "$(head -1 "$T/last.err")"
	# tcpdump agrees that the filter is bad
	! tcpdump -r "$T/e.pcap" -w /dev/null "$f" 2>/dev/null || die "test bug: tcpdump accepts '$f'"
done
check "a filter that is valid but wrong for the link type (vlan on raw IP) is refused too"
if tcpdump -r "$T/l101.pcap" -w /dev/null "vlan" 2>/dev/null; then
	note "tcpdump accepts 'vlan' on raw IP; skipped"
else
	run_rc nz "'vlan' on raw IP" "$CAPCTL" --store "$T/s101" slice -w "$T/bad2.pcapng" vlan
fi

finish
