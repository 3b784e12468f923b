#!/bin/bash
# Offline ingest benchmark: captured -r versus tcpdump -r -w and editcap -F pcapng
# on generated pcaps, then the writer alone (captured --synthetic), then a
# zstd level table.  See bench/README.md.
#
# Environment: SIZE=small|full (default small), REPS (default 3), STAT, BENCH_DIR,
# KEEP=1, BUILD, RESULTS, and to override sizes: N64 NIMIX SYN64 SYNIMIX,
# LEVELS (default "0 -5 -1 1 3 6 9"), LEVEL_REPS (default REPS),
# VARIANTS (captured runs, default "3 1 adaptive 0 none").
set -eu
. "$(dirname "$0")/lib.sh"

SIZE=${SIZE:-small}
case $SIZE in
small) d64=1000000 dimix=300000 dsyn64=2000000 dsynimix=500000 ;;
full) d64=2000000 dimix=1000000 dsyn64=20000000 dsynimix=4000000 ;;
*) die "SIZE must be small or full" ;;
esac
N64=${N64:-$d64}
NIMIX=${NIMIX:-$dimix}
SYN64=${SYN64:-$dsyn64}
SYNIMIX=${SYNIMIX:-$dsynimix}
LEVELS=${LEVELS:-"0 -5 -1 1 3 6 9"}
LEVEL_REPS=${LEVEL_REPS:-$REPS}
VARIANTS=${VARIANTS:-"3 1 adaptive 0 none"}

need python3 tcpdump editcap capinfos awk
mkwork ingest

if have_captured; then
	CAP_OK=1
else
	CAP_OK=0
	echo "NOTE: $CAPTURED not found (run make): only the tcpdump/editcap rows are measured."
fi

# Packets, bytes and disk bytes of a store per capctl list --json ("- - -" without capctl).
store_counts() {
	if have_capctl; then
		"$CAPCTL" --store "$1" list --json 2>/dev/null | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
    f = d["files"]
    print(sum(x.get("packets", 0) for x in f), sum(x.get("bytes", 0) for x in f),
          sum(x.get("disk_bytes", 0) for x in f))
except Exception as e:
    print("- - -")
' || echo "- - -"
	else
		echo "- - -"
	fi
}

FMT='%-24s %8s %7s %8s %8s %8s %7s %7s %7s\n'
header() {
	printf "$FMT" "tool" "wall_s" "cpu_s" "Mpps" "MB/s_in" "MB/cpu_s" "ratio" "vs_tcpd" "vs_edit"
}

# row NAME PACKETS INBYTES OUTBYTES: prints a table row from T_WALL/T_CPU.
row() {
	local name=$1 np=$2 inb=$3 outb=$4 mpps mbs mbc ratio vt ve
	mpps=$(fdiv "$np" "$(fdiv "$T_WALL" 0.000001 %.6f)" %.3f)
	mbs=$(fdiv "$inb" "$(fdiv "$T_WALL" 0.000001 %.6f)" %.0f)
	mbc=$(fdiv "$inb" "$(fdiv "$T_CPU" 0.000001 %.6f)" %.0f)
	ratio=$(fdiv "$inb" "$outb" %.3f)
	vt=$(fdiv "${TCPD_WALL:--}" "$T_WALL" %.2f)
	ve=$(fdiv "${EDIT_WALL:--}" "$T_WALL" %.2f)
	printf "$FMT" "$name" "$T_WALL" "$T_CPU" "$mpps" "$mbs" "$mbc" "$ratio" "$vt" "$ve"
	result ingest "$INNAME" "$name" "$T_WALL" "$T_CPU" "$mpps" "$mbs" "$ratio" "$vt" "$ve"
}

say "captured ingest benchmark  SIZE=$SIZE  REPS=$REPS ($STAT of them by wall time)  $(nproc) cores"
say "scratch: $WORK"
say "gen: 64 B x $N64, IMIX x $NIMIX (1 Mpps timestamps, half random payloads)"
python3 "$BENCH_SRC/gen_imix.py" -q -o "$WORK/in64.pcap" -n "$N64" --size 64 --rate 1e6
python3 "$BENCH_SRC/gen_imix.py" -q -o "$WORK/inimix.pcap" -n "$NIMIX" --size imix --rate 1e6
SUMMARIES=$WORK/summaries
: >"$SUMMARIES"

for INNAME in 64 imix; do
	in=$WORK/in$INNAME.pcap
	np=$(npackets "$in")
	inb=$(fsize "$in")
	cat "$in" >/dev/null  # page cache warm
	echo
	hr
	say "input: $INNAME  $np packets  $inb bytes  ($(fdiv "$inb" "$np" %.1f) B/packet incl. 16 B record header)"
	say "MB/s_in = input bytes / wall; MB/cpu_s = input bytes / (user+sys); ratio = input bytes / output bytes;"
	say "vs_tcpd, vs_edit = tcpdump or editcap wall time / this wall time (> 1: faster than it)"
	hr
	header
	out=$WORK/out
	TCPD_WALL=- EDIT_WALL=-
	bench "rm -f $out" -- tcpdump -q --time-stamp-precision=nano -r "$in" -w "$out"
	TCPD_WALL=$T_WALL
	row "tcpdump -r -w" "$np" "$inb" "$(fsize "$out")"
	bench "rm -f $out" -- editcap -F pcapng "$in" "$out"
	EDIT_WALL=$T_WALL
	row "editcap -F pcapng" "$np" "$inb" "$(fsize "$out")"
	rm -f "$out"
	[ $CAP_OK = 1 ] || continue
	st=$WORK/store
	for v in $VARIANTS; do
		case $v in
		3) args=() name="captured (default)" ;;
		none) args=(--compression none) name="captured none" ;;
		*) args=(--level "$v") name="captured level $v" ;;
		esac
		bench "rm -rf $st" -- "$CAPTURED" -r "$in" --store "$st" "${args[@]}" || { echo "  ($name failed)"; continue; }
		row "$name" "$np" "$inb" "$(dirbytes "$st")"
		sp=$(summary_field "$WORK/median.err" packets)
		[ "$sp" = "$np" ] || echo "  MISMATCH: captured's summary says '${sp:-?}' packets, the input has $np"
		set -- $(store_counts "$st")
		if [ "$1" != - ] && [ "$1" != "$np" ]; then
			echo "  MISMATCH: capctl list counts $1 packets in the store, the input has $np"
		fi
		echo "$INNAME $name: $(captured_summary "$WORK/median.err")" >>"$SUMMARIES"
	done
	rm -rf "$st"
