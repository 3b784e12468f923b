#!/bin/bash
# Stalls under live capture: every packet lost is counted at the stage
# that lost it, and the control socket answers within a second throughout.
#  1. A slow disk: the store on an ext4 file system on a loop device whose
#     writes the block I/O controller throttles to 256 KiB/s (cgroup v2
#     io.max, or v1 blkio.throttle.write_bps_device), the daemon in that
#     cgroup.  Its writer waits in fsync when it closes a file; its ring
#     fills: "writer" drops (status, ISBs), no kernel drops, no loss.
#  2. A starved RX worker: the worker pinned to CPU 1, a SCHED_FIFO busy
#     loop on CPU 1 for a second (the kernel leaves other tasks 5 % of it):
#     the kernel ring fills, "kernel" drops (status, isb_ifdrop).
# In both, what the interface received = stored + dropped at each stage.
# No test hook is needed: the disk is really slow, the CPU really taken.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTS_DIR/lib/netns.sh"
. "$TESTS_DIR/lib/live.sh"
need_bins
need_tool python3 zstd nsenter ip jq losetup mkfs.ext4 mount umount

RATE=262144
LOOP=
CG=
MNT=$T/mnt
cleanup_disk() {
	mountpoint -q "$MNT" 2>/dev/null && { umount "$MNT" 2>/dev/null || umount -l "$MNT"; }
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	[ -n "$CG" ] && [ -d "$CG" ] && rmdir "$CG" 2>/dev/null
	return 0
}
# after netns.sh's cleanup has stopped the daemon (its trap runs this one
# after its own), then whatever was trapped before
PREV_EXIT=
if [ -n "$(trap -p EXIT)" ]; then
	eval "set -- $(trap -p EXIT)"
	PREV_EXIT=$3
fi
trap 'cleanup_disk; eval "$PREV_EXIT"' EXIT

# rx_packets: frames the capture side of the veth received
rx_packets() {
	ns_run "$NS_CAP" cat /proc/net/dev | awk -v i="$IF_CAP:" '$1 == i { print $3; exit }'
}

# timed_status: one status request; sets MS to how long it took and
# tracks the longest in MAXMS
MAXMS=0
timed_status() {
	local t0 t1
	t0=$(date +%s%N)
	live_status
	t1=$(date +%s%N)
	MS=$(((t1 - t0) / 1000000))
	[ "$MS" -le "$MAXMS" ] || MAXMS=$MS
}

# accounts DESC: waits (10 s at most) until status says every packet
# received is stored or dropped somewhere, then checks it against the
# interface's own count
accounts() {
	local i=0 rx pk st dr
	rx=$(($(rx_packets) - RX0))
	while :; do
		live_status
		pk=$(live_field 's["totals"]["packets"] + s["totals"]["drops"]["kernel"]')
		st=$(live_field 's["totals"]["stored"]["packets"]')
		dr=$(live_field 'sum(s["totals"]["drops"].values())')
		[ "$pk" = "$rx" ] && [ "$pk" = $((st + dr)) ] && break
		[ $i -lt 100 ] || die "$1: received $rx, status: $pk seen, $st stored, $dr dropped"
		sleep 0.1
		i=$((i + 1))
	done
	check "$1: $rx received = $st stored + $dr dropped ($(live_field 's["totals"]["drops"]'))"
}

netns_setup --tag wst

say "a store on ext4 on a loop device, writes throttled to $((RATE / 1024)) KiB/s"
truncate -s 64M "$T/disk.img"
mkfs.ext4 -q -F "$T/disk.img" >/dev/null 2>&1 || skip "mkfs.ext4 failed"
LOOP=$(losetup -f --show "$T/disk.img" 2>"$T/losetup.err") || skip "no loop device: $(cat "$T/losetup.err")"
mkdir -p "$MNT"
mount "$LOOP" "$MNT" || skip "cannot mount $LOOP"
mm=$(stat -c '%t:%T' "$LOOP")
mm="$((0x${mm%:*})):$((0x${mm#*:}))"
if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw io /sys/fs/cgroup/cgroup.controllers; then
	CG=/sys/fs/cgroup/captest-wst-$$
	grep -qw io /sys/fs/cgroup/cgroup.subtree_control ||
		echo +io >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || skip "cannot enable the io controller"
	mkdir "$CG"
	echo "$mm wbps=$RATE" >"$CG/io.max" || skip "cannot set io.max"
	note "cgroup v2 io.max: $(cat "$CG/io.max")"
elif [ -f /sys/fs/cgroup/blkio/blkio.throttle.write_bps_device ]; then
	CG=/sys/fs/cgroup/blkio/captest-wst-$$
	mkdir "$CG"
	echo "$mm $RATE" >"$CG/blkio.throttle.write_bps_device" || skip "cannot set a blkio throttle"
	note "cgroup v1 blkio.throttle.write_bps_device: $(cat "$CG/blkio.throttle.write_bps_device")"
else
	skip "no block I/O cgroup controller (v2 io or v1 blkio) to throttle a disk with"
fi
STORE=$MNT/store

say "1. slow writer: 25000 frames at 5000/s; 4 batches of 64 KiB between worker and writer"
live_start afpacket --level 0 --rotate-size 1M --frame-size 64K --ring-batches 4 --batch-size 64K
echo "$CAP_PID" >"$CG/cgroup.procs"
RX0=$(rx_packets)
ns_bg "$NS_SND" "${LT[@]}" send -i "$IF_SND" -m "$T/m.json" -n 25000 --pps 5000 -q
snd=$NS_BG_PID
while ns_alive "$snd"; do
	timed_status
	sleep 0.2
