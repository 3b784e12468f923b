#!/bin/bash
# capctl stats: per-interval packets and bytes with --exact equal counts
# made independently from the pcap (python), in a window too; index-only
# counts add up to the same totals and stay within the bounds they state
# (exact where no frame spans a boundary); top talkers, exact and from
# flow summaries; drops per interval from the ISBs of a synthetic run
# whose writer is forced to drop, equal to what captured reports.
set -eu
. "$(dirname "$0")/../lib/common.sh"
need_tool python3 jq
need_bins

N=30000
START=1700000000
say "a known capture: $N packets over 20 s, few hosts, no ARP; a store of small frames"
$GEN -o "$T/in.pcap" -n $N --seed 41 --nsec --span 20 --start $START --ipv6 0.3 --vlan 0.1 \
	--qinq 0.05 --hosts 6 --arp 0
ingest "$T/in.pcap" "$T/st" --frame-size 16K

# stats ARGS...: capctl stats --json ARGS into $T/s.json
stats() {
	run_rc 0 "capctl stats $*" "$CAPCTL" --store "$T/st" stats --json "$@"
	cp "$T/last.out" "$T/s.json"
}

# compare JSON FROM_NS TO_NS BY_NS MODE: the intervals of JSON against the
# pcap, counted here.  MODE exact: every interval equal; index: totals equal,
# packets within [packets_min, packets_max], equal where not approximate.
compare() {
	$PYTHON - "$TESTS_DIR/lib" "$T/in.pcap" "$@" <<'EOF'
import json, sys
sys.path.insert(0, sys.argv[1])
import pcaptool
_, _, recs = pcaptool.read_pcap(sys.argv[2])
got = json.load(open(sys.argv[3]))
lo, hi, by, mode = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
want = {}
for ts, cap, orig, data in recs:
    if lo <= ts < hi:
        k = ts // by * by
        p, b = want.get(k, (0, 0))
        want[k] = (p + 1, b + orig)
bad = []
tot = [0, 0]
for iv in got["intervals"]:
    p, b = want.pop(iv["start_ns"], (0, 0))
    tot[0] += p; tot[1] += b
    if mode == "exact" and (iv["packets"], iv["bytes"]) != (p, b):
        bad.append("%s: got %d/%d, want %d/%d" % (iv["start"], iv["packets"], iv["bytes"], p, b))
    if mode == "index":
        if not iv["packets_min"] <= p <= iv["packets_max"] or \
           not iv["packets_min"] <= iv["packets"] <= iv["packets_max"]:
            bad.append("%s: %d (true %d) outside [%d, %d]" % (iv["start"], iv["packets"], p,
                       iv["packets_min"], iv["packets_max"]))
        if not iv["approximate"] and iv["packets"] != p:
            bad.append("%s: not approximate, but %d != %d" % (iv["start"], iv["packets"], p))
if want:
    bad.append("intervals missing: %s" % sorted(want)[:5])
if (got["total"]["packets"], got["total"]["bytes"]) != tuple(tot):
    bad.append("total %d/%d, want %d/%d" % (got["total"]["packets"], got["total"]["bytes"], *tot))
for b in bad[:10]:
    print("   " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
}

say "--exact against the pcap"
check "--by 1s --exact: every interval's packets and bytes as counted from the pcap"
stats --by 1s --exact --top 0
compare "$T/s.json" 0 9223372036854775807 1000000000 exact || die "--by 1s --exact differs"
check "it has 20 or 21 intervals of 1 s, aligned to whole seconds"
jq -e '(.intervals | length) as $n | $n >= 20 and $n <= 21 and
	all(.intervals[]; .start_ns % 1000000000 == 0)' "$T/s.json" >/dev/null || die "intervals: $(jq -c '[.intervals[].start]' "$T/s.json")"
check "--by 250ms --exact in a window that cuts intervals: [start+5.1 s, start+12.6 s)"
stats --by 250ms --exact --top 0 --from $((START + 5)).1 --to $((START + 12)).6
compare "$T/s.json" $((START + 5))100000000 $((START + 12))600000000 250000000 exact || die "window differs"
jq -e '.from_ns != null and .exact == true and .frames_read > 0' "$T/s.json" >/dev/null || die "$(head -c 300 "$T/s.json")"

say "index only"
for by in 1s 100ms 10s; do
	check "--by $by: totals equal, each interval within its stated bounds, exact where not approximate"
	stats --by $by --top 0
	case $by in 1s) b=1000000000 ;; 100ms) b=100000000 ;; 10s) b=10000000000 ;; esac
	compare "$T/s.json" 0 9223372036854775807 $b index || die "--by $by outside the bounds"
	jq -e '.exact == false and .frames_read == 0 and .frames > 0' "$T/s.json" >/dev/null || die "$(head -c 300 "$T/s.json")"
done
check "with frames much shorter than the interval, the estimate is close: within 2 % per 10 s"
stats --by 10s --exact --top 0
cp "$T/s.json" "$T/exact10.json"
stats --by 10s --top 0
jq -e --slurpfile e "$T/exact10.json" '[.intervals, $e[0].intervals] | transpose |
	all(.[]; ((.[0].packets - .[1].packets) | fabs) <= .[1].packets * 0.02)' "$T/s.json" >/dev/null ||
	die "index vs exact: $(jq -c '[.intervals[].packets]' "$T/s.json") vs $(jq -c '[.intervals[].packets]' "$T/exact10.json")"
