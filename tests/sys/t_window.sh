#!/bin/bash
# Time windows: capctl slice --from T1 --to T2 keeps packets with
# T1 <= ts < T2, exactly like editcap -A T1 -B T2 on the input, for times
# written as epoch seconds (9, 3 and 0 fraction digits), RFC 3339 (Z and
# numeric offsets) and relative forms; boundaries are actual packet
# timestamps, so the half-open rule is exercised.  Then the same across the
# several files that --rotate-time and --rotate-size make, where slice must
# merge the files in timestamp order.
set -eu
. "$(dirname "$0")/../lib/common.sh"
need_tool python3 editcap capinfos zstd jq
need_bins
note "random choices from TEST_SEED=${TEST_SEED:-4242} (set it to vary them)"

# slice_vs STORE INPUT DESC FROM_EPOCH TO_EPOCH [CAPCTL TIME ARGS...]:
# capctl's window (given by the trailing arguments) equals editcap's window
# [FROM_EPOCH, TO_EPOCH) of INPUT ("" = open).
slice_vs() {
	local st=$1 in=$2 desc=$3 from=$4 to=$5 n
	shift 5
	window "$in" "$from" "$to" "$T/exp.pcap"
	n=$(npackets "$T/exp.pcap")
	slice "$st" "$T/got.pcapng" "$@"
	same_packets "$T/exp.pcap" "$T/got.pcapng" "$desc ($* : $n packets)"
}

