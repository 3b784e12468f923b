#!/bin/bash
# The systemd unit as make install writes it passes systemd-analyze verify,
# the example configuration is one captured reads, and make install puts
# unit, sysusers and tmpfiles entries where systemd looks for them.
set -eu
. "$(dirname "$0")/../lib/common.sh"
need_bins
need_tool systemd-analyze

say "systemd unit"
check "systemd-analyze verify accepts the installed unit"
sed "s|@SBINDIR@|$BUILD|g" "$ROOT_DIR/systemd/captured.service" >"$T/captured.service"
run_rc 0 "systemd-analyze verify" systemd-analyze verify --man=no "$T/captured.service"
[ ! -s "$T/last.all" ] || { cat "$T/last.all" >&2; die "systemd-analyze has remarks"; }
check "Type=notify with a watchdog, no CAP_SYS_ADMIN"
grep -q '^Type=notify$' "$T/captured.service" || die "not Type=notify"
grep -q '^WatchdogSec=' "$T/captured.service" || die "no WatchdogSec"
grep -q 'CAP_SYS_ADMIN' "$T/captured.service" && die "CAP_SYS_ADMIN granted"
check "the example configuration is valid"
run_rc 0 "example config" "$CAPTURED" -c "$ROOT_DIR/systemd/captured.conf.example" --print-config
say "make install into a staging directory"
run_rc 0 "make install" make -C "$ROOT_DIR" BUILD="$BUILD" DESTDIR="$T/root" PREFIX=/usr install
for f in usr/sbin/captured usr/bin/capctl usr/lib/systemd/system/captured.service \
	usr/lib/sysusers.d/captured.conf usr/lib/tmpfiles.d/captured.conf \
	usr/share/man/man8/captured.8 usr/share/man/man5/captured.conf.5; do
	[ -f "$T/root/$f" ] || die "make install did not write $f"
done
grep -q '^ExecStart=/usr/sbin/captured ' "$T/root/usr/lib/systemd/system/captured.service" ||
	die "ExecStart does not point at /usr/sbin/captured"
finish
