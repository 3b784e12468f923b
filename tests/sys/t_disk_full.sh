#!/bin/bash
# A full disk under live capture: the store on a 12 MiB tmpfs of its own.
#  (a) retain_size set (6M, and 100M, larger than the file system): capture
#      goes on, the oldest files are deleted, no packet is dropped or lost,
#      what is stored is the newest traffic without holes.
#  (b) no retention: the daemon keeps running, counts what it cannot store
#      as lost (status and ISBs), says "store full" in the status warnings,
#      logs rate-limited, uses little CPU, and when files are deleted by
#      hand it writes again by itself, in a new file; every file verifies
#      (no partial frame in any of them) and the counters add up.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTS_DIR/lib/netns.sh"
. "$TESTS_DIR/lib/live.sh"
need_bins
need_tool python3 zstd nsenter ip jq mount umount

FS=$T/fs
mkdir -p "$FS"
mount -t tmpfs -o size=12m tmpfs "$FS" 2>"$T/mount.err" || skip "cannot mount a tmpfs: $(cat "$T/mount.err")"
# unmount at exit, after netns.sh's cleanup has stopped the daemon (its
# trap runs this one after its own), then whatever was trapped before
PREV_EXIT=
if [ -n "$(trap -p EXIT)" ]; then
	eval "set -- $(trap -p EXIT)"
	PREV_EXIT=$3
fi
trap 'umount "$FS" 2>/dev/null || umount -l "$FS" 2>/dev/null || true; eval "$PREV_EXIT"' EXIT
STORE=$FS/store
OPTS=(--level 0 --rotate-size 1M --frame-size 64K --flush-time 200ms)

# fs_used: bytes used on the tmpfs
fs_used() { df -B1 --output=used "$FS" | tail -n 1 | tr -d ' '; }
# cpu_ticks PID: utime + stime of the process (all threads), clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# the newest traffic without holes: every frame found comes after every
# frame missing (retention deletes whole files, oldest first)
suffix_only() {
	"$PYTHON" - "$1" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
r = c["runs"][0]
missing = r["expected"] - r["found"]
first = c["missing_first"]
# missing_first lists the first 1000 missing numbers; a suffix means the
# missing ones are exactly 0..missing-1
ok = first == list(range(min(missing, 1000)))
print("ok" if ok else "holes: missing starts %s" % first[:10])
PY
}

netns_setup --tag dfl