# ---------------------------------------------------------------------------
say "one file: out-of-order and repeated timestamps"
$GEN -o "$T/a.pcap" -n 4000 --seed 31 --nsec --dup-ts 0.15 --nonmono 0.05 --span 10
ingest "$T/a.pcap" "$T/sa" --frame-size 16K
norm "$T/a.pcap" "$T/a.nsec"
mapfile -t TS < <($PCAPTOOL recs "$T/a.nsec" | awk '{print $2}')
N=${#TS[@]}
[ "$N" = 4000 ] || die "input has $N packets"
# A timestamp that several packets share, and the sorted extremes.
DUP=$($PCAPTOOL recs "$T/a.nsec" | awk '{print $2}' | sort | uniq -d | sed -n 20p)
[ -n "$DUP" ] || die "no repeated timestamp in the input"
MIN=$(printf '%s\n' "${TS[@]}" | sort -n | head -1)
MAX=$(printf '%s\n' "${TS[@]}" | sort -n | tail -1)
e() { ns_to_epoch "$1"; }

t1=${TS[100]} t2=${TS[2000]}
slice_vs "$T/sa" "$T/a.pcap" "epoch, 9 digits" "$(e "$t1")" "$(e "$t2")" --from "$(e "$t1")" --to "$(e "$t2")"
slice_vs "$T/sa" "$T/a.pcap" "RFC 3339 Z" "$(e "$t1")" "$(e "$t2")" \
	--from "$(ns_to_rfc3339 "$t1")" --to "$(ns_to_rfc3339 "$t2")"
slice_vs "$T/sa" "$T/a.pcap" "RFC 3339 +02:00 / -05:30" "$(e "$t1")" "$(e "$t2")" \
	--from "$(ns_to_rfc3339 "$t1" 120)" --to "$(ns_to_rfc3339 "$t2" -330)"
slice_vs "$T/sa" "$T/a.pcap" "from and to on a shared timestamp" "$(e "$DUP")" "$(e "${TS[3500]}")" \
	--from "$(e "$DUP")" --to "$(e "${TS[3500]}")"
slice_vs "$T/sa" "$T/a.pcap" "to on a shared timestamp" "$(e "${TS[10]}")" "$(e "$DUP")" \
	--from "$(e "${TS[10]}")" --to "$(e "$DUP")"
slice_vs "$T/sa" "$T/a.pcap" "one nanosecond: the packets at one timestamp" "$(e "$DUP")" "$(e $((DUP + 1)))" \
	--from "$(e "$DUP")" --to "$(e $((DUP + 1)))"
check "the one-nanosecond window holds more than one packet"
[ "$(npackets "$T/exp.pcap")" -ge 2 ] || die "expected several packets at $DUP"
slice_vs "$T/sa" "$T/a.pcap" "from only" "$(e "${TS[3000]}")" "" --from "$(e "${TS[3000]}")"
slice_vs "$T/sa" "$T/a.pcap" "to only" "" "$(e "${TS[500]}")" --to "$(e "${TS[500]}")"
slice_vs "$T/sa" "$T/a.pcap" "to = the last timestamp excludes it" "" "$(e "$MAX")" --to "$(e "$MAX")"
slice_vs "$T/sa" "$T/a.pcap" "to = last + 1 ns is everything" "" "$(e $((MAX + 1)))" --to "$(e $((MAX + 1)))"
slice_vs "$T/sa" "$T/a.pcap" "from = the first timestamp is everything" "$(e "$MIN")" "" --from "$(e "$MIN")"
slice_vs "$T/sa" "$T/a.pcap" "from = first + 1 ns drops the first" "$(e $((MIN + 1)))" "" --from "$(e $((MIN + 1)))"
# epoch with fewer digits: 1700000003.5 means 1700000003.500000000
s3=$(((${TS[1000]} / 1000000) * 1000000)) s0=$(((${TS[3000]} / 1000000000) * 1000000000))
slice_vs "$T/sa" "$T/a.pcap" "epoch with 3 and 0 fraction digits" "$(e "$s3")" "$(e "$s0")" \
	--from "$(printf '%d.%03d' $((s3 / 1000000000)) $((s3 % 1000000000 / 1000000)))" --to "$((s0 / 1000000000))"
for k in 1 2 3 4 5 6; do
	rand i "$N"
	rand j "$N"
	[ "${TS[$i]}" -le "${TS[$j]}" ] || { x=$i; i=$j; j=$x; }
	slice_vs "$T/sa" "$T/a.pcap" "random window $k" "$(e "${TS[$i]}")" "$(e "${TS[$j]}")" \
		--from "$(e "${TS[$i]}")" --to "$(e "${TS[$j]}")"
done

say "empty windows and relative times"
slice_vs "$T/sa" "$T/a.pcap" "after the last packet" "$(e $((MAX + 1)))" "" --from "$(e $((MAX + 1)))"
slice_vs "$T/sa" "$T/a.pcap" "to = the first timestamp" "" "$(e "$MIN")" --to "$(e "$MIN")"
check "an empty slice is still a readable capture with 0 packets"
[ "$(npackets "$T/got.pcapng")" = 0 ] || die "empty slice: capinfos says '$(npackets "$T/got.pcapng")' packets"
# from >= to: the contract allows reading it as an empty window or as an
# error; either way no packets and, for an error, a message.
for w in "$t1 $t1 from-=-to" "$t2 $t1 from-after-to"; do
	set -- $w
	check "${3//-/ }: an error naming the problem, or an empty capture"
	rc=0
	rm -f "$T/rev.pcapng"
	"$CAPCTL" --store "$T/sa" slice -w "$T/rev.pcapng" --from "$(e "$1")" --to "$(e "$2")" >"$T/last.all" 2>&1 || rc=$?
	if [ "$rc" = 0 ]; then
		[ "$(npackets "$T/rev.pcapng")" = 0 ] || die "${3//-/ } gave $(npackets "$T/rev.pcapng") packets"
	else
		grep -qi 'from\|to\|window' "$T/last.all" || die "${3//-/ }: exit $rc without a message naming the problem"
		note "${3//-/ } is an error ($rc): $(head -1 "$T/last.all")"
	fi
done
# The input is from 2023: "now" is after it and -10000d before it.
slice_vs "$T/sa" "$T/a.pcap" "--to now is everything" "" "" --to now
slice_vs "$T/sa" "$T/a.pcap" "--from -10000d is everything" "" "" --from -10000d
slice_vs "$T/sa" "$T/a.pcap" "--from now is nothing" "$(e $((MAX + 1)))" "" --from now
slice_vs "$T/sa" "$T/a.pcap" "--from -30s is nothing" "$(e $((MAX + 1)))" "" --from -30s

# ---------------------------------------------------------------------------
say "several files by --rotate-time 1s (input in time order, 10 s long)"
$GEN -o "$T/b.pcap" -n 6000 --seed 32 --nsec --dup-ts 0.2 --span 10
ingest "$T/b.pcap" "$T/sb" --rotate-time 1s --frame-size 16K
nb=$(store_files "$T/sb" | wc -l)
check "rotation made several files ($nb)"
[ "$nb" -ge 5 ] || die "only $nb files for 10 s of packets with --rotate-time 1s"
slice_vs "$T/sb" "$T/b.pcap" "all files" "" ""
# Boundaries at the first packet of some files (read from the files).
firsts=()
for f in $(store_files "$T/sb"); do
	zcat_file "$T/sb/$f" "$T/f.pcapng"
	norm "$T/f.pcapng" "$T/f.nsec"
	firsts+=("$($PCAPTOOL info "$T/f.nsec" | awk '{print $2}')")
done
slice_vs "$T/sb" "$T/b.pcap" "from the start of file 2 to the start of file 4" \
	"$(e "${firsts[1]}")" "$(e "${firsts[3]}")" --from "$(e "${firsts[1]}")" --to "$(e "${firsts[3]}")"
slice_vs "$T/sb" "$T/b.pcap" "1 ns before file 3 to 1 ns after the start of the last file" \
	"$(e $((firsts[2] - 1)))" "$(e $((firsts[nb - 1] + 1)))" \
	--from "$(ns_to_rfc3339 $((firsts[2] - 1)))" --to "$(ns_to_rfc3339 $((firsts[nb - 1] + 1)))"
mapfile -t TB < <($PCAPTOOL recs "$(norm_cached "$T/b.pcap")" | awk '{print $2}')
for k in 1 2 3 4; do
	rand i 6000
	rand j 6000
	[ "$i" -le "$j" ] || { x=$i; i=$j; j=$x; }
	slice_vs "$T/sb" "$T/b.pcap" "random window across files $k" "$(e "${TB[$i]}")" "$(e "${TB[$j]}")" \
		--from "$(e "${TB[$i]}")" --to "$(e "${TB[$j]}")"
done

# ---------------------------------------------------------------------------
say "several files by --rotate-size, many repeated and some out-of-order timestamps"
# --pool 0: incompressible payload, so that 5 MB of packets take 5 MB of disk
$GEN -o "$T/c.pcap" -n 6000 --seed 33 --nsec --dup-ts 0.6 --nonmono 0.05 --span 5 --pool 0
ingest "$T/c.pcap" "$T/sc" --rotate-size 1M --frame-size 16K
nc=$(store_files "$T/sc" | wc -l)
check "rotation made several files ($nc)"
[ "$nc" -ge 4 ] || die "only $nc files for 5 MB with --rotate-size 1M"
parts=()
for f in $(store_files "$T/sc"); do
	zcat_file "$T/sc/$f" "$T/c-$f.pcapng"
	norm "$T/c-$f.pcapng" "$T/c-$f.nsec"
	parts+=("$T/c-$f.nsec")
done
$PCAPTOOL cat "$T/c-cat.nsec" "${parts[@]}"
check "the files hold the input's packets, each exactly once"
cmp -s <($PCAPTOOL sorted "$T/c-cat.nsec") <($PCAPTOOL sorted "$(norm_cached "$T/c.pcap")") ||
	die "the store files do not hold exactly the input's packets"
$PCAPTOOL merge "$T/c-merge.nsec" "${parts[@]}"
slice "$T/sc" "$T/got.pcapng"
norm "$T/got.pcapng" "$T/got.nsec"
check "slice output is the files' packets (multiset)"
cmp -s <($PCAPTOOL sorted "$T/got.nsec") <($PCAPTOOL sorted "$T/c-cat.nsec") ||
	die "slice output is not the set of stored packets"
same_as_nsec "$T/c-merge.nsec" "$T/got.pcapng" \
	"slice = merge of the files by timestamp, ties and each file's own order kept (files in name order)"
# A window: each file cut to the window, then merged.
rand i 6000
rand j 6000
[ "$i" -le "$j" ] || { x=$i; i=$j; j=$x; }
mapfile -t TC < <($PCAPTOOL recs "$T/c-merge.nsec" | awk '{print $2}')
from=${TC[$i]} to=${TC[$j]}
wparts=()
for p in "${parts[@]}"; do
	window "$p" "$(e "$from")" "$(e "$to")" "$p.w"
	wparts+=("$p.w")
done
$PCAPTOOL merge "$T/c-wmerge.nsec" "${wparts[@]}"
slice "$T/sc" "$T/got.pcapng" --from "$(e "$from")" --to "$(e "$to")"
same_as_nsec "$T/c-wmerge.nsec" "$T/got.pcapng" "window [$(e "$from"), $(e "$to")) across files"

finish
