# shellcheck shell=bash
# A linuxptp grandmaster and a slave on netns.sh's veth pair, for tests of
# our PTP client.  Source it after common.sh and netns.sh:
#
#	. "$TESTS_DIR/lib/netns.sh"
#	. "$TESTS_DIR/lib/ptp.sh"
#	PTP_DOMAIN=7                 # optional, default 0
#	ptp_setup                    # skips (77) without ptp4l/pmc or root
#	ptp_wait_state SLAVE 30 || ptp_die "the slave did not synchronize"
#	"$CAPCTL" ptp --socket "$PTP_SLAVE_SOCK" --domain "$PTP_DOMAIN"
#
# ptp_setup makes the namespaces (netns_setup --tag ptp, so the names do not
# clash with other tests), writes $T/ptp-master.cfg and $T/ptp-slave.cfg
# and starts ptp4l -S (software timestamping, network_transport L2, so the
# veth needs no addresses): the grandmaster in $NS_SND on $IF_SND
# (priority1 100), the slave in $NS_CAP on $IF_CAP (slaveOnly 1).  Both
# run with free_running 1: neither ever steers this machine's clock
# (../shared/FACTS.md).  Each has its own uds_address, $PTP_MASTER_SOCK and
# $PTP_SLAVE_SOCK (UNIX sockets ignore network namespaces: pmc and capctl
# reach them from here).  A free_running slave stays UNCALIBRATED until it
# is told SET SYNCHRONIZATION_UNCERTAIN_NP 0, which ptp_setup sends
# (retrying until the socket answers).
#
# Intervals: Announce every 250 ms (logAnnounceInterval -2) with
# announceReceiptTimeout 3, Sync and Delay_Req every 125 ms (-3), as in
# ITU-T telecom profiles (G.8275.1 is faster still).  With them the slave
# reaches SLAVE ~2 s after start (~12 s with linuxptp's defaults) and
# leaves it ~1 s after the master goes away (3 missed Announces).
#
# Variables: PTP_DOMAIN, PTP_MASTER_PID, PTP_SLAVE_PID (empty while
# stopped), PTP_MASTER_SOCK, PTP_SLAVE_SOCK, PTP_WAIT_S (seconds the last
# ptp_wait_state took).  ptp4l's output is appended to $T/ptp-master.log and
# $T/ptp-slave.log (restarts included).
#
# Functions:
#   ptp_setup               as above
#   ptp_pmc SOCK CMD...     pmc -u -b 0 -d $PTP_DOMAIN -s SOCK CMD... (its
#                           own client socket is /var/run/pmc.PID)
#   ptp_port_state [SOCK]   prints the port state pmc reports (SLAVE, ...),
#                           nothing when no answer; default the slave's
#   ptp_wait_state STATE TIMEOUT_S
#                           polls the slave until its port is in STATE;
#                           false after TIMEOUT_S seconds
#   ptp_stop_master, ptp_start_master
#   ptp_restart_slave       stops the slave by PID, starts it again (same
#                           config and socket) and sends the SET again
#   ptp_logs                the end of both logs, on stderr
#   ptp_die MSG             ptp_logs, then die MSG

PTP_DOMAIN=${PTP_DOMAIN:-0}
PTP_MASTER_PID=
PTP_SLAVE_PID=
PTP_MASTER_SOCK=
PTP_SLAVE_SOCK=
PTP_WAIT_S=

_ptp_config() {
	local role=$1
	cat <<EOF
# ptp4l $role for $TEST_NAME (tests/lib/ptp.sh)
[global]
domainNumber            $PTP_DOMAIN
network_transport       L2
time_stamping           software
# never adjust this machine's clock (a grandmaster does not anyway; this
# keeps it so if it ever follows another master)
free_running            1
uds_address             $T/ptp-$role.sock
logAnnounceInterval     -2
announceReceiptTimeout  3
logSyncInterval         -3
logMinDelayReqInterval  -3
use_syslog              0
verbose                 1
EOF
	if [ "$role" = master ]; then
		echo "priority1               100"
	else
		echo "priority1               200"
		echo "slaveOnly               1"
	fi
}

ptp_pmc() {
	local sock=$1
	shift
	pmc -u -b 0 -d "$PTP_DOMAIN" -s "$sock" "$@"
}