check "the text form marks approximate counts with ~ and explains it"
run_rc 0 "stats text" "$CAPCTL" --store "$T/st" stats --by 1s
grep -q '~[0-9]' "$T/last.out" && grep -q '^~ apportioned' "$T/last.out" || die "$(head -5 "$T/last.out")"

say "top talkers"
$PYTHON - "$TESTS_DIR/lib" "$T/in.pcap" >"$T/talk.want" <<'EOF'
import ipaddress, struct, sys
sys.path.insert(0, sys.argv[1])
import pcaptool
_, _, recs = pcaptool.read_pcap(sys.argv[2])
c = {}
for ts, cap, orig, d in recs:
    off = 12
    while d[off:off + 2] in (b"\x81\x00", b"\x88\xa8", b"\x91\x00"):
        off += 4
    et, ip = d[off:off + 2], d[off + 2:]
    if et == b"\x08\x00" and len(ip) >= 20:
        a = {ipaddress.IPv4Address(ip[12:16]), ipaddress.IPv4Address(ip[16:20])}
    elif et == b"\x86\xdd" and len(ip) >= 40:
        a = {ipaddress.IPv6Address(ip[8:24]), ipaddress.IPv6Address(ip[24:40])}
    else:
        continue
    for x in a:
        p, b = c.get(x, (0, 0))
        c[x] = (p + 1, b + orig)
top = sorted(c.items(), key=lambda kv: (-kv[1][1], -kv[1][0], kv[0].version, kv[0].packed))
for a, (p, b) in top[:5]:
    print(a, p, b)
EOF
check "--exact --top 5: the five addresses with most bytes, counts as from the pcap"
stats --exact --top 5 --by 1m
jq -r '.talkers.top[] | "\(.address) \(.packets) \(.bytes)"' "$T/s.json" >"$T/talk.got"
cmp -s "$T/talk.want" "$T/talk.got" || { diff "$T/talk.want" "$T/talk.got" >&2; die "exact talkers differ"; }
jq -e '.talkers.source == "exact"' "$T/s.json" >/dev/null || die "source $(jq .talkers.source "$T/s.json")"
check "from flow summaries (12 addresses: every frame's list is whole): the same"
stats --top 5 --by 1m
jq -e '.talkers.source == "flow summaries" and .talkers.frames_summarized == .frames' "$T/s.json" >/dev/null ||
	die "talkers: $(jq -c '.talkers | del(.top)' "$T/s.json")"
jq -r '.talkers.top[] | "\(.address) \(.packets) \(.bytes)"' "$T/s.json" >"$T/talk.got"
cmp -s "$T/talk.want" "$T/talk.got" || { diff "$T/talk.want" "$T/talk.got" >&2; die "summary talkers differ"; }
check "a store without flow summaries says so, and --exact still counts"
ingest "$T/in.pcap" "$T/nofs" --frame-size 16K --flow-index no
run_rc 0 "stats (no summaries)" "$CAPCTL" --store "$T/nofs" stats --top 5
msg_has "stats (no summaries)" "no frame in the window has a flow summary" "--exact"
run_rc 0 "stats --exact (no summaries)" "$CAPCTL" --store "$T/nofs" stats --top 5 --exact --json
jq -r '.talkers.top[] | "\(.address) \(.packets) \(.bytes)"' "$T/last.out" >"$T/talk.got"
cmp -s "$T/talk.want" "$T/talk.got" || die "exact talkers without summaries differ"

say "drops from the ISBs of a synthetic run that drops"
run_ok "captured --synthetic with forced drops" "$CAPTURED" --synthetic 1000000 --synth-rate 500000 \
	--level 19 --ring-batches 4 --rotate-time 1s --store "$T/ds"
dropped=$(sed -n 's/.* \([0-9]*\) dropped (writer ring full).*/\1/p' "$T/last.err")
nfiles=$(store_files "$T/ds" | wc -l)
note "captured dropped $dropped packets, wrote $nfiles files"
[ "${dropped:-0}" -gt 0 ] || die "no drops forced: $(cat "$T/last.err")"
run_rc 0 "stats (drops)" "$CAPCTL" --store "$T/ds" stats --by 1s --json --top 0
check "total osdrop = writer-ring drops = $dropped; ifrecv = 1000000; one ISB per file"
jq -e --argjson d "$dropped" --argjson f "$nfiles" '.total.osdrop == $d and .total.osdrop_writer == $d
	and .total.ifrecv == 1000000 and .total.ifdrop == 0 and .total.isbs == $f
	and ([.intervals[].osdrop] | add) == $d' "$T/last.out" >/dev/null ||
	die "drops: $(jq -c .total "$T/last.out")"
check "the text form has the OSDROP column and the split"
run_rc 0 "stats text (drops)" "$CAPCTL" --store "$T/ds" stats --by 1s
msg_has "stats text (drops)" OSDROP "$dropped writer ring full"

say "usage"
check "bad --by, bad --top, a filter, too many intervals: status 2"
run_rc 2 "--by 0s" "$CAPCTL" --store "$T/st" stats --by 0s
run_rc 2 "--by 1x" "$CAPCTL" --store "$T/st" stats --by 1x
run_rc 2 "--top -1" "$CAPCTL" --store "$T/st" stats --top -1
run_rc 2 "a filter" "$CAPCTL" --store "$T/st" stats port 53
run_rc 2 "--by 1ns" "$CAPCTL" --store "$T/st" stats --by 1ns
msg_has "--by 1ns" "larger --by"

finish
