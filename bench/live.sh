#!/bin/bash
# Live capture benchmark: captured (AF_XDP and AF_PACKET backends) against
# tcpdump, netsniff-ng and dumpcap, on a veth pair between two network
# namespaces that this script makes (and deletes).  trafgen sends COUNT
# frames of each size as fast as it can from CPU 0; the capturer runs on
# CPU 1 and writes to BENCH_DIR.  Run by hand (root); not part of the tests.
# See bench/README.md ("live.sh").
#
# Environment: COUNT (frames per run, default 2000000), SIZES (frame sizes
# without FCS, default "64 1500"), TOOLS (default "none captured-afxdp
# captured-afpacket tcpdump netsniff-ng dumpcap"; none = the sender alone),
# BENCH_DIR (default /dev/shm/captured-bench), RING_MB (kernel buffer of every
# capturer, default 64), RATE (pace trafgen to RATE frames/s, e.g. 300000;
# default: no pacing), QUIET_S (seconds without CPU use that mean a capturer
# has caught up, default 1.5), CAPTURED_OPTS (extra captured options, e.g.
# "--level 1"), KEEP=1 (keep the scratch dir), BUILD, RESULTS.
set -eu
. "$(dirname "$0")/lib.sh"
# shellcheck source=../tests/lib/netns.sh
. "$REPO/tests/lib/netns.sh"

COUNT=${COUNT:-2000000}
SIZES=${SIZES:-"64 1500"}
TOOLS=${TOOLS:-"none captured-afxdp captured-afpacket tcpdump netsniff-ng dumpcap"}
BENCH_DIR=${BENCH_DIR:-/dev/shm/captured-bench}
RING_MB=${RING_MB:-64}
CAPTURED_OPTS=${CAPTURED_OPTS:-}
RATE=${RATE:-}
QUIET_S=${QUIET_S:-1.5}
SND_CPU=0       # trafgen -P 1 runs on CPU 0
CAP_CPU=1
case $COUNT in '' | *[!0-9]*) die "COUNT must be a number" ;; esac
case $RING_MB in '' | *[!0-9]* | 0) die "RING_MB must be a positive number" ;; esac
case $RATE in *[!0-9]*) die "RATE must be a number (frames/s)" ;; esac
case $QUIET_S in '' | *[!0-9.]*) die "QUIET_S must be a number of seconds" ;; esac
pace=()
[ -n "$RATE" ] && pace=(-b "${RATE}pps")
for s in $SIZES; do
	case $s in *[!0-9]*) die "SIZES: bad size '$s'" ;; esac
	if [ "$s" -lt 60 ] || [ "$s" -gt 1514 ]; then die "SIZES: $s is outside 60..1514 (MTU 1500)"; fi
done

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, veth, packet sockets)"
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (sender on CPU $SND_CPU, capturer on CPU $CAP_CPU)"
need trafgen taskset nsenter ip capinfos python3 awk

# ---- which capturers can run
CAPTURED_OK=1
CAPTURED_WHY=
if ! have_captured || ! have_capctl; then
	CAPTURED_OK=0
	CAPTURED_WHY="no $CAPTURED or $CAPCTL (run make)"
else
	probe_rc=0
	probe=$("$CAPTURED" -i lo --store /nonexistent --print-config 2>&1 >/dev/null) || probe_rc=$?
	if [ $probe_rc != 0 ] && printf '%s' "$probe" | grep -qiE 'usage|invalid option|unrecognized option'; then
		CAPTURED_OK=0
		CAPTURED_WHY="$CAPTURED has no live capture yet ('captured -i' gives a usage error)"
	fi
fi
tools=
for t in $TOOLS; do
	case $t in
	none) ;;
	captured-afxdp | captured-afpacket)
		if [ $CAPTURED_OK = 0 ]; then
			say "skipping $t: $CAPTURED_WHY"
			continue
		fi
		;;
	tcpdump | netsniff-ng | dumpcap)
		if ! command -v "$t" >/dev/null 2>&1; then
			say "skipping $t: not installed"
			continue
		fi
		;;
	*) die "TOOLS: unknown tool '$t' (none captured-afxdp captured-afpacket tcpdump netsniff-ng dumpcap)" ;;
	esac
	tools="$tools $t"
