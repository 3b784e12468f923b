#!/bin/bash
# captured and a real ptp4l: a grandmaster and a free-running slave
# (software timestamping) on a veth pair, captured on the slave's side with
# clock_source = ptp4l.  The daemon's clock must become LOCKED and agree
# with pmc about port state and grandmaster; packets captured then are
# indexed as locked, in a file whose time record names the grandmaster.
# Stopping the master must take the state out of LOCKED within the
# configured time, then to FREERUN after clock_holdover; packets captured
# then are indexed as not locked, in a new file (the grandmaster changed),
# and capctl slice and list warn about exactly them.  A restarted ptp4l
# is survived: the daemon hears it again and locks again.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTS_DIR/lib/netns.sh"
. "$TESTS_DIR/lib/ptp.sh"
. "$TESTS_DIR/lib/live.sh"
need_bins

PTP_DOMAIN=3
ptp_setup
ptp_wait_state SLAVE 30 || ptp_die "the slave did not reach SLAVE"
note "slave in SLAVE after ${PTP_WAIT_S}s"

gm=$(ptp_pmc "$PTP_MASTER_SOCK" 'GET DEFAULT_DATA_SET' | awk '$1 == "clockIdentity" { print $2 }')
slave_id=$(ptp_pmc "$PTP_SLAVE_SOCK" 'GET DEFAULT_DATA_SET' | awk '$1 == "clockIdentity" { print $2 }')
[ -n "$gm" ] && [ -n "$slave_id" ] || ptp_die "pmc gave no clockIdentity"

# PTP event messages would be captured too: filter them out (the frames
# the test sends are all that is stored).  AF_XDP would take the PTP
# frames away from the slave, so AF_PACKET.
live_start afpacket --filter 'not ether proto 0x88f7' --clock-source ptp4l \
	--ptp-socket "$PTP_SLAVE_SOCK" --ptp-domain "$PTP_DOMAIN" \
	--ptp-client-socket "$T/pmc-client.sock" --ptp-poll 200ms --clock-timeout 1s \
	--clock-lock 50us --clock-unlock 200us --clock-lock-samples 3 --clock-holdover 2s \
	--flush-time 200ms

