#!/bin/bash
# Slice benchmark: a 1-second window out of the middle of a big capture,
# `capctl slice --from A --to B -w out` on a captured store versus
# `editcap -A A -B B in out` on the pcap the store was made from.
# See bench/README.md.
#
# Environment: SIZE=small|full (default small), REPS (default 3), STAT, BENCH_DIR,
# KEEP=1, BUILD, RESULTS; overrides: SLICE_BYTES (pcap size, e.g. 2.1G),
# SPAN (seconds the capture spans, default 100), WINDOW (seconds, default 1),
# LEVEL (captured --level for the store, default: captured's default),
# STRACE=0 to skip the untimed strace run that counts bytes read.
set -eu
. "$(dirname "$0")/lib.sh"

SIZE=${SIZE:-small}
case $SIZE in
small) dbytes=250M ;;
# The generated IMIX compresses about 1.9x at zstd level 3 (half the payloads
# are repetitive), so a >= 1 GB store needs a ~2.1 GB pcap.
full) dbytes=2.1G ;;
*) die "SIZE must be small or full" ;;
esac
SLICE_BYTES=${SLICE_BYTES:-$dbytes}
SPAN=${SPAN:-100}
WINDOW=${WINDOW:-1}
START=1700000000
STRACE=${STRACE:-1}

need python3 editcap capinfos awk md5sum
command -v strace >/dev/null 2>&1 || STRACE=0
mkwork slice

CAP_OK=1
if ! have_captured || ! have_capctl; then
	CAP_OK=0
	echo "NOTE: $CAPTURED or $CAPCTL not found (run make): only editcap is measured."
fi

in=$WORK/in.pcap
st=$WORK/store
say "captured slice benchmark  SIZE=$SIZE  REPS=$REPS ($STAT of them by wall time, page cache warm)"
say "scratch: $WORK"
python3 "$BENCH_SRC/gen_imix.py" -o "$in" --bytes "$SLICE_BYTES" --size imix --span "$SPAN" \
	--start "$START" 2>"$WORK/gen.err"
cat "$WORK/gen.err"
inb=$(fsize "$in")
np=$(npackets "$in")

