#!/bin/bash
# Live capture of a veth with two RX queues, one worker per queue.  Senders
# pinned to CPU 0 and CPU 1 fill RX queue 0 and 1.  AF_XDP serves each
# queue with its own socket, and AF_PACKET with fanout = queue gives each
# worker one queue: each file series must then hold exactly its queue's
# frames, with monotonic timestamps.  AF_PACKET with fanout = hash spreads
# flows over the workers, so a worker gets packets stamped on both CPUs
# and its timestamps may step back: each step must be counted in status.
# In every mode every frame is stored exactly once.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTS_DIR/lib/netns.sh"
. "$TESTS_DIR/lib/live.sh"
need_bins
need_tool python3 zstd nsenter ip
[ "$(nproc)" -ge 2 ] || skip "needs two CPUs to feed two queues"
N=4000

netns_setup --tag lmq --queues 2
for mode in afxdp afpacket:queue afpacket:hash; do
	backend=${mode%%:*}
	fanout=${mode#*:}
	[ "$fanout" = "$mode" ] && fanout=hash
	say "$mode: two queues, queues = all"
	rm -rf "$STORE"
	live_start "$backend" --fanout "$fanout"
	check "status shows queues 0 and 1"
	[ "$(live_field '[q["queue"] for q in s["queues"]]')" = "[0, 1]" ] ||
		die "queues: $(live_field '[q["queue"] for q in s["queues"]]')"
	live_send $N --spread 0,1 --ipv4 0.8
	live_wait $N
	check "both queues received frames; no drops"
	for q in 0 1; do
		[ "$(live_field "s['queues'][$q]['packets']")" -gt 0 ] || die "queue $q got nothing"
	done
	[ "$(live_field 'sum(s["totals"]["drops"].values())')" = 0 ] || die "drops: $(live_field 's["totals"]["drops"]')"
	back=$(live_field 'sum(q["ts_backwards"] for q in s["queues"])')
	live_stop
	check "one file series per queue"
	ls "$STORE" | grep -q '_q0\.pcapng\.zst$' || die "no file of queue 0: $(ls "$STORE")"
	ls "$STORE" | grep -q '_q1\.pcapng\.zst$' || die "no file of queue 1: $(ls "$STORE")"
	if [ "$fanout" = hash ] && [ "$backend" = afpacket ]; then
		check "every frame once; the $back backward steps in the files are the ones status counted"
		live_check --json "$T/check.json"
		got=$("$PYTHON" -c 'import json,sys; print(sum(f["ts_backwards"] for f in json.load(open(sys.argv[1]))["files"]))' "$T/check.json")
		[ "$got" = "$back" ] || die "files step back $got times, status counted $back"
		continue
	fi
	check "every frame once; monotonic per queue; queue q holds sender q's frames only"
	live_check --monotonic --json "$T/check.json"
	"$PYTHON" - "$T/check.json" <<'PY' || die "a queue's file holds another queue's frames"
import json, re, sys
for f in json.load(open(sys.argv[1]))["files"]:
    q = re.search(r"_q(\d+)\.pcapng", f["file"]).group(1)
    senders = {k.split("/")[1] for k in f["senders"]}
    print("     %s: senders %s" % (f["file"].rsplit("/", 1)[1], sorted(senders)))
    if senders != {q}:
        sys.exit(1)
PY
done
finish
