#!/bin/bash
# Link flaps without a restart, for both backends, on a veth with two RX
# queues (two workers: AF_PACKET's fanout group, two AF_XDP sockets):
#   1. the link goes down and up again;
#   2. the interface is deleted, then made again under the same name (a
#      new ifindex): AF_PACKET makes socket, ring, fanout group and filter
#      again, AF_XDP attaches its program again and makes its sockets;
#   3. AF_XDP only: the program's BPF link is detached (bpftool link
#      detach), and the daemon attaches it again.
# Meanwhile the control socket answers and status says what each queue
# waits for; each event is logged once per queue, not in a loop; after it
# every frame of the next burst is stored (frames sent while the link is
# down are not expected), the counters of status and of the files' ISBs go
# on from where they were, and the "interface gone" warning goes away.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTS_DIR/lib/netns.sh"
. "$TESTS_DIR/lib/live.sh"
need_bins
need_tool python3 zstd nsenter ip
N=1500
QUEUES=2
SPREAD=(--spread 0,1)
if [ "$(nproc)" -lt 2 ]; then
	QUEUES=1
	SPREAD=()
fi

netns_setup --tag lfl --queues $QUEUES

# wait_for DESC EXPR [SECS]: polls status until the python expression on
# s holds (5 s by default).
wait_for() {
	local desc=$1 expr=$2 secs=${3:-5} i=0
	while :; do
		live_status
		[ "$(live_field "bool($expr)")" = True ] && return 0
		[ $i -lt $((secs * 10)) ] || {
			sed 's/^/   | /' "$T/status.json" >&2
			die "$desc: not within ${secs}s"
		}
		sleep 0.1
		i=$((i + 1))
	done
}

# carrier: until both ends of the veth are up with carrier (a sender on a
# peer without carrier loses its frames before any capture).
carrier() {
	local i=0
	until ns_run "$NS_SND" ip -o link show "$IF_SND" | grep -q 'state UP' &&
		ns_run "$NS_CAP" ip -o link show "$IF_CAP" | grep -q 'state UP'; do
		[ $i -lt 100 ] || die "the veth pair has no carrier after 10 s"
		sleep 0.1
		i=$((i + 1))
	done
}

# burst K: N frames with run id K into manifest $T/mK.json; waits until
# status counts them on top of what it counted before.
TOTAL=0
burst() {
	local k=$1
	ns_run "$NS_SND" "${LT[@]}" send -i "$IF_SND" -m "$T/m$k.json" -n $N --run-id "$k" \
		--ipv4 0.8 -q "${SPREAD[@]}" || die "livetraffic.py send failed"
	TOTAL=$((TOTAL + N))
	live_wait $TOTAL
}

# once PATTERN COUNT DESC: the log has exactly COUNT lines matching PATTERN.
once() {
	local n
	n=$(grep -c -- "$1" "$T/captured.log" || true)
	[ "$n" = "$2" ] || {
		sed 's/^/   | /' "$T/captured.log" >&2
		die "$3: $n log lines match '$1', wanted $2"
	}
}

recreate() {
	ip -n "$NS_SND" link add "$IF_SND" numtxqueues $QUEUES numrxqueues $QUEUES type veth \
		peer name "$IF_CAP" netns "$NS_CAP" numtxqueues $QUEUES numrxqueues $QUEUES
	ip -n "$NS_SND" link set "$IF_SND" up
	ip -n "$NS_CAP" link set "$IF_CAP" up
}

per_queue() { live_field "[q['$1'] for q in s['queues']]"; }