done
wait "$snd" || die "livetraffic.py send failed"
check "the control socket answered within 1 s throughout the stall (longest: $MAXMS ms)"
[ "$MAXMS" -lt 1000 ] || die "a status request took $MAXMS ms"
accounts "slow writer"
check "the drops are the writer's: some writer drops, no kernel drops, nothing lost"
[ "$(live_field 's["totals"]["drops"]["writer"]')" -gt 0 ] || die "no writer drops: the disk was not slow enough"
[ "$(live_field 's["totals"]["drops"]["kernel"]')" = 0 ] || die "kernel drops"
[ "$(live_field 's["totals"]["drops"]["lost"]')" = 0 ] || die "packets lost"
writer_drops=$(live_field 's["totals"]["drops"]["writer"]')
stored=$(live_field 's["totals"]["stored"]["packets"]')
check "the warnings name the writer"
live_field 's["warnings"]' | grep -q "$writer_drops at the writer" || die "warnings: $(live_field 's["warnings"]')"
ns_stop "$CAP_PID" TERM 20
[ "$NS_STOP_RC" = 0 ] || { cat "$T/captured.log" >&2; die "exit status $NS_STOP_RC after SIGTERM"; }
check "every file verifies; what is stored is intact"
run_ok "capctl verify" "$CAPCTL" --store "$STORE" verify
run_rc 0 "livetraffic check" "${LT[@]}" check -m "$T/m.json" --allow-missing --monotonic --json "$T/c1.json" \
	"$STORE"/*.pcapng.zst
[ "$(jq '.found' "$T/c1.json")" = "$stored" ] || die "found $(jq '.found' "$T/c1.json"), status says $stored stored"
check "the last ISB: osdrop = $writer_drops writer drops, ifdrop 0, usrdeliv $stored"
"${LT[@]}" isb "$STORE"/*.pcapng.zst >"$T/isb1.json"
last=$STORE/$(store_files "$STORE" | tail -n 1)
isb=$(jq -c --arg f "$last" '[.files[] | select(.file == $f) | .isb[-1]][0]' "$T/isb1.json")
note "$isb"
[ "$(jq '.isb_osdrop' <<<"$isb")" = "$writer_drops" ] || die "isb_osdrop"
[ "$(jq '.isb_ifdrop' <<<"$isb")" = 0 ] || die "isb_ifdrop"
[ "$(jq '.isb_usrdeliv' <<<"$isb")" = "$stored" ] || die "isb_usrdeliv"

say "2. starved worker: worker on CPU 1, 20000 frames at 10000/s from CPU 0, SCHED_FIFO loop on CPU 1 for 1 s"
[ "$(nproc)" -ge 2 ] || { note "one CPU: skipped"; finish; exit 0; }
chrt -f 10 true 2>/dev/null || { note "no SCHED_FIFO here: skipped"; finish; exit 0; }
STORE=$T/store2
MAXMS=0
live_start afpacket --cpus 1 --ring-size 1M
RX0=$(rx_packets)
ns_bg "$NS_SND" "${LT[@]}" send -i "$IF_SND" -m "$T/m2.json" -n 20000 --pps 10000 --cpu 0 -q
snd=$NS_BG_PID
sleep 0.3
timeout 1 chrt -f 10 taskset -c 1 sh -c 'while :; do :; done' &
hog=$!
ns_track "$hog"
while ns_alive "$hog"; do
	timed_status
	sleep 0.1
done
wait "$hog" 2>/dev/null || true
wait "$snd" || die "livetraffic.py send failed"
# the busy loop takes a whole CPU from everything that happens to run
# there (the main loop, capctl itself): only an answer is required here
check "the control socket answered while the worker starved (longest: $MAXMS ms)"
[ "$MAXMS" -lt 5000 ] || die "a status request took $MAXMS ms"
accounts "starved worker"
kernel=$(live_field 's["totals"]["drops"]["kernel"]')
stored=$(live_field 's["totals"]["stored"]["packets"]')
check "the drops are the kernel ring's: $kernel"
[ "$kernel" -gt 0 ] || die "no kernel drops: the worker kept up"
[ "$(live_field 's["totals"]["drops"]["writer"] + s["totals"]["drops"]["lost"]')" = 0 ] || die "writer drops or losses"
live_stop
run_ok "capctl verify" "$CAPCTL" --store "$STORE" verify
check "the last ISB: ifdrop = $kernel kernel drops, usrdeliv $stored"
"${LT[@]}" isb "$STORE"/*.pcapng.zst >"$T/isb2.json"
last=$STORE/$(store_files "$STORE" | tail -n 1)
isb=$(jq -c --arg f "$last" '[.files[] | select(.file == $f) | .isb[-1]][0]' "$T/isb2.json")
note "$isb"
[ "$(jq '.isb_ifdrop' <<<"$isb")" = "$kernel" ] || die "isb_ifdrop"
[ "$(jq '.isb_usrdeliv' <<<"$isb")" = "$stored" ] || die "isb_usrdeliv"
run_rc 0 "livetraffic check" "${LT[@]}" check -m "$T/m2.json" --allow-missing --monotonic "$STORE"/*.pcapng.zst
finish
