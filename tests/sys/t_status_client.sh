#!/bin/bash
# capctl status against a stand-in daemon: a python server on a UNIX socket
# under TMPDIR that answers "status\n" with a canned reply.  Checks the
# human table (units, "-" for missing fields, the file name without its
# directory), --json (the daemon's JSON unchanged), the socket from
# --socket and $CAPTURED_CONTROL, and the errors: no daemon, stale socket,
# permission denied, malformed replies, error replies, a daemon that does
# not answer, usage.  (The real daemon's side is tested elsewhere.)
set -eu
. "$(dirname "$0")/../lib/common.sh"
need_tool jq
[ -x "$CAPCTL" ] || die "no capctl binary at $CAPCTL (build first)"

SOCK=$T/run/control
REPLY=$T/reply
SRV=
# keep common.sh's own EXIT trap (it removes a TMPDIR it made)
PREV_EXIT=
if [ -n "$(trap -p EXIT)" ]; then
	eval "set -- $(trap -p EXIT)"
	PREV_EXIT=$3
fi
stop_server() {
	if [ -n "$SRV" ]; then
		kill "$SRV" 2>/dev/null || true
		wait "$SRV" 2>/dev/null || true
	fi
	SRV=
}
trap 'stop_server; eval "$PREV_EXIT"' EXIT

# The server answers each connection with the current content of $REPLY;
# "HANG" means never answer, "CLOSE" close without a word.  It logs each
# request line to $T/requests and leaves when its parent is gone.
cat >"$T/fake.py" <<'EOF'
import os, socket, sys, time
path, reply, ready = sys.argv[1:4]
parent = os.getppid()
os.makedirs(os.path.dirname(path), exist_ok=True)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(16)
s.settimeout(0.5)
open(ready, "w").close()
while os.getppid() == parent:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    c.settimeout(2)
    req = b""
    try:
        while not req.endswith(b"\n"):
            b = c.recv(512)
            if not b:
                break
            req += b
    except socket.timeout:
        pass
    with open(os.path.join(os.path.dirname(reply), "requests"), "ab") as f:
        f.write(req)
    data = open(reply, "rb").read()
    if data.startswith(b"HANG"):
        time.sleep(8)
    elif not data.startswith(b"CLOSE"):
        c.sendall(data)
    c.close()
EOF
# start_server [PATH]: serves on PATH (default $SOCK)
start_server() {
	rm -f "$T/ready"
	$PYTHON "$T/fake.py" "${1:-$SOCK}" "$REPLY" "$T/ready" &
	SRV=$!
	for _ in $(seq 100); do
		[ -e "$T/ready" ] && return 0
		sleep 0.05
	done
	die "the fake server did not start"
}

cat >"$T/sample.json" <<'EOF'
{"version":"0.1.0","pid":123,"uptime_s":3725.5,"interface":"eth0","backend":"afxdp",
 "store":{"path":"/var/lib/captured","files":12,"bytes":123456,"retain_size":0,"fs_free":1234,"fs_size":5678},
 "clock":{"source":"ptp4l","timestamps":"hardware","state":"locked","bound_ns":250,"state_for_s":75.5,"since_lock_s":0,
  "ptp4l":{"socket":"/var/run/ptp4l","domain":0,"reachable":true,"last_answer_s":0.4,"port_state":"SLAVE","master_offset_ns":-23,
           "gm_present":true,"path_delay_ns":1503,"steps_removed":1,"grandmaster":"001122.fffe.334455","gm_clock_class":6,
           "timescale":"PTP","utc_offset":37,"utc_offset_valid":true,"leap":"none","clock":"PHC of eth0"}},
 "queues":[{"queue":0,"cpu":1,"mode":"afxdp native copy","timestamps":"software","packets":1000,"bytes":64000,"pps":123.4,"bps":987.6,
            "drops":{"kernel":0,"bypass":1,"writer":2,"lost":3},"ts_backwards":0,"ts_hardware":0,"ts_software":1000,
            "stored":{"packets":1000,"bytes":64000,"disk_bytes":12345,"files":1,"level":3},
            "file":"/var/lib/captured/20261122T041610.123456789Z_eth0_q0.pcapng.zst.part"},
           {"queue":1,"cpu":3,"mode":"afxdp native copy","timestamps":"hardware","packets":98765432109,"bytes":64000,"pps":1234567,"bps":3.4e9,
            "drops":{"kernel":17,"bypass":0,"writer":0,"lost":0},"file":"/var/lib/captured/20261122T041611.000000000Z_eth0_q1.pcapng.zst.part"}],
 "totals":{"packets":98765433109,"bytes":128000,"pps":1234690.4,"bps":3400000987.6,"drops":{"kernel":17,"bypass":1,"writer":2,"lost":3},
           "stored":{"packets":1000,"bytes":64000,"disk_bytes":12345,"files":1}},
 "warnings":["queue 1: hardware timestamps went backwards 3 times","store: 90% full"]}
