#!/bin/bash
# The daemon's life under traffic: SIGHUP closes the open files (new ones
# start with the next packet) and reloads the configuration file; SIGTERM
# in the middle of a stream stops it within a second and leaves only
# complete files that capctl verify accepts, holding only intact frames.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTS_DIR/lib/netns.sh"
. "$TESTS_DIR/lib/live.sh"
need_bins
need_tool python3 zstd nsenter ip

netns_setup --tag lsr
cat >"$T/c.conf" <<CONF
[captured]
level = 3
CONF
say "SIGHUP: rotation and reload"
live_start afpacket -c "$T/c.conf"
live_send 500
live_wait 500
printf '[captured]\nlevel = 1\nsnaplen = 100\n' >"$T/c.conf"
kill -HUP "$CAP_PID"
sleep 0.5
cp "$T/m.json" "$T/m1.json"
live_send 500 --run-id 2
live_wait 1000
live_status
check "still running after SIGHUP; the writer now compresses at level 1"
ns_alive "$CAP_PID" || die "captured died on SIGHUP"
[ "$(live_field 's["queues"][0]["stored"]["level"]')" = 1 ] ||
	die "level after reload: $(live_field 's["queues"][0]["stored"]["level"]')"
live_stop
check "two files: the one SIGHUP closed and the one after"
[ "$(ls "$STORE" | grep -c '\.pcapng\.zst$')" = 2 ] || die "files: $(ls "$STORE")"
check "the reload applied level 1 and kept snaplen (needs a restart)"
grep -q "reload: level = 1" "$T/captured.log" || die "no reload line for level"
grep -q "snaplen changed to 100, which needs a restart" "$T/captured.log" || die "no restart note for snaplen"
run_rc 0 "check both runs" "${LT[@]}" check -m "$T/m1.json" -m "$T/m.json" --monotonic "$STORE"/*.pcapng.zst

say "SIGTERM in the middle of a stream"
rm -rf "$STORE"
live_start afxdp
ns_bg "$NS_SND" "${LT[@]}" send -i "$IF_SND" -m "$T/m.json" -n 200000 --pps 40000 -q
snd=$NS_BG_PID
live_wait 20000
t0=$(date +%s%N)
ns_stop "$CAP_PID" TERM 5
t1=$(date +%s%N)
[ "$NS_STOP_RC" = 0 ] || { cat "$T/captured.log" >&2; die "exit status $NS_STOP_RC after SIGTERM"; }
ms=$(((t1 - t0) / 1000000))
check "stopped within a second ($ms ms)"
[ $ms -lt 1000 ] || die "SIGTERM took $ms ms"
ns_stop "$snd" TERM 5
check "only complete files; capctl verify passes"
ls "$STORE" | grep -q '\.part$' && die "a .part file is left: $(ls "$STORE")"
run_ok "capctl verify" "$CAPCTL" --store "$STORE" verify
check "what was stored is intact, each frame once (the rest came after the stop)"
live_check --allow-missing --monotonic
finish