done
[ -n "$tools" ] || die "no tool to run"

# ---- scratch space and namespaces (both removed at exit, also on failure)
mkdir -p "$BENCH_DIR"
BENCH_PARENT=$(cd "$BENCH_DIR" && pwd)
mkwork live
# After lib.sh's cleanup, remove BENCH_DIR itself when it is left empty.
# shellcheck disable=SC2064
trap "cleanup; rmdir '$BENCH_PARENT' 2>/dev/null || true" EXIT
netns_setup --tag capbench
OUT=$WORK/out            # what the capturer writes; emptied after every run
ROWS=$WORK/rows.tsv
: >"$ROWS"

# ticks PID: utime + stime of PID (all its threads), in clock ticks.
HZ=$(getconf CLK_TCK)
ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null
}

# trafgen_cfg SIZE FILE: one frame of SIZE bytes: unicast to a locally
# administered address, EtherType 0x88b5, 8 random bytes per frame, then a
# random filler chosen once (so the frames compress well: see README).
trafgen_cfg() {
	printf '{ 0x02, 0xcb, 0x00, 0x00, 0x00, 0x02,  0x02, 0xcb, 0x00, 0x00, 0x00, 0x01,  c16(0x88b5),  drnd(8),  rnd(%d) }\n' \
		$(($1 - 22)) >"$2"
}

# start_capturer TOOL: starts TOOL on $IF_CAP, pinned to CAP_CPU, writing
# into $OUT; sets CAP_PID and CAP_ERR (its stderr), waits until it is ready.
# ns_bg_sys: the tool sees the namespace's /sys (queues of the interface) and
# a bpffs of its own, so that nothing gets mounted in the caller's namespace.
start_capturer() {
	local t=$1 ready="" i=0
	CAP_ERR=$WORK/$t.err
	: >"$CAP_ERR"
	case $t in
	captured-*)
		local backend=${t#captured-}
		CTL=$WORK/control.sock
		# shellcheck disable=SC2086 # CAPTURED_OPTS: several words
		ns_bg_sys "$NS_CAP" taskset -c "$CAP_CPU" "$CAPTURED" -i "$IF_CAP" --store "$OUT/store" \
			--backend "$backend" --cpus "$CAP_CPU" --ring-size "${RING_MB}M" --control-socket "$CTL" \
			$CAPTURED_OPTS 2>"$CAP_ERR"
		;;
	tcpdump)
		ns_bg_sys "$NS_CAP" taskset -c "$CAP_CPU" tcpdump -i "$IF_CAP" -n -s 0 -B $((RING_MB * 1024)) \
			-w "$OUT/cap.pcap" 2>"$CAP_ERR"
		ready="listening on"
		;;
	netsniff-ng)
		ns_bg_sys "$NS_CAP" taskset -c "$CAP_CPU" netsniff-ng --in "$IF_CAP" --out "$OUT/cap.pcap" -s \
			-S "${RING_MB}MiB" -b "$CAP_CPU" -Q >"$CAP_ERR" 2>&1
		ready="Running"
		;;
	dumpcap)
		ns_bg_sys "$NS_CAP" taskset -c "$CAP_CPU" dumpcap -i "$IF_CAP" -B "$RING_MB" -w "$OUT/cap.pcapng" 2>"$CAP_ERR"
		ready="Capturing on"
		;;
	esac
	CAP_PID=$NS_BG_PID
	while [ $i -lt 200 ]; do
		ns_alive "$CAP_PID" || return 1
		case $t in
		captured-*) [ -S "$CTL" ] && "$CAPCTL" status --json --socket "$CTL" >/dev/null 2>&1 && break ;;
		*) grep -q "$ready" "$CAP_ERR" 2>/dev/null && break ;;
		esac
		sleep 0.05
		i=$((i + 1))
	done
	[ $i -lt 200 ] || say "  (no sign of readiness from $t after 10 s: going on)"
	sleep 0.2
	ns_alive "$CAP_PID"
}

