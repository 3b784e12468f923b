#!/bin/bash
# make demo: a live capture you can watch, without touching the machine's
# network.  Makes two network namespaces joined by a veth pair (deleted at
# the end), runs captured -i on one end (AF_XDP where it works), sends
# 20000 known frames from the other end, shows capctl status, stops the
# daemon with SIGTERM, checks every frame arrived intact, then lists the
# store and slices it.  Needs root; leaves the capture in ./store.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
. tests/lib/common.sh
. tests/lib/netns.sh
. tests/lib/live.sh
STORE=$ROOT_DIR/store

[ "$(id -u)" = 0 ] || { echo "make demo needs root (network namespaces)"; exit 1; }
netns_setup --tag demo --mtu 9000
say "captured -i $IF_CAP --store ./store (in namespace $NS_CAP)"
live_start auto
say "sending 20000 frames (60..9000 bytes, some VLAN-tagged) from $IF_SND"
live_send 20000 --max-size 9000 --pps 20000
live_wait 20000
say "capctl status"
"$CAPCTL" status --socket "$CTL"
say "stopping captured (SIGTERM)"
live_stop
sed 's/^/   captured: /' "$T/captured.log"
say "every frame stored once, byte for byte?"
live_check --monotonic
say "capctl --store ./store list"
"$CAPCTL" --store "$STORE" list
say "capctl slice 'udp and vlan' -> $BUILD/demo-udp-vlan.pcap, read by tshark"
"$CAPCTL" --store "$STORE" slice --format pcap -w "$BUILD/demo-udp-vlan.pcap" 'vlan and udp'
tshark -n -r "$BUILD/demo-udp-vlan.pcap" -c 5 2>/dev/null || true