done

if [ $CAP_OK = 1 ]; then
	echo
	say "captured's own summaries (stderr, of the run reported):"
	sed -e "s|$WORK/||g" -e 's/^/  /' "$SUMMARIES"

	echo
	hr
	say "writer alone: captured --synthetic N --synth-size S (default level), no input file"
	say "Mpps and MB/s per wall second; per cpu_s: per CPU second of the whole process (user+sys),"
	say "i.e. what one core busy with it would do"
	hr
	SFMT='%-16s %10s %8s %7s %8s %8s %10s %10s %7s\n'
	printf "$SFMT" "synth-size" "packets" "wall_s" "cpu_s" "Mpps" "MB/s" "Mpps/cpu_s" "MB/cpu_s" "ratio"
	st=$WORK/store
	for s in 64 imix; do
		n=$SYN64
		[ $s = 64 ] || n=$SYNIMIX
		bench "rm -rf $st" -- "$CAPTURED" --synthetic "$n" --synth-size "$s" --store "$st" \
			|| { echo "  (synthetic $s failed)"; continue; }
		set -- $(store_counts "$st")
		pk=$1 by=$(summary_field "$WORK/median.err" bytes)
		[ -n "$by" ] || by=$2
		[ "$by" != - ] || { [ $s = 64 ] && by=$((n * 64)) || by=$((n * 354)); }
		[ "$pk" = - ] || [ "$pk" = "$n" ] || echo "  MISMATCH: capctl list counts $pk packets, asked for $n"
		sp=$(summary_field "$WORK/median.err" packets)
		[ "$sp" = "$n" ] || echo "  MISMATCH: captured's summary says '${sp:-?}' packets, asked for $n"
		sb=$(dirbytes "$st")
		mpps=$(fdiv "$n" "$(fdiv "$T_WALL" 0.000001 %.6f)" %.3f)
		mbs=$(fdiv "$by" "$(fdiv "$T_WALL" 0.000001 %.6f)" %.0f)
		mppc=$(fdiv "$n" "$(fdiv "$T_CPU" 0.000001 %.6f)" %.3f)
		mbc=$(fdiv "$by" "$(fdiv "$T_CPU" 0.000001 %.6f)" %.0f)
		ratio=$(fdiv "$by" "$sb" %.3f)
		printf "$SFMT" "$s" "$n" "$T_WALL" "$T_CPU" "$mpps" "$mbs" "$mppc" "$mbc" "$ratio"
		result synthetic "$s" "$n" "$T_WALL" "$T_CPU" "$mpps" "$mbs" "$mppc" "$mbc" "$ratio"
		echo "    $(captured_summary "$WORK/median.err" | sed "s|$WORK/||g")"
	done
	say "(MB = packet bytes per captured's summary; ratio = those bytes / store bytes: how"
	say " compressible the synthetic payloads are, compare with the IMIX pcap's ratio above)"
	rm -rf "$st"

	echo
	hr
	in=$WORK/inimix.pcap
	inb=$(fsize "$in")
	np=$(npackets "$in")
	say "level table: captured -r IMIX ($np packets, $inb bytes) --level L, $STAT of $LEVEL_REPS"
	hr
	LFMT='%-10s %8s %7s %8s %8s %7s %12s\n'
	printf "$LFMT" "level" "wall_s" "cpu_s" "MB/s_in" "MB/cpu_s" "ratio" "store_bytes"
	for L in $LEVELS; do
		REPS=$LEVEL_REPS bench "rm -rf $st" -- "$CAPTURED" -r "$in" --store "$st" --level "$L" \
			|| { echo "  (level $L failed)"; continue; }
		sb=$(dirbytes "$st")
		mbs=$(fdiv "$inb" "$(fdiv "$T_WALL" 0.000001 %.6f)" %.0f)
		mbc=$(fdiv "$inb" "$(fdiv "$T_CPU" 0.000001 %.6f)" %.0f)
		ratio=$(fdiv "$inb" "$sb" %.3f)
		lab=$L
		[ "$L" = 0 ] && lab="0 (stored)"
		printf "$LFMT" "$lab" "$T_WALL" "$T_CPU" "$mbs" "$mbc" "$ratio" "$sb"
		result level "$L" "$T_WALL" "$T_CPU" "$mbs" "$mbc" "$ratio"
	done
	rm -rf "$st"
fi
echo
say "ingest.sh done"
