#!/bin/bash
# Retention against readers: the daemon's retention deletes files while a
# slow capctl slice reads them (its output piped into a reader that sleeps
# before it reads).  A file the slice has open is read to the end through
# its descriptor; a file gone before the slice opens it is reported
# ("was deleted (retention) during the slice") and the slice says it is
# incomplete.  The output is never corrupt: capinfos and tshark read it
# whole, every packet is intact, timestamps never go back, and for every
# file of the store as the slice found it, the packets of that file in the
# output are a prefix of its packets (whole files, or the frames a file
# being written had when the slice planned).  Compressed and plain stores.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTS_DIR/lib/netns.sh"
. "$TESTS_DIR/lib/live.sh"
need_bins
need_tool python3 zstd nsenter ip jq tshark capinfos

# prefix_check OUT FILE...: the run frames of OUT, by sequence number,
# against those of each FILE (a snapshot of the store): each file's share
# of OUT is a prefix of it, and OUT holds nothing else.
prefix_check() {
	"$PYTHON" - "$TESTS_DIR/lib" "$@" <<'PY'
import struct, sys
sys.path.insert(0, sys.argv[1])
import livetraffic as lt

def seqs(path):
    out = []
    cap = lt.Capture(path)
    for ev in cap:
        if ev[0] != "pkt":
            continue
        data = ev[5]
        at = data.find(lt.MAGIC)
        if at >= 0 and at + lt.MARK_LEN <= len(data):
            out.append(struct.unpack(">IQ", data[at + 8:at + lt.MARK_LEN]))
    cap.close()
    return out

got = seqs(sys.argv[2])
present = set(got)
if len(present) != len(got):
    sys.exit("duplicates in the output")
seen = set()
whole = partial = none = 0
for f in sys.argv[3:]:
    fs = seqs(f)
    mask = [s in present for s in fs]
    k = sum(mask)
    if mask != [True] * k + [False] * (len(fs) - k):
        sys.exit("%s: its packets in the output are not a prefix of it" % f)
    whole += k == len(fs) and k > 0
    partial += 0 < k < len(fs)
    none += k == 0
    seen.update(fs)
    print("%s %s" % ("whole" if k == len(fs) and k > 0 else "prefix" if k else "none", f))
if not present <= seen:
    sys.exit("%d output packets come from no file of the store" % len(present - seen))
print("%d packets: %d files whole, %d a prefix, %d not at all" % (len(got), whole, partial, none))
PY
}

netns_setup --tag rrd

for COMP in zstd none; do
	say "compression $COMP: retain_size 3M, rotate_size 1M, 8000 frames"
	STORE=$T/store-$COMP
	rm -rf "$T/snap" "$T/out.pcapng" "$T/slice.err"
	live_start afpacket --compression $COMP --level 0 --rotate-size 1M --retain-size 3M \
		--frame-size 64K --flush-time 200ms
	live_send 8000 --pps 8000 --run-id 1
	cp "$T/m.json" "$T/m1.json"
	live_wait 8000
	sleep 0.5
	# a snapshot by hard links: the files as the slice will find them,
	# which stay readable here after retention unlinks them in the store
	mkdir "$T/snap"
	ln "$STORE"/*.pcapng* "$T/snap/"
	mapfile -t SNAP < <(store_files "$T/snap" | sed "s|^|$T/snap/|")
	note "the store: ${#SNAP[@]} files"

	say "a slow slice (its reader sleeps 3 s), while 8000 more frames make retention delete every one of them"
	{
		r=0
		"$CAPCTL" --store "$STORE" slice -w - 2>"$T/slice.err" || r=$?
		echo $r >"$T/slice.rc"
	} |
		{ sleep 3; cat; } >"$T/out.pcapng" &
	pipe=$!
	sleep 0.3
	live_send 8000 --pps 8000 --run-id 2
	live_wait 16000
	sleep 0.5
	gone=0
	for f in "${SNAP[@]}"; do
		b=$(basename "$f")
		[ -e "$STORE/$b" ] || [ -e "$STORE/${b%.part}" ] || gone=$((gone + 1))
	done
	check "retention deleted $gone of the ${#SNAP[@]} files while the slice ran"
	[ "$gone" -ge 2 ] || die "only $gone files deleted: $(ls "$STORE")"
	wait "$pipe"
	rc=$(cat "$T/slice.rc")
	sed 's/^/     | /' "$T/slice.err"
	check "the slice ended with status 1 (incomplete), naming the files gone before it opened them"
	[ "$rc" = 1 ] || die "slice exit status $rc"
	grep -q "was deleted (retention) during the slice" "$T/slice.err" || die "no file named as deleted"
	grep -q "incomplete: [0-9]* files could not be read" "$T/slice.err" || die "not said to be incomplete"
	grep -v -e "was deleted (retention) during the slice" -e "^capctl: incomplete: [0-9]* files could not be read" \
		-e "^capctl: warning: .* clock was not locked" "$T/slice.err" | grep -q . &&
		die "other messages from the slice"
	check "capinfos and tshark read the output to its end"
	capinfos "$T/out.pcapng" >"$T/capinfos.txt" 2>&1 || { cat "$T/capinfos.txt" >&2; die "capinfos failed"; }
	n_cap=$(npackets "$T/out.pcapng")
	n_ts=$(tshark -r "$T/out.pcapng" 2>"$T/tshark.err" | wc -l)
	! grep -v '^Running as user' "$T/tshark.err" | grep -q . || { cat "$T/tshark.err" >&2; die "tshark complained"; }
	[ "$n_cap" = "$n_ts" ] && [ "$n_cap" -gt 0 ] || die "capinfos counts $n_cap, tshark $n_ts"
	check "every packet intact, in time order, each once"
	run_rc 0 "livetraffic check" "${LT[@]}" check -m "$T/m1.json" --allow-missing --monotonic \
		"$T/out.pcapng"
	check "per file of the store, the output holds a prefix of its packets"
	prefix_check "$T/out.pcapng" "${SNAP[@]}" >"$T/prefix.txt" || die "prefix check failed"
	sed 's/^/     /' "$T/prefix.txt"
	check "the first file, opened before retention deleted it, was read whole"
	[ "$(sed -n 1p "$T/prefix.txt")" = "whole ${SNAP[0]}" ] || die "first file: $(sed -n 1p "$T/prefix.txt")"
	live_stop
	run_ok "capctl verify" "$CAPCTL" --store "$STORE" verify
done
finish