# Window in the middle: [A, B), 9 fraction digits.
A=$(awk -v s="$START" -v p="$SPAN" 'BEGIN { printf "%d.000000000", s + int(p / 2) }')
B=$(awk -v s="$START" -v p="$SPAN" -v w="$WINDOW" 'BEGIN { printf "%d.%09d", s + int(p / 2) + int(w), (w - int(w)) * 1e9 }')
# Packets the generator put in [A, B) (same arithmetic as gen_imix.py).
expect=$(python3 -c "
n, span, s0 = $np, $SPAN, $START * 10**9
a = int('${A%.*}') * 10**9 + int('${A#*.}')
b = int('${B%.*}') * 10**9 + int('${B#*.}')
sp = 1e9 / ((n - 1) / span)
print(sum(1 for i in range(n) if a <= s0 + int(i * sp) < b))")

if [ $CAP_OK = 1 ]; then
	say "ingest: captured -r in.pcap --store S ${LEVEL:+--level $LEVEL}"
	time1 "$CAPTURED" -r "$in" --store "$st" ${LEVEL:+--level "$LEVEL"}
	sb=$(dirbytes "$st")
	nfiles=$(find "$st" -type f ! -name '.*' | wc -l)
	say "  $T_WALL s wall, $T_CPU s cpu, $(fdiv "$inb" "$(fdiv "$T_WALL" 0.000001 %.6f)" %.0f) MB/s;" \
		"store $sb bytes in $nfiles files (ratio $(fdiv "$inb" "$sb" %.3f))"
	say "  $(captured_summary "$WORK/last.err" | sed "s|$WORK/||g")"
	[ "$sb" -ge 1000000000 ] || say "  (store is below 1 GB: SIZE=$SIZE; SIZE=full or SLICE_BYTES=... for a bigger one)"
	result slice-ingest "$T_WALL" "$T_CPU" "$inb" "$sb"
fi

cat "$in" >/dev/null
echo
hr
say "window [$A, $B): $WINDOW s of $SPAN s, in the middle; the generator put $expect packets there"
say "pcap: $inb bytes, $np packets"
hr

# bytes_read CMD...: untimed run under strace; prints "BYTES_READ STORE_FILES STORE_MMAPS":
# the sum of what read()-like calls returned (all files, libraries included),
# the distinct store files opened, and mmap() calls on store files.
bytes_read() {
	strace -f -qq -e trace=read,pread64,readv,preadv,preadv2,openat,mmap -o "$WORK/strace" "$@" \
		>/dev/null 2>&1 || true
	awk -v st="$st/" '
		/^[0-9]+ +(read|pread64|readv|preadv|preadv2)\(/ { if ($NF ~ /^[0-9]+$/) n += $NF }
		/openat\(/ && index($0, st) && $NF ~ /^[0-9]+$/ {
			name = $0; sub(/^[^"]*"/, "", name); sub(/".*/, "", name)
			if (!(name in seen)) { seen[name] = 1; f++ }
			fd[$NF] = 1
		}
		/ mmap\(/ { split($0, a, ", "); if (a[5] in fd) m++ }
		END { printf "%d %d %d\n", n, f, m }' "$WORK/strace"
}

TFMT='%-34s %8s %7s %9s %14s\n'
printf "$TFMT" "tool" "wall_s" "cpu_s" "packets" "bytes_read"
out1=$WORK/slice.pcapng
out2=$WORK/editcap.pcapng
C_WALL=-
if [ $CAP_OK = 1 ]; then
	"$CAPCTL" --store "$st" slice --from "$A" --to "$B" -w "$out1" >/dev/null 2>&1 || true  # warm-up
	if bench "rm -f $out1" -- "$CAPCTL" --store "$st" slice --from "$A" --to "$B" -w "$out1"; then
		C_WALL=$T_WALL C_CPU=$T_CPU
		c_np=$(npackets "$out1")
		br=-
		if [ "$STRACE" = 1 ]; then
			set -- $(bytes_read "$CAPCTL" --store "$st" slice --from "$A" --to "$B" -w "$WORK/strace.out")
			br=$1
			[ "$3" = 0 ] || br="$1(+$3 mmaps)"
			sfiles=$2
			rm -f "$WORK/strace.out"
		fi
		printf "$TFMT" "capctl slice --from A --to B -w" "$C_WALL" "$C_CPU" "$c_np" "$br"
		[ "$STRACE" = 1 ] && say "    capctl opened $sfiles distinct store files"
		say "    capctl says: $(captured_summary "$WORK/median.err")"
	else
		echo "capctl slice failed"
		CAP_OK=0
	fi
fi
editcap -A "$A" -B "$B" "$in" "$out2"  # warm-up
bench "rm -f $out2" -- editcap -A "$A" -B "$B" "$in" "$out2"
E_WALL=$T_WALL E_CPU=$T_CPU
e_np=$(npackets "$out2")
br=-
if [ "$STRACE" = 1 ]; then
	set -- $(bytes_read editcap -A "$A" -B "$B" "$in" "$WORK/strace.out")
	br=$1
	rm -f "$WORK/strace.out"
fi
printf "$TFMT" "editcap -A A -B B" "$E_WALL" "$E_CPU" "$e_np" "$br"
hr
verdict=""
if [ $CAP_OK = 1 ]; then
	say "speed-up (editcap wall / capctl wall): $(fdiv "$E_WALL" "$C_WALL" %.1f)x"
	if [ "$c_np" = "$e_np" ] && [ "$e_np" = "$expect" ]; then
		verdict="same packet count ($c_np)"
		# Same packets?  Compare the record streams of both as nanosecond pcap.
		editcap -F nsecpcap "$out1" "$WORK/a.pcap" && editcap -F nsecpcap "$out2" "$WORK/b.pcap"
		h1=$(tail -c +25 "$WORK/a.pcap" | md5sum | cut -d' ' -f1)
		h2=$(tail -c +25 "$WORK/b.pcap" | md5sum | cut -d' ' -f1)
		if [ "$h1" = "$h2" ]; then verdict="$verdict, identical packets and timestamps"
		else verdict="$verdict, BUT packet bytes or timestamps DIFFER"; fi
	else
		verdict="MISMATCH: capctl $c_np, editcap $e_np, expected $expect packets"
	fi
	say "check: $verdict"
	result slice "$C_WALL" "$C_CPU" "$E_WALL" "$E_CPU" "$c_np" "$e_np" "$(fdiv "$E_WALL" "$C_WALL" %.1f)" "$verdict" \
		"$(captured_summary "$WORK/median.err")"
else
	[ "$e_np" = "$expect" ] && say "check: editcap gives the expected $e_np packets" \
		|| say "check: editcap gives $e_np packets, expected $expect"
	result slice - - "$E_WALL" "$E_CPU" - "$e_np" - "editcap only"
fi
echo
say "slice.sh done"
