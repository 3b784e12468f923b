#!/bin/bash
# Round trip, part 2 (see t_roundtrip.sh): the awkward inputs (jumbo frames,
# snaplen-truncated packets, repeated and backward timestamps, tiny packets,
# a file name that needs sanitizing), every kind of compression level, plain
# --compression none files that tshark opens directly, and slice
# --compress zstd output that tshark opens directly.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTS_DIR/lib/roundtrip.sh"
need_tool python3 editcap capinfos tshark tcpdump zstd jq
need_bins

say "generating inputs"
gen jumbo.pcap -n 1000 --seed 16 --jumbo 0.4 --nsec
gen trunc.pcap -n 2000 --seed 17 --snaplen 96 --jumbo 0.1 --nsec --dup-ts 0.3
gen ts-mix.pcap -n 2000 --seed 18 --nsec --dup-ts 0.5 --nonmono 0.2
gen 'odd_name x.pcap' -n 3000 --seed 21 --min-size 60 --max-size 80
check "generated inputs have what they should"
$PCAPTOOL recs "$T/in/trunc.pcap" | awk '$3 < $4 { n++ } END { exit !(n > 100) }' ||
	die "trunc.pcap has no truncated packets"
$PCAPTOOL recs "$T/in/jumbo.pcap" | awk '$4 > 1514 { n++ } END { exit !(n > 100) }' ||
	die "jumbo.pcap has no jumbo frames"
$PCAPTOOL recs "$T/in/ts-mix.pcap" | awk 'p == $2 { n++ } { p = $2 } END { exit !(n > 500) }' ||
	die "ts-mix.pcap has few identical timestamps"
$PCAPTOOL recs "$T/in/ts-mix.pcap" | awk 'p > $2 { n++ } { p = $2 } END { exit !(n > 200) }' ||
	die "ts-mix.pcap has few timestamps going back"

TSHARK_FOR="trunc.pcap"
for in in "$T"/in/*; do
	roundtrip "$in"
	b=$(basename "$in")
	rm -rf "$T/store-${b// /-}-default" "$T/store-${b// /-}-small"
done

gen eth-nsec.pcap -n 3000 --seed 12 --nsec --min-size 600 --vlan 0.1 --dup-ts 0.1 --nonmono 0.05
for level in 0 -7 19 adaptive; do
	say "--level $level"
	[ "$level" != 0 ] || note "level 0: stored zstd frames of raw blocks, written without libzstd"
	st=$T/store-level$level
	ingest "$T/in/eth-nsec.pcap" "$st" --frame-size 16K --level "$level"
	for name in $(store_files "$st"); do
		check "$name: zstd -t, and tcpdump reads all of zstd -dc"
		zstd -q -t "$st/$name" || die "zstd -t $name (level $level) failed"
		zstd -q -dc "$st/$name" | tcpdump --time-stamp-precision=nano -r - -w "$T/td.pcap" 2>"$T/td.err" ||
			{ cat "$T/td.err" >&2; die "tcpdump -r - < $name failed"; }
	done
	[ "$(store_files "$st" | wc -l)" != 1 ] || same_packets "$T/in/eth-nsec.pcap" "$T/td.pcap" "level $level file read by tcpdump"
	if [ "$level" = 0 ]; then
		# (Not "tshark -r FILE": Wireshark's zstd reader (4.0, and its
		# file_wrappers.c still does this) treats what follows the end of a
		# zstd frame as uncompressed data unless it starts another zstd
		# frame, so the skippable index records between frames derail it.)
		check "tshark reads the stored frames through zstd -dc"
		name=$(store_files "$st" | head -1)
		[ "$(zstd -q -dc "$st/$name" | tshark -r - -T fields -e frame.number 2>/dev/null | wc -l)" = "$(npackets "$T/td.pcap")" ] ||
			die "tshark read only part of the stored frames of $name"
	fi
	slice "$st" "$T/out.pcapng"
	same_packets "$T/in/eth-nsec.pcap" "$T/out.pcapng" "slice of the level $level store"
	run_rc 0 "verify of the level $level store" "$CAPCTL" --store "$st" verify
	rm -rf "$st"
done

say "--compression none: plain pcapng plus sidecar"
st=$T/store-plain
ingest "$T/in/eth-nsec.pcap" "$st" --compression none --frame-size 16K
check_store "$T/in/eth-nsec.pcap" "$st" pcapng tshark
slice_all "$T/in/eth-nsec.pcap" "$st"
for name in $(store_files "$st"); do
	same_packets "$T/in/eth-nsec.pcap" "$st/$name" "plain store file read directly"
done

say "slice --compress zstd: one zstd frame that tshark opens directly, > 1 MB"
mkdir -p "$T/big"
$GEN -o "$T/big/bigger.pcap" -n 4000 --seed 30 --nsec --min-size 400 --max-size 1514
st=$T/store-big
ingest "$T/big/bigger.pcap" "$st" --frame-size 64K
slice "$st" "$T/out.pcapng.zst" --compress zstd
check "output is a zstd stream of exactly one frame"
zstd -q -t "$T/out.pcapng.zst" || die "zstd -t out.pcapng.zst failed"
nz=$($PCAPTOOL zframes "$T/out.pcapng.zst" | awk '$4 == "zstd"' | wc -l)
nother=$($PCAPTOOL zframes "$T/out.pcapng.zst" | awk '$4 != "zstd"' | wc -l)
[ "$nz" = 1 ] && [ "$nother" = 0 ] || die "out.pcapng.zst has $nz zstd frames and $nother others"
usize=$(zstd -q -dc "$T/out.pcapng.zst" | wc -c)
check "decompressed size $usize > 1 MiB"
[ "$usize" -gt 1048576 ] || die "only $usize bytes: the test input is too small"
check "tshark -r out.pcapng.zst reads every packet"
[ "$(tshark -r "$T/out.pcapng.zst" -T fields -e frame.number 2>/dev/null | wc -l)" = 4000 ] ||
	die "tshark read $(tshark -r "$T/out.pcapng.zst" -T fields -e frame.number 2>/dev/null | wc -l) of 4000 packets"
zstd -q -dc "$T/out.pcapng.zst" >"$T/out-dec.pcapng"
same_packets "$T/big/bigger.pcap" "$T/out-dec.pcapng" "slice --compress zstd"

finish
