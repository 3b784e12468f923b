#!/bin/bash
# kill -9 under traffic.  captured -i (AF_PACKET, flush_time 200 ms) on a
# veth pair with paced traffic (livetraffic.py --pps) is SIGKILLed in the
# middle of the stream.  Then:
#   - while it ran, no packet waited more than about flush_time before
#     the frame holding it was written (each frame's index record is
#     watched for as the files grow: time seen - its oldest packet's
#     software timestamp);
#   - every finished file verifies; the torn .part file reads up to its
#     last whole frame, every packet in it intact;
#   - what the crash cost (received by the interface before the kill minus
#     stored) is bounded by what arrives within flush_time (a packet waits
#     at most flush_time before its frame is written), and the packets
#     missing are the newest ones only (no hole before them);
#   - a daemon restarted on the same store seals the torn file at start
#     (one log line per file: frames and packets kept, bytes cut) and goes
#     on in new files; after its clean stop every file verifies.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTS_DIR/lib/netns.sh"
. "$TESTS_DIR/lib/live.sh"
need_bins
need_tool python3 zstd nsenter ip tshark

PPS=2000
FLUSH_MS=200
SECS=5
N=$((PPS * SECS))
BOUND=$((PPS * FLUSH_MS / 1000))

# rx_packets: frames the capture side of the veth received, from the
# namespace's own /proc/net/dev
rx_packets() {
	ns_run "$NS_CAP" cat /proc/net/dev |
		awk -v i="$IF_CAP:" '$1 == i { print $3; exit }'
}

# kill_between PID: SIGKILL, with the interface's received count read
# just before and just after it, by shell builtins in the namespace (no
# process start between the readings): prints "BEFORE AFTER"
kill_between() {
	ns_run "$NS_CAP" bash -c '
		rx() { local n r; while read -r n r; do [ "$n" = "$1:" ] && { set -- $r; RX=$2; return; }; done </proc/net/dev; }
		rx "$1"; a=$RX; kill -KILL "$2"; rx "$1"; echo "$a $RX"' sh "$IF_CAP" "$1"
}

