#!/bin/bash
# The live-capture test tooling tests itself: tests/lib/netns.sh (two
# namespaces joined by a veth pair, MTU 9000, 2 queues) and
# tests/lib/livetraffic.py (known frames sent, a capture checked byte for
# byte), with tcpdump (and dumpcap, when present) as the capturer instead of
# captured.  Proves that the checker accepts a faithful capture (plain, zstd,
# pcapng; several files and runs at once), ignores foreign frames, and
# catches a missing, a duplicated and a modified frame, an unknown sequence
# number, timestamps going backwards and frames cut short; and that isb
# reads the statistics of a pcapng file.
set -eu
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/netns.sh
. "$TESTS_DIR/lib/netns.sh"
need_tool python3 tcpdump zstd nsenter ip
LT=("$PYTHON" "$TESTS_DIR/lib/livetraffic.py")

# wait_for FILE TEXT PID WHAT: waits (up to 10 s) until FILE contains TEXT,
# while PID runs.
wait_for() {
	local i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		ns_alive "$3" || { cat "$1" >&2; die "$4 ended before it was ready"; }
		[ $i -lt 200 ] || { cat "$1" >&2; die "$4 not ready after 10 s"; }
		sleep 0.05
		i=$((i + 1))
	done
}

# lt_check WANT_RC DESC ARGS...: livetraffic.py check ARGS must exit WANT_RC;
# its output is in $T/last.all.
lt_check() {
	local want=$1 desc=$2
	shift 2
	check "$desc"
	run_rc "$want" "$desc" "${LT[@]}" check "$@"
	tail -n 1 "$T/last.all" | sed 's/^/     /'
}

# tamper IN OUT MODE SEQ RUN_ID: a copy of the classic pcap IN in which the
# frame of run RUN_ID with sequence SEQ is dropped (drop), written twice
# (dup), has its last byte inverted (flip), is cut one byte short, original
# length kept (cut); or (foreign) a foreign frame and a frame of another run
# are added; (swap) the frame and the next one change places.
tamper() {
	$PYTHON - "$@" <<'EOF'
import struct, sys
src, dst, mode, seq, rid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5], 16)
b = open(src, "rb").read()
e = "<" if b[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
recs, off = [], 24
while off < len(b):
    cap = struct.unpack_from(e + "I", b, off + 8)[0]
    recs.append(b[off:off + 16 + cap])
    off += 16 + cap
mark = b"capLIVE1" + struct.pack(">IQ", rid, seq)
idx = [i for i, r in enumerate(recs) if mark in r]
if len(idx) != 1:
    sys.exit("tamper: sequence %d found %d times" % (seq, len(idx)))
i = idx[0]
r = recs[i]
if mode == "drop":
    del recs[i]
elif mode == "dup":
    recs.insert(i + 3, r)
elif mode == "flip":
    recs[i] = r[:-1] + bytes([r[-1] ^ 0xFF])
elif mode == "cut":
    sec, frac, cap, orig = struct.unpack_from(e + "IIII", r)
    recs[i] = struct.pack(e + "IIII", sec, frac, cap - 1, orig) + r[16:-1]
elif mode == "swap":
    recs[i], recs[i + 1] = recs[i + 1], recs[i]
elif mode == "foreign":
    sec, frac = struct.unpack_from(e + "II", r)
    # an IPv6 router solicitation, and a frame of run 0xdeadbeef
    rs = bytes.fromhex("333300000002" "02cb00000001" "86dd" "6000000000103aff" + "fe80" + "00" * 14 +
                       "ff02" + "00" * 13 + "02" + "8500000000000000" + "0101" + "02cb00000001")
    other = b"\xff" * 6 + bytes.fromhex("02cb00000001") + b"\x88\xb5" + b"capLIVE1" + \
        struct.pack(">IQ", 0xDEADBEEF, seq) + b"\0" * 26
    for fr in (rs, other):
        recs.insert(i, struct.pack(e + "IIII", sec, frac, len(fr), len(fr)) + fr)
open(dst, "wb").write(b[:24] + b"".join(recs))
EOF
}

