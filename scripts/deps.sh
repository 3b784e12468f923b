#!/bin/sh
# Install what building, testing and benchmarking captured needs on Debian 12.
# Idempotent; must run as root (or through sudo).
set -eu
PKGS="build-essential pkg-config clang libclang-rt-14-dev libpcap-dev libzstd-dev zstd libevent-dev
libcmocka-dev libinih-dev zlib1g-dev tcpdump tshark wireshark-common iproute2 netsniff-ng
python3 jq libbpf-dev libxdp-dev bpftool libsystemd-dev libjansson-dev linuxptp systemd
util-linux"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing:$missing; run as root: sudo $0" >&2
	exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
