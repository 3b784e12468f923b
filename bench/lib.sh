# Shared helpers for bench/*.sh (sourced, not run).  Bash, set -eu callers.
#
# Environment read here:
#   BENCH_DIR  parent of the scratch dir (default /tmp); a fresh mktemp dir is
#              made inside it and removed at exit unless KEEP=1
#   KEEP=1     keep the scratch dir
#   BUILD      dir holding captured and capctl (default <repo>/build)
#   REPS       runs per timed command (default 3)
#   STAT       best (default) or median: which run (by wall time) is reported
#   RESULTS    if set, a file that gets one tab-separated line per measurement
#              (run.sh uses it for its summary)

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_SRC/.." && pwd)
BUILD=${BUILD:-$REPO/build}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
REPS=${REPS:-3}
STAT=${STAT:-best}
case $STAT in best | median) ;; *) echo "STAT must be best or median" >&2; exit 1 ;; esac
KEEP=${KEEP:-0}
CAPTURED=$BUILD/captured
CAPCTL=$BUILD/capctl

die() { echo "$(basename "$0"): $*" >&2; exit 1; }
say() { printf '%s\n' "$*"; }
hr() { printf '%s\n' "------------------------------------------------------------------------------"; }

need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || die "missing tool: $t (make deps, or apt-get install tcpdump tshark zstd)"
	done
}

# have_captured: true when build/captured exists and runs.
have_captured() { [ -x "$CAPTURED" ]; }
have_capctl() { [ -x "$CAPCTL" ]; }

# mkwork NAME: creates the scratch dir, sets WORK, installs the cleanup trap.
mkwork() {
	local parent=${BENCH_DIR:-/tmp}
	mkdir -p "$parent"
	case $(cd "$parent" && pwd)/ in
	"$REPO"/*) die "BENCH_DIR must be outside the repository ($REPO)" ;;
	esac
	WORK=$(mktemp -d "$parent/captured-bench-$1.XXXXXX")
	trap cleanup EXIT
	trap 'exit 130' INT TERM
}

cleanup() {
	local rc=$?
	if [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
		if [ "$KEEP" = 1 ]; then
			echo "(KEEP=1: data left in $WORK)"
		else
			rm -rf "$WORK"
		fi
	fi
	return $rc
}

# fsize FILE: bytes.
fsize() { stat -c %s "$1"; }

# dirbytes DIR: sum of the sizes of all regular files under DIR.
dirbytes() { find "$1" -type f -printf '%s\n' | awk '{s += $1} END {printf "%.0f\n", s}'; }

# npackets FILE: packet count per capinfos (any format it reads).
npackets() { capinfos -M -c -T -r "$1" 2>/dev/null | awk -F'\t' 'NF >= 2 {print $2; exit}'; }

# fdiv NUM DEN [FMT]: NUM/DEN with awk; "-" when DEN is 0 or either is "-".
fdiv() {
	awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { if (b + 0 == 0 || a == "-" || b == "-") print "-"; else printf f "\n", a / b }'
}

# time1 CMD...: runs CMD once; sets T_WALL T_CPU (user+sys, children included)
# and leaves its stdout/stderr in $WORK/last.out / $WORK/last.err.
# Returns CMD's exit status (after printing its stderr on failure).
time1() {
	local TIMEFORMAT='%R %U %S' rc=0 line cmd="$*"
	{ time "$@" >"$WORK/last.out" 2>"$WORK/last.err"; } 2>"$WORK/last.time" || rc=$?
	if [ $rc != 0 ]; then
		echo "FAILED (exit $rc): $*" >&2
		tail -n 20 "$WORK/last.err" >&2
		return $rc
	fi
	line=$(tail -n 1 "$WORK/last.time")
	set -- $line
	if [ $# != 3 ]; then
		echo "no timing for: $cmd (time printed: '$(cat "$WORK/last.time")')" >&2
		return 1
	fi
	T_WALL=$1
	T_CPU=$(awk -v u="$2" -v s="$3" 'BEGIN { printf "%.3f", u + s }')
}

# bench PREP -- CMD...: REPS times { eval PREP; time1 CMD }; sets T_WALL/T_CPU to
# the best (STAT=best, default: least disturbed by other load) or the median
# (STAT=median) run by wall time, keeps that run's stderr in $WORK/median.err,
# and all wall times, sorted, in T_ALL.  PREP (e.g. removing the previous
# output) is not timed.
bench() {
	local prep=$1 r runs=() med
	shift
	[ "$1" = -- ] && shift
	: >"$WORK/runs"
	for r in $(seq 1 "$REPS"); do
		eval "$prep"
		time1 "$@" || return 1
		cp "$WORK/last.err" "$WORK/run$r.err"
		echo "$T_WALL $T_CPU $r" >>"$WORK/runs"
	done
	if [ "$STAT" = median ]; then
		med=$(sort -n "$WORK/runs" | awk -v n="$REPS" 'NR == int((n + 1) / 2)')
	else
		med=$(sort -n "$WORK/runs" | head -n 1)
	fi
	set -- $med
	T_WALL=$1
	T_CPU=$2
	cp "$WORK/run$3.err" "$WORK/median.err"
	T_ALL=$(sort -n "$WORK/runs" | awk '{printf "%s%s", (NR > 1 ? "," : ""), $1}')
}

# result SECTION KEY VALUE...: appends a line to $RESULTS.
result() {
	[ -n "${RESULTS:-}" ] || return 0
	local IFS=$'\t'
	echo "$*" >>"$RESULTS"
}

# captured_summary FILE: the last non-empty line captured printed on stderr.
captured_summary() { grep -v '^[[:space:]]*$' "$1" | tail -n 1; }

# summary_field FILE NAME: the number in captured's summary line next to NAME:
# "123 packets" / "(456 bytes)" (number first, tried first), or "packets=123",
# "ratio 2.45", "ratio: 2.45" (number after).  Empty if not found.
summary_field() {
	captured_summary "$1" | awk -v k="$2" '{
		for (i = 1; i <= NF; i++) { w[i] = $i; gsub(/[,;()]/, "", w[i]) }
		for (i = 2; i <= NF; i++)
			if (w[i] == k && w[i-1] ~ /^[0-9.]+$/) { print w[i-1]; exit }
		for (i = 1; i <= NF; i++) {
			if (w[i] ~ ("^" k "[=:].")) { v = w[i]; sub(/^[^=:]*[=:]/, "", v); print v; exit }
			if ((w[i] == k || w[i] == k ":" || w[i] == k "=") && i < NF && w[i+1] ~ /^[0-9.]+$/) { print w[i+1]; exit }
		}
	}'
}
