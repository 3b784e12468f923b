#!/bin/bash
# capctl slice output formats as other tools read them: pcapng, pcap
# (nanosecond magic; pcap-ns is the same), pcap-us (microsecond magic,
# timestamps truncated), to a file and piped, read by tshark, tcpdump and
# capinfos (which must state the precision); --json instead of the
# summary; the progress bar only on a terminal.
set -eu
. "$(dirname "$0")/../lib/common.sh"
need_tool python3 editcap capinfos tshark tcpdump jq od
need_bins

N=5000
say "a store of $N packets with nanosecond timestamps, small frames"
$GEN -o "$T/in.pcap" -n $N --seed 21 --nsec --ipv6 0.2 --vlan 0.1
ingest "$T/in.pcap" "$T/st" --frame-size 16K
$PCAPTOOL recs "$T/in.pcap" >"$T/in.recs"

magic_of() { od -An -tx4 -N4 "$1" | tr -d ' '; }
# tcpdump_count FILE|-: packets tcpdump -n reads (nanosecond precision kept)
tcpdump_count() { tcpdump -n -r "$1" 2>/dev/null | wc -l; }
tshark_count() { tshark -r "$1" -T fields -e frame.number 2>/dev/null | wc -l; }

say "--format pcapng"
slice "$T/st" "$T/o.pcapng" --format pcapng
check "capinfos: pcapng, nanosecond precision, $N packets"
[ "$(capinfo "$T/o.pcapng" "File type")" = pcapng ] || die "file type: $(capinfo "$T/o.pcapng" "File type")"
precision_is "$T/o.pcapng" nanoseconds
[ "$(npackets "$T/o.pcapng")" = $N ] || die "capinfos counts $(npackets "$T/o.pcapng")"
same_packets "$T/in.pcap" "$T/o.pcapng" "pcapng"
check "tshark and tcpdump -n read $N packets"
[ "$(tshark_count "$T/o.pcapng")" = $N ] || die "tshark reads $(tshark_count "$T/o.pcapng")"
[ "$(tcpdump_count "$T/o.pcapng")" = $N ] || die "tcpdump reads $(tcpdump_count "$T/o.pcapng")"

say "--format pcap (nanosecond) and its alias pcap-ns"
slice "$T/st" "$T/o.pcap" --format pcap
slice "$T/st" "$T/o-ns.pcap" --format pcap-ns
check "magic a1b23c4d; capinfos says nanoseconds"
[ "$(magic_of "$T/o.pcap")" = a1b23c4d ] || die "magic $(magic_of "$T/o.pcap")"
precision_is "$T/o.pcap" nanoseconds
check "pcap-ns writes the same bytes as pcap"
cmp -s "$T/o.pcap" "$T/o-ns.pcap" || die "pcap and pcap-ns differ"
same_as_nsec "$T/in.pcap" "$T/o.pcap" "pcap: same packets, ns timestamps, as the input"
check "tshark and tcpdump -n read $N packets"
[ "$(tshark_count "$T/o.pcap")" = $N ] || die "tshark reads $(tshark_count "$T/o.pcap")"
[ "$(tcpdump_count "$T/o.pcap")" = $N ] || die "tcpdump reads $(tcpdump_count "$T/o.pcap")"

say "--format pcap-us (microsecond)"
slice "$T/st" "$T/o-us.pcap" --format pcap-us
check "magic a1b2c3d4; capinfos says microseconds"
[ "$(magic_of "$T/o-us.pcap")" = a1b2c3d4 ] || die "magic $(magic_of "$T/o-us.pcap")"
precision_is "$T/o-us.pcap" microseconds
check "same packets, timestamps truncated to the microsecond"
# (as strings: 19-digit nanoseconds do not fit awk's doubles)
awk '{ $2 = substr($2, 1, length($2) - 3) "000"; print }' "$T/in.recs" >"$T/want-us.recs"
$PCAPTOOL recs "$T/o-us.pcap" >"$T/got-us.recs"
cmp -s "$T/want-us.recs" "$T/got-us.recs" || {
	diff "$T/want-us.recs" "$T/got-us.recs" | head -5 >&2
	die "pcap-us records differ from the input truncated to us"
}
check "the input has sub-microsecond digits, so truncation was tested"
! cmp -s "$T/in.recs" "$T/want-us.recs" || die "input timestamps are all whole microseconds"
check "tshark and tcpdump -n read $N packets; tshark shows 6 fraction digits"
[ "$(tshark_count "$T/o-us.pcap")" = $N ] || die "tshark reads $(tshark_count "$T/o-us.pcap")"
[ "$(tcpdump_count "$T/o-us.pcap")" = $N ] || die "tcpdump reads $(tcpdump_count "$T/o-us.pcap")"
t1=$(tshark -r "$T/o-us.pcap" -c 1 -T fields -e frame.time_epoch 2>/dev/null)
w1=$(head -1 "$T/want-us.recs" | awk '{ l = length($2); print substr($2, 1, l - 9) "." substr($2, l - 8, 6) }')
case $t1 in "$w1"*) ;; *) die "tshark first timestamp $t1, wanted $w1" ;; esac

