#!/bin/bash
# Live capture through AF_XDP (copy mode on veth, multi-buffer for 9000-byte
# frames, timestamps taken per packet in the XDP program): see
# tests/lib/live_basic.sh.
BACKEND=afxdp
. "$(dirname "$0")/../lib/live_basic.sh"
