# shellcheck shell=bash
# Two network namespaces joined by a veth pair, for one live-capture test or
# benchmark run.  Source it (bash, after set -eu; after common.sh in tests):
#
#	. "$TESTS_DIR/lib/netns.sh"
#	netns_setup [--mtu N] [--queues N] [--ipv6] [--tag WORD]
#	ns_bg "$NS_CAP" tcpdump -i "$IF_CAP" -w "$T/cap.pcap"; cap=$NS_BG_PID
#	ns_run "$NS_SND" python3 livetraffic.py send -i "$IF_SND" ...
#	ns_stop "$cap" INT
#
# netns_setup makes namespaces $NS_SND (sender side) and $NS_CAP (capture
# side) and a veth pair between them, created directly inside them (nothing
# ever appears in the caller's namespace): $IF_SND in $NS_SND, its peer
# $IF_CAP in $NS_CAP, both up, without addresses.  Names come from the
# shell's PID, so tests can run in parallel: namespaces <tag>-<pid>-snd and
# <tag>-<pid>-cap (tag "captest"), interfaces <t>s<pid> and <t>c<pid> (t =
# first 3 characters of the tag; at most 11 characters).
#   --mtu N      MTU of both ends (default 1500)
#   --queues N   numtxqueues N numrxqueues N on both ends (default 1).  A
#                sender on CPU i that bypasses the qdisc (livetraffic.py
#                --cpu/--spread, trafgen) uses TX queue i, which is RX queue
#                i on the peer (../shared/FACTS.md)
#   --ipv6       leave IPv6 on.  By default it is disabled in both namespaces
#                before the link exists, so the kernel sends nothing at all
#                (no router solicitations, no MLD): every frame on the link
#                is one the test sent
#   --tag WORD   prefix of the names (default captest; letters, digits, -)
#
# Everything is undone at exit, by a trap chained before any EXIT trap that
# was set earlier (common.sh's TMPDIR removal keeps working): processes
# started with ns_bg (or registered with ns_track) get SIGTERM, then SIGKILL
# after 3 s, by PID; then both namespaces are deleted, which deletes the
# veth pair.  INT and TERM are turned into exits (so the trap runs) unless the
# caller trapped them already.
#
# Skips (exit 77, through common.sh's skip when it is loaded) when not root,
# or when namespaces or veth cannot be made.
#
# Functions:
#   ns_run NS CMD...      runs CMD in namespace NS: nsenter --net=/run/netns/NS
#                         (not "ip netns exec", which remounts /sys and hides
#                         bpffs).  Only the network namespace changes: files,
#                         /sys and the mounts stay the caller's
#   ns_bg NS CMD...       the same in the background; sets NS_BG_PID (the PID
#                         of CMD itself: nsenter execs it) and registers it
#                         for the cleanup.  Call it in the main shell, not in
#                         $(...)
#   ns_run_sys NS CMD..., ns_bg_sys NS CMD...
#                         the same, but CMD also sees the namespace's own /sys:
#                         in a private mount namespace (unshare -m), a fresh
#                         sysfs is mounted on /sys and a fresh bpffs on
#                         /sys/fs/bpf.  With plain ns_run, /sys/class/net is
#                         the caller's: the namespace's interfaces are missing
#                         there (so a program reading
#                         /sys/class/net/IF/queues finds nothing), and what
#                         CMD mounts (libxdp mounts a bpffs when it finds
#                         none) lands in the caller's mount namespace
#   ns_track PID          registers a PID (a child of this shell) for the cleanup
#   ns_stop PID [SIG [SECS]]  sends SIG (default TERM) to PID, waits up to SECS
#                         (default 10) for it to end, then SIGKILL; sets
#                         NS_STOP_RC to its exit status (128+N when killed by
#                         signal N, 124 when it had to be killed)
#   ns_alive PID          true while PID runs (and is not a zombie)
#   ns_ifstats NS IF      prints "rx_packets rx_dropped tx_packets tx_dropped"
#                         of the interface (rx_dropped also counts frames no
#                         protocol wanted, e.g. EtherType 0x88b5 when nothing
#                         captures: it is not a capture loss)
#   ns_sysctl NS KEY=VAL...  sysctl -qw in the namespace
#   netns_cleanup         what the trap does (idempotent); callable earlier