# clock_state WANT SECS: polls status until clock.state is WANT; sets WAITED
clock_state() {
	local want=$1 secs=$2 t0 now st
	t0=$(date +%s%N)
	while :; do
		live_status
		st=$(live_field 's["clock"]["state"]')
		now=$(date +%s%N)
		WAITED=$(awk -v a="$t0" -v b="$now" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
		[ "$st" = "$want" ] && return 0
		if [ $(((now - t0) / 1000000)) -ge $((secs * 1000)) ]; then
			sed 's/^/   | /' "$T/status.json" >&2
			sed 's/^/   | /' "$T/captured.log" >&2
			ptp_die "clock state $st, not $want, after ${secs}s"
		fi
		sleep 0.1
	done
}

say "locked to the grandmaster"
check "status: clock locked within 15 s"
clock_state locked 15
note "locked after ${WAITED}s"
check "status agrees with pmc: port SLAVE, grandmaster $gm, domain, socket"
[ "$(live_field 's["clock"]["source"]')" = ptp4l ] || die "clock source is not ptp4l"
[ "$(live_field 's["clock"]["ptp4l"]["port_state"]')" = "$(ptp_port_state)" ] ||
	die "port state differs from pmc's"
[ "$(live_field 's["clock"]["ptp4l"]["port_state"]')" = SLAVE ] || die "port not SLAVE"
[ "$(live_field 's["clock"]["ptp4l"]["grandmaster"]')" = "$gm" ] ||
	die "grandmaster $(live_field 's["clock"]["ptp4l"]["grandmaster"]') is not $gm"
[ "$(live_field 's["clock"]["ptp4l"]["domain"]')" = "$PTP_DOMAIN" ] || die "domain"
check "status: offset and bound within clock_lock (50 us)"
off=$(live_field 'abs(s["clock"]["ptp4l"]["master_offset_ns"])')
bound=$(live_field 's["clock"]["bound_ns"]')
[ "$off" -le 50000 ] && [ "$bound" -ge 0 ] && [ "$bound" -le 50000 ] ||
	die "offset $off ns, bound $bound ns"
note "offset $off ns, bound $bound ns"
run_rc 0 "capctl status" "$CAPCTL" status --socket "$CTL"
msg_has "capctl status" "clock locked" "source ptp4l" "port SLAVE" "grandmaster $gm"

tA0=$(date +%s.%N)
ns_run "$NS_SND" "${LT[@]}" send -i "$IF_SND" -m "$T/mA.json" -n 300 --run-id 1 -q ||
	die "sending A failed"
tA1=$(date +%s.%N)
live_wait 300
sleep 1   # past flush_time: their frames are written

say "the master goes away"
ptp_stop_master
check "status: out of LOCKED within 3 s (3 missed Announces at 250 ms, clock_timeout 1 s)"
t0=$(date +%s%N)
while :; do
	live_status
	st=$(live_field 's["clock"]["state"]')
	[ "$st" != locked ] && break
	[ $((($(date +%s%N) - t0) / 1000000)) -lt 3000 ] || die "still locked 3 s after the master stopped"
	sleep 0.05
done
note "$st after $(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')s"
[ "$st" = holdover ] || die "state $st, not holdover"
grep -q 'clock: locked -> holdover' "$T/captured.log" || die "no log line for the loss of lock"
check "status: FREERUN after clock_holdover (2 s)"
clock_state freerun 5
tB0=$(date +%s.%N)
ns_run "$NS_SND" "${LT[@]}" send -i "$IF_SND" -m "$T/mB.json" -n 200 --run-id 2 -q ||
	die "sending B failed"
tB1=$(date +%s.%N)
live_wait 500
sleep 1

say "ptp4l restarts"
ptp_start_master
ptp_restart_slave
ptp_wait_state SLAVE 30 || ptp_die "the slave did not reach SLAVE again"
check "status: locked again after ptp4l restarted"
clock_state locked 15
[ "$(live_field 's["clock"]["ptp4l"]["reachable"]')" = True ] || die "ptp4l not reachable"
grep -q "clock: ptp4l at .* answers" "$T/captured.log" || die "no log line for ptp4l answering"
ns_run "$NS_SND" "${LT[@]}" send -i "$IF_SND" -m "$T/mC.json" -n 100 --run-id 3 -q ||
	die "sending C failed"
live_wait 600
live_stop

say "the store"
check "every frame sent is stored once, with its bytes"
run_rc 0 "livetraffic.py check" "${LT[@]}" check -m "$T/mA.json" -m "$T/mB.json" \
	-m "$T/mC.json" "$STORE"/*.pcapng*
list_json "$STORE" >"$T/list.json"
check "index: 200 packets not locked (B's); every file's time record names ptp4l and $gm"
"$PYTHON" - "$T/list.json" "$gm" <<'EOF' || die "clock provenance in the store is wrong"
import json, sys
files = json.load(open(sys.argv[1]))["files"]
gm = sys.argv[2]
for f in files:
    t = f["clock"]["time"] or {}
    print("     %s: %d packets, worst %s, not locked %d, grandmaster %s" % (
        f["name"][:40], f["packets"], f["clock"]["worst_state"],
        f["clock"]["packets_not_locked"], t.get("grandmaster")))
    assert t.get("clock_source") == "ptp4l" and t.get("timestamps") == "software", t
    assert t.get("ptp_domain") == "3" and t.get("grandmaster") == gm, t
notl = sum(f["clock"]["packets_not_locked"] for f in files)
assert notl == 200, "packets not locked: %d, not 200" % notl
assert files[-1]["clock"]["worst_state"] == "locked", "the last file (C) is not locked"
EOF
check "capctl slice of A's time: 300 packets, no warning"
"$CAPCTL" --store "$STORE" slice --from "$tA0" --to "$tA1" --count >"$T/a.count" 2>"$T/a.err" ||
	die "slice A failed"
[ "$(cat "$T/a.count")" = 300 ] || die "slice A: $(cat "$T/a.count") packets"
! grep -q "not locked" "$T/a.err" || { cat "$T/a.err" >&2; die "slice A warns"; }
check "capctl slice of B's time: 200 packets, all flagged"
"$CAPCTL" --store "$STORE" slice --from "$tB0" --to "$tB1" -w "$T/b.pcapng" 2>"$T/b.err" ||
	die "slice B failed"
grep -q "warning: 200 of the 200 packets were captured while the clock was not locked" \
	"$T/b.err" || { cat "$T/b.err" >&2; die "no warning for B"; }
check "capctl slice of everything: 200 of the 600 flagged"
"$CAPCTL" --store "$STORE" slice -w "$T/all.pcapng" 2>"$T/slice.err" || die "slice failed"
grep -q "warning: 200 of the 600 packets were captured while the clock was not locked" \
	"$T/slice.err" || { cat "$T/slice.err" >&2; die "no warning"; }
check "capctl list warns too"
"$CAPCTL" --store "$STORE" list >/dev/null 2>"$T/list.err"
grep -q "warning: 200 packets were captured while the clock was not locked" "$T/list.err" ||
	{ cat "$T/list.err" >&2; die "no warning from list"; }
check "the SHB comment tells a person in Wireshark where the time came from"
f=$(ls "$STORE"/*.pcapng.zst | head -n 1)
capinfos -k "$f" >"$T/capinfos.out" 2>&1 || true
grep -q "clock quality from ptp4l ($PTP_SLAVE_SOCK, domain 3" "$T/capinfos.out" ||
	{ cat "$T/capinfos.out" >&2; die "no SHB comment"; }
finish
