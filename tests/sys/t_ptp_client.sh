#!/bin/bash
# capctl ptp, our own PTP management client (ptp/pmc.c), against real
# ptp4l instances (tests/lib/ptp.sh: a grandmaster and a free_running slave
# on a veth pair, software timestamping, domain 7): once the slave is in
# SLAVE, capctl ptp --json must say what pmc says about the same instance;
# after a restart of the slave's ptp4l capctl answers again; when the
# master stops, the port leaves SLAVE within seconds and capctl shows it.
# Then a stand-in ptp4l that answers with malformed datagrams: capctl
# reports each one and exits 1, never crashes.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTS_DIR/lib/netns.sh"
. "$TESTS_DIR/lib/ptp.sh"
need_tool jq
[ -x "$CAPCTL" ] || die "no capctl binary at $CAPCTL (build first)"

# not the default domain: capctl must send --domain, and ptp4l ignores
# requests for other domains
PTP_DOMAIN=7

# ours: capctl ptp --json for the slave into $T/ours.json
ours() {
	run_rc 0 "capctl ptp --json" "$CAPCTL" ptp --json --socket "$PTP_SLAVE_SOCK" \
		--domain "$PTP_DOMAIN"
	cp "$T/last.out" "$T/ours.json"
}
# j FIELD: a field of $T/ours.json, as jq prints it (jq 1.6 turns integers
# beyond 2^53 into doubles: ingress_time_ns is taken from the text)
j() {
	case $1 in
	ingress_time_ns) sed -n 's/^ *"ingress_time_ns": \(-\{0,1\}[0-9]*\),$/\1/p' "$T/ours.json" ;;
	*) jq -r ".$1" "$T/ours.json" ;;
	esac
}
# p KEY: the first value of KEY in pmc's output $T/pmc.txt
p() { awk -v k="$1" '$1 == k { print $2; exit }' "$T/pmc.txt"; }
# same DESC OURS PMC: one check, equal strings
same() {
	check "$1: capctl '$2', pmc '$3'"
	if [ -z "$2" ] || [ "$2" = null ]; then
		fail "$1: capctl has no value"
	elif [ "$2" != "$3" ]; then
		fail "$1: capctl says '$2', pmc says '$3'"
	fi
}
bool() { case $1 in 1 | true) echo true ;; 0 | false) echo false ;; *) echo "?$1" ;; esac; }

t_start=$(date +%s)
say "ptp4l grandmaster and free_running slave, domain $PTP_DOMAIN"
ptp_setup
check "the slave's port reaches SLAVE"
ptp_wait_state SLAVE 30 || ptp_die "the slave's port is '$(ptp_port_state)' after 30 s, not SLAVE"
note "SLAVE ${PTP_WAIT_S} s after SET SYNCHRONIZATION_UNCERTAIN_NP 0"

say "capctl ptp --json and pmc on the same ptp4l"
ours
ptp_pmc "$PTP_SLAVE_SOCK" 'GET PORT_DATA_SET' 'GET PORT_PROPERTIES_NP' 'GET CURRENT_DATA_SET' \
	'GET PARENT_DATA_SET' 'GET TIME_PROPERTIES_DATA_SET' 'GET TIME_STATUS_NP' >"$T/pmc.txt" 2>&1
for id in PORT_DATA_SET PORT_PROPERTIES_NP CURRENT_DATA_SET PARENT_DATA_SET \
	TIME_PROPERTIES_DATA_SET TIME_STATUS_NP; do
	grep -q "RESPONSE MANAGEMENT $id" "$T/pmc.txt" || {
		sed 's/^/   | /' "$T/pmc.txt" >&2
		ptp_die "pmc got no $id from the slave"
	}
done
same "socket and domain" "$(j socket) $(j domain)" "$PTP_SLAVE_SOCK $PTP_DOMAIN"
same "port state" "$(j port_state)" "$(p portState)"
same "port identity" "$(j port_identity)" "$(p portIdentity)"
same "clock identity" "$(j clock_identity)" \
	"$(awk '/RESPONSE MANAGEMENT CURRENT_DATA_SET/ { sub(/-[0-9]+$/, "", $1); print $1; exit }' "$T/pmc.txt")"