say "piped: capctl slice --format F | tshark -r - and tcpdump -r -"
for f in pcapng pcap pcap-us; do
	check "$f through a pipe: tshark -r - and tcpdump -n -r - read $N packets"
	n=$("$CAPCTL" --store "$T/st" slice --format $f 2>"$T/pipe.err" | tshark -r - -T fields -e frame.number 2>/dev/null | wc -l)
	[ "$n" = $N ] || die "$f | tshark -r -: $n packets"
	n=$("$CAPCTL" --store "$T/st" slice --format $f 2>"$T/pipe.err" | tcpdump -n -r - 2>/dev/null | wc -l)
	[ "$n" = $N ] || die "$f | tcpdump -r -: $n packets"
	check "$f to stdout: nothing on stderr"
	[ ! -s "$T/pipe.err" ] || die "stderr: $(cat "$T/pipe.err")"
done
check "pcap-us through a pipe is the same as to a file"
"$CAPCTL" --store "$T/st" slice --format pcap-us | cmp -s - "$T/o-us.pcap" || die "stdout differs from -w"
check "pcap-us with --compress zstd: zstd -dc gives the same file"
slice "$T/st" "$T/o-us.pcap.zst" --format pcap-us
zstd -q -dc "$T/o-us.pcap.zst" | cmp -s - "$T/o-us.pcap" || die "compressed pcap-us differs"

say "--json"
rm -f "$T/j.pcapng"
run_rc 0 "slice --json -w" "$CAPCTL" --store "$T/st" slice --json -w "$T/j.pcapng" 'ip or ip6'
check "one JSON object on stdout with the counts; nothing on stderr"
jq -e --argjson n $N '.packets > 0 and .packets <= $n and .frames_read > 0 and .frames_total >= .frames_read
	and .files_read == 1 and .files_total == 1 and .damaged_frames == 0 and .files_skipped == 0
	and .unlocked == 0 and (.elapsed_s | type == "number")' "$T/last.out" >/dev/null ||
	die "json: $(cat "$T/last.out")"
[ "$(wc -l <"$T/last.out")" = 1 ] || die "more than one line on stdout"
[ ! -s "$T/last.err" ] || die "stderr: $(cat "$T/last.err")"
check "its packet count is what the file holds"
[ "$(jq .packets "$T/last.out")" = "$(npackets "$T/j.pcapng")" ] || die "json $(jq .packets "$T/last.out"), file $(npackets "$T/j.pcapng")"
check "--json --count: the object, no bare count"
run_rc 0 "slice --json --count" "$CAPCTL" --store "$T/st" slice --json --count
jq -e --argjson n $N '.packets == $n' "$T/last.out" >/dev/null || die "json: $(cat "$T/last.out")"
check "--json with the packets on stdout is a usage error (no -w, and -w -)"
run_rc 2 "slice --json" "$CAPCTL" --store "$T/st" slice --json
msg_has "slice --json" "-w FILE"
run_rc 2 "slice --json -w -" "$CAPCTL" --store "$T/st" slice --json -w -
check "--format with an unknown name is a usage error naming the formats"
run_rc 2 "slice --format pcap-ms" "$CAPCTL" --store "$T/st" slice --format pcap-ms -w "$T/x"
msg_has "slice --format pcap-ms" pcapng pcap-us

say "progress bar"
check "stderr not a terminal: only the summary line"
rm -f "$T/b.pcapng"
run_rc 0 "slice -w" "$CAPCTL" --store "$T/st" slice -w "$T/b.pcapng"
[ "$(wc -l <"$T/last.err")" = 1 ] && ! grep -q $'\r' "$T/last.err" || die "stderr: $(cat -A "$T/last.err")"
if command -v script >/dev/null; then
	check "stderr a terminal, more than 64 frames: a bar redrawn with CR, erased at the end"
	rm -f "$T/b.pcapng"
	script -qec "'$CAPCTL' --store '$T/st' slice -w '$T/b.pcapng'" /dev/null >"$T/tty.out" 2>&1 </dev/null ||
		die "capctl under script failed: $(cat -A "$T/tty.out" | head -5)"
	grep -q 'frames (' "$T/tty.out" || die "no bar: $(cat -A "$T/tty.out" | head -5)"
	grep -qF $'\r\033[K' "$T/tty.out" || die "bar not erased: $(cat -A "$T/tty.out" | head -5)"
	grep -q "capctl: $N packets from" "$T/tty.out" || die "no summary after the bar"
	[ "$(npackets "$T/b.pcapng")" = $N ] || die "output with the bar: $(npackets "$T/b.pcapng") packets"
else
	note "no script(1): the terminal case is not checked"
fi

finish
