#!/bin/bash
# Runs captured's tests: every unit test binary $BUILD/tests/test_* and every
# system test tests/sys/t_*.sh.  Each counts as one test.
#
#   tests/run.sh [-j N] [-k] [-v] [FILTER...]
#
#   FILTER   run only tests whose name (unit/test_x, sys/t_y) contains one
#            of the FILTERs
#   -j N     run N tests at a time (default: $TEST_JOBS, or the number of
#            CPUs up to 4; results are printed as tests end)
#   -k       keep each test's TMPDIR (printed) instead of deleting it
#   -v       print the output of passing tests too
#
# Environment: BUILD (default build; relative to the repository unless
# absolute), TEST_TIMEOUT seconds per test (default 300).
#
# A test exits 0 to pass, 77 to skip, anything else fails.  Each one gets
# BUILD, CAPTURED=$BUILD/captured, CAPCTL=$BUILD/capctl and a fresh TMPDIR
# that is deleted afterwards.  The output of failed tests is printed.  The
# last line is "N passed, N failed, N skipped"; the exit status is 1 when
# any test failed.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
ncpu=$(nproc 2>/dev/null || echo 1)
[ "$ncpu" -le 4 ] || ncpu=4
JOBS=${TEST_JOBS:-$ncpu}
KEEP=0
VERBOSE=0
TIMEOUT=${TEST_TIMEOUT:-300}

while getopts "j:kvh" opt; do
	case $opt in
	j) JOBS=$OPTARG ;;
	k) KEEP=1 ;;
	v) VERBOSE=1 ;;
	h)
		sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
case $JOBS in '' | *[!0-9]* | 0) echo "run.sh: bad -j '$JOBS'" >&2; exit 2 ;; esac

export BUILD
export CAPTURED=$BUILD/captured
export CAPCTL=$BUILD/capctl

# ---- the list of tests: "name<TAB>command"
tests=()
add() {
	local name=$1 f
	if [ ${#filters[@]} -gt 0 ]; then
		for f in "${filters[@]}"; do
			case $name in *"$f"*) tests+=("$name"$'\t'"$2"); return ;; esac
		done
		return
	fi
	tests+=("$name"$'\t'"$2")
}
filters=("$@")
add_units() {
	local f
	for f in "$BUILD"/tests/test_*; do
		[ -f "$f" ] && [ -x "$f" ] || continue
		add "unit/$(basename "$f")" "$f"
	done
}
add_sys() {
	local f
	for f in "$ROOT"/tests/sys/t_*.sh; do
		[ -f "$f" ] || continue
		add "sys/$(basename "$f" .sh)" "$f"
	done
}
# In parallel, the long system tests start first.
if [ "$JOBS" -gt 1 ]; then add_sys; add_units; else add_units; add_sys; fi

if [ ${#tests[@]} -eq 0 ]; then
	echo "run.sh: no tests matched" >&2
	echo "0 passed, 0 failed, 0 skipped"
	exit 1
fi

RUNDIR=$(mktemp -d /tmp/captured-tests.XXXXXX)
trap 'rm -rf "$RUNDIR"' EXIT
LOGDIR=$BUILD/test-logs
mkdir -p "$LOGDIR" 2>/dev/null || LOGDIR=$RUNDIR/logs
mkdir -p "$LOGDIR"
rm -f "$LOGDIR"/*.log

now() { date +%s.%N; }

# run_one INDEX: runs test INDEX in the background-safe way; writes
# $RUNDIR/INDEX.res as "STATUS SECONDS".
run_one() {
	local i=$1 name cmd tmp log t0 t1 rc st
	name=${tests[$i]%%$'\t'*}
	cmd=${tests[$i]#*$'\t'}
	tmp=$(mktemp -d "/tmp/captured-$(basename "$name").XXXXXX")
	log=$RUNDIR/$i.log
	t0=$(now)
	rc=0
	(
		cd "$ROOT" || exit 99
		# A unit test binary or a script; both get the same environment.
		TMPDIR=$tmp exec timeout -k 10 "$TIMEOUT" "$cmd"
	) >"$log" 2>&1 </dev/null || rc=$?
	t1=$(now)
	case $rc in
	0) st=PASS ;;
	77) st=SKIP ;;
	124 | 137) st=FAIL; echo "run.sh: timed out after ${TIMEOUT}s" >>"$log" ;;
	*) st=FAIL; echo "run.sh: exit status $rc" >>"$log" ;;
	esac
	if [ "$KEEP" = 1 ]; then
		echo "run.sh: TMPDIR kept: $tmp" >>"$log"
	else
		rm -rf "$tmp"
	fi
	awk -v s="$st" -v a="$t0" -v b="$t1" 'BEGIN { printf "%s %.1f\n", s, b - a }' >"$RUNDIR/$i.tmp"
	mv "$RUNDIR/$i.tmp" "$RUNDIR/$i.res"
}

# report INDEX: prints the result line (and the log of a failure).
passed=0 failed=0 skipped=0
failed_names=()
report() {
	local i=$1 name st secs log
	name=${tests[$i]%%$'\t'*}
	read -r st secs <"$RUNDIR/$i.res"
	log=$RUNDIR/$i.log
	printf '%-4s %-40s %6ss\n' "$st" "$name" "$secs"
	case $st in
	PASS) passed=$((passed + 1)) ;;
	SKIP)
		skipped=$((skipped + 1))
		grep -m1 '^SKIP' "$log" | sed 's/^/     /' || true
		;;
	FAIL)
		failed=$((failed + 1))
		failed_names+=("$name")
		cp "$log" "$LOGDIR/$(echo "$name" | tr / _).log" 2>/dev/null || true
		echo "---- output of $name (full log: $LOGDIR/$(echo "$name" | tr / _).log)"
		if [ "$(wc -l <"$log")" -gt 300 ]; then
			echo "[... $(($(wc -l <"$log") - 300)) lines cut ...]"
			tail -n 300 "$log"
		else
			cat "$log"
		fi
		echo "---- end of $name"
		;;
	esac
	if [ "$VERBOSE" = 1 ] && [ "$st" != FAIL ]; then
		sed 's/^/     | /' "$log"
	fi
}

total=${#tests[@]}
if [ "$JOBS" -le 1 ]; then
	for ((i = 0; i < total; i++)); do
		run_one "$i"
		report "$i"
	done
else
	# A simple pool: start up to JOBS tests, report each as it ends, in the
	# order they end.
	declare -A running=()
	next=0
	while [ "$next" -lt "$total" ] || [ ${#running[@]} -gt 0 ]; do
		while [ "$next" -lt "$total" ] && [ ${#running[@]} -lt "$JOBS" ]; do
			run_one "$next" &
			running[$!]=$next
			next=$((next + 1))
		done
		wait -n 2>/dev/null || true
		for pid in "${!running[@]}"; do
			if [ -f "$RUNDIR/${running[$pid]}.res" ]; then
				wait "$pid" 2>/dev/null || true
				report "${running[$pid]}"
				unset "running[$pid]"
			fi
		done
	done
fi

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failed: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