same "interface" "$(j interface)" "$(p interface)"
same "interface is the slave's veth" "$(j interface)" "$IF_CAP"
same "timestamping" "$(j timestamping)" "$(p timestamping | tr '[:upper:]' '[:lower:]')"
same "announce interval, receipt timeout, sync interval" \
	"$(j log_announce_interval) $(j announce_receipt_timeout) $(j log_sync_interval)" \
	"$(p logAnnounceInterval) $(p announceReceiptTimeout) $(p logSyncInterval)"
same "grandmaster identity (PARENT_DATA_SET)" "$(j gm_identity)" "$(p grandmasterIdentity)"
same "grandmaster identity (TIME_STATUS_NP)" "$(j gm_identity)" "$(p gmIdentity)"
master_id=$(ptp_pmc "$PTP_MASTER_SOCK" 'GET DEFAULT_DATA_SET' | awk '$1 == "clockIdentity" { print $2 }')
same "grandmaster is the master ptp4l" "$(j gm_identity)" "$master_id"
same "grandmaster present" "$(j gm_present)" "$(bool "$(p gmPresent)")"
same "parent port identity" "$(j parent_port_identity)" "$(p parentPortIdentity)"
same "grandmaster priority1, class" "$(j gm_priority1) $(j gm_clock_class)" \
	"$(p grandmasterPriority1) $(p gm.ClockClass)"
same "steps removed" "$(j steps_removed)" "$(p stepsRemoved)"
same "UTC offset" "$(j current_utc_offset)" "$(p currentUtcOffset)"
same "UTC offset valid, leap61, leap59" \
	"$(j current_utc_offset_valid) $(j leap61) $(j leap59)" \
	"$(bool "$(p currentUtcOffsetValid)") $(bool "$(p leap61)") $(bool "$(p leap59)")"
same "PTP timescale, time traceable, frequency traceable" \
	"$(j ptp_timescale) $(j time_traceable) $(j frequency_traceable)" \
	"$(bool "$(p ptpTimescale)") $(bool "$(p timeTraceable)") $(bool "$(p frequencyTraceable)")"
same "time source" "$(printf '0x%x' "$(j time_source)")" "$(p timeSource)"

# Offsets are per Sync (every 125 ms): compare exactly when both saw the
# same Sync (same ingress_time), else within a tolerance.
check "master offset: the same value for the same Sync (ingress_time), both present"
matched=
for _ in 1 2 3 4 5 6 7 8 9 10; do
	ptp_pmc "$PTP_SLAVE_SOCK" 'GET TIME_STATUS_NP' >"$T/pmc1.txt"
	ours
	ptp_pmc "$PTP_SLAVE_SOCK" 'GET TIME_STATUS_NP' >"$T/pmc2.txt"
	for f in "$T/pmc1.txt" "$T/pmc2.txt"; do
		cp "$f" "$T/pmc.txt"
		if [ "$(p ingress_time)" = "$(j ingress_time_ns)" ]; then
			matched=$(p master_offset)
			break 2
		fi
	done
done
[ "$(j master_offset_ns)" != null ] || fail "capctl has no master_offset_ns"
[ "$(j offset_from_master_ns)" = "$(j master_offset_ns)" ] ||
	fail "offset_from_master_ns $(j offset_from_master_ns) != master_offset_ns $(j master_offset_ns)"
if [ -n "$matched" ]; then
	[ "$(j master_offset_ns)" = "$matched" ] ||
		fail "same Sync: capctl says master offset $(j master_offset_ns) ns, pmc $matched ns"
	note "same Sync: both say $matched ns"
else
	d=$(($(j master_offset_ns) - $(p master_offset)))
	note "no common Sync in 10 tries: capctl $(j master_offset_ns) ns, pmc $(p master_offset) ns"
	[ "${d#-}" -lt 5000 ] || fail "master offsets differ by $d ns"