EOF
cp "$T/sample.json" "$REPLY"
start_server

say "human output"
run_rc 0 "status" "$CAPCTL" status --socket "$SOCK"
sed 's/^/   | /' "$T/last.out"
check "the daemon got one request line, 'status'"
[ "$(cat "$T/requests")" = status ] || die "requests: '$(cat "$T/requests")'"
check "header: interface, backend, pid, uptime, store path and usage, clock"
msg_has "header" "interface eth0" "backend afxdp" "pid 123" "up 1h02m" "store /var/lib/captured" \
	"12 files" "120.6 KiB" "retain_size no limit" "1.2 KiB free of 5.5 KiB" "clock locked (error bound 250 ns) for 1m15s" \
	"timestamps hardware, source ptp4l" "port SLAVE, offset -23 ns, path delay 1503 ns" \
	"grandmaster 001122.fffe.334455 (class 6)" "PTP timescale, UTC offset 37 s, leap none"
check "one row per queue: mode, timestamp source, packets, rates with units, drops, file name"
row0=$(grep -E '^0 ' "$T/last.out") || die "no row for queue 0"
row1=$(grep -E '^1 ' "$T/last.out") || die "no row for queue 1"
for w in "afxdp native copy" software 1000 "123 pps" "988 b/s" " 1 " " 2 " " 3 " \
	"20261122T041610.123456789Z_eth0_q0.pcapng.zst.part"; do
	case $row0 in *"$w"*) ;; *) die "queue 0 row lacks '$w': $row0" ;; esac
done
for w in hardware 98765432109 "1.2 Mpps" "3.4 Gb/s" " 17 " "_eth0_q1.pcapng.zst.part"; do
	case $row1 in *"$w"*) ;; *) die "queue 1 row lacks '$w': $row1" ;; esac
done
case $row0 in *"/var/lib/captured/"*) die "the file name keeps its directory: $row0" ;; esac
check "totals and warnings"
grep -E '^total .*98765433109 .*1\.2 Mpps .*3\.4 Gb/s' "$T/last.out" >/dev/null ||
	die "no totals row with packets and rates"
msg_has "totals" "stored: 1000 packets (62.5 KiB) in 1 files, 12.1 KiB on disk" "warnings:" \
	"hardware timestamps went backwards 3 times" "store: 90% full"

say "--json and the socket's name"
check "--json prints the daemon's JSON unchanged"
run_rc 0 "status --json" "$CAPCTL" status --json --socket "$SOCK"
cmp -s <(cat "$T/sample.json") "$T/last.out" || {
	diff "$T/sample.json" "$T/last.out" | head >&2
	die "--json output differs from the reply"
}
jq -e '.queues | length == 2' "$T/last.out" >/dev/null || die "--json output is not the JSON"
check "\$CAPTURED_CONTROL names the socket"
CAPTURED_CONTROL=$SOCK run_rc 0 "CAPTURED_CONTROL" "$CAPCTL" status --json
jq -e '.pid == 123' "$T/last.out" >/dev/null || die "wrong output with CAPTURED_CONTROL"
check "--socket wins over \$CAPTURED_CONTROL"
CAPTURED_CONTROL=$T/nowhere run_rc 0 "--socket over env" "$CAPCTL" status -S "$SOCK"

say "fields that are missing print '-'"
echo '{"queues":[{"queue":0,"packets":5}],"future_field":{"x":1}}' >"$REPLY"
run_rc 0 "sparse reply" "$CAPCTL" status --socket "$SOCK"
sed 's/^/   | /' "$T/last.out"
grep -E '^0 +- +- +- +5 +- +- +- +- +- +- +-$' "$T/last.out" >/dev/null ||
	die "queue row with missing fields is not all '-'"
