#!/bin/bash
# Live capture through AF_PACKET TPACKET_V3: see tests/lib/live_basic.sh.
BACKEND=afpacket
. "$(dirname "$0")/../lib/live_basic.sh"