for RETAIN in 6M 100M; do
	say "(a) retain_size $RETAIN on a 12 MiB file system: 40000 frames at 10000/s (about 20 MB)"
	rm -rf "$STORE"
	live_start afpacket "${OPTS[@]}" --retain-size $RETAIN
	live_send 40000 --pps 10000
	live_wait 40000
	sleep 0.5
	live_status
	check "every frame received, none dropped or lost"
	[ "$(live_field 's["totals"]["packets"]')" = 40000 ] || die "status counts $(live_field 's["totals"]["packets"]')"
	[ "$(live_field 'sum(s["totals"]["drops"].values())')" = 0 ] || die "drops: $(live_field 's["totals"]["drops"]')"
	check "no warning in status"
	[ "$(live_field 'len(s["warnings"])')" = 0 ] || die "warnings: $(live_field 's["warnings"]')"
	live_stop
	check "the oldest files were deleted; the file system never filled ($(($(fs_used) / 1024)) KiB used)"
	grep -q "No space left" "$T/captured.log" && die "the disk filled: $(grep 'No space' "$T/captured.log" | head -3)"
	[ "$(store_files "$STORE" | wc -l)" -ge 3 ] || die "files: $(store_files "$STORE")"
	run_ok "capctl verify" "$CAPCTL" --store "$STORE" verify
	check "what is stored is the newest traffic, without holes"
	run_rc 0 "livetraffic check" "${LT[@]}" check -m "$T/m.json" --allow-missing --monotonic \
		--json "$T/ca.json" "$STORE"/*.pcapng.zst
	found=$(jq '.found' "$T/ca.json")
	note "$found of 40000 frames kept in $(store_files "$STORE" | wc -l) files"
	[ "$found" -gt 5000 ] && [ "$found" -lt 40000 ] || die "found $found frames"
	[ "$(suffix_only "$T/ca.json")" = ok ] || die "$(suffix_only "$T/ca.json")"
done

say "(b) no retention: 30000 frames at 6000/s (about 15 MB) fill the file system"
rm -rf "$STORE"
live_start afpacket "${OPTS[@]}"
ns_bg "$NS_SND" "${LT[@]}" send -i "$IF_SND" -m "$T/m.json" -n 30000 --pps 6000 -q
snd=$NS_BG_PID
i=0
until grep -q "store full" "$T/captured.log"; do
	[ $i -lt 200 ] || { cat "$T/captured.log" >&2; die "the store never filled"; }
	sleep 0.05
	i=$((i + 1))
done
note "full after $((i * 50)) ms"
lines0=$(wc -l <"$T/captured.log")
c0=$(cpu_ticks "$CAP_PID")
t0=$(date +%s%N)
sleep 2.5
c1=$(cpu_ticks "$CAP_PID")
t1=$(date +%s%N)
lines1=$(wc -l <"$T/captured.log")
live_status
pct=$(((c1 - c0) * 100 * 1000000000 / $(getconf CLK_TCK) / (t1 - t0)))
check "the daemon runs on, using ${pct}% of a core while full and receiving (under 30%)"
ns_alive "$CAP_PID" || die "captured died"
[ "$pct" -lt 30 ] || die "${pct}% CPU while the store is full"
check "the status says 'store full' and counts lost packets"
live_field 's["warnings"]' | grep -q "store full" || die "warnings: $(live_field 's["warnings"]')"
lost=$(live_field 's["totals"]["drops"]["lost"]')
note "lost so far: $lost; warnings: $(live_field 's["warnings"]')"
[ "$lost" -gt 0 ] || die "nothing counted as lost"
check "the log is rate-limited: $((lines1 - lines0)) lines in 2.5 s while full"
[ $((lines1 - lines0)) -le 4 ] || { sed -n "$((lines0 + 1)),\$p" "$T/captured.log" >&2; die "too many log lines"; }
wait "$snd" || die "livetraffic.py send failed"
live_wait 30000
sleep 0.3
live_status
lost1=$(live_field 's["totals"]["drops"]["lost"]')
check "still full: the last frames of the first run are lost too ($lost1 lost in all)"
live_field 's["warnings"]' | grep -q "store full" || die "warnings: $(live_field 's["warnings"]')"
sed -n 's/^/     | /; /store full\|frame lost\|still full/p' "$T/captured.log" | head -n 4

say "files deleted by hand: writing resumes by itself, in a new file"
before=$(store_files "$STORE" | tail -n 1)
store_files "$STORE" | grep -v '\.part$' | head -n 6 | while read -r f; do rm -f "$STORE/$f"; done
sleep 1.2
cp "$T/m.json" "$T/m1.json"
live_send 5000 --pps 5000 --run-id 9
live_wait 35000
i=0
until grep -q "writing again" "$T/captured.log"; do
	[ $i -lt 40 ] || { cat "$T/captured.log" >&2; die "writing did not resume"; }
	sleep 0.05
	i=$((i + 1))
done
sed -n 's/^/     | /; /writing again/p' "$T/captured.log"
sleep 0.3
live_status
check "in a new file; the status warns no more; nothing of the second run lost"
after=$(live_field 's["queues"][0]["file"]')
[ -n "$after" ] && [ "$(basename "$after")" != "$before" ] || die "no new file (was $before, now '$after')"
live_field 's["warnings"]' | grep -q "store full" && die "still warns: $(live_field 's["warnings"]')"
[ "$(live_field 's["totals"]["drops"]["lost"]')" = "$lost1" ] || die "lost $(live_field 's["totals"]["drops"]["lost"]') now, $lost1 before the second run"
st_pk=$(live_field 's["totals"]["packets"]')
st_stored=$(live_field 's["totals"]["stored"]["packets"]')
st_other=$(live_field 's["totals"]["drops"]["kernel"] + s["totals"]["drops"]["bypass"] + s["totals"]["drops"]["writer"]')
live_stop
check "the counters add up: $st_pk received = $st_stored stored + $lost1 lost + $st_other dropped"
[ "$st_pk" = $((st_stored + lost1 + st_other)) ] || die "they do not"
check "no .part file left, every file verifies (no partial frame anywhere)"
ls "$STORE" | grep -q '\.part$' && die "a .part file is left: $(ls "$STORE")"
run_ok "capctl verify" "$CAPCTL" --store "$STORE" verify
check "what is stored is intact; the second run whole"
run_rc 0 "livetraffic check" "${LT[@]}" check -m "$T/m1.json" -m "$T/m.json" --allow-missing \
	--monotonic --json "$T/cb.json" "$STORE"/*.pcapng.zst
[ "$(jq '.runs[] | select(.run_id == "00000009") | .missing' "$T/cb.json")" = 0 ] ||
	die "frames of the second run are missing"
check "the last ISB counts the lost packets in isb_osdrop"
"${LT[@]}" isb "$STORE"/*.pcapng.zst >"$T/isb.json"
last=$(store_files "$STORE" | tail -n 1)
osdrop=$(jq --arg f "$STORE/$last" '[.files[] | select(.file == $f) | .isb[-1].isb_osdrop][0]' "$T/isb.json")
usr=$(jq --arg f "$STORE/$last" '[.files[] | select(.file == $f) | .isb[-1].isb_usrdeliv][0]' "$T/isb.json")
note "last ISB: osdrop $osdrop, usrdeliv $usr"
[ "$osdrop" = "$((lost1 + st_other))" ] || die "isb_osdrop $osdrop, wanted $lost1 lost + $st_other dropped"
[ "$usr" = "$st_stored" ] || die "isb_usrdeliv $usr, wanted $st_stored"
finish