NS_SND=
NS_CAP=
IF_SND=
IF_CAP=
NS_PIDS=
NS_BG_PID=
NS_STOP_RC=
_NS_PREV_EXIT=
_NS_TRAPPED=0

_ns_skip() {
	if declare -F skip >/dev/null; then
		skip "$*"
	fi
	printf 'SKIP: %s\n' "$*"
	exit 77
}

_ns_err() {
	printf 'netns.sh: %s\n' "$*" >&2
}

ns_run() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" -- "$@"
}

ns_bg() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" -- "$@" &
	NS_BG_PID=$!
	NS_PIDS="$NS_PIDS $NS_BG_PID"
}

# The script run by ns_run_sys/ns_bg_sys: mounts, then execs CMD (same PID).
_NS_SYS_SH='mount -t sysfs sysfs /sys || exit 126
mount -t bpf bpf /sys/fs/bpf 2>/dev/null || echo "netns.sh: no bpffs at /sys/fs/bpf" >&2
exec "$@"'

ns_run_sys() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" -- unshare --mount --propagation private -- sh -c "$_NS_SYS_SH" sh "$@"
}

ns_bg_sys() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" -- unshare --mount --propagation private -- sh -c "$_NS_SYS_SH" sh "$@" &
	NS_BG_PID=$!
	NS_PIDS="$NS_PIDS $NS_BG_PID"
}

ns_track() {
	NS_PIDS="$NS_PIDS $1"
}

# A zombie counts as ended.
ns_alive() {
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# _ns_ours PID: PID is alive and a child of this shell (so a recycled PID is
# never signalled).
_ns_ours() {
	local ppid
	ns_alive "$1" || return 1
	ppid=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f2) || return 1
	[ "$ppid" = "$$" ]
}

ns_stop() {
	local pid=$1 sig=${2:-TERM} secs=${3:-10} i=0 rc=0
	NS_STOP_RC=0
	if _ns_ours "$pid"; then
		kill -s "$sig" "$pid" 2>/dev/null || true
		while ns_alive "$pid" && [ $i -lt $((secs * 20)) ]; do
			sleep 0.05
			i=$((i + 1))
		done
		if ns_alive "$pid"; then
			_ns_err "PID $pid still runs ${secs}s after SIG$sig: killing it"
			kill -s KILL "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
			NS_STOP_RC=124
			return 0
		fi
	fi
	wait "$pid" 2>/dev/null || rc=$?
	# shellcheck disable=SC2034 # for the caller
	NS_STOP_RC=$rc
	return 0
}

ns_ifstats() {
	ns_run "$1" ip -s -j link show dev "$2" | python3 -c '
import json, sys
s = json.load(sys.stdin)[0]["stats64"]
print(s["rx"]["packets"], s["rx"]["dropped"], s["tx"]["packets"], s["tx"]["dropped"])'
}

ns_sysctl() {
	local ns=$1
	shift
	ns_run "$ns" sysctl -qw "$@"
}

netns_cleanup() {
	local pid ns i
	# Stop the processes first: a namespace with processes in it outlives
	# "ip netns delete".
	for pid in $NS_PIDS; do
		if _ns_ours "$pid"; then kill -s TERM "$pid" 2>/dev/null || true; fi
	done
	for pid in $NS_PIDS; do
		i=0
		while ns_alive "$pid" && [ $i -lt 60 ]; do
			sleep 0.05
			i=$((i + 1))
		done
		if _ns_ours "$pid"; then
			_ns_err "PID $pid ignores SIGTERM: killing it"
			kill -s KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
	NS_PIDS=
	for ns in $NS_SND $NS_CAP; do
		[ -e "/run/netns/$ns" ] || continue
		ip netns delete "$ns" 2>/dev/null || _ns_err "cannot delete namespace $ns"
	done
	return 0
}