msg_has "sparse header" "interface -" "pid -" "store -"
grep -q '^clock' "$T/last.out" && die "a clock line without a clock object"
echo '{"queues":[]}' >"$REPLY"
run_rc 0 "no queues" "$CAPCTL" status --socket "$SOCK"
msg_has "no queues" "(no queues)"

say "malformed and error replies: exit 1"
for bad in "not json at all:malformed" '{"version":"0.1.0"}:queues' '[1,2]:queues' \
	'{"queues":{}}:queues' '{"queues":[:malformed' "error: busy:busy" "CLOSE:without a reply"; do
	printf '%s\n' "${bad%:*}" >"$REPLY"
	check "reply '${bad%:*}'"
	run_rc 1 "reply '${bad%:*}'" "$CAPCTL" status --socket "$SOCK"
	msg_has "reply '${bad%:*}'" "${bad##*:}"
	[ ! -s "$T/last.out" ] || die "output on stdout for a bad reply: $(cat "$T/last.out")"
	run_rc 1 "reply '${bad%:*}' --json" "$CAPCTL" status --json --socket "$SOCK"
	[ ! -s "$T/last.out" ] || die "--json output for a bad reply: $(cat "$T/last.out")"
done
check "a daemon that never answers: exit 1 after the 5 s timeout"
echo HANG >"$REPLY"
t0=$(date +%s)
run_rc 1 "hang" "$CAPCTL" status --socket "$SOCK"
msg_has "hang" "within 5 s"
[ $(($(date +%s) - t0)) -lt 8 ] || die "the timeout took $(($(date +%s) - t0)) s"
stop_server

say "no daemon"
check "no socket file: 'not running', the path and the reason, exit 1"
rm -f "$SOCK"
run_rc 1 "no socket" "$CAPCTL" status --socket "$SOCK"
msg_has "no socket" "captured is not running" "$SOCK" "No such file"
check "a stale socket (nobody listening): 'Connection refused', exit 1"
$PYTHON -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SOCK"
[ -S "$SOCK" ] || die "could not make a stale socket"
run_rc 1 "stale socket" "$CAPCTL" status --socket "$SOCK"
msg_has "stale socket" "captured is not running" "$SOCK" "Connection refused"
check "the default socket path is /run/captured/control"
if [ ! -e /run/captured/control ]; then
	run_rc 1 "default path" env -u CAPTURED_CONTROL "$CAPCTL" status
	msg_has "default path" "/run/captured/control"
else
	note "/run/captured/control exists: a daemon may be running; default path not checked"
fi

say "permission denied"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	# $T/bin/capctl for nobody to run; the socket in $T/priv
	chmod 0711 "$T"
	install -d -m 0755 "$T/bin"
	install -m 0755 "$CAPCTL" "$T/bin/capctl"
	cp "$T/sample.json" "$REPLY"
	start_server "$T/priv/control"
	asnobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	check "a directory on the way that nobody may enter is named, with its mode and group"
	chmod 0700 "$T/priv"
	run_rc 1 "denied dir" asnobody "$T/bin/capctl" status --socket "$T/priv/control"
	msg_has "denied dir" "permission denied" "directory $T/priv has mode 0700" "group root"
	check "a socket without permission for us: its owner, group and mode"
	chmod 0755 "$T/priv"
	chmod 0600 "$T/priv/control"
	run_rc 1 "denied socket" asnobody "$T/bin/capctl" status --socket "$T/priv/control"
	msg_has "denied socket" "permission denied" "$T/priv/control" "mode 0600" "group root" \
		"owner root"
	check "with mode 0666 the same user gets the status"
	chmod 0666 "$T/priv/control"
	run_rc 0 "allowed socket" asnobody "$T/bin/capctl" status --json --socket "$T/priv/control"
	jq -e '.pid == 123' "$T/last.out" >/dev/null || die "wrong output as nobody"
	stop_server
	chmod 0700 "$T"
else
	note "not root (or no setpriv or no user nobody): permission checks left out"
fi

say "usage"
run_rc 2 "unknown option" "$CAPCTL" status --bogus
msg_has "unknown option" "usage: status"
run_rc 2 "extra argument" "$CAPCTL" status extra
msg_has "extra argument" "extra"
run_rc 2 "missing --socket argument" "$CAPCTL" status --socket

finish