for backend in afpacket afxdp; do
	say "$backend: $QUEUES queue(s)"
	rm -rf "$STORE" "$T"/m*.json
	TOTAL=0
	t0=$(date +%s.%N)
	live_start "$backend"
	carrier
	burst 1
	before=$(per_queue packets)

	say "$backend: link down and up"
	ip -n "$NS_CAP" link set "$IF_CAP" down
	check "status answers and shows every queue waiting for the link"
	wait_for "waiting for the link" "all('down' in q['waiting'] for q in s['queues'])"
	live_field 's["warnings"]' | grep -q "is waiting: link of $IF_CAP down" ||
		die "no waiting note in the warnings: $(live_field 's["warnings"]')"
	sleep 1.5
	check "said once per queue while down, not in a loop"
	once "queue [0-9]*: link down" $QUEUES "link down"
	ip -n "$NS_CAP" link set "$IF_CAP" up
	carrier
	wait_for "capturing again" "all(q['waiting'] == '' for q in s['queues'])"
	once "queue [0-9]*: link up again" $QUEUES "link up"
	check "counters kept: $(per_queue packets) after $before"
	[ "$(per_queue packets)" = "$before" ] || die "per-queue packets changed over the flap"
	burst 2
	check "status counts both bursts: $TOTAL packets"
	[ "$(live_field 's["totals"]["packets"]')" = $TOTAL ] ||
		die "status counts $(live_field 's["totals"]["packets"]')"

	say "$backend: interface deleted and made again"
	idx0=$(ns_run "$NS_CAP" cat "/sys/class/net/$IF_CAP/ifindex" 2>/dev/null ||
		ip -n "$NS_CAP" -o link show "$IF_CAP" | cut -d: -f1)
	before=$(per_queue packets)
	ip -n "$NS_SND" link del "$IF_SND"
	check "status answers, says the interface is gone and the queues wait for it"
	wait_for "interface gone" "s['nic']['gone'] and all('gone' in q['waiting'] for q in s['queues'])"
	live_field 's["warnings"]' | grep -q "interface $IF_CAP is gone" ||
		die "no 'interface gone' warning: $(live_field 's["warnings"]')"
	sleep 1.5
	once "queue [0-9]*: the interface is gone" $QUEUES "interface gone"
	recreate
	carrier
	idx1=$(ip -n "$NS_CAP" -o link show "$IF_CAP" | cut -d: -f1)
	note "ifindex $idx0 -> $idx1"
	wait_for "capturing on the new interface" \
		"all(q['waiting'] == '' for q in s['queues']) and not s['nic']['gone']"
	check "the 'interface gone' warning is gone; one 'back' line per queue"
	live_field 's["warnings"]' | grep -q "gone" && die "warnings: $(live_field 's["warnings"]')"
	once "queue [0-9]*: .* is back (ifindex" $QUEUES "back"
	[ "$(per_queue packets)" = "$before" ] || die "per-queue packets changed over the flap"
	if [ "$backend" = afxdp ]; then
		once "XDP program attached again" 1 "program attached again"
		ns_run "$NS_CAP" ip link show "$IF_CAP" | grep -q ' xdp' ||
			die "no XDP program on the new $IF_CAP"
	fi
	before=$(per_queue packets)
	burst 3
	check "every queue captures again: $(per_queue packets) after $before"
	"$PYTHON" - "$before" "$(per_queue packets)" <<'PY' || die "a queue got nothing after the re-creation"
import ast, sys
a, b = ast.literal_eval(sys.argv[1]), ast.literal_eval(sys.argv[2])
sys.exit(0 if all(y > x for x, y in zip(a, b)) else 1)
PY
	losses=2
	if [ "$backend" = afxdp ] && command -v bpftool >/dev/null 2>&1; then
		say "afxdp: the program's link detached"
		pid=$(ns_run "$NS_CAP" ip -j link show "$IF_CAP" |
			"$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)[0]["xdp"]["prog"]["id"])')
		link=$(bpftool -j link show | "$PYTHON" -c '
import json, sys
print(" ".join(str(l["id"]) for l in json.load(sys.stdin) if l.get("prog_id") == int(sys.argv[1])))' "$pid")
		[ -n "$link" ] || die "no BPF link holds program $pid"
		run_ok "bpftool link detach" bpftool link detach id $link
		wait_for "program attached again" \
			"all(q['waiting'] == '' for q in s['queues'])" 5
		i=0
		until grep -q "XDP program attached again (ifindex $idx1, the same" "$T/captured.log"; do
			[ $i -lt 50 ] || die "the program was not attached again"
			sleep 0.1
			i=$((i + 1))
		done
		once "attached to nothing" 2 "program detached"
		burst 4
		losses=3
	fi
	check "status: $TOTAL packets, no drops, $losses link losses per queue"
	[ "$(live_field 's["totals"]["packets"]')" = $TOTAL ] ||
		die "status counts $(live_field 's["totals"]["packets"]')"
	[ "$(live_field 'sum(s["totals"]["drops"].values())')" = 0 ] ||
		die "drops: $(live_field 's["totals"]["drops"]')"
	[ "$(live_field "all(q['link_losses'] == $losses for q in s['queues'])")" = True ] ||
		die "link losses: $(per_queue link_losses)"
	live_stop
	check "every frame of every burst stored once, byte for byte"
	ms=()
	for m in "$T"/m*.json; do ms+=(-m "$m"); done
	run_rc 0 "livetraffic.py check" "${LT[@]}" check "${ms[@]}" "$STORE"/*.pcapng*
	tail -n 1 "$T/last.out" | sed 's/^/     /'
	check "the files' last ISBs go on from where they were: usrdeliv $TOTAL"
	"${LT[@]}" isb "$STORE"/*.pcapng.zst >"$T/isb.json"
	"$PYTHON" - "$T/isb.json" $TOTAL <<'PY' || die "ISB counters differ (see above)"
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
n = int(sys.argv[2])
if t.get("isb_usrdeliv") != n or t.get("isb_ifrecv") != n or t.get("isb_ifdrop") != 0:
    print("   ISB totals", t, file=sys.stderr)
    sys.exit(1)
PY
	note "$backend: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
done
finish
