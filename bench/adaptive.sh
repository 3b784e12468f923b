#!/bin/bash
# Adaptive compression under live pressure: the synthetic source paced like
# a NIC (--synth-rate): packets are dropped, and counted, when the writer's
# ring is full.  For each level, how many packets were stored and dropped,
# the ratio, and how adaptive spread its frames over compressed and raw.
# A file source never shows this: it waits for the writer.
#   RATE (packets/s, default 400000), NSYN (packets, 2M small / 6M full),
#   ADAPT_LEVELS (default "3 1 0 adaptive"), SIZE_MIX (default imix).
set -eu
. "$(dirname "$0")/lib.sh"

have_captured || die "no $CAPTURED: run make"
RATE=${RATE:-400000}
NSYN=${NSYN:-$([ "${SIZE:-small}" = full ] && echo 6000000 || echo 2000000)}
mkwork adaptive

say "synthetic ${SIZE_MIX:-imix} at $RATE packets/s, $NSYN packets, default ring (64 x 256 KiB)"
printf "%-10s %10s %10s %8s %7s %9s %9s\n" level stored dropped drop% ratio "frames_z" "frames_raw"
for lvl in ${ADAPT_LEVELS:-3 1 0 adaptive}; do
	rm -rf "$WORK/s"
	"$CAPTURED" --synthetic "$NSYN" --synth-size "${SIZE_MIX:-imix}" --synth-rate "$RATE" \
		--store "$WORK/s" --level "$lvl" 2>"$WORK/err" || die "captured failed: $(cat "$WORK/err")"
	line=$(captured_summary "$WORK/err")
	stored=$(echo "$line" | sed -n 's/.*: \([0-9]*\) packets (.*/\1/p')
	dropped=$(echo "$line" | sed -n 's/.* \([0-9]*\) dropped (writer ring full).*/\1/p')
	ratio=$(echo "$line" | sed -n 's/.*ratio \([0-9.]*\);.*/\1/p')
	fz=$(echo "$line" | sed -n 's/.*frames \([0-9]*\) compressed.*/\1/p')
	fr=$(echo "$line" | sed -n 's/.* \([0-9]*\) stored raw.*/\1/p')
	pct=$(awk -v d="$dropped" -v n="$NSYN" 'BEGIN {printf "%.2f", 100 * d / n}')
	printf "%-10s %10s %10s %8s %7s %9s %9s\n" "$lvl" "$stored" "$dropped" "$pct" "$ratio" "$fz" "$fr"
	result adaptive "$lvl" "$stored" "$dropped" "$pct" "$ratio" "$fz" "$fr"
done
