#!/bin/bash
# Query benchmark: indexed slices of a big store against decompressing it
# all.  A synthetic IMIX capture from ~8000 hosts (bench/gen_imix.py) holds a
# rare host and a rare TCP port, each in runs of --rare-burst packets once
# every --rare-every runs (~1 % of the frames each).  It is ingested twice,
# with and without the flow index (the index's cost on the writer), then
# three questions are asked of the store:
#   window  a 1-second window in the middle
#   host    'host RARE_HOST' over the whole store
#   port    'port RARE_PORT' over the whole store
# by `capctl slice` and by `zstd -dc FILE | tcpdump -r - FILTER` and
# `zstd -dc FILE | tshark -r - -Y DISPLAYFILTER` over every store file, in
# the same run, with wall time, CPU, packets found, bytes read and (capctl)
# frames read; then ratios.  See bench/README.md ("query.sh").
#
# Environment: SIZE=small|full (default small: a ~300 MB capture; full: a
# ~4.4 GB capture, a store above 2 GB), REPS (default 3; the references run
# once each: they take long), BENCH_DIR (default /tmp), KEEP=1, BUILD,
# RESULTS, TSHARK=0 to leave tshark out, STRACE=0 to skip counting bytes.
set -eu
. "$(dirname "$0")/lib.sh"

SIZE=${SIZE:-small}
case $SIZE in
small) qbytes=300M ;;
full) qbytes=4.4G ;;
*) die "SIZE must be small or full" ;;
esac
QUERY_BYTES=${QUERY_BYTES:-$qbytes}
SPAN=${SPAN:-120}
START=1700000000
RARE_HOST=192.0.2.7
RARE_PORT=853
TSHARK=${TSHARK:-1}
STRACE=${STRACE:-1}
need python3 zstd tcpdump capinfos awk
command -v tshark >/dev/null 2>&1 || TSHARK=0
command -v strace >/dev/null 2>&1 || STRACE=0
have_captured && have_capctl || die "run make first ($CAPTURED, $CAPCTL)"
mkwork query

in=$WORK/in.pcap
say "captured query benchmark  SIZE=$SIZE  REPS=$REPS (capctl: $STAT of them; references: once)"
python3 "$BENCH_SRC/gen_imix.py" -o "$in" --bytes "$QUERY_BYTES" --size imix --span "$SPAN" \
	--start "$START" --rare-host "$RARE_HOST" --rare-port "$RARE_PORT" --rare-every 100 \
	--rare-burst 1500 2>"$WORK/gen.err"
cat "$WORK/gen.err"
np=$(npackets "$in")

# ---- ingest, with and without the flow index
TFMT='%-40s %8s %8s %10s %14s %12s\n'
hr
say "ingest (captured -r, level 3, 1 MiB frames)"
printf '%-40s %8s %8s %10s %14s\n' "" "wall_s" "cpu_s" "MB/s" "store_bytes"
for fi in no yes; do
	st=$WORK/store-$fi
	bench "rm -rf $st" -- "$CAPTURED" -r "$in" --store "$st" --flow-index "$fi"
	sb=$(dirbytes "$st")
	printf '%-40s %8s %8s %10s %14s\n' "flow_index = $fi" "$T_WALL" "$T_CPU" \
		"$(fdiv "$(fsize "$in")" "$(awk -v t="$T_WALL" 'BEGIN{print t * 1e6}')" %.0f)" "$sb"
	eval "ING_$fi=$T_WALL"
	result query "ingest_flow_index_$fi" "$T_WALL" "$T_CPU" "$sb"
done
say "flow index cost on ingest: $(fdiv "$ING_yes" "$ING_no" %.3f)x the time without it;" \
	"store $(fdiv "$(dirbytes "$WORK/store-yes")" "$(dirbytes "$WORK/store-no")" %.4f)x the size"
st=$WORK/store-yes
[ "$KEEP" = 1 ] || rm -rf "$WORK/store-no"
files=$(find "$st" -name '*.pcapng.zst' | sort)
nfiles=$(echo "$files" | wc -l)
store_bytes=$(dirbytes "$st")
say "store: $nfiles files, $store_bytes bytes; capture: $np packets"

# bytes_read CMD...: untimed run under strace: what read()-like calls returned
bytes_read() {
	strace -f -qq -e trace=read,pread64,readv,preadv,preadv2 -o "$WORK/strace" "$@" \
		>/dev/null 2>&1 || true
	awk '/^[0-9]+ +(read|pread64|readv|preadv|preadv2)\(/ { if ($NF ~ /^[0-9]+$/) n += $NF }
	     END { printf "%d\n", n }' "$WORK/strace"
}

