#!/bin/bash
# Rotation and retention.  --rotate-time and --rotate-size cut the input
# into several files whose names sort by start time, each within its limit,
# that together hold the input in order, with no .part left behind.
# --retain-size keeps the store within its budget by deleting the oldest
# files: what remains is the newest part of the input, and list --json
# accounts for exactly that.
set -eu
. "$(dirname "$0")/../lib/common.sh"
need_tool python3 editcap capinfos zstd jq
need_bins

# split_info STORE IN: checks what every rotation must give and leaves one
# line per file in $T/info.txt: "name first_ns last_ns min_ns max_ns count disk_bytes".
split_info() {
	local st=$1 in=$2 f parts=() iface
	iface=$(basename "$in" .pcap)
	: >"$T/info.txt"
	check "$st: no .part files, names well formed"
	for f in "$st"/*.part; do [ ! -e "$f" ] || die "$st: .part file left: $f"; done
	for f in $(store_files "$st"); do
		printf '%s\n' "$f" | grep -Eq "^[0-9]{8}T[0-9]{6}\.[0-9]{9}Z_${iface}_q[0-9]+([+_][0-9]+)?\.pcapng(\.zst)?\$" ||
			die "bad file name $f"
		zcat_file "$st/$f" "$T/part.pcapng"
		norm "$T/part.pcapng" "$T/part-$f.nsec"
		parts+=("$T/part-$f.nsec")
		read -r cnt first last mn mx _ <<<"$($PCAPTOOL info "$T/part-$f.nsec")"
		ds=$(stat -c %s "$st/$f")
		[ -f "$st/$f.idx" ] && ds=$((ds + $(stat -c %s "$st/$f.idx")))
		echo "$f $first $last $mn $mx $cnt $ds" >>"$T/info.txt"
	done
	check "$st: the start time in each name is the file's first packet time"
	while read -r f first _; do
		# YYYYMMDDTHHMMSS.NNNNNNNNNZ -> ns
		local d=${f:0:8} t=${f:9:6} ns=${f:16:9} s
		s=$(date -u -d "${d:0:4}-${d:4:2}-${d:6:2} ${t:0:2}:${t:2:2}:${t:4:2}" +%s)
		[ "$s$ns" = "$first" ] || die "$f: name says $s$ns, first packet at $first"
	done <"$T/info.txt"
	check "$st: names sort by start time"
	sort -k2,2n -s "$T/info.txt" | cmp -s - "$T/info.txt" || die "name order is not start time order"
	check "$st: the files, in name order, hold the input in order"
	$PCAPTOOL cat "$T/cat.nsec" "${parts[@]}"
	same_as_nsec "$(norm_cached "$in")" "$T/cat.nsec" "concatenation of the files"
	rm -f "${parts[@]}"
}

say "--rotate-time 2s over 20 s of packets"
$GEN -o "$T/rt.pcap" -n 8000 --seed 71 --nsec --span 20 --dup-ts 0.1
read -r _ F0 L0 _ <<<"$($PCAPTOOL info "$(norm_cached "$T/rt.pcap")")"
ingest "$T/rt.pcap" "$T/srt" --rotate-time 2s --frame-size 16K
split_info "$T/srt" "$T/rt.pcap"
nf=$(wc -l <"$T/info.txt")
want=$(((L0 - F0) / 2000000000))
check "at least $want files for $(((L0 - F0) / 1000000)) ms of packets ($nf)"
[ "$nf" -ge "$want" ] || die "$nf files"
check "each file spans less than 2 s of packet time"
while read -r f first last _; do
	[ $((last - first)) -lt 2000000000 ] || fail "$f spans $(((last - first) / 1000000)) ms"
done <"$T/info.txt"
check "list --json: $nf complete files, 8000 packets"
list_json "$T/srt" >"$T/list.json"
[ "$(jq '.files | length' "$T/list.json")" = "$nf" ] || die "list shows $(jq '.files | length' "$T/list.json") files"
[ "$($PCAPTOOL jsum "$T/list.json" packets)" = 8000 ] || die "list packets $($PCAPTOOL jsum "$T/list.json" packets)"
jq -e '[.files[].state == "complete"] | all' "$T/list.json" >/dev/null || die "not all files complete"
rm -rf "$T/srt"

say "--rotate-size 1M over 6 MB of incompressible packets"
$GEN -o "$T/rs.pcap" -n 8000 --seed 72 --nsec --span 20 --dup-ts 0.1 --pool 0
ingest "$T/rs.pcap" "$T/srs" --rotate-size 1M --frame-size 16K
split_info "$T/srs" "$T/rs.pcap"
nf=$(wc -l <"$T/info.txt")
total=$(awk '{ s += $7 } END { print s }' "$T/info.txt")
check "at least $((total / 1048576)) files for $total bytes on disk ($nf)"
[ "$nf" -ge $((total / 1048576)) ] && [ "$nf" -ge 4 ] || die "$nf files"
check "every file within 1 MiB plus one 16 KiB frame and its index (64 KiB slack); all but the last at least half full"
i=0
while read -r f _ _ _ _ _ ds; do
	i=$((i + 1))
	[ "$ds" -le $((1048576 + 65536)) ] || fail "$f: $ds bytes"
	[ "$i" = "$nf" ] || [ "$ds" -ge 524288 ] || die "$f: only $ds bytes before rotation"
done <"$T/info.txt"
rm -rf "$T/srs"

say "--compression none rotates too"
ingest "$T/rs.pcap" "$T/srp" --rotate-size 1M --frame-size 16K --compression none
split_info "$T/srp" "$T/rs.pcap"
nf=$(wc -l <"$T/info.txt")
check "several plain files ($nf), each with its sidecar"
[ "$nf" -ge 4 ] || die "$nf files"
for f in $(store_files "$T/srp"); do [ -f "$T/srp/$f.idx" ] || die "$f has no sidecar"; done
rm -rf "$T/srp"

for comp in zstd none; do
	say "--retain-size 3M with --rotate-size 1M ($comp)"
	st=$T/sret-$comp
	ingest "$T/rs.pcap" "$st" --rotate-size 1M --retain-size 3M --frame-size 16K --compression "$comp"
	used=0
	for p in "$st"/*; do
		used=$((used + $(stat -c %s "$p")))
	done
	check "store within 3 MiB: data files and sidecars take $used bytes"
	[ "$used" -le $((3 * 1048576)) ] || die "store holds $used bytes: $(ls -l "$st")"
	check "no sidecar without its file, no .part"
	for p in "$st"/*; do
		f=$(basename "$p")
		case $f in
		*.idx) [ -f "$st/${f%.idx}" ] || die "orphan sidecar $f" ;;
		*.part) die "left $f" ;;
		esac
	done
	list_json "$st" >"$T/list.json"
	M=$($PCAPTOOL jsum "$T/list.json" packets)
	D=$($PCAPTOOL jsum "$T/list.json" disk_bytes)
	check "list --json: disk_bytes total ($D) = what the files take ($used); $M packets kept of 8000"
	[ "$D" = "$used" ] || die "list disk_bytes $D, files take $used"
	[ "$M" -gt 0 ] && [ "$M" -lt 8000 ] || die "retention kept $M of 8000 packets"
	check "the files hold the packets list counts"
	n=0
	for f in $(store_files "$st"); do
		zcat_file "$st/$f" "$T/part.pcapng"
		n=$((n + $(npackets "$T/part.pcapng")))
	done
	[ "$n" = "$M" ] || die "files hold $n packets, list says $M"
	check "oldest deleted first: slice gives the last $M packets of the input"
	$PCAPTOOL tail "$(norm_cached "$T/rs.pcap")" "$M" "$T/tail.nsec"
	slice "$st" "$T/got.pcapng"
	same_as_nsec "$T/tail.nsec" "$T/got.pcapng" "slice of the retained store"
	note "retention kept $(store_files "$st" | wc -l) files, $M packets, $used bytes; captured said: $(tail -1 "$st.log")"
	rm -rf "$st"
done

finish
