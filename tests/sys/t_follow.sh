#!/bin/bash
# capctl follow while captured writes: a paced synthetic run (deterministic,
# no network) rotates files every second of packet time; follow must
# deliver every packet written after it started exactly once, in order,
# across the rotations, with and without a filter; end with status 0 when
# its reader goes away (| head -c, and | true while idle) and on SIGINT
# and SIGTERM with a valid pcapng; report a store directory that
# disappears, and a followed file that retention deletes, and go on.
set -eu
. "$(dirname "$0")/../lib/common.sh"
need_tool python3 editcap capinfos tshark tcpdump flock timeout
need_bins

# every process started here is stopped by PID at exit
PIDS=()
PREV_EXIT=
if [ -n "$(trap -p EXIT)" ]; then
	eval "set -- $(trap -p EXIT)"
	PREV_EXIT=$3
fi
stop_all() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}
trap 'stop_all; eval "$PREV_EXIT"' EXIT

# epbs FILE: whole packet blocks in a (growing) pcapng file
epbs() { $PCAPTOOL pcapng "$1" 2>/dev/null | awk '{ print $2 }'; }
# wait_epbs FILE N SECS: until FILE holds N packets
wait_epbs() {
	local i=0 n
	while :; do
		n=$(epbs "$1")
		[ "${n:-0}" -ge "$2" ] && return 0
		[ $i -lt $(($3 * 5)) ] || die "$(basename "$1"): $n packets after $3 s, wanted $2"
		sleep 0.2
		i=$((i + 1))
	done
}
# wait_started FILE: follow writes the header as soon as it has its position
wait_started() {
	local i=0
	until [ -s "$1" ]; do
		[ $i -lt 50 ] || die "follow wrote nothing to $1 within 10 s"
		sleep 0.2
		i=$((i + 1))
	done
}
# stop_follow PID SIG DESC: SIG must end it within 5 s with status 0
stop_follow() {
	local pid=$1 sig=$2 rc=0 i=0
	kill -"$sig" "$pid"
	while kill -0 "$pid" 2>/dev/null; do
		[ $i -lt 25 ] || die "$3: still running 5 s after SIG$sig"
		sleep 0.2
		i=$((i + 1))
	done
	wait "$pid" || rc=$?
	[ "$rc" = 0 ] || die "$3: exit $rc after SIG$sig"
}

ST=$T/st
SYN=(--frame-size 16K --rotate-time 1s --level 1)

say "a store with a first run; follow starts at its end"
run_ok "captured --synthetic 500" "$CAPTURED" --synthetic 500 --store "$ST" "${SYN[@]}"
"$CAPCTL" --store "$ST" follow -w "$T/all.pcapng" 2>"$T/all.err" &
FA=$!
PIDS+=("$FA")
"$CAPCTL" --store "$ST" follow 'udp src portrange 0-32767' >"$T/flt.pcapng" 2>"$T/flt.err" &
FF=$!
PIDS+=("$FF")
wait_started "$T/all.pcapng"
wait_started "$T/flt.pcapng"

say "a paced run of 3 s (10000 packets/s) while they follow"
run_ok "captured --synthetic 30000 --synth-rate 10000" "$CAPTURED" --synthetic 30000 \
	--synth-rate 10000 --store "$ST" "${SYN[@]}"
check "the run rotated: at least 3 files besides the first run's"
nf=$(store_files "$ST" | wc -l)
[ "$nf" -ge 4 ] || die "only $nf files in the store"
slice "$ST" "$T/store.pcapng"
total=$(npackets "$T/store.pcapng")
norm "$T/store.pcapng" "$T/store.nsec"
$PCAPTOOL tail "$T/store.nsec" $((total - 500)) "$T/want.nsec"
want=$((total - 500))
note "the second run stored $want packets (a paced source may drop some)"
[ "$want" -ge 20000 ] || die "only $want packets stored"
wait_epbs "$T/all.pcapng" "$want" 10
bpf "$T/want.nsec" 'udp src portrange 0-32767' "$T/want-flt.nsec"
wantf=$($PCAPTOOL count "$T/want-flt.nsec")
wait_epbs "$T/flt.pcapng" "$wantf" 10

say "SIGINT and SIGTERM"
stop_follow "$FA" INT "follow -w"
stop_follow "$FF" TERM "follow FILTER >file"
check "follow -w: every packet of the run exactly once, in order, nothing of the first run"
same_as_nsec "$T/want.nsec" "$T/all.pcapng" "follow -w output = the run's packets"
check "follow with a filter: the run's packets that tcpdump selects ($wantf)"
same_as_nsec "$T/want-flt.nsec" "$T/flt.pcapng" "follow 'udp src portrange 0-32767' = tcpdump's selection"
check "after SIGINT the output is valid pcapng: capinfos and tshark read all of it"
[ "$(capinfo "$T/all.pcapng" "File type")" = pcapng ] || die "file type $(capinfo "$T/all.pcapng" "File type")"
[ "$(npackets "$T/all.pcapng")" = "$want" ] || die "capinfos: $(npackets "$T/all.pcapng")"
n=$(tshark -r "$T/all.pcapng" -T fields -e frame.number 2>/dev/null | wc -l)
[ "$n" = "$want" ] || die "tshark reads $n packets"
check "follow -w ends with a summary on stderr"
grep -q "capctl: $want packets from" "$T/all.err" || die "stderr: $(cat "$T/all.err")"

