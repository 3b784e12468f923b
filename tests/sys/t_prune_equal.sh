#!/bin/bash
# Frame pruning changes the work, never the answer: for random filters
# over flow-shaped traffic (thousands of hosts, many ports, TCP/UDP/SCTP/
# ICMP/GRE, IPv6 with extension headers, ARP, LLDP, 802.1Q, 802.1ad QinQ
# and 0x9100 tags), capctl slice FILTER selects exactly the packets that
# tcpdump -r INPUT FILTER selects, from a store of 16 KiB frames.  Each
# check prints the share of the frames the filter read; a filter on a host
# that is in about 1 % of the packets must read well under all of them.
set -eu
. "$(dirname "$0")/../lib/common.sh"
need_tool python3 editcap capinfos tcpdump zstd
need_bins
SEED=${TEST_SEED:-4242}
NF=${PRUNE_FILTERS:-32}
note "random traffic and filters from TEST_SEED=$SEED (set it to vary them), $NF filters"
FLOWS="$PYTHON $TESTS_DIR/lib/gen_flows.py"

say "flow-shaped traffic, ingested in 16 KiB frames"
$FLOWS pcap -o "$T/f.pcap" -n 60000 --seed "$SEED"
ingest "$T/f.pcap" "$T/s" --frame-size 16K
N=$(npackets "$T/f.pcap")
check "the input has all its packets ($N)"
[ "$N" = 60000 ] || die "input has $N packets"

# filter_vs FILTER: capctl slice equals tcpdump; sets NSEL, FREAD, FTOTAL.
# Returns 1 (having done nothing) when tcpdump refuses the filter: libpcap
# refuses some random ones ("expression rejects all packets").
filter_vs() {
	local f=$1
	if ! tcpdump --time-stamp-precision=nano -r "$T/f.pcap" -w "$T/exp.pcap" "$f" \
		2>"$T/tcpdump.err"; then
		note "tcpdump refuses '$f': $(grep -v '^reading' "$T/tcpdump.err" | head -1)"
		return 1
	fi
	NSEL=$(npackets "$T/exp.pcap")
	slice "$T/s" "$T/got.pcapng" "$f"
	read -r FREAD FTOTAL < <(sed -n 's/.* from \([0-9]*\) of \([0-9]*\) frames.*/\1 \2/p' \
		"$T/last.err" | tail -1) || die "no frame counts from capctl slice: $(cat "$T/last.err")"
	same_packets "$T/exp.pcap" "$T/got.pcapng" \
		"'$f' ($NSEL packets; $FREAD of $FTOTAL frames read)"
}

say "random filters: the same packets as tcpdump"
$FLOWS filters -n "$NF" --seed "$SEED" >"$T/filters"
sum_read=0 sum_total=0 done=0 skipped=0
while IFS= read -r f; do
	if ! filter_vs "$f"; then
		skipped=$((skipped + 1))
		continue
	fi
	sum_read=$((sum_read + FREAD)) sum_total=$((sum_total + FTOTAL)) done=$((done + 1))
done <"$T/filters"
check "most generated filters were valid ($done of $NF)"
[ "$skipped" -le $((NF / 4)) ] || die "$skipped filters refused by tcpdump (seed $SEED)"
note "the random filters read $((100 * sum_read / sum_total)) % of the frames on average"

say "a selective filter reads few frames"
filter_vs "host 10.99.99.99" || die "tcpdump refuses a plain filter"
check "test data: the host is in about 1 % of the packets ($NSEL of $N)"
[ $((NSEL * 200)) -ge "$N" ] && [ $((NSEL * 50)) -le "$N" ] ||
	die "host 10.99.99.99 is in $NSEL of $N packets"
check "'host 10.99.99.99' read well under all frames ($FREAD of $FTOTAL)"
[ $((FREAD * 4)) -lt "$FTOTAL" ] ||
	die "'host 10.99.99.99' read $FREAD of $FTOTAL frames: pruning does not work"
for f in "vlan and host 10.99.99.99" "host 10.99.99.99 and tcp or host 10.99.99.98" \
	"not not host 10.99.99.99" "net 10.99.99.0/24 and (port 22 or port 80 or 443)"; do
	filter_vs "$f" || die "tcpdump refuses a plain filter"
	check "'$f' read under half the frames ($FREAD of $FTOTAL)"
	[ $((FREAD * 2)) -lt "$FTOTAL" ] || die "'$f' read $FREAD of $FTOTAL frames"
done

say "filters pruning cannot use read every frame, and still agree"
for f in "not host 10.99.99.99" "vlan or host 10.99.99.99" "mpls or host 10.99.99.99" \
	"greater 100"; do
	filter_vs "$f" || die "tcpdump refuses a plain filter"
done

finish