# frame_waits DIR OUT: until SIGTERM, watches the store's files grow (every
# 5 ms) and, for each data frame as its index record appears, takes how
# long its oldest packet waited: now - ts_min (software timestamps are the
# kernel's CLOCK_REALTIME at reception).  Writes a JSON summary to OUT.
frame_waits() {
	exec "$PYTHON" - "$1" "$2" <<'PY'
import json, os, signal, struct, sys, time
d, out = sys.argv[1], sys.argv[2]
PAT = b"\x5c\x2a\x4d\x18\x68\x00\x00\x00CPIX"
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
files = {}              # inode -> [bytes read, tail kept for a record cut in two]
waits = []
while not stop:
    now = time.time_ns()
    try:
        names = os.listdir(d)
    except OSError:
        names = []
    for n in names:
        try:
            with open(os.path.join(d, n), "rb") as f:
                st = os.fstat(f.fileno())
                # files being written, and those seen so (now closed)
                if not n.endswith(".part") and st.st_ino not in files:
                    continue
                pos, tail = files.get(st.st_ino, (0, b""))
                if st.st_size <= pos:
                    continue
                f.seek(pos)
                new = f.read(st.st_size - pos)
        except OSError:
            continue
        buf = tail + new
        i = buf.find(PAT)
        last = 0
        while i >= 0 and i + 112 <= len(buf):
            p = buf[i + 8:i + 112]
            ts_min, = struct.unpack_from("<Q", p, 48)
            packets, = struct.unpack_from("<I", p, 64)
            flags, = struct.unpack_from("<I", p, 12)
            if packets and not flags & 3:
                waits.append((now - ts_min) / 1e6)
            last = i + 112
            i = buf.find(PAT, last)
        keep = buf[max(last, len(buf) - 111):]
        files[st.st_ino] = (pos + len(new), keep)
    time.sleep(0.005)
waits.sort()
json.dump({"frames": len(waits), "max_ms": round(waits[-1], 1) if waits else None,
           "median_ms": round(waits[len(waits) // 2], 1) if waits else None}, open(out, "w"))
PY
}

netns_setup --tag crs
say "captured --flush-time ${FLUSH_MS}ms, $PPS frames/s for ${SECS}s, SIGHUP twice, then SIGKILL"
live_start afpacket --flush-time ${FLUSH_MS}ms
rx0=$(rx_packets)
frame_waits "$STORE" "$T/waits.json" &
watcher=$!
ns_track "$watcher"
ns_bg "$NS_SND" "${LT[@]}" send -i "$IF_SND" -m "$T/m.json" -n $N --pps $PPS -q
snd=$NS_BG_PID
live_wait $((PPS / 2))
# two finished files before the crash, and a third one open
kill -HUP "$CAP_PID"
sleep 1
kill -HUP "$CAP_PID"
sleep 1.5
live_status
drops=$(live_field 'sum(s["totals"]["drops"].values())')
# (quiet: bash reports a job killed by a signal)
{
	read -r rx_a rx_b < <(kill_between "$CAP_PID")
	ns_stop "$CAP_PID" KILL 5
} 2>/dev/null
ns_stop "$watcher" TERM 5
note "interface received $((rx_a - rx0))..$((rx_b - rx0)) frames before the kill"
check "no drops at any stage before the kill (status)"
[ "$drops" = 0 ] || die "drops before the kill: $(live_field 's["totals"]["drops"]')"
wait "$snd" || die "livetraffic.py send failed"
check "no packet waited longer than about flush_time before its frame was written: $(cat "$T/waits.json")"
[ "$(jq '.frames' "$T/waits.json")" -ge 10 ] || die "saw only $(jq '.frames' "$T/waits.json") frames written"
jq -e ".max_ms <= $FLUSH_MS * 1.1" "$T/waits.json" >/dev/null ||
	fail "a packet waited $(jq '.max_ms' "$T/waits.json") ms > $FLUSH_MS ms (+10 %) before its frame was written"

say "the store the crash left"
store_files "$STORE" >"$T/files.txt"
sed 's/^/     /' "$T/files.txt"
parts=$(grep -c '\.part$' "$T/files.txt" || true)
done_files=$(grep -vc '\.part$' "$T/files.txt" || true)
check "one torn .part file and at least two finished files"
[ "$parts" = 1 ] || die "$parts .part files"
[ "$done_files" -ge 2 ] || die "$done_files finished files"
check "every finished file verifies"
while read -r f; do
	case $f in *.part) continue ;; esac
	run_rc 0 "capctl verify $f" "$CAPCTL" verify "$STORE/$f"
done <"$T/files.txt"
PART=$STORE/$(grep '\.part$' "$T/files.txt")
check "the .part file is torn (no live writer) and reads to its last whole frame"
run_rc 1 "capctl verify of the .part file" "$CAPCTL" verify "$PART"
msg_has "verify of the torn file" "TORN" "whole frames"
sed 's/^/     /' "$T/last.out"
part_pkts=$(sed -n 's/.*whole frames (\([0-9]*\) packets).*/\1/p' "$T/last.out")
[ -n "$part_pkts" ] || die "verify did not say how many packets the torn file holds"
# a store of its own (a copy: no writer holds it either) to slice it alone
mkdir "$T/ts"
printf 'captured store, format 1\n' >"$T/ts/.captured-store"
cp "$PART" "$T/ts/"
run_ok "capctl slice of the torn file" "$CAPCTL" --store "$T/ts" slice -w "$T/torn.pcapng"
got=$(tshark -r "$T/torn.pcapng" 2>/dev/null | wc -l)
check "slice reads the torn file's $part_pkts packets of its whole frames (tshark counts $got)"
[ "$got" = "$part_pkts" ] || die "tshark reads $got packets, verify says $part_pkts"
run_rc 0 "livetraffic check of the torn file" "${LT[@]}" check -m "$T/m.json" --allow-missing \
	--monotonic "$T/torn.pcapng"

say "what the crash cost"
"${LT[@]}" check -m "$T/m.json" --allow-missing --monotonic --json "$T/c1.json" \
	"$STORE"/*.pcapng.zst "$T/torn.pcapng" >"$T/c1.out" ||
	{ cat "$T/c1.out" >&2; die "stored frames are not intact"; }
stored=$(jq '.found' "$T/c1.json")
# frames missing before the newest stored one would be drops, not the crash
"$PYTHON" - "$T/c1.json" "$N" <<'PY' >"$T/holes.txt"
import json, sys
c = json.load(open(sys.argv[1]))
miss = c["missing_first"]
found = c["found"]
# every found frame comes before every missing one: found = 0..found-1
print(sum(1 for m in miss if m < found))
PY
lo=$((rx_a - rx0 - stored))
hi=$((rx_b - rx0 - stored))
note "stored $stored frames; the crash cost $lo..$hi frames ($((lo * 1000 / PPS))..$((hi * 1000 / PPS)) ms at $PPS/s); bound: flush_time ${FLUSH_MS} ms = $BOUND frames"
check "the frames missing are the newest ones only"
[ "$(cat "$T/holes.txt")" = 0 ] || die "$(cat "$T/holes.txt") frames missing before the last stored one"
# "about": the kernel's block timer and thread wakeups add a few ms
check "the crash cost at most what arrives within flush_time, +10 % ($hi <= $((BOUND * 11 / 10)))"
[ "$hi" -le $((BOUND * 11 / 10)) ] || fail "lost up to $hi frames > $BOUND + 10 %"
[ "$lo" -ge 0 ] || die "more stored ($stored) than received ($((rx_a - rx0)))"

say "restart on the same store"
live_start afpacket --flush-time ${FLUSH_MS}ms
check "the daemon sealed the torn file at start, in one log line"
grep -F "recovery: $PART: repaired as ${PART%.part}: kept " "$T/captured.log" >"$T/rec.txt" ||
	{ cat "$T/captured.log" >&2; die "no recovery line for $PART"; }
sed 's/^/     /' "$T/rec.txt"
grep -q "($part_pkts packets), cut [0-9]* bytes" "$T/rec.txt" || die "recovery kept other than $part_pkts packets"
[ -f "${PART%.part}" ] && [ ! -e "$PART" ] || die "the torn file was not renamed"
run_rc 0 "capctl verify of the sealed file" "$CAPCTL" verify "${PART%.part}"
cp "$T/m.json" "$T/m1.json"
live_send 1000 --pps 5000 --run-id 7
live_wait 1000
live_stop
check "after the restart and a clean stop: every file verifies, no .part left"
ls "$STORE" | grep -q '\.part$' && die "a .part file is left: $(ls "$STORE")"
run_ok "capctl verify" "$CAPCTL" --store "$STORE" verify
check "the second run is stored whole, in new files; the first as before"
run_rc 0 "check both runs" "${LT[@]}" check -m "$T/m1.json" -m "$T/m.json" --allow-missing \
	--json "$T/c2.json" "$STORE"/*.pcapng.zst
[ "$(jq '.runs[] | select(.run_id == "00000007") | .missing' "$T/c2.json")" = 0 ] ||
	die "frames of the second run are missing"
[ "$(jq '.found' "$T/c2.json")" = $((stored + 1000)) ] || die "found $(jq '.found' "$T/c2.json"), wanted $((stored + 1000))"
finish