# idle_rate PID: CPU ticks PID uses per 0.2 s while nothing is sent (some
# capturers poll), measured over 1 s; sets IDLE_RATE.
idle_rate() {
	local a b
	a=$(ticks "$1")
	sleep 1
	b=$(ticks "$1")
	IDLE_RATE=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", (b - a) / 5 }')
}

# wait_idle PID: waits until PID has caught up with what was sent: for
# QUIET_S seconds it used no more CPU than when idle (IDLE_RATE, plus half a
# tick per 0.2 s), at most 30 s.  Sets DONE_TICKS to its CPU ticks at the
# start of that quiet time (so the wait is not counted).  QUIET_S must exceed
# the block timeout of TPACKET_V3 capturers (tcpdump: 1 s): a partly filled
# block reaches them only then, and what a capturer has not read when it
# stops is lost without being counted as a drop.
wait_idle() {
	local need i=0 hist=() now
	need=$(awk -v q="$QUIET_S" 'BEGIN { printf "%d", q / 0.2 + 0.999 }')
	hist[0]=$(ticks "$1")
	DONE_TICKS=${hist[0]}
	while [ $i -lt 150 ]; do
		sleep 0.2
		now=$(ticks "$1")
		[ -n "$now" ] || return 0
		i=$((i + 1))
		hist[i]=$now
		if [ $i -ge "$need" ] && awk -v d=$((now - hist[i - need])) -v n="$need" -v r="$IDLE_RATE" \
			'BEGIN { exit !(d <= n * (r + 0.5)) }'; then
			DONE_TICKS=${hist[i - need]}
			return 0
		fi
	done
	DONE_TICKS=$now
	say "(${1}: still busy 30 s after the sender ended) "
}

# tool_drops TOOL: what the tool itself says it dropped ("-" when it does not say).
tool_drops() {
	local v=
	case $1 in
	tcpdump) v=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$CAP_ERR" | tail -n 1) ;;
	dumpcap) v=$(sed -n "s/^Packets received\/dropped on interface .*: [0-9]*\/\([0-9]*\).*/\1/p" "$CAP_ERR" | tail -n 1) ;;
	netsniff-ng) v=$(sed -n 's/^[[:space:]]*\([0-9]*\)[[:space:]]*packets failed filter (out of space).*/\1/p' "$CAP_ERR" | tail -n 1) ;;
	captured-*) v=$CAPTURED_DROPS ;;
	esac
	printf '%s\n' "${v:--}"
}

# captured_status_drops: sum of totals.drops in capctl status --json.
captured_status_drops() {
	"$CAPCTL" status --json --socket "$CTL" 2>/dev/null | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)["totals"]["drops"]
    print(sum(v for v in d.values() if isinstance(v, int)))
except Exception:
    print("-")' 2>/dev/null || echo -
}

# count_output TOOL: frames in what the tool wrote.
count_output() {
	local n
	case $1 in
	captured-*)
		n=$("$CAPCTL" --store "$OUT/store" list --json 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin)["total"]["packets"])' 2>/dev/null) || n=
		;;
	*)
		n=
		for f in "$OUT"/cap.*; do
			[ -f "$f" ] && n=$(npackets "$f")
		done
		;;
	esac
	printf '%s\n' "${n:--}"
}

ifstat() { ns_ifstats "$1" "$2"; }