_ns_on_exit() {
	local rc=$?
	netns_cleanup
	if [ -n "$_NS_PREV_EXIT" ]; then
		eval "$_NS_PREV_EXIT"
	fi
	return $rc
}

# shellcheck disable=SC2120 # "set --" below, not the caller's arguments
_ns_install_trap() {
	[ "$_NS_TRAPPED" = 1 ] && return 0
	local t
	t=$(trap -p EXIT)
	if [ -n "$t" ]; then
		# "trap -- 'CMD' EXIT": let the shell unquote CMD.
		eval "set -- $t"
		_NS_PREV_EXIT=$3
	fi
	trap _ns_on_exit EXIT
	[ -n "$(trap -p INT)" ] || trap 'exit 130' INT
	[ -n "$(trap -p TERM)" ] || trap 'exit 143' TERM
	_NS_TRAPPED=1
}

netns_setup() {
	local mtu=1500 queues=1 ipv6=0 tag=captest short err
	while [ $# -gt 0 ]; do
		case $1 in
		--mtu) mtu=$2; shift 2 ;;
		--queues) queues=$2; shift 2 ;;
		--ipv6) ipv6=1; shift ;;
		--tag) tag=$2; shift 2 ;;
		*) _ns_err "netns_setup: unknown option '$1'"; return 2 ;;
		esac
	done
	case $mtu$queues in *[!0-9]* | '') _ns_err "netns_setup: bad --mtu/--queues"; return 2 ;; esac
	case $tag in '' | *[!A-Za-z0-9-]*) _ns_err "netns_setup: bad --tag '$tag'"; return 2 ;; esac
	[ "$(id -u)" = 0 ] || _ns_skip "needs root (network namespaces, veth)"
	command -v nsenter >/dev/null 2>&1 || _ns_skip "needs nsenter (util-linux)"
	command -v ip >/dev/null 2>&1 || _ns_skip "needs ip (iproute2)"
	[ -n "$NS_SND" ] && { _ns_err "netns_setup called twice"; return 2; }

	short=$(printf '%s' "$tag" | cut -c1-3)
	NS_SND=$tag-$$-snd
	NS_CAP=$tag-$$-cap
	IF_SND=${short}s$$
	IF_CAP=${short}c$$
	_ns_install_trap
	# Left over from a killed run whose PID we now have (no live process can
	# own them: the PID is ours).
	for ns in $NS_SND $NS_CAP; do
		if [ -e "/run/netns/$ns" ]; then
			_ns_err "deleting stale namespace $ns"
			ip netns delete "$ns" 2>/dev/null || true
		fi
	done
	err=$(ip netns add "$NS_SND" 2>&1) || { NS_SND=; NS_CAP=; _ns_skip "network namespaces unsupported: ip netns add: $err"; }
	err=$(ip netns add "$NS_CAP" 2>&1) || { NS_CAP=; _ns_skip "network namespaces unsupported: ip netns add: $err"; }
	if [ $ipv6 = 0 ]; then
		for ns in $NS_SND $NS_CAP; do
			# Absent when the kernel has no IPv6: nothing to silence then.
			ns_sysctl "$ns" net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
		done
	fi
	err=$(ip -n "$NS_SND" link add "$IF_SND" mtu "$mtu" numtxqueues "$queues" numrxqueues "$queues" \
		type veth peer name "$IF_CAP" netns "$NS_CAP" mtu "$mtu" numtxqueues "$queues" numrxqueues "$queues" 2>&1) ||
		_ns_skip "cannot create a veth pair (mtu $mtu, $queues queues): $err"
	ip -n "$NS_SND" link set lo up
	ip -n "$NS_CAP" link set lo up
	ip -n "$NS_SND" link set "$IF_SND" up
	ip -n "$NS_CAP" link set "$IF_CAP" up
	return 0
}
