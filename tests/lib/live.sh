# Running captured live on the capture side of netns.sh's veth pair.  Source
# it after common.sh and netns.sh, then call netns_setup:
#
#	live_start afxdp [--option value...]     (store $T/store, socket $T/ctl)
#	live_send 3000 [livetraffic.py send options]   (manifest $T/m.json)
#	live_wait 3000                            (until status counts them)
#	live_stop                                 (SIGTERM; must exit 0)
#	live_check [livetraffic.py check options] (every store file)
#
# captured's stderr is in $T/captured.log; status replies in $T/status.json.

LT=("$PYTHON" "$TESTS_DIR/lib/livetraffic.py")
CAP_PID=
STORE=$T/store
CTL=$T/ctl

# live_start BACKEND [ARGS...]: starts captured -i $IF_CAP in $NS_CAP and
# waits (up to 10 s) until its control socket answers.
live_start() {
	local backend=$1 i=0
	shift
	rm -f "$CTL"
	ns_bg "$NS_CAP" "$CAPTURED" -i "$IF_CAP" --store "$STORE" --backend "$backend" \
		--control-socket "$CTL" --stats-interval 200ms "$@" 2>"$T/captured.log"
	CAP_PID=$NS_BG_PID
	until "$CAPCTL" status --json --socket "$CTL" >"$T/status.json" 2>/dev/null; do
		if ! ns_alive "$CAP_PID"; then
			sed 's/^/   | /' "$T/captured.log" >&2
			die "captured -i $IF_CAP --backend $backend $* ended at start"
		fi
		[ $i -lt 200 ] || die "captured did not answer on $CTL within 10 s"
		sleep 0.05
		i=$((i + 1))
	done
}

# live_status: the status JSON into $T/status.json.
live_status() {
	"$CAPCTL" status --json --socket "$CTL" >"$T/status.json" 2>"$T/status.err" || {
		cat "$T/status.err" >&2
		die "capctl status failed"
	}
}

# live_field EXPR: a value of the last status JSON (python expression on s).
live_field() {
	"$PYTHON" -c 'import json,sys; s=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$T/status.json" "$1"
}

# live_send COUNT [ARGS...]: COUNT known frames from the sender side.
live_send() {
	local n=$1
	shift
	ns_run "$NS_SND" "${LT[@]}" send -i "$IF_SND" -m "$T/m.json" -n "$n" -q "$@" ||
		die "livetraffic.py send failed"
}

# live_wait COUNT: until status counts COUNT packets seen (10 s at most).
live_wait() {
	local i=0
	while :; do
		live_status
		[ "$(live_field 's["totals"]["packets"]')" -ge "$1" ] && return 0
		[ $i -lt 100 ] || { cat "$T/status.json" >&2; die "status never counted $1 packets"; }
		sleep 0.1
		i=$((i + 1))
	done
}

# live_stop [SIG]: stops captured (SIGTERM) and requires exit status 0
# within 5 s.
live_stop() {
	ns_stop "$CAP_PID" "${1:-TERM}" 5
	if [ "$NS_STOP_RC" != 0 ]; then
		sed 's/^/   | /' "$T/captured.log" >&2
		die "captured exited with $NS_STOP_RC after SIG${1:-TERM}"
	fi
}

# live_check [ARGS...]: every store file against the manifest.
live_check() {
	run_rc 0 "livetraffic.py check" "${LT[@]}" check -m "$T/m.json" "$@" "$STORE"/*.pcapng*
	tail -n 1 "$T/last.out" | sed 's/^/     /'
}
