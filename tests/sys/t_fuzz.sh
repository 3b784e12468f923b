#!/bin/bash
# Fuzzing: every libFuzzer target of fuzz/ (the parsers of untrusted input:
# store files, pcapng blocks, the config file, the control socket, capctl
# status's reply, ptp4l's management messages, time arguments, flow
# summaries, filter pruning) is built with clang under ASan+UBSan and run
# for FUZZ_SECONDS (default 6) over a copy of its corpus, which includes
# the regression inputs of every bug fuzzing found.  Any crash, leak,
# hang or failed check fails.  Skipped without clang's libFuzzer
# (libclang-rt-14-dev on Debian 12), and in the ASan build's pass of
# "make check" (the fuzzers are ASan builds already; FUZZ_ALWAYS=1 runs
# them there too).
set -eu
. "$(dirname "$0")/../lib/common.sh"
need_tool clang make pkg-config

case $(basename "$BUILD") in
build-san*) [ "${FUZZ_ALWAYS:-0}" = 1 ] || skip "the fuzzers ran in the optimized pass" ;;
esac
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' >"$T/f.c"
clang -fsanitize=fuzzer,address,undefined -o "$T/f" "$T/f.c" 2>"$T/clang.err" ||
	skip "clang cannot link libFuzzer with ASan+UBSan ($(head -1 "$T/clang.err"))"

SECONDS_EACH=${FUZZ_SECONDS:-6}
# run.sh may run under a make of its own: its jobserver is not ours
unset MAKEFLAGS MFLAGS MAKELEVEL
say "building the fuzzers (build-fuzz/)"
t0=$(date +%s)
make -C "$ROOT_DIR" -s -j"${FUZZ_JOBS:-2}" fuzz >"$T/build.log" 2>&1 || {
	tail -40 "$T/build.log" >&2
	die "make fuzz failed"
}
note "built in $(($(date +%s) - t0)) s"

say "each fuzzer for $SECONDS_EACH s over its corpus, two at a time"
rc=0
make -C "$ROOT_DIR" -s -k -j"${FUZZ_JOBS:-2}" fuzz-run FUZZ_SECONDS="$SECONDS_EACH" \
	>"$T/run.log" 2>&1 || rc=$?
n=0
while read -r _ name status rest; do
	name=${name%:}
	n=$((n + 1))
	check "fuzz_$name: $SECONDS_EACH s without a crash or a failed check${rest:+ (${rest#, })}"
	[ "$status" = "ok," ] || fail "fuzz_$name: $status $rest"
done < <(grep '^fuzz [a-z]*: ' "$T/run.log")
if [ "$rc" -ne 0 ] || [ "$FAILS" -ne 0 ]; then
	sed 's/^/   | /' "$T/run.log" >&2
	die "make fuzz-run failed (exit $rc); crash inputs are in build-fuzz/crashes/"
fi
[ "$n" -ge 6 ] || die "only $n fuzzers reported"
note "total $(($(date +%s) - t0)) s"
finish
