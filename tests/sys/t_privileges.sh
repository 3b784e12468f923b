#!/bin/bash
# Least privilege.
#   1. captured -i IF --user nobody, started as root, sets everything up and
#      then runs as nobody: every thread has uid nobody, no thread has an
#      effective capability, the main thread and the writers none at all,
#      the RX workers only what link recovery needs (measured: CAP_NET_RAW;
#      AF_XDP also CAP_IPC_LOCK where RLIMIT_MEMLOCK cannot be lifted), and
#      that is enough: the interface deleted and made again is captured
#      again, for both backends.  The control socket is 0660, nobody's, and
#      another user cannot talk to it.
#   2. user and systemd's User= do not conflict: started as nobody with an
#      ambient CAP_NET_RAW (what the unit does), user = nobody is accepted
#      and the capabilities are still dropped; user = daemon is refused.
#   3. capctl reads nothing outside its store (a path argument, a symlink
#      in the store) and overwrites no file without --force.
#   4. systemd-analyze security of the unit as make install writes it.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TESTS_DIR/lib/netns.sh"
. "$TESTS_DIR/lib/live.sh"
need_bins
need_tool python3 zstd nsenter ip setpriv
id nobody >/dev/null 2>&1 || skip "needs user nobody"
id daemon >/dev/null 2>&1 || skip "needs user daemon (another unprivileged user)"
NOGROUP=$(id -gn nobody)
N=800

netns_setup --tag prv
# nobody must reach the store and the control socket below $T
chmod 0755 "$T"