# store_isb: the interface statistics captured wrote at the end of its store
# files (livetraffic.py isb), as one line.
store_isb() {
	local files=()
	mapfile -t files < <(find "$OUT/store" -name '*.pcapng*' -type f | sort)
	[ ${#files[@]} -gt 0 ] || { echo "ISB: no store files"; return 0; }
	python3 "$REPO/tests/lib/livetraffic.py" isb "${files[@]}" 2>/dev/null | python3 -c '
import json, sys
t = json.load(sys.stdin)["totals"]
print("ISB of the %d store file(s): " % int(sys.argv[1]) + ", ".join(
    "%s %s" % (k, t[k]) for k in ("packets", "isb_ifrecv", "isb_ifdrop", "isb_osdrop", "isb_usrdeliv") if k in t))
' "${#files[@]}" || echo "ISB: unreadable"
}

hr
say "live capture benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
say "veth $IF_SND ($NS_SND) -> $IF_CAP ($NS_CAP), MTU 1500, 1 queue, IPv6 off (no other traffic)"
speed="as fast as it goes"
[ -z "$RATE" ] || speed="paced to $RATE frames/s (trafgen -b)"
say "sender: trafgen -P 1 (CPU $SND_CPU, qdisc bypassed), $COUNT frames per run, $speed"
say "capturers: pinned to CPU $CAP_CPU, ${RING_MB} MiB kernel buffer each, writing to $WORK (on $(df --output=fstype "$WORK" | tail -n 1))"
say "tools:$tools   sizes: $SIZES"
hr

for size in $SIZES; do
	cfg=$WORK/trafgen-$size.cfg
	trafgen_cfg "$size" "$cfg"
	# Warm-up (untimed): the first run after a pause is slower.
	ns_run "$NS_SND" trafgen --dev "$IF_SND" --conf "$cfg" -n 100000 -P 1 >"$WORK/trafgen.out" 2>&1 ||
		{ grep -v 'Cannot set system socket memory' "$WORK/trafgen.out" | tail -n 5 >&2; die "trafgen failed"; }
	for t in $tools; do
		rm -rf "$OUT"
		mkdir -p "$OUT"
		CAP_PID=
		CAPTURED_DROPS=-
		isb_line=
		printf '%5s B  %-18s ' "$size" "$t"
		# Every capturer puts the interface in promiscuous mode, which costs
		# the sender's core; the sender alone gets it too, for a fair base.
		[ "$t" = none ] && ns_run "$NS_CAP" ip link set dev "$IF_CAP" promisc on
		if [ "$t" != none ] && ! start_capturer "$t"; then
			ns_stop "$CAP_PID" TERM 5
			say "did not start (exit $NS_STOP_RC): $(grep -v '^[[:space:]]*$' "$CAP_ERR" | head -n 3 | tr '\n' ' ')"
			printf '%s\n' "$size	$t	failed" >>"$ROWS"
			continue
		fi
		read -r _ _ tx0 _ <<<"$(ifstat "$NS_SND" "$IF_SND")"
		read -r rx0 _ _ _ <<<"$(ifstat "$NS_CAP" "$IF_CAP")"
		c0=0
		IDLE_RATE=0
		if [ -n "$CAP_PID" ]; then
			idle_rate "$CAP_PID"
			c0=$(ticks "$CAP_PID")
		fi
		t0=$(date +%s.%N)
		rc=0
		ns_run "$NS_SND" trafgen --dev "$IF_SND" --conf "$cfg" -n "$COUNT" -P 1 "${pace[@]}" >"$WORK/trafgen.out" 2>&1 || rc=$?
		t1=$(date +%s.%N)
		if [ $rc != 0 ]; then
			grep -v 'Cannot set system socket memory' "$WORK/trafgen.out" | tail -n 5 >&2
			die "trafgen failed (exit $rc)"
		fi
		read -r _ _ tx1 _ <<<"$(ifstat "$NS_SND" "$IF_SND")"
		sent=$((tx1 - tx0))
		cpu=- frames=- drops=- stop_s=- bytes=-
		if [ -n "$CAP_PID" ]; then
			wait_idle "$CAP_PID"
			c1=$DONE_TICKS
			cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }')
			case $t in captured-*) CAPTURED_DROPS=$(captured_status_drops) ;; esac
			s0=$(date +%s.%N)
			case $t in
			captured-*) ns_stop "$CAP_PID" TERM 60 ;;
			*) ns_stop "$CAP_PID" INT 60 ;;
			esac
			s1=$(date +%s.%N)
			stop_s=$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.2f", b - a }')
			[ "$NS_STOP_RC" = 0 ] || say "($t exited with status $NS_STOP_RC) "
			frames=$(count_output "$t")
			drops=$(tool_drops "$t")
			case $t in captured-*) isb_line="$(store_isb)" ;; *) isb_line= ;; esac
			bytes=$(dirbytes "$OUT")
			if [ "${t%%-*}" = captured ] && ns_run "$NS_CAP" ip link show dev "$IF_CAP" | grep -q ' xdp'; then
				say "(an XDP program is still attached to $IF_CAP after captured ended: removing it) "
				ns_run "$NS_CAP" ip link set dev "$IF_CAP" xdp off 2>/dev/null || true
			fi
		fi
		[ "$t" = none ] && ns_run "$NS_CAP" ip link set dev "$IF_CAP" promisc off
		read -r rx1 _ _ _ <<<"$(ifstat "$NS_CAP" "$IF_CAP")"
		wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
		idle=-
		[ -z "$CAP_PID" ] || idle=$(awk -v r="$IDLE_RATE" -v hz="$HZ" 'BEGIN { printf "%.1f", r * 5 / hz * 100 }')
		row="$size	$t	ok	$COUNT	$sent	$((rx1 - rx0))	$wall	$frames	$drops	$cpu	$stop_s	$bytes	$idle"
		printf '%s\n' "$row" >>"$ROWS"
		printf '%s\n' "$row" | awk -F'\t' '{
			printf "sent %d in %.2f s (%.3f Mpps)", $5, $7, $5 / $7 / 1e6
			if ($8 != "-") printf ", captured %s (%.2f %%), tool reports %s dropped, CPU %s s (idle %s %%), stop %s s", $8, 100 * $8 / $5, $9, $10, $13, $11
			print ""
		}'
		[ -z "$isb_line" ] || say "         $isb_line"
		if [ "$sent" != "$COUNT" ]; then
			say "         (the veth counted $sent frames sent, not $COUNT)"
		fi
		if [ $((rx1 - rx0)) != "$sent" ]; then
			say "         ($IF_CAP received $((rx1 - rx0)) of the $sent frames: the veth itself dropped some)"
		fi
		if [ -n "$CAP_PID" ] && [ "$KEEP" = 1 ]; then
			cp "$CAP_ERR" "$WORK/$t-$size.log"
		fi
		rm -rf "$OUT"
	done