fi
check "path delay: both present, within 5 us of each other"
ptp_pmc "$PTP_SLAVE_SOCK" 'GET CURRENT_DATA_SET' >"$T/pmc.txt"
pd=$(p meanPathDelay)
pd=${pd%.*}
if [ -z "$pd" ] || [ "$(j mean_path_delay_ns)" = null ]; then die "no path delay"; fi
d=$(($(j mean_path_delay_ns) - pd))
[ "${d#-}" -lt 5000 ] || fail "path delays differ by $d ns: capctl $(j mean_path_delay_ns), pmc $pd"
note "path delay: capctl $(j mean_path_delay_ns) ns, pmc $pd ns"
check "text output names the port state, interface and grandmaster"
run_rc 0 "capctl ptp" "$CAPCTL" ptp -S "$PTP_SLAVE_SOCK" -d "$PTP_DOMAIN"
sed 's/^/   | /' "$T/last.out"
msg_has "text output" "port 1 ($IF_CAP): SLAVE, software timestamping" \
	"grandmaster          $(j gm_identity), present" "steps removed        1"

say "the slave's ptp4l restarts"
ns_stop "$PTP_SLAVE_PID" TERM 5
PTP_SLAVE_PID=
check "while it is down: 'no ptp4l at', exit 1"
run_rc 1 "ptp4l down" "$CAPCTL" ptp --socket "$PTP_SLAVE_SOCK" --domain "$PTP_DOMAIN"
msg_has "ptp4l down" "no ptp4l at $PTP_SLAVE_SOCK" "uds_address"
ptp_restart_slave
check "capctl answers the new ptp4l"
ours
case $(j port_state) in
LISTENING | UNCALIBRATED | SLAVE) note "port state $(j port_state) right after the restart" ;;
*) fail "port state after the restart: '$(j port_state)'" ;;
esac
check "the restarted slave reaches SLAVE again, and capctl sees it"
ptp_wait_state SLAVE 30 || ptp_die "after the restart the port is '$(ptp_port_state)', not SLAVE"
ours
[ "$(j port_state)" = SLAVE ] || fail "capctl says '$(j port_state)' where pmc says SLAVE"
note "SLAVE again after ${PTP_WAIT_S} s"

say "the master stops"
ptp_stop_master
check "the slave's port leaves SLAVE within 5 s (3 missed Announces of 250 ms)"
t0=$(date +%s%N)
while :; do
	ours
	[ "$(j port_state)" != SLAVE ] && break
	[ $((($(date +%s%N) - t0) / 1000000)) -lt 5000 ] || ptp_die "still SLAVE 5 s after the master stopped"
	sleep 0.1
done
note "capctl says $(j port_state) after $(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s"
check "... and pmc agrees"
st=$(ptp_port_state)
[ "$st" = "$(j port_state)" ] || fail "pmc says '$st', capctl said '$(j port_state)'"
# ptp4l 3.1.1 (slaveOnly) keeps the parent data set, gmPresent and the last
# offset after losing its master; only ingress_time goes back to 0.
check "no current Sync (ingress_time 0); grandmaster fields as pmc says"
sleep 0.3
ours
ptp_pmc "$PTP_SLAVE_SOCK" 'GET TIME_STATUS_NP' >"$T/pmc.txt"
[ "$(j ingress_time_ns)" = 0 ] || fail "ingress_time_ns is $(j ingress_time_ns), not 0"
[ "$(p ingress_time)" = 0 ] || fail "pmc's ingress_time is $(p ingress_time), not 0"
same "grandmaster present, after the master stopped" "$(j gm_present)" "$(bool "$(p gmPresent)")"
same "grandmaster identity, after the master stopped" "$(j gm_identity)" "$(p gmIdentity)"
run_rc 0 "capctl ptp" "$CAPCTL" ptp -S "$PTP_SLAVE_SOCK" -d "$PTP_DOMAIN"
msg_has "text output without a master" "LISTENING" "(no Sync)"

