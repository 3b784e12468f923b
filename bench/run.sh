#!/bin/bash
# Runs every benchmark (generator check, ingest.sh, slice.sh) and prints a
# summary table at the end.  SIZE=small (default, a few minutes) or SIZE=full.
# Other environment (REPS, BENCH_DIR, KEEP, BUILD, ...) is passed on; see
# bench/README.md.
set -eu
. "$(dirname "$0")/lib.sh"

export SIZE=${SIZE:-small}
case $SIZE in small | full) ;; *) die "SIZE must be small or full" ;; esac
need python3 tcpdump editcap capinfos tshark awk
mkwork run
export RESULTS=$WORK/results.tsv
: >"$RESULTS"
t0=$(date +%s.%N)

say "=== captured benchmarks  SIZE=$SIZE  REPS=$REPS  $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(uname -r)  $(nproc) cores"
say "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other load on the machine skews the figures)"
if have_captured; then
	say "binaries: $CAPTURED, $CAPCTL"
else
	say "binaries: none in $BUILD (run make): captured rows are skipped"
fi

echo
say "=== 1. generator (bench/gen_imix.py)"
gn=$([ "$SIZE" = full ] && echo 3000000 || echo 500000)
g=$WORK/gen.pcap
time1 python3 "$BENCH_SRC/gen_imix.py" -o "$g" -n "$gn" --size imix --rate 1e6
cat "$WORK/last.err"
gb=$(fsize "$g")
gc=$(npackets "$g")
gmb=$(fdiv "$gb" "$(fdiv "$T_WALL" 0.000001 %.6f)" %.0f)
say "  $gb bytes in $T_WALL s: $gmb MB/s; capinfos counts $gc packets (want $gn)"
[ "$gc" = "$gn" ] || die "generator: capinfos counts $gc packets, want $gn"
head=$WORK/head.pcap
editcap -r "$g" "$head" 1-20000
bad=$(tshark -r "$head" -Y '_ws.malformed || _ws.expert.severity >= error' 2>/dev/null | wc -l)
sizes=$(tshark -r "$head" -T fields -e frame.len 2>/dev/null | sort -n | uniq -c | awk '{printf "%s%d B x %d", (NR > 1 ? ", " : ""), $2, $1}')
say "  first 20000 packets per tshark: $sizes; malformed or error: $bad"
result gen "$gn" "$gb" "$T_WALL" "$gmb" "$bad"
rm -f "$g" "$head"

echo
say "=== 2. ingest (bench/ingest.sh)"
bash "$BENCH_SRC/ingest.sh"
echo
say "=== 3. slice (bench/slice.sh)"
bash "$BENCH_SRC/slice.sh"
if have_captured; then
	echo
	say "=== 4. adaptive compression under live pressure (bench/adaptive.sh)"
	bash "$BENCH_SRC/adaptive.sh"
fi

t1=$(date +%s.%N)
echo
say "=================================== SUMMARY (SIZE=$SIZE, $STAT of $REPS runs) ==================================="
awk -F'\t' '
$1 == "gen" { printf "generator: %d IMIX packets, %.0f MB/s\n", $2, $5 }
$1 == "ingest" {
	if (!ih++) {
		print ""
		printf "%-6s %-24s %8s %7s %8s %8s %7s %7s %7s\n", "input", "ingest", "wall_s", "cpu_s", "Mpps", "MB/s", "ratio", "vs_tcpd", "vs_edit"
	}
	printf "%-6s %-24s %8s %7s %8s %8s %7s %7s %7s\n", $2, $3, $4, $5, $6, $7, $8, $9, $10
}
$1 == "synthetic" {
	if (!sh++) {
		print ""
		printf "%-16s %10s %8s %7s %8s %8s %10s %10s %7s\n", "synthetic", "packets", "wall_s", "cpu_s", "Mpps", "MB/s", "Mpps/cpu_s", "MB/cpu_s", "ratio"
	}
	printf "%-16s %10s %8s %7s %8s %8s %10s %10s %7s\n", $2, $3, $4, $5, $6, $7, $8, $9, $10
}
$1 == "level" {
	if (!lh++) {
		print ""
		printf "%-16s %8s %7s %8s %8s %7s\n", "level (IMIX)", "wall_s", "cpu_s", "MB/s", "MB/cpu_s", "ratio"
	}
	printf "%-16s %8s %7s %8s %8s %7s\n", $2, $3, $4, $5, $6, $7
}
$1 == "adaptive" {
	if (!ah++) {
		print ""
		printf "%-16s %10s %10s %7s %7s %9s %9s\n", "paced synthetic", "stored", "dropped", "drop%", "ratio", "frames_z", "frames_raw"
	}
	printf "%-16s %10s %10s %7s %7s %9s %9s\n", "level " $2, $3, $4, $5, $6, $7, $8
}
$1 == "slice-ingest" {
	print ""
	printf "slice store: %.0f MB pcap -> %.0f MB store (ratio %.3f), ingest %s s\n", $4 / 1e6, $5 / 1e6, $4 / $5, $2
}
$1 == "slice" {
	if ($2 == "-") print ""
	printf "slice 1 s window: capctl %s s (cpu %s), editcap %s s (cpu %s), packets %s / %s, speed-up %sx\n", $2, $3, $4, $5, $6, $7, $8
	printf "  check: %s\n", $9
	if ($10 != "") printf "  %s\n", $10
}' "$RESULTS"
echo
say "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
say "total $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }') s"