done

# ---- the table
echo
hr
say "RESULTS  ($COUNT frames per run; sent = frames the sender's veth transmitted)"
printf '%-5s %-18s %9s %8s %10s %8s %8s %9s %7s %8s %6s %9s %8s\n' \
	size tool sent snd_Mpps captured lost lost% tool_drop cpu_s cpu/Mpkt idle% snd_us/pkt +us/pkt
awk -F'\t' '
$3 == "failed" { printf "%-5s %-18s %s\n", $1, $2, "(did not start)"; next }
{
	size = $1; t = $2; sent = $5; wall = $7
	mpps = sent / wall / 1e6
	us = wall / sent * 1e6
	if (t == "none") base[size] = us
	extra = (size in base && t != "none") ? sprintf("%+.3f", us - base[size]) : "-"
	if ($8 == "-") {
		printf "%-5s %-18s %9d %8.3f %10s %8s %8s %9s %7s %8s %6s %9.3f %8s\n", size, t, sent, mpps, "-", "-", "-", "-", "-", "-", "-", us, extra
	} else {
		lost = sent - $8
		cpm = ($8 > 0) ? sprintf("%.3f", $10 / ($8 / 1e6)) : "-"
		printf "%-5s %-18s %9d %8.3f %10d %8d %8.2f %9s %7.2f %8s %6s %9.3f %8s\n", size, t, sent, mpps, $8, lost, 100 * lost / sent, $9, $10, cpm, $13, us, extra
	}
}' "$ROWS"
echo
say "columns: snd_Mpps = sent / trafgen wall time; captured = frames in the output (capinfos -c;"
say "  captured: capctl list --json total.packets); lost = sent - captured; tool_drop = the tool's own"
say "  drop count (tcpdump 'dropped by kernel', dumpcap 'received/dropped', netsniff-ng 'failed filter"
say "  (out of space)', captured: capctl status totals.drops before the stop); cpu_s = user+sys"
say "  seconds of the capture process (all threads; /proc/PID/stat) from the start of the sender to"
say "  when the capturer had caught up (its start-up, the quiet wait and the stop are left out;"
say "  idle% = its CPU use while nothing is sent, in % of a core, is included while it runs);"
say "  cpu/Mpkt = cpu_s per million captured frames; snd_us/pkt = sender"
say "  core time per frame (1 / rate); +us/pkt = that minus the sender alone ('none', with the"
say "  interface in promiscuous mode like under every capturer)"

