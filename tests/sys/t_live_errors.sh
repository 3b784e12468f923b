#!/bin/bash
# What the daemon refuses at start, each with a message a user can act on
# and a non-zero exit: a missing interface, a bad configuration line (file
# and line named), queues the device does not have, hardware timestamps a
# veth cannot give, AF_XDP on an interface that carries an IP address (it
# would take the host's packets) -- where backend = auto falls back to
# AF_PACKET and says why -- a second daemon on a live control socket, and a
# second AF_XDP daemon on the same interface.  A daemon killed with SIGKILL
# leaves no XDP program behind: the next one starts at once.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTS_DIR/lib/netns.sh"
. "$TESTS_DIR/lib/live.sh"
need_bins
need_tool python3 nsenter ip

netns_setup --tag ler
cap() { ns_run "$NS_CAP" "$CAPTURED" --store "$STORE" --control-socket "$CTL" "$@"; }

say "startup errors"
check "a missing interface"
run_rc nz "missing interface" cap -i nosuch0
msg_has "missing interface" "no interface 'nosuch0'"
[ "$LAST_RC" = 1 ] || [ "$LAST_RC" = 2 ] || die "exit $LAST_RC"
check "a bad configuration line names file and line"
printf '[captured]\ninterface = %s\nbackend = dpdk\n' "$IF_CAP" >"$T/bad.conf"
run_rc 2 "bad config" cap -c "$T/bad.conf"
msg_has "bad config" "$T/bad.conf:3" "backend" "dpdk"
check "queues the device does not have"
run_rc 2 "queues 3" cap -i "$IF_CAP" --queues 3
msg_has "queues 3" "queues" "'3'" "has 1"
check "hardware timestamps on a veth"
run_rc nz "timestamp hardware" cap -i "$IF_CAP" --backend afpacket --timestamp hardware
msg_has "timestamp hardware" "hardware"
run_rc nz "timestamp hardware (afxdp)" cap -i "$IF_CAP" --backend afxdp --timestamp hardware
msg_has "timestamp hardware (afxdp)" "hardware"

say "AF_XDP and an interface with an address"
ip -n "$NS_CAP" addr add 192.0.2.1/24 dev "$IF_CAP"
check "backend = afxdp is refused, naming the address and the way to go ahead"
run_rc nz "afxdp on an addressed interface" cap -i "$IF_CAP" --backend afxdp
msg_has "afxdp on an addressed interface" "192.0.2.1" "xdp_allow_addressed"
check "backend = auto falls back to AF_PACKET and says why"
live_start auto
[ "$(live_field 's["backend"]')" = afpacket ] || die "backend $(live_field 's["backend"]')"
grep -q "AF_XDP not used" "$T/captured.log" || die "no fallback line in the log"

say "a second daemon on the same control socket"
check "refused while the first one answers"
run_rc nz "second daemon" cap -i "$IF_CAP" --backend afpacket
msg_has "second daemon" "another captured is running"
live_stop
check "no XDP program was left attached"
ns_run "$NS_CAP" ip link show "$IF_CAP" | grep -q ' xdp' && die "XDP program left attached"

say "AF_XDP: one daemon per interface; SIGKILL leaves nothing attached"
ip -n "$NS_CAP" addr flush dev "$IF_CAP"
live_start afxdp
check "a second AF_XDP daemon on the interface is refused, naming the first"
run_rc nz "second afxdp daemon" ns_run "$NS_CAP" "$CAPTURED" -i "$IF_CAP" --backend afxdp \
	--store "$T/store2" --control-socket "$T/ctl2"
msg_has "second afxdp daemon" "pid $CAP_PID"
kill -KILL "$CAP_PID"
ns_stop "$CAP_PID" TERM 5
check "after SIGKILL no XDP program is attached and a new daemon starts"
ns_run "$NS_CAP" ip link show "$IF_CAP" | grep -q ' xdp' && die "XDP program left attached after SIGKILL"
live_start afxdp
live_send 200
live_wait 200
live_stop
finish
