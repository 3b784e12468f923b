#!/bin/bash
# Soak, bounded (about 60 s in make test; SOAK_SECS=600 for a longer one by
# hand): a steady offered rate on a veth (SOAK_PPS, default 20 kpps, well
# below what the machine sustains) captured for SOAK_SECS (default 45 s,
# 30 s in the ASan+UBSan pass) with rotation every 2 s and retention deleting
# files all along (retain_size 12M), while capctl slice and capctl status
# query the store and the daemon in a loop.  The daemon's RSS (VmRSS) and
# open descriptors (/proc/PID/fd) are sampled every 5 s: after a warm-up
# (SOAK_WARMUP, 15 s; 10 s under ASan) memory must stay flat (growth under 4 MiB), the
# descriptor count constant, and nothing may be dropped: status counts
# every frame sent, and what retention left is intact.
#   SOAK_BACKEND   afpacket (default) or afxdp
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTS_DIR/lib/netns.sh"
. "$TESTS_DIR/lib/live.sh"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, veth)"
need_bins
need_tool python3 zstd nsenter ip
PPS=${SOAK_PPS:-20000}
case $BUILD in
*san*) SECS=${SOAK_SECS:-30} WARMUP=${SOAK_WARMUP:-10} ;;
*) SECS=${SOAK_SECS:-45} WARMUP=${SOAK_WARMUP:-15} ;;
esac
BACKEND=${SOAK_BACKEND:-afpacket}
COUNT=$((PPS * SECS))
RSS_GROWTH_KIB=4096

if ldd "$CAPTURED" 2>/dev/null | grep -q libasan; then
	# ASan holds freed memory in a quarantine (256 MiB) that reads as growth
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
	note "ASan build: quarantine off, so that RSS shows the program's own memory"
fi

netns_setup --tag sok
say "$BACKEND: $PPS frames/s for $SECS s, rotation every 2 s, retention at 12M, queries in a loop"
live_start "$BACKEND" --rotate-time 2s --retain-size 12M --stats-interval 1s
pid=$CAP_PID

# the sender, paced, in the background
ns_bg "$NS_SND" "${LT[@]}" send -i "$IF_SND" -m "$T/m.json" -n $COUNT --pps "$PPS" \
	--min-size 60 --max-size 800 -q
snd=$NS_BG_PID

# the queries: status and a slice of the last seconds, over and over
(
	n=0 sfail=0 qfail=0
	while [ ! -e "$T/stop-queries" ]; do
		"$CAPCTL" status --socket "$CTL" >/dev/null 2>>"$T/q.err" || sfail=$((sfail + 1))
		"$CAPCTL" --store "$STORE" slice --from -3s -w - 'udp' >/dev/null 2>>"$T/q.err" ||
			qfail=$((qfail + 1))
		n=$((n + 1))
		sleep 0.2
	done
	echo "$n $sfail $qfail" >"$T/queries"
) &
qpid=$!
ns_track $qpid

# fds: the least of a few looks, so that a descriptor that lives for a
# moment (a status connection, a file being rotated) is not counted
nfd() {
	local i m=999999 c
	for i in 1 2 3 4 5; do
		c=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
		[ "$c" -lt "$m" ] && m=$c
		sleep 0.02
	done
	echo "$m"
}
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }

printf '     %5s %9s %5s %9s %6s %s\n' "t(s)" "RSS(KiB)" "fds" "packets" "files" "drops"
t0=$(date +%s)
: >"$T/samples"
while ns_alive "$snd"; do
	sleep 5
	ns_alive "$pid" || { cat "$T/captured.log" >&2; die "captured died"; }
	live_status
	t=$(($(date +%s) - t0))
	line="$t $(rss) $(nfd) $(live_field 's["totals"]["packets"]') $(live_field 's["store"]["files"]') $(live_field 'sum(s["totals"]["drops"].values())')"
	echo "$line" >>"$T/samples"
	# shellcheck disable=SC2086
	printf '     %5s %9s %5s %9s %6s %s\n' $line
done
ns_stop "$snd" TERM 5
[ "$NS_STOP_RC" = 0 ] || die "the sender failed ($NS_STOP_RC)"
live_wait $COUNT
touch "$T/stop-queries"
wait "$qpid" || true
read -r nq sfail qfail <"$T/queries"
note "queries: $nq rounds of status + slice; $sfail status and $qfail slice failures"
[ -s "$T/q.err" ] && note "$(grep -vc 'not locked to its reference' "$T/q.err" || true) stderr lines of the queries besides clock warnings"

check "memory flat after ${WARMUP}s of warm-up, descriptors constant (one may come and go with rotation)"
"$PYTHON" - "$T/samples" "$WARMUP" "$RSS_GROWTH_KIB" <<'PY' || die "resource use grew (see above)"
import sys
rows = [list(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
warm, limit = int(sys.argv[2]), int(sys.argv[3])
steady = [r for r in rows if r[0] >= warm]
if len(steady) < 3:
    sys.exit("too few samples after the warm-up: %d" % len(steady))
rss = [r[1] for r in steady]
fds = [r[2] for r in steady]
growth = max(rss) - rss[0]
print("     RSS %d KiB at %d s, %d..%d KiB after (growth %d KiB, limit %d); fds %d..%d"
      % (rss[0], steady[0][0], min(rss), max(rss), growth, limit, min(fds), max(fds)))
# a file is closed a moment before the next one opens: one descriptor
# may come and go, but none may pile up
third = max(1, len(fds) // 3)
bad = growth >= limit or max(fds) - min(fds) > 1 or max(fds[-third:]) > max(fds[:third])
sys.exit(1 if bad else 0)
PY
check "no drops: status counts all $COUNT frames, every drop counter 0"
live_status
[ "$(live_field 's["totals"]["packets"]')" = $COUNT ] || die "status counts $(live_field 's["totals"]["packets"]') of $COUNT"
[ "$(live_field 'sum(s["totals"]["drops"].values())')" = 0 ] || die "drops: $(live_field 's["totals"]["drops"]')"
check "status answered every time"
[ "$sfail" = 0 ] || die "$sfail status queries failed"
files=$(live_field 's["totals"]["stored"]["files"]')
live_stop
check "retention ran: $files files written, $(store_files "$STORE" | wc -l) left; what is left is intact"
[ "$files" -gt "$(store_files "$STORE" | wc -l)" ] || die "retention deleted nothing"
run_rc 0 "livetraffic.py check" "${LT[@]}" check -m "$T/m.json" --allow-missing "$STORE"/*.pcapng*
tail -n 1 "$T/last.out" | sed 's/^/     /'
run_ok "capctl verify" "$CAPCTL" --store "$STORE" verify
finish