say "a stand-in ptp4l that answers with malformed datagrams"
# It answers each request according to $T/mode, with ptp4l 3.1.1's own
# PORT_DATA_SET answer (sequence and id patched) bent out of shape.
cat >"$T/fake.py" <<'EOF'
import os, socket, sys
path, modef, ready = sys.argv[1:4]
parent = os.getppid()
good = bytes.fromhex(
    "0d020050070000000000000000000000000000004ae736fffe88f43900010003047f0000000000000000"
    "4242000002000001001c20044ae736fffe88f439000109fd0000000000000000fe03fd010002")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.5)
other = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
open(ready, "w").close()
while os.getppid() == parent:
    try:
        req, addr = s.recvfrom(2000)
    except socket.timeout:
        continue
    mode = open(modef).read().strip()
    m = bytearray(good)
    m[30:32] = req[30:32]                       # sequenceId
    m[52:54] = req[52:54]                       # managementId
    if mode == "truncated":
        out = [bytes(m[:60])]
    elif mode == "tlvlen":
        m[50:52] = b"\xff\xff"; out = [bytes(m)]
    elif mode == "msglen":
        m[2:4] = b"\x00\x20"; out = [bytes(m)]
    elif mode == "empty":
        out = [b""]
    elif mode == "huge":
        out = [b"\x0d\x02" + b"\xff" * 60000]
    elif mode == "sync":
        m[0] = 0x00; out = [bytes(m)]
    elif mode == "text":
        # PORT_PROPERTIES_NP whose interface text runs past the TLV
        m = bytearray(good[:48]) + bytes.fromhex("00010014c004") + good[54:66] + b"\x30" + b"x" * 5
        m[2:4] = len(m).to_bytes(2, "big"); m[30:32] = req[30:32]
        out = [bytes(m)]
    elif mode == "error":
        m = bytearray(good[:48]) + bytes.fromhex("0002000800060000") + b"\0" * 4
        m[2:4] = len(m).to_bytes(2, "big"); m[30:32] = req[30:32]; m[54:56] = req[52:54]
        out = [bytes(m)]
    elif mode == "foreign":
        other.sendto(bytes(m), addr); out = []
    else:   # silent
        out = []
    for o in out:
        s.sendto(o, addr)
EOF
rm -f "$T/fake.ready"
echo silent >"$T/mode"
$PYTHON "$T/fake.py" "$T/fake.sock" "$T/mode" "$T/fake.ready" &
FAKE=$!
ns_track "$FAKE"
for _ in $(seq 100); do
	[ -e "$T/fake.ready" ] && break
	sleep 0.05
done
[ -e "$T/fake.ready" ] || die "the stand-in ptp4l did not start"
for c in "truncated:truncated" "tlvlen:TLV longer than the message" "msglen:messageLength" \
	"empty:shorter than a PTP header" "huge:longer than PMC_MSG_MAX" \
	"sync:not a management message" "text:interface text longer than the TLV" \
	"foreign:not from the server" "error:with error NOT_SUPPORTED (6)" \
	"silent:no answer from ptp4l"; do
	mode=${c%%:*}
	echo "$mode" >"$T/mode"
	check "answer '$mode': exit 1, says '${c#*:}', nothing on stdout"
	run_rc 1 "answer $mode" "$CAPCTL" ptp --socket "$T/fake.sock" --timeout 300
	msg_has "answer $mode" "${c#*:}"
	[ ! -s "$T/last.out" ] || fail "answer $mode: output on stdout: $(head -c 200 "$T/last.out")"
done
ns_stop "$FAKE" TERM 3
check "no client socket left behind"
left=$(find /tmp "${XDG_RUNTIME_DIR:-/tmp}" -maxdepth 1 -name "capctl-ptp.*" -newer "$T/ptp-slave.cfg" 2>/dev/null | head -3)
[ -z "$left" ] || fail "client sockets left: $left"

note "whole test: $(($(date +%s) - t_start)) s"
finish