run_id_of() {
	$PYTHON -c 'import json, sys; print("%08x" % json.load(open(sys.argv[1]))["run_id"])' "$1"
}

# ---- offline: expected frames written by "expect" --------------------------
say "offline: the checker on the generator's own output"
run_ok "dry run" "${LT[@]}" send -i none -m "$T/dry.json" -n 1500 --max-size 9000 --seed 7 --dry-run -q
run_ok "expect" "${LT[@]}" expect -m "$T/dry.json" -o "$T/dry.pcap"
lt_check 0 "expected frames pass" -m "$T/dry.json" --monotonic --in-order "$T/dry.pcap"
drid=$(run_id_of "$T/dry.json")
tamper "$T/dry.pcap" "$T/dry-swap.pcap" swap 700 "$drid"
lt_check 0 "two frames swapped: still complete without --monotonic" -m "$T/dry.json" "$T/dry-swap.pcap"
lt_check 1 "two frames swapped: --monotonic fails" -m "$T/dry.json" --monotonic "$T/dry-swap.pcap"
msg_has "--monotonic" "timestamp(s) going backwards" "packet #702"
lt_check 1 "two frames swapped: --in-order fails" -m "$T/dry.json" --in-order "$T/dry-swap.pcap"
msg_has "--in-order" "sequence 700 after 701"
run_ok "pcap head" "$PYTHON" "$TESTS_DIR/lib/pcaptool.py" head "$T/dry.pcap" 1000 "$T/dry-head.pcap"
run_ok "pcap tail" "$PYTHON" "$TESTS_DIR/lib/pcaptool.py" tail "$T/dry.pcap" 500 "$T/dry-tail.pcap"
zstd -q -o "$T/dry-tail.pcap.zst" "$T/dry-tail.pcap"
lt_check 0 "split over two files, one zstd-compressed" -m "$T/dry.json" "$T/dry-head.pcap" "$T/dry-tail.pcap.zst"
lt_check 1 "one of the two files alone: 500 missing" -m "$T/dry.json" "$T/dry-head.pcap"
msg_has "missing" "500 missing" "1000-1499"
lt_check 0 "--allow-missing accepts the loss, still reports it" -m "$T/dry.json" --allow-missing "$T/dry-head.pcap"
msg_has "--allow-missing" "500 missing"
# A snaplen cut: every frame of the file at most 100 bytes, original lengths kept.
$PYTHON - "$T/dry.pcap" "$T/dry-snap.pcap" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
out, off = [b[:24]], 24
while off < len(b):
    sec, frac, cap, orig = struct.unpack_from("<IIII", b, off)
    c = min(cap, 100)
    out.append(struct.pack("<IIII", sec, frac, c, orig) + b[off + 16:off + 16 + c])
    off += 16 + cap
open(sys.argv[2], "wb").write(b"".join(out))
EOF
lt_check 0 "--snaplen 100 accepts frames cut to 100 bytes" -m "$T/dry.json" --snaplen 100 "$T/dry-snap.pcap"
lt_check 1 "without --snaplen, cut frames are modified" -m "$T/dry.json" "$T/dry-snap.pcap"
msg_has "cut frames" "modified" "captured length 100"
if command -v editcap >/dev/null 2>&1; then
	editcap -F pcapng "$T/dry.pcap" "$T/dry.pcapng"
	lt_check 0 "the same as pcapng (editcap)" -m "$T/dry.json" --monotonic "$T/dry.pcapng"
fi

say "offline: isb reads the statistics of a pcapng file"
# Two sections: little endian with ifrecv 1000 / ifdrop 7 (then a later ISB
# with 1200 / 9, which counts), big endian with ifrecv 50, osdrop 3,
# usrdeliv 47, if_tsresol 10^-9.
$PYTHON - "$T/isb.pcapng" <<'EOF'
import struct, sys
def blk(e, t, body):
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack(e + "II", t, n) + body + struct.pack(e + "I", n)
def opt(e, code, val):
    return struct.pack(e + "HH", code, len(val)) + val + b"\0" * (-len(val) % 4)