# ref_tcpdump FILTER OUT: every store file decompressed into tcpdump
ref_tcpdump() {
	local f i=0
	for f in $files; do
		zstd -qdc "$f" | tcpdump -nr - -w "$2.$i" $1 2>/dev/null
		i=$((i + 1))
	done
}
# ref_tshark DFILTER OUT
ref_tshark() {
	local f i=0
	for f in $files; do
		zstd -qdc "$f" | tshark -r - -Y "$1" -w "$2.$i" -F pcap 2>/dev/null
		i=$((i + 1))
	done
}
count_parts() {
	local n=0 f c
	for f in "$1".*; do
		[ -e "$f" ] || continue
		c=$(npackets "$f")
		n=$((n + ${c:-0}))
	done
	echo "$n"
}

A=$((START + SPAN / 2)).000000000
B=$((START + SPAN / 2 + 1)).000000000
query() {
	local name=$1 cfilter=$2 tfilter=$3 dfilter=$4
	shift 4
	local out=$WORK/q-$name c_wall c_cpu c_np frames br
	hr
	say "$name: capctl slice $* ${cfilter:+'$cfilter'}"
	printf "$TFMT" "tool" "wall_s" "cpu_s" "packets" "bytes_read" "frames_read"
	"$CAPCTL" --store "$st" slice "$@" -w "$out.pcapng" $cfilter >/dev/null 2>&1 || true
	bench "rm -f $out.pcapng" -- "$CAPCTL" --store "$st" slice "$@" -w "$out.pcapng" $cfilter
	c_wall=$T_WALL c_cpu=$T_CPU
	c_np=$(npackets "$out.pcapng")
	frames=$(sed -n 's/.* from \([0-9]*\) of \([0-9]*\) frames.*/\1\/\2/p' "$WORK/median.err" | tail -n 1)
	br=-
	[ "$STRACE" = 1 ] && br=$(bytes_read "$CAPCTL" --store "$st" slice "$@" -w "$WORK/s.out" $cfilter)
	rm -f "$WORK/s.out"
	printf "$TFMT" "capctl slice" "$c_wall" "$c_cpu" "$c_np" "$br" "${frames:--}"
	REPS=1 bench "rm -f $out.td.*" -- ref_tcpdump "$tfilter" "$out.td"
	t_wall=$T_WALL t_cpu=$T_CPU
	t_np=$(count_parts "$out.td")
	printf "$TFMT" "zstd -dc | tcpdump -r - FILTER" "$t_wall" "$t_cpu" "$t_np" "$store_bytes" "all"
	say "    capctl is $(fdiv "$t_wall" "$c_wall" %.1f)x faster than zstd|tcpdump (wall), reads" \
		"$(fdiv "$br" "$store_bytes" %.4f) of the bytes, frames ${frames:--}"
	[ -z "$tfilter" ] || [ "$c_np" = "$t_np" ] || say "    MISMATCH: capctl $c_np packets, tcpdump $t_np"
	result query "${name}_capctl" "$c_wall" "$c_cpu" "$c_np" "$br" "${frames:--}"
	result query "${name}_tcpdump" "$t_wall" "$t_cpu" "$t_np" "$store_bytes"
	if [ "$TSHARK" = 1 ]; then
		REPS=1 bench "rm -f $out.ts.*" -- ref_tshark "$dfilter" "$out.ts"
		s_np=$(count_parts "$out.ts")
		printf "$TFMT" "zstd -dc | tshark -r - -Y DFILTER" "$T_WALL" "$T_CPU" "$s_np" "$store_bytes" "all"
		say "    capctl is $(fdiv "$T_WALL" "$c_wall" %.1f)x faster than zstd|tshark (wall)"
		[ "$c_np" = "$s_np" ] || say "    MISMATCH: capctl $c_np packets, tshark $s_np"
		result query "${name}_tshark" "$T_WALL" "$T_CPU" "$s_np" "$store_bytes"
	fi
}

query window "" "" "frame.time_epoch >= $A && frame.time_epoch < $B" --from "$A" --to "$B"
# the reference filters by time too: tcpdump has no time filter, so that
# row counts every packet (it is the cost of reading all)
query host "host $RARE_HOST" "host $RARE_HOST" "ip.addr == $RARE_HOST"
query port "port $RARE_PORT" "port $RARE_PORT" "tcp.port == $RARE_PORT || udp.port == $RARE_PORT"
hr
say "(the window row of zstd|tcpdump applies no time filter: tcpdump has none, so it shows"
say " the cost of reading everything and its packet count is the whole store's)"