say "the reader goes away"
"$CAPTURED" --synthetic 60000 --synth-rate 20000 --store "$ST" "${SYN[@]}" 2>"$T/run3.err" &
CP=$!
PIDS+=("$CP")
check "capctl follow | head -c 100000: status 0, within 5 s, while packets come"
t0=$(date +%s%N)
set +e
timeout 20 "$CAPCTL" --store "$ST" follow 2>"$T/head.err" | head -c 100000 >"$T/head.out"
st=("${PIPESTATUS[@]}")
set -e
t1=$(date +%s%N)
[ "${st[0]}" = 0 ] || die "capctl follow | head: exit ${st[0]} ($(cat "$T/head.err"))"
[ $(((t1 - t0) / 1000000)) -lt 5000 ] || die "took $(((t1 - t0) / 1000000)) ms"
[ "$(stat -c %s "$T/head.out")" = 100000 ] || die "head got $(stat -c %s "$T/head.out") bytes"
[ ! -s "$T/head.err" ] || die "stderr: $(cat "$T/head.err")"
wait "$CP" || die "captured --synthetic (third run) failed: $(cat "$T/run3.err")"
check "capctl follow | sleep 1, nothing to send: status 0 within 3 s (the idle writer sees the pipe close)"
t0=$(date +%s%N)
set +e
timeout 10 "$CAPCTL" --store "$ST" follow 2>"$T/idle.err" | sleep 1
st=("${PIPESTATUS[@]}")
set -e
t1=$(date +%s%N)
[ "${st[0]}" = 0 ] || die "capctl follow | sleep 1: exit ${st[0]} ($(cat "$T/idle.err"))"
[ $(((t1 - t0) / 1000000)) -lt 3000 ] || die "took $(((t1 - t0) / 1000000)) ms"

say "errors"
check "a filter libpcap rejects: status 1 before any output"
run_rc 1 "follow 'port 99999'" "$CAPCTL" --store "$ST" follow -w "$T/bad.pcapng" 'port 99999'
[ ! -e "$T/bad.pcapng" ] || die "output created"
check "an unknown option: status 2"
run_rc 2 "follow --bogus" "$CAPCTL" --store "$ST" follow --bogus
check "the store directory disappears: status 1 within 3 s, said clearly"
mkdir "$T/gone"
cp -a "$ST/." "$T/gone/"
"$CAPCTL" --store "$T/gone" follow -w "$T/gone.pcapng" 2>"$T/gone.err" &
FG=$!
PIDS+=("$FG")
wait_started "$T/gone.pcapng"
rm -rf "$T/gone"
i=0
while kill -0 "$FG" 2>/dev/null; do
	[ $i -lt 15 ] || die "follow still running 3 s after its store went"
	sleep 0.2
	i=$((i + 1))
done
rc=0
wait "$FG" || rc=$?
[ "$rc" = 1 ] || die "exit $rc"
grep -q "disappeared" "$T/gone.err" || die "stderr: $(cat "$T/gone.err")"

say "retention deletes the file being followed"
# one series (same input name, so same interface label), two files
mkdir "$T/a" "$T/b"
$GEN -o "$T/a/in.pcap" -n 300 --seed 31 --start 1700000000
$GEN -o "$T/b/in.pcap" -n 400 --seed 32 --start 1700000100
ingest "$T/a/in.pcap" "$T/rs"
ingest "$T/b/in.pcap" "$T/rs-b"
A=$(store_files "$T/rs")
B=$(store_files "$T/rs-b")
# A looks like a file being written: a .part whose lock is held (by the
# sleep itself, so that stopping its PID frees the lock)
mv "$T/rs/$A" "$T/rs/$A.part"
(exec 9<"$T/rs/$A.part" && flock -x 9 && exec sleep 60) &
LK=$!
PIDS+=("$LK")
i=0
until ! flock -n -s "$T/rs/$A.part" true; do
	[ $i -lt 25 ] || die "the lock on $A.part was not taken"
	sleep 0.2
	i=$((i + 1))
done
"$CAPCTL" --store "$T/rs" follow -w "$T/rs.pcapng" 2>"$T/rs.err" &
FR=$!
PIDS+=("$FR")
wait_started "$T/rs.pcapng"
rm -f "$T/rs/$A.part"
kill "$LK"
sleep 0.5
check "a message names the deleted file"
grep -q "$A.part was deleted" "$T/rs.err" || die "stderr: $(cat "$T/rs.err")"
# the next file of the series appears whole (as a rename would make it)
cp "$T/rs-b/$B" "$T/rs/.tmp"
mv "$T/rs/.tmp" "$T/rs/$B"
check "follow goes on with the next file: its 400 packets"
wait_epbs "$T/rs.pcapng" 400 10
stop_follow "$FR" INT "follow (retention)"
same_packets "$T/b/in.pcap" "$T/rs.pcapng" "after the deletion"

finish