# ---- ratios: captured against each other tool
echo
ref_tools=$(awk -F'\t' '$3 == "ok" && $2 ~ /^captured-/ && $8 != "-" { print $2 }' "$ROWS" | sort -u)
if [ -z "$ref_tools" ]; then
	ref_tools=$(awk -F'\t' '$3 == "ok" && $8 != "-" { print $2; exit }' "$ROWS")
	[ -n "$ref_tools" ] && say "RATIOS (no captured rows: relative to $ref_tools instead)"
else
	say "RATIOS (other tool / captured for CPU per Mpkt: > 1 means captured uses less CPU per frame)"
fi
for ref in $ref_tools; do
	awk -F'\t' -v ref="$ref" '
	$3 != "ok" || $8 == "-" { next }
	{ key = $1 SUBSEP $2; cap[key] = $8; sent[key] = $5; cpu[key] = $10; sizes[$1] = 1; tl[$2] = 1; order[++n] = $1 "\t" $2 }
	END {
		for (i = 1; i <= n; i++) {
			split(order[i], a, "\t"); s = a[1]; t = a[2]
			if (t == ref) continue
			if (t ~ /^captured-/ && t < ref) continue   # each pair of backends once
			r = s SUBSEP ref; o = s SUBSEP t
			if (!(r in cap)) continue
			cr = (cap[r] > 0) ? cpu[r] / (cap[r] / 1e6) : 0
			co = (cap[o] > 0) ? cpu[o] / (cap[o] / 1e6) : 0
			ratio = (cr > 0) ? sprintf("%.2fx", co / cr) : "-"
			printf "%5s B  %-18s vs %-12s CPU/Mpkt %6.3f vs %6.3f s (%s)   complete %7.3f %% vs %7.3f %%\n", s, ref, t, cr, co, ratio, 100 * cap[r] / sent[r], 100 * cap[o] / sent[o]
		}
	}' "$ROWS"
done

echo
say "NOTES"
say "- On veth all receive-side kernel work (veth, XDP/AF_XDP copy or packet-socket copy into the"
say "  capturer's ring, timestamps) runs on the SENDER's core (CPU $SND_CPU), inside trafgen's sendto."
say "  The capturer's cpu_s leaves it out; it shows up instead as a lower sender rate (+us/pkt)."
say "- What limits the rate is the sender's core: trafgen plus that kernel work (unless RATE paces"
say "  it).  A capturer whose ring is full makes the kernel drop instead of copy, which is cheaper:"
say "  a lossy capturer lets the sender go faster.  The capturer's core is mostly idle unless"
say "  lost > 0 (then the capturer, or its writing, fell behind)."
say "- trafgen's frames repeat a filler chosen once (8 random bytes each): they compress far better"
say "  than real traffic, so captured's zstd work here is light (bench/ingest.sh measures compression)."
say "- One run per row; figures move by 10-20 % between runs on a shared 2-CPU VM: rerun to compare."
while IFS=$'\t' read -r size t st _ sent _ wall frames drops cpu _ _; do
	if [ "$st" != ok ] || [ "$frames" = - ]; then continue; fi
	result live "$size" "$t" "$sent" "$wall" "$frames" "$drops" "$cpu"
done <"$ROWS"
