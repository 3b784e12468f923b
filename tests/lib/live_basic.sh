# The body of t_live_afpacket.sh and t_live_afxdp.sh: one backend, one RX
# queue, a veth with MTU 9000.  Known frames (60..9000 bytes, 802.1Q and
# QinQ tagged ones among them) are sent from the peer; every one must be
# stored once, byte for byte, with per-queue monotonic timestamps, and the
# counters of status and of the files' ISBs must say what was sent.
# Expects BACKEND to be set.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTS_DIR/lib/netns.sh"
. "$TESTS_DIR/lib/live.sh"
need_bins
need_tool python3 zstd tcpdump nsenter ip
N=3000

netns_setup --tag "l${BACKEND:2:2}" --mtu 9000
say "captured --backend $BACKEND on a veth (MTU 9000)"
live_start "$BACKEND"
check "status says backend $BACKEND, one queue, software timestamps"
[ "$(live_field 's["backend"]')" = "$BACKEND" ] || die "backend is $(live_field 's["backend"]')"
[ "$(live_field 'len(s["queues"])')" = 1 ] || die "not one queue"
live_field 's["queues"][0]["mode"]' | grep -q "^$BACKEND" || die "mode: $(live_field 's["queues"][0]["mode"]')"
[ "$(live_field 's["queues"][0]["timestamps"]')" = software ] || die "veth has no hardware stamps"

say "send $N frames of 60..9000 bytes"
live_send $N --max-size 9000 --vlan 0.2 --qinq 0.1
live_wait $N
check "status: $N packets, no drops at any stage"
[ "$(live_field 's["totals"]["packets"]')" = $N ] || die "status counts $(live_field 's["totals"]["packets"]')"
[ "$(live_field 'sum(s["totals"]["drops"].values())')" = 0 ] || die "drops: $(live_field 's["totals"]["drops"]')"
[ "$(live_field 's["queues"][0]["ts_software"]')" = $N ] || die "software stamps: $(live_field 's["queues"][0]["ts_software"]')"
check "status: the NIC received $N and dropped none before the rings"
[ "$(live_field 's["nic"]["packets"]')" = $N ] || die "nic: $(live_field 's["nic"]')"
[ "$(live_field 's["nic"]["missed"] + s["nic"]["fifo"] + s["nic"]["over"]')" = 0 ] || die "nic: $(live_field 's["nic"]')"

say "stop with SIGTERM"
live_stop
check "no .part file left; capctl verify passes"
ls "$STORE" | grep -q '\.part$' && die "a .part file is left: $(ls "$STORE")"
run_ok "capctl verify" "$CAPCTL" --store "$STORE" verify
check "every frame stored once, byte for byte, timestamps monotonic"
live_check --monotonic
check "tcpdump reads the file through zstd -dc, every frame intact"
f=$(ls "$STORE"/*.pcapng.zst | head -n 1)
zstd -dc "$f" | tcpdump --time-stamp-precision=nano -r - -w "$T/td.pcap" 2>"$T/td.err" ||
	{ cat "$T/td.err" >&2; die "tcpdump -r - failed"; }
run_rc 0 "check of tcpdump's copy" "${LT[@]}" check -m "$T/m.json" --monotonic "$T/td.pcap"

check "the last ISB: ifrecv $N, ifdrop 0, osdrop 0, usrdeliv $N"
"${LT[@]}" isb "$STORE"/*.pcapng.zst >"$T/isb.json"
"$PYTHON" - "$T/isb.json" $N <<'PY' || die "ISB counters differ (see above)"
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
n = int(sys.argv[2])
want = {"isb_ifrecv": n, "isb_ifdrop": 0, "isb_osdrop": 0, "isb_usrdeliv": n}
bad = {k: t.get(k) for k in want if t.get(k) != want[k]}
if bad:
    print("   ISB totals", t, "differ in", bad, file=sys.stderr)
    sys.exit(1)
PY
check "the interface description says the timestamps are software ones"
desc=$(zstd -dc "$f" | tshark -n -r - -c 1 -T fields -e frame.interface_description 2>/dev/null)
note "if_description: $desc"
case $desc in *software*) ;; *) die "no 'software' in the interface description" ;; esac
if [ "$BACKEND" = afxdp ]; then
	check "the XDP program is gone from the interface after the stop"
	ns_run "$NS_CAP" ip link show "$IF_CAP" | grep -q ' xdp' && die "XDP program left attached"
fi
finish
