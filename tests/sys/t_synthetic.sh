#!/bin/bash
# captured --synthetic (the benchmark source): the packets it claims to
# store are in the store, readable, with the sizes asked for.
set -eu
. "$(dirname "$0")/../lib/common.sh"
need_tool python3 editcap capinfos zstd jq
need_bins

for spec in 64 imix 100-200; do
	say "--synthetic 20000 --synth-size $spec"
	st=$T/s-$spec
	run_ok "captured --synthetic" "$CAPTURED" --synthetic 20000 --synth-size "$spec" --store "$st" --frame-size 64K
	list_json "$st" >"$T/list.json"
	check "list: 20000 packets, all files complete"
	[ "$($PCAPTOOL jsum "$T/list.json" packets)" = 20000 ] || die "list packets $($PCAPTOOL jsum "$T/list.json" packets)"
	jq -e '[.files[].state == "complete"] | all' "$T/list.json" >/dev/null || die "not all files complete"
	run_rc 0 "verify" "$CAPCTL" --store "$st" verify
	for f in $(store_files "$st"); do zstd -q -t "$st/$f" || die "zstd -t $f"; done
	slice "$st" "$T/out.pcapng"
	norm "$T/out.pcapng" "$T/out.nsec"
	$PCAPTOOL recs "$T/out.nsec" >"$T/recs.txt"
	check "slice: 20000 packets, in time order, sizes as asked"
	[ "$(wc -l <"$T/recs.txt")" = 20000 ] || die "slice gave $(wc -l <"$T/recs.txt") packets"
	awk 'NR > 1 && $2 < p { exit 1 } { p = $2 }' "$T/recs.txt" || die "timestamps go back"
	case $spec in
	64) awk '$4 != 64 { exit 1 }' "$T/recs.txt" || die "a packet is not 64 bytes" ;;
	100-200) awk '$4 < 100 || $4 > 200 { exit 1 }' "$T/recs.txt" || die "a packet is outside 100-200 bytes" ;;
	imix)
		[ "$(awk '{print $4}' "$T/recs.txt" | sort -u | wc -l)" -ge 3 ] || die "imix has fewer than 3 sizes"
		awk '$4 < 60 || $4 > 1518 { exit 1 }' "$T/recs.txt" || die "imix size outside 60-1518"
		;;
	esac
	check "bytes in list = sum of original lengths"
	[ "$($PCAPTOOL jsum "$T/list.json" bytes)" = "$(awk '{ s += $4 } END { print s }' "$T/recs.txt")" ] ||
		die "list bytes $($PCAPTOOL jsum "$T/list.json" bytes)"
	rm -rf "$st"
done

finish
