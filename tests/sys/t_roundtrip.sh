#!/bin/bash
# Round trip, part 1: generated captures of every link type and both pcap
# precisions (and pcapng made from them by editcap) go into a store (small
# frames and default frames) and come back out of capctl slice unchanged:
# same bytes, original lengths, nanosecond timestamps and order, as pcapng
# (file or stdout) and as --format pcap.  The store files themselves must be
# what captured-store(5) promises: zstd streams that zstd, tcpdump and
# tshark (through zstd -dc) read, holding nanosecond pcapng with one IDB of
# the input's link type and an ISB, and capctl list --json must describe
# them exactly.  Part 2 is t_roundtrip_more.sh.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTS_DIR/lib/roundtrip.sh"
need_tool python3 editcap capinfos tshark tcpdump zstd jq
need_bins

say "generating inputs"
gen eth.pcap -n 3000 --seed 11 --vlan 0.2 --qinq 0.1 --dup-ts 0.1
gen eth-nsec.pcap -n 3000 --seed 12 --nsec --min-size 600 --vlan 0.1 --dup-ts 0.1 --nonmono 0.05
gen raw.pcap -n 2000 --seed 13 --link 101 --nsec
gen sll-be.pcap -n 2000 --seed 14 --link 113 --big-endian
gen null.pcap -n 2000 --seed 15 --link 0 --nsec
editcap -F pcapng "$T/in/eth-nsec.pcap" "$T/in/ng-nsec.pcapng"
editcap -F pcapng "$T/in/eth.pcap" "$T/in/ng-usec.pcapng"
check "generated inputs are readable and what they should be"
for f in "$T"/in/*; do
	n=$(npackets "$f")
	[ "${n:-0}" -ge 1000 ] || die "$f: only '$n' packets"
done
precision_is "$T/in/ng-nsec.pcapng" nanoseconds
precision_is "$T/in/ng-usec.pcapng" microseconds
precision_is "$T/in/eth.pcap" microseconds
precision_is "$T/in/raw.pcap" nanoseconds
[ "$(capinfo "$T/in/sll-be.pcap" "File encapsulation")" = linux-sll ] || die "sll-be.pcap: $(capinfo "$T/in/sll-be.pcap" "File encapsulation")"

TSHARK_FOR="eth-nsec.pcap sll-be.pcap"
for in in "$T"/in/*; do
	roundtrip "$in"
	b=$(basename "$in")
	if [ "$b" = eth-nsec.pcap ]; then
		small_frames=$(jq '[.files[].frames] | add' < <(list_json "$T/store-$b-small"))
		default_frames=$(jq '[.files[].frames] | add' < <(list_json "$T/store-$b-default"))
		check "--frame-size 16K makes many more frames ($small_frames) than the default ($default_frames)"
		# 2.4 MB of packets: about 150 frames of 16 KiB
		[ "$small_frames" -gt "$default_frames" ] && [ "$small_frames" -ge 50 ] ||
			fail "frame counts: --frame-size 16K $small_frames, default $default_frames (2.4 MB of packets)"
	fi
	# keep the disk use of the test small
	rm -rf "$T/store-$b-default" "$T/store-$b-small"
done

finish