def section(e, stats, tsresol=None, pkts=2):
    out = blk(e, 0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    o = b"" if tsresol is None else opt(e, 9, bytes([tsresol]))
    out += blk(e, 1, struct.pack(e + "HHI", 1, 0, 65535) + o + (opt(e, 0, b"") if o else b""))
    fr = b"\xff" * 12 + b"\x88\xb5" + b"\0" * 46
    for i in range(pkts):
        out += blk(e, 6, struct.pack(e + "IIIII", 0, 0, 1000 + i, len(fr), len(fr)) + fr)
    for st in stats:
        # counters are u64; times are two u32, high word first (as EPB times)
        o = b"".join(opt(e, c, struct.pack(e + "II", v >> 32, v & 0xFFFFFFFF) if c in (2, 3)
                         else struct.pack(e + "Q", v)) for c, v in st) + opt(e, 0, b"")
        out += blk(e, 5, struct.pack(e + "III", 0, 0, 5000) + o)
    return out
data = section("<", [[(4, 1000), (5, 7)], [(2, 1 << 32 | 10), (4, 1200), (5, 9)]]) + \
    section(">", [[(4, 50), (7, 3), (8, 47)]], tsresol=9, pkts=3)
open(sys.argv[1], "wb").write(data)
EOF
"${LT[@]}" isb "$T/isb.pcapng" >"$T/isb.json"
check "isb totals: packets 5, ifrecv 1250, ifdrop 9, osdrop 3, usrdeliv 47; starttime in ns"
$PYTHON - "$T/isb.json" <<'EOF' || die "isb output differs (see above)"
import json, sys
d = json.load(open(sys.argv[1]))
t = d["totals"]
want = {"packets": 5, "isb_ifrecv": 1250, "isb_ifdrop": 9, "isb_osdrop": 3, "isb_usrdeliv": 47}
bad = {k: (t.get(k), v) for k, v in want.items() if t.get(k) != v}
isb2 = d["files"][0]["isb"][1]
if isb2.get("isb_starttime") != ((1 << 32) | 10) * 1000:
    bad["isb_starttime"] = (isb2.get("isb_starttime"), ((1 << 32) | 10) * 1000)
if bad:
    print("got/want:", bad)
    sys.exit(1)
EOF

# ---- live: veth MTU 9000, 2 queues, tcpdump ---------------------------------
netns_setup --mtu 9000 --queues 2
say "live: $IF_SND ($NS_SND) -> $IF_CAP ($NS_CAP), MTU 9000, 2 queues"
check "ns_run_sys sees the namespace's /sys: $IF_CAP with 2 RX queues, MTU 9000, and a bpffs"
q=$(ns_run_sys "$NS_CAP" sh -c "ls -d /sys/class/net/$IF_CAP/queues/rx-* | wc -l; cat /sys/class/net/$IF_CAP/mtu; stat -f -c %T /sys/fs/bpf" | tr '\n' ' ')
[ "$q" = "2 9000 bpf_fs " ] || die "ns_run_sys: rx queues, MTU, /sys/fs/bpf: '$q' (wanted '2 9000 bpf_fs ')"

# capture_run NAME SENDARGS...: tcpdump on $IF_CAP into $T/NAME.pcap while
# livetraffic.py sends with SENDARGS (manifest $T/NAME.json).  Retries once
# when tcpdump itself reports kernel drops (a loaded machine), so that only
# a tooling error fails the test.
capture_run() {
	local name=$1 try dropped pid
	shift
	for try in 1 2; do
		ns_bg "$NS_CAP" tcpdump -i "$IF_CAP" -s 0 --immediate-mode -B 65536 -n -w "$T/$name.pcap" 2>"$T/$name.tcpdump.err"
		pid=$NS_BG_PID
		wait_for "$T/$name.tcpdump.err" "listening on" "$pid" tcpdump
		ns_ifstats "$NS_SND" "$IF_SND" >"$T/$name.if0"
		run_ok "send" ns_run "$NS_SND" "${LT[@]}" send -i "$IF_SND" -m "$T/$name.json" -q "$@"
		ns_ifstats "$NS_SND" "$IF_SND" >"$T/$name.if1"
		sleep 0.3
		ns_stop "$pid" INT
		[ "$NS_STOP_RC" = 0 ] || { cat "$T/$name.tcpdump.err" >&2; die "tcpdump exited with $NS_STOP_RC"; }
		dropped=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$T/$name.tcpdump.err")
		[ "${dropped:-0}" = 0 ] && return 0
		note "tcpdump reports $dropped frames dropped by the kernel (try $try)"
	done
	die "tcpdump dropped frames twice: the machine is too busy for this test"
}

# sent_ok NAME COUNT: the sender's veth counted COUNT more TX frames, none dropped.
sent_ok() {
	local t0 td0 t1 td1
	read -r _ _ t0 td0 <"$T/$1.if0"
	read -r _ _ t1 td1 <"$T/$1.if1"
	check "$IF_SND transmitted $2 frames, dropped none"
	if [ $((t1 - t0)) != "$2" ] || [ $((td1 - td0)) != 0 ]; then
		die "$IF_SND: tx $((t1 - t0)) frames, tx_dropped $((td1 - td0)); wanted $2, 0"
	fi
}

say "run 1: 3000 frames up to 9000 bytes from CPU 0 (RX queue 0), 8000 frames/s"
capture_run run1 -n 3000 --max-size 9000 --seed 11 --cpu 0 --pps 8000
sent_ok run1 3000
rid1=$(run_id_of "$T/run1.json")
lt_check 0 "tcpdump's capture holds all 3000 frames, intact, in order" \
	-m "$T/run1.json" --monotonic --in-order --json "$T/run1.res" "$T/run1.pcap"
check "it has 802.1Q, QinQ and 9000-byte frames"
read -r vlan qinq maxlen foreign < <($PYTHON -c 'import json, sys
f = json.load(open(sys.argv[1]))["files"][0]
print(f["vlan"], f["qinq"], f["max_len"], f["foreign"] + f["other_run"])' "$T/run1.res")
if [ "$vlan" -lt 100 ] || [ "$qinq" -lt 50 ] || [ "$maxlen" != 9000 ]; then
	die "802.1Q frames $vlan, QinQ frames $qinq, longest $maxlen bytes"
fi
note "$vlan 802.1Q-tagged, $qinq QinQ, longest $maxlen bytes, $foreign foreign frames"
zstd -q -o "$T/run1.pcap.zst" "$T/run1.pcap"
lt_check 0 "the same capture through zstd" -m "$T/run1.json" "$T/run1.pcap.zst"

say "run 2: 2000 frames, half from CPU 0 and half from CPU 1"
if command -v dumpcap >/dev/null 2>&1; then
	ns_bg "$NS_CAP" dumpcap -i "$IF_CAP" -B 64 -w "$T/run2.pcapng" 2>"$T/run2.dumpcap.err"
	pid=$NS_BG_PID
	wait_for "$T/run2.dumpcap.err" "Capturing on" "$pid" dumpcap
	run_ok "send" ns_run "$NS_SND" "${LT[@]}" send -i "$IF_SND" -m "$T/run2.json" -q -n 2000 --max-size 9000 \
		--seed 12 --spread 0,1 --pps 8000
	sleep 0.3
	ns_stop "$pid" INT
	[ "$NS_STOP_RC" = 0 ] || { cat "$T/run2.dumpcap.err" >&2; die "dumpcap exited with $NS_STOP_RC"; }
	run2=$T/run2.pcapng
	check "isb on dumpcap's pcapng: 2000 packets, isb_ifrecv 2000, isb_ifdrop 0"
	"${LT[@]}" isb "$run2" >"$T/run2.isb" || die "isb failed on $run2"
	read -r pk recv drop < <($PYTHON -c 'import json, sys
t = json.load(open(sys.argv[1]))["totals"]
print(t["packets"], t.get("isb_ifrecv"), t.get("isb_ifdrop"))' "$T/run2.isb")
	[ "$pk $recv $drop" = "2000 2000 0" ] || die "packets $pk, isb_ifrecv $recv, isb_ifdrop $drop"
else
	note "no dumpcap: run 2 with tcpdump"
	capture_run run2 -n 2000 --max-size 9000 --seed 12 --spread 0,1 --pps 8000
	run2=$T/run2.pcap
fi
lt_check 0 "both runs, both files: all 5000 frames, each sender's in order" \
	-m "$T/run1.json" -m "$T/run2.json" --in-order --json "$T/both.res" "$T/run1.pcap" "$run2"
check "run 2's frames came from both senders, 1000 each"
[ "$($PYTHON -c 'import json, sys
r = json.load(open(sys.argv[1]))["runs"][1]
print(r["per_sender_found"])' "$T/both.res")" = "[1000, 1000]" ] || die "per-sender counts: $(cat "$T/both.res")"
lt_check 1 "run 1's file alone against both manifests: run 2 missing" \
	-m "$T/run1.json" -m "$T/run2.json" "$T/run1.pcap"
msg_has "run 2 missing" "2000 of 2000 frames missing"

say "the checker catches what a capturer can get wrong (edits of run 1's capture)"
tamper "$T/run1.pcap" "$T/foreign.pcap" foreign 1500 "$rid1"
lt_check 0 "foreign frames (IPv6 RS, another run) are ignored" -m "$T/run1.json" "$T/foreign.pcap"
msg_has "foreign" "2 foreign ignored"
tamper "$T/run1.pcap" "$T/drop.pcap" drop 1234 "$rid1"
lt_check 1 "a missing frame" -m "$T/run1.json" "$T/drop.pcap"
msg_has "missing frame" "1 missing" "frames missing: 1234"
tamper "$T/run1.pcap" "$T/dup.pcap" dup 2345 "$rid1"
lt_check 1 "a duplicated frame" -m "$T/run1.json" "$T/dup.pcap"
msg_has "duplicated frame" "1 duplicate(s)" "sequence 2345 of run $rid1 again"
# the longest frame: the whole 9000 bytes are compared
big=$($PYTHON - "$T/run1.json" <<EOF
import sys
sys.path.insert(0, "$TESTS_DIR/lib")
import json, livetraffic
g = livetraffic.Gen(json.load(open(sys.argv[1])))
print(next(s for s in range(3000) if len(g.frame(s)) == 9000))
EOF
)
tamper "$T/run1.pcap" "$T/flip.pcap" flip "$big" "$rid1"
lt_check 1 "a modified byte (the last of 9000)" -m "$T/run1.json" "$T/flip.pcap"
msg_has "modified byte" "1 modified" "modified: seq $big" "first difference at byte 8999 (filler)"
tamper "$T/run1.pcap" "$T/cut.pcap" cut 100 "$rid1"
lt_check 1 "a frame one byte short" -m "$T/run1.json" "$T/cut.pcap"
msg_has "short frame" "1 modified" "captured length"
$PYTHON - "$T/run1.pcap" "$T/unknown.pcap" "$rid1" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
fr = b"\xff" * 6 + bytes.fromhex("02cb00000001") + b"\x88\xb5" + b"capLIVE1" + \
    struct.pack(">IQ", int(sys.argv[3], 16), 3000) + b"\0" * 26
open(sys.argv[2], "wb").write(b + struct.pack("<IIII", 0xFFFFFFF0, 0, len(fr), len(fr)) + fr)
EOF
lt_check 1 "a frame of the run with a sequence number never sent" -m "$T/run1.json" "$T/unknown.pcap"
msg_has "unknown" "1 unknown sequence number" "no sequence number 3000"
head -c 100000 "$T/run1.pcap" >"$T/trunc.pcap"
lt_check 2 "a truncated file is a read error" -m "$T/run1.json" "$T/trunc.pcap"
msg_has "truncated" "read error" "truncated"

finish