# thread_caps PID: one line per thread: comm uid CapPrm CapEff
thread_caps() {
	local t
	for t in /proc/"$1"/task/*; do
		printf '%s %s %s %s\n' "$(cat "$t/comm")" \
			"$(awk '/^Uid:/ {print $2 "/" $3 "/" $4 "/" $5}' "$t/status")" \
			"$(awk '/^CapPrm:/ {print $2}' "$t/status")" \
			"$(awk '/^CapEff:/ {print $2}' "$t/status")"
	done
}

# status_field PID KEY: a field of /proc/PID/status
status_field() { awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status"; }

recreate() {
	ip -n "$NS_SND" link del "$IF_SND"
	sleep 0.3
	ip -n "$NS_SND" link add "$IF_SND" type veth peer name "$IF_CAP" netns "$NS_CAP"
	ip -n "$NS_SND" link set "$IF_SND" up
	ip -n "$NS_CAP" link set "$IF_CAP" up
	local i=0
	until ns_run "$NS_SND" ip -o link show "$IF_SND" | grep -q 'state UP' &&
		ns_run "$NS_CAP" ip -o link show "$IF_CAP" | grep -q 'state UP'; do
		[ $i -lt 100 ] || die "no carrier on the new veth pair"
		sleep 0.1
		i=$((i + 1))
	done
}

# as USER CMD...: CMD as USER (its group, no other groups, no capabilities)
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups --inh-caps=-all -- "$@"
}

for backend in afpacket afxdp; do
	say "$backend: captured --user nobody, started as root"
	rm -rf "$STORE" "$T"/m*.json
	live_start "$backend" --user nobody
	pid=$CAP_PID
	grep "running as" "$T/captured.log" | sed 's/^/     /'
	check "/proc/$pid/status: Uid and Gid nobody, CapPrm, CapEff, CapAmb, CapBnd 0, NoNewPrivs 1"
	note "Uid $(status_field "$pid" Uid); Gid $(status_field "$pid" Gid); CapPrm $(status_field "$pid" CapPrm); CapEff $(status_field "$pid" CapEff)"
	uid=$(id -u nobody)
	[ "$(status_field "$pid" Uid)" = "$uid $uid $uid $uid" ] || die "Uid: $(status_field "$pid" Uid)"
	gid=$(id -g nobody)
	[ "$(status_field "$pid" Gid)" = "$gid $gid $gid $gid" ] || die "Gid: $(status_field "$pid" Gid)"
	for k in CapPrm CapEff CapAmb CapBnd; do
		[ "$(status_field "$pid" $k)" = 0000000000000000 ] || die "$k: $(status_field "$pid" $k)"
	done
	[ "$(status_field "$pid" NoNewPrivs)" = 1 ] || die "NoNewPrivs: $(status_field "$pid" NoNewPrivs)"
	# CAP_NET_RAW; AF_XDP: CAP_IPC_LOCK too unless RLIMIT_MEMLOCK is unlimited
	want=0000000000002000
	if [ "$backend" = afxdp ] && ! grep -q 'Max locked memory *unlimited' "/proc/$pid/limits"; then
		want=0000000000006000
	fi
	check "every thread: uid nobody, no effective capability; permitted: workers $want, the others 0"
	thread_caps "$pid" | sed 's/^/     /'
	thread_caps "$pid" | "$PYTHON" -c '
import sys
uid, want = sys.argv[1], sys.argv[2]
kept = 0
for line in sys.stdin:
    comm, ids, prm, eff = line.split()
    if set(ids.split("/")) != {uid}:
        sys.exit("a thread runs as uid " + ids)
    if int(eff, 16):
        sys.exit("a thread has effective capabilities " + eff)
    if int(prm, 16) not in (0, int(want, 16)):
        sys.exit("a thread keeps " + prm)
    kept += int(prm, 16) != 0
if kept != 1:
    sys.exit("%d threads keep capabilities, wanted the one worker" % kept)
' "$uid" "$want" || die "thread capabilities (see above)"

	check "control socket: mode 0660, owner nobody, group $NOGROUP, not world-writable"
	st=$(stat -c '%a %U %G' "$CTL")
	note "$CTL: $st"
	[ "$st" = "660 nobody $NOGROUP" ] || die "control socket is $st"
	check "the daemon's group may ask for status, another user may not"
	run_rc 0 "capctl status as nobody" as nobody "$CAPCTL" status --socket "$CTL"
	run_rc nz "capctl status as daemon" as daemon "$CAPCTL" status --socket "$CTL"
	msg_has "capctl status as daemon" "permission denied"
	check "the store is nobody's, and so are the files it writes"
	live_send $N
	live_wait $N
	[ "$(stat -c %U "$STORE")" = nobody ] || die "store owned by $(stat -c %U "$STORE")"

	say "$backend: link recovery with what was kept"
	mv "$T/m.json" "$T/m1.json"
	recreate
	i=0
	until live_status && [ "$(live_field 'all(q["link_losses"] >= 1 and q["waiting"] == "" for q in s["queues"]) and not s["nic"]["gone"]')" = True ]; do
		[ $i -lt 100 ] || { cat "$T/captured.log" >&2; die "no recovery within 10 s as nobody"; }
		sleep 0.1
		i=$((i + 1))
	done
	check "the new interface is captured: socket (and program) set up again as nobody"
	live_send $N --run-id 2
	mv "$T/m.json" "$T/m2.json"
	live_wait $((2 * N))
	grep -E "cannot|Operation not permitted" "$T/captured.log" && die "a recovery step was refused"
	thread_caps "$pid" | awk '$4 != "0000000000000000" { print "effective: " $0; bad = 1 } END { exit bad }' ||
		die "a thread kept effective capabilities after the recovery"
	live_stop
	ls -l "$STORE" | awk 'NR > 1 && $9 !~ /^\./ && $3 != "nobody" { bad = 1 } END { exit bad }' ||
		{ ls -l "$STORE" >&2; die "a capture file is not nobody's"; }
	run_rc 0 "livetraffic.py check" "${LT[@]}" check -m "$T/m1.json" -m "$T/m2.json" "$STORE"/*.pcapng*
	tail -n 1 "$T/last.out" | sed 's/^/     /'
done

say "user and systemd's User= together"
check "an unknown user is refused at start"
run_rc nz "--user nosuchuser" ns_run "$NS_CAP" "$CAPTURED" -i "$IF_CAP" --backend afpacket \
	--store "$T/s2" --control-socket "$T/ctl2" --user nosuchuser0
msg_has "--user nosuchuser" "nosuchuser0" "no such user"
mkdir -p "$T/run" "$T/s3"
chown nobody "$T/run" "$T/s3"
# what captured.service does: User=nobody, AmbientCapabilities=CAP_NET_RAW
unit() {
	ns_run "$NS_CAP" setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		--inh-caps=+net_raw --ambient-caps=+net_raw -- "$CAPTURED" -i "$IF_CAP" \
		--backend afpacket --store "$T/s3" --control-socket "$T/run/ctl" "$@"
}
check "started as nobody with ambient CAP_NET_RAW, user = daemon is refused (cannot switch)"
run_rc nz "User=nobody, user = daemon" unit --user daemon
msg_has "User=nobody, user = daemon" "cannot switch"
check "user = nobody agrees: accepted; the main thread drops CAP_NET_RAW, the worker keeps it"
ns_bg "$NS_CAP" setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	--inh-caps=+net_raw --ambient-caps=+net_raw -- "$CAPTURED" -i "$IF_CAP" \
	--backend afpacket --store "$T/s3" --control-socket "$T/run/ctl" --user nobody 2>"$T/unit.log"
upid=$NS_BG_PID
i=0
until "$CAPCTL" status --socket "$T/run/ctl" >/dev/null 2>&1; do
	ns_alive "$upid" || { cat "$T/unit.log" >&2; die "captured as nobody ended at start"; }
	[ $i -lt 100 ] || die "captured as nobody did not answer"
	sleep 0.1
	i=$((i + 1))
done
thread_caps "$upid" | sed 's/^/     /'
[ "$(status_field "$upid" CapEff)" = 0000000000000000 ] || die "main thread CapEff $(status_field "$upid" CapEff)"
[ "$(status_field "$upid" CapAmb)" = 0000000000000000 ] || die "main thread CapAmb $(status_field "$upid" CapAmb)"
thread_caps "$upid" | awk '$3 == "0000000000002000" { n++ } END { exit n != 1 }' ||
	die "not exactly one thread keeps CAP_NET_RAW"
ns_stop "$upid" TERM 5
[ "$NS_STOP_RC" = 0 ] || { cat "$T/unit.log" >&2; die "captured as nobody exited $NS_STOP_RC"; }

say "capctl stays in its store"
S=$STORE
f=$(cd "$S" && ls *.pcapng.zst | head -n 1)
mkdir -p "$T/outside"
cp "$S/$f" "$T/outside/20990101T000000.000000000Z_evil_q0.pcapng.zst"
GAPS=0
gap() { fail "capctl: $*"; GAPS=$((GAPS + 1)); }
check "capctl verify FILE outside the store is refused, not read (../outside/X.pcapng.zst, ../../etc/passwd)"
rc=0
(cd "$S" && "$CAPCTL" --store "$S" verify ../outside/20990101T000000.000000000Z_evil_q0.pcapng.zst) \
	>"$T/v.out" 2>&1 || rc=$?
if [ "$rc" = 0 ] || grep -qE '^(OK|DAMAGED|TORN) ' "$T/v.out"; then
	gap "verify ../outside/... (store $S) read a file outside the store (exit $rc): $(head -c 160 "$T/v.out")"
fi
rc=0
(cd "$S" && "$CAPCTL" --store "$S" verify ../../../../../../etc/passwd) >"$T/v.out" 2>&1 || rc=$?
[ "$rc" != 0 ] && ! grep -q '^OK' "$T/v.out" || gap "verify ../../etc/passwd: exit $rc: $(head -c 160 "$T/v.out")"
note "verify ../../etc/passwd: exit $rc, $(head -c 120 "$T/v.out")"
check "capctl verify --repair never writes outside the store"
head -c 20000 "$S/$f" >"$T/outside/20990101T000001.000000000Z_torn_q0.pcapng.zst.part"
sum0=$(md5sum <"$T/outside/20990101T000001.000000000Z_torn_q0.pcapng.zst.part")
(cd "$S" && "$CAPCTL" --store "$S" verify --repair ../outside/20990101T000001.000000000Z_torn_q0.pcapng.zst.part) \
	>"$T/v.out" 2>&1 || true
if [ ! -f "$T/outside/20990101T000001.000000000Z_torn_q0.pcapng.zst.part" ] ||
	[ "$(md5sum <"$T/outside/20990101T000001.000000000Z_torn_q0.pcapng.zst.part")" != "$sum0" ]; then
	gap "verify --repair changed a file outside the store: $(head -c 160 "$T/v.out"); now: $(ls "$T/outside" | tr '\n' ' ')"
fi
check "a symlink in the store pointing outside is neither listed, nor verified, nor sliced"
ln -s "$T/outside/20990101T000000.000000000Z_evil_q0.pcapng.zst" "$S/20990101T000000.000000000Z_evil_q0.pcapng.zst"
"$CAPCTL" --store "$S" list >"$T/l.out" 2>&1 || true
grep -q evil "$T/l.out" && gap "list shows the symlink to $T/outside: $(grep evil "$T/l.out" | head -c 200)"
"$CAPCTL" --store "$S" verify >"$T/v.out" 2>&1 || true
grep -qE '^OK .*evil' "$T/v.out" && gap "verify reads the symlink's target: $(grep evil "$T/v.out" | head -c 200)"
"$CAPCTL" --store "$S" slice -w "$T/sl.pcapng" >/dev/null 2>&1 || true
if [ -s "$T/sl.pcapng" ] && [ "$(npackets "$T/sl.pcapng")" != $((2 * N)) ]; then
	gap "slice returns $(npackets "$T/sl.pcapng") packets, the store holds $((2 * N)): it read through the symlink"
fi
rm -f "$S/20990101T000000.000000000Z_evil_q0.pcapng.zst"
check "slice -w never overwrites an existing file without --force"
echo precious >"$T/exists"
run_rc nz "slice -w an existing file" "$CAPCTL" --store "$S" slice -w "$T/exists"
[ "$(cat "$T/exists")" = precious ] || die "slice -w overwrote an existing file without --force"
ln -s "$T/exists" "$T/link"
run_rc nz "slice -w a symlink" "$CAPCTL" --store "$S" slice -w "$T/link"
[ "$(cat "$T/exists")" = precious ] || die "slice -w wrote through a symlink without --force"
run_rc 0 "slice -w --force" "$CAPCTL" --store "$S" slice -w "$T/exists" --force
[ "$(npackets "$T/exists")" = $((2 * N)) ] || die "slice --force wrote $(npackets "$T/exists") packets"
[ "$GAPS" = 0 ] || note "$GAPS capctl gap(s) above: capctl must refuse paths outside --store"

if systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
	say "systemd-analyze security of the unit as make install writes it"
	sed "s|@SBINDIR@|$BUILD|g" "$ROOT_DIR/systemd/captured.service" >"$T/captured.service"
	systemd-analyze security --offline=yes --no-pager "$T/captured.service" >"$T/sec.out" 2>&1 || true
	score=$(sed -n 's/.*Overall exposure level for captured.service: \([0-9.]*\).*/\1/p' "$T/sec.out")
	check "exposure $score (at most 2.5)"
	[ -n "$score" ] || { cat "$T/sec.out" >&2; die "no score from systemd-analyze security"; }
	awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }' || die "exposure $score above 2.5"
fi
finish