ptp_port_state() {
	ptp_pmc "${1:-$PTP_SLAVE_SOCK}" 'GET PORT_DATA_SET' 2>/dev/null |
		awk '$1 == "portState" { print $2; exit }'
}

# _ptp_answers SOCK ID CMD: true when pmc's CMD gets a RESPONSE for ID
_ptp_answers() {
	ptp_pmc "$1" "$3" 2>/dev/null | grep -q "RESPONSE MANAGEMENT $2"
}

# _ptp_wait_socket ROLE PID: until ptp4l answers on its socket (10 s)
_ptp_wait_socket() {
	local role=$1 pid=$2 sock=$T/ptp-$1.sock i=0
	until _ptp_answers "$sock" PORT_DATA_SET 'GET PORT_DATA_SET'; do
		ns_alive "$pid" || ptp_die "ptp4l ($role) ended at start"
		[ $i -lt 100 ] || ptp_die "ptp4l ($role) did not answer on $sock within 10 s"
		sleep 0.1
		i=$((i + 1))
	done
}

ptp_start_master() {
	[ -z "$PTP_MASTER_PID" ] || ptp_die "ptp_start_master: already running"
	ns_bg "$NS_SND" ptp4l -f "$T/ptp-master.cfg" -i "$IF_SND" -S >>"$T/ptp-master.log" 2>&1
	PTP_MASTER_PID=$NS_BG_PID
	_ptp_wait_socket master "$PTP_MASTER_PID"
}

ptp_stop_master() {
	[ -n "$PTP_MASTER_PID" ] || return 0
	ns_stop "$PTP_MASTER_PID" TERM 5
	PTP_MASTER_PID=
}

_ptp_start_slave() {
	local i=0
	ns_bg "$NS_CAP" ptp4l -f "$T/ptp-slave.cfg" -i "$IF_CAP" -S >>"$T/ptp-slave.log" 2>&1
	PTP_SLAVE_PID=$NS_BG_PID
	_ptp_wait_socket slave "$PTP_SLAVE_PID"
	until _ptp_answers "$PTP_SLAVE_SOCK" SYNCHRONIZATION_UNCERTAIN_NP \
		'SET SYNCHRONIZATION_UNCERTAIN_NP 0'; do
		[ $i -lt 50 ] || ptp_die "ptp4l (slave) did not take SET SYNCHRONIZATION_UNCERTAIN_NP 0"
		sleep 0.1
		i=$((i + 1))
	done
}

ptp_restart_slave() {
	if [ -n "$PTP_SLAVE_PID" ]; then
		ns_stop "$PTP_SLAVE_PID" TERM 5
		PTP_SLAVE_PID=
	fi
	_ptp_start_slave
}

ptp_wait_state() {
	local want=$1 secs=$2 t0 now st
	t0=$(date +%s%N)
	while :; do
		st=$(ptp_port_state "$PTP_SLAVE_SOCK")
		now=$(date +%s%N)
		# shellcheck disable=SC2034 # for the caller
		PTP_WAIT_S=$(awk -v a="$t0" -v b="$now" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
		[ "$st" = "$want" ] && return 0
		[ $(((now - t0) / 1000000000)) -lt "$secs" ] || return 1
		sleep 0.2
	done
}

ptp_logs() {
	local f
	for f in "$T/ptp-master.log" "$T/ptp-slave.log"; do
		[ -f "$f" ] || continue
		printf '   --- last lines of %s\n' "$(basename "$f")" >&2
		tail -n 25 "$f" | sed 's/^/   | /' >&2
	done
}

ptp_die() {
	ptp_logs
	die "$@"
}

ptp_setup() {
	need_tool ptp4l pmc
	netns_setup --tag ptp
	# shellcheck disable=SC2034 # for the caller
	PTP_MASTER_SOCK=$T/ptp-master.sock
	PTP_SLAVE_SOCK=$T/ptp-slave.sock
	_ptp_config master >"$T/ptp-master.cfg"
	_ptp_config slave >"$T/ptp-slave.cfg"
	: >"$T/ptp-master.log"
	: >"$T/ptp-slave.log"
	ptp_start_master
	_ptp_start_slave
}
