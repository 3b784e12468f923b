# Helpers for the system tests (tests/sys/t_*.sh); source it after set -eu:
#
#	set -eu
#	. "$(dirname "$0")/../lib/common.sh"
#
# Environment (set by tests/run.sh; defaults allow running a test alone):
#   BUILD     build directory (default: build, relative to the repository)
#   CAPTURED  the daemon           (default: $BUILD/captured)
#   CAPCTL    the store tool       (default: $BUILD/capctl)
#   TMPDIR    scratch directory; made and removed here when not given
#
# Conventions: exit 0 = pass, 77 = skip, anything else = fail.  Every check
# prints one line saying what it checks; a failure prints FAIL and why.

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT_DIR=$(cd "$TESTS_DIR/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT_DIR/$BUILD ;; esac
CAPTURED=${CAPTURED:-$BUILD/captured}
CAPCTL=${CAPCTL:-$BUILD/capctl}
# Prefer the system python: version-manager shims (pyenv) cost much time
# per start, and the tests start python often.
if [ -z "${PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
PCAPTOOL="$PYTHON $TESTS_DIR/lib/pcaptool.py"
GEN="$PYTHON $TESTS_DIR/gen_pcap.py"
TEST_NAME=$(basename "$0" .sh)

if [ -z "${TMPDIR:-}" ] || [ "${TMPDIR:-}" = /tmp ]; then
	TMPDIR=$(mktemp -d "/tmp/$TEST_NAME.XXXXXX")
	export TMPDIR
	# shellcheck disable=SC2064
	trap "rm -rf '$TMPDIR'" EXIT
fi
T=$TMPDIR

# ---- reporting ----

say() { printf '== %s\n' "$*"; }
check() { printf '   check: %s\n' "$*"; }
note() { printf '   note: %s\n' "$*"; }
die() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}
# fail MSG: a failed check after which the test can usefully go on; the
# test still fails, at finish.
FAILS=0
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	FAILS=$((FAILS + 1))
}
# finish: the last line of every test.
finish() {
	[ "$FAILS" = 0 ] || die "$FAILS check(s) failed (see FAIL lines above)"
	say "all checks passed"
}
skip() {
	printf 'SKIP: %s\n' "$*"
	exit 77
}

need_tool() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip "needs $t"
	done
}

# The binaries under test must exist: a missing one is a failure, not a skip.
need_bins() {
	[ -x "$CAPTURED" ] || die "no captured binary at $CAPTURED (build first)"
	[ -x "$CAPCTL" ] || die "no capctl binary at $CAPCTL (build first)"
}

# ---- running things ----

# run_ok DESC CMD...: CMD must exit 0; its stderr is kept in $T/last.err.
run_ok() {
	local desc=$1 rc=0
	shift
	"$@" 2>"$T/last.err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		sed 's/^/   | /' "$T/last.err" >&2
		die "$desc: exit $rc from: $*"
	fi
}

# run_rc WANT DESC CMD...: CMD must exit WANT ("nz" = any non-zero).  stdout
# and stderr go to $T/last.out and $T/last.err, both together in
# $T/last.all.
run_rc() {
	local want=$1 desc=$2 rc=0
	shift 2
	"$@" >"$T/last.out" 2>"$T/last.err" || rc=$?
	cat "$T/last.out" "$T/last.err" >"$T/last.all"
	LAST_RC=$rc
	if { [ "$want" = nz ] && [ "$rc" -eq 0 ]; } ||
		{ [ "$want" != nz ] && [ "$rc" -ne "$want" ]; }; then
		sed 's/^/   | /' "$T/last.all" | head -40 >&2
		die "$desc: exit $rc (wanted $want) from: $*"
	fi
}

# msg_has DESC WORD...: the last run_rc output mentions every WORD (fixed
# strings, case-insensitive).
msg_has() {
	local desc=$1 w
	shift
	for w in "$@"; do
		if ! grep -qiF -- "$w" "$T/last.all"; then
			sed 's/^/   | /' "$T/last.all" | head -20 >&2
			die "$desc: message does not mention '$w'"
		fi
	done
}

# ingest IN STORE [OPTIONS...]: captured -r IN --store STORE OPTIONS; the
# stderr summary is kept in STORE.log.
ingest() {
	local in=$1 store=$2 rc=0
	shift 2
	"$CAPTURED" -r "$in" --store "$store" "$@" 2>"$store.log" || rc=$?
	if [ "$rc" -ne 0 ]; then
		sed 's/^/   | /' "$store.log" >&2
		die "captured -r $in --store $store $*: exit $rc"
	fi
	[ -s "$store.log" ] || die "captured -r $in: no summary on stderr"
}

# slice STORE OUT [ARGS...]: capctl --store STORE slice -w OUT ARGS
slice() {
	local store=$1 out=$2
	shift 2
	[ "$out" = - ] || rm -f "$out"
	run_ok "capctl slice $*" "$CAPCTL" --store "$store" slice -w "$out" "$@"
	[ -f "$out" ] || die "capctl slice -w $out: no output file"
}

# store_files STORE: data files (not sidecars, not the marker), sorted by name.
store_files() {
	(cd "$1" && LC_ALL=C ls -1 | grep -E '\.pcapng(\.zst)?(\.part)?$' | LC_ALL=C sort) || true
}

list_json() {
	"$CAPCTL" --store "$1" list --json 2>"$T/list.err" || {
		cat "$T/list.err" >&2
		die "capctl --store $1 list --json failed"
	}
}

# ---- capture comparisons ----

# norm IN OUT: IN (pcap, pcapng, compressed or not) as nanosecond pcap.
norm() {
	editcap -F nsecpcap "$1" "$2" 2>"$T/editcap.err" || {
		cat "$T/editcap.err" >&2
		die "editcap cannot read $1"
	}
}

# norm_cached IN: prints the path of IN as nanosecond pcap, converted once
# per test (the cache file is named after IN's content), for expected files
# that are compared many times.
norm_cached() {
	local out
	out=$T/.norm/$(md5sum <"$1" | cut -c1-32)
	if [ ! -f "$out" ]; then
		mkdir -p "$T/.norm"
		norm "$1" "$out.tmp"
		mv "$out.tmp" "$out"
	fi
	printf '%s\n' "$out"
}

# npackets FILE: packet count according to capinfos.
npackets() {
	capinfos -M -c -T -r "$1" 2>/dev/null | awk -F'\t' '{print $2; exit}'
}

# linktype_of FILE: link type of a nanosecond/classic pcap (header field).
linktype_of() {
	od -An -tu4 -j20 -N4 "$1" | tr -d ' '
}

# fields FILE: timestamp (ns, as text), original length, captured length
# per packet, as tshark sees them.
fields() {
	tshark -r "$1" -T fields -e frame.time_epoch -e frame.len -e frame.cap_len 2>/dev/null ||
		die "tshark cannot read $1"
}

# same_packets EXPECTED GOT DESC: both files hold the same packets, in the
# same order, with the same bytes, lengths and nanosecond timestamps, and the
# same link type: editcap's nanosecond pcap conversions must be identical
# after the 24-byte global header.
same_packets() {
	local a=$1 b=$2 desc=$3 id na
	id=$(mktemp -u cmpXXXXXX)
	check "$desc: same packets as $(basename "$a")"
	na=$(norm_cached "$a")
	[ -f "$na" ] || die "$desc: cannot convert $a"
	if [ "$(stat -c %s "$na")" = 24 ]; then
		# No packets expected.  An empty pcapng may lack an IDB (no link
		# type), which editcap cannot convert: ask capinfos instead.
		[ "$(npackets "$b")" = 0 ] || die "$desc: expected no packets, got '$(npackets "$b")'"
		return 0
	fi
	norm "$b" "$T/$id.b"
	if [ "$(linktype_of "$na")" != "$(linktype_of "$T/$id.b")" ]; then
		die "$desc: link type $(linktype_of "$T/$id.b"), expected $(linktype_of "$na")"
	fi
	if ! cmp -s <(tail -c +25 "$na") <(tail -c +25 "$T/$id.b"); then
		echo "   expected $(npackets "$na") packets, got $(npackets "$T/$id.b")" >&2
		echo "   first differences (index ts_ns caplen origlen crc32):" >&2
		diff <($PCAPTOOL recs "$na") <($PCAPTOOL recs "$T/$id.b") | head -10 >&2 || true
		die "$desc: packets differ from $(basename "$a")"
	fi
	rm -f "$T/$id".*
}

# same_fields EXPECTED GOT DESC: tshark sees the same timestamps, original
# and captured lengths (a second opinion on same_packets; tshark is slow to
# start, so use it sparingly).
same_fields() {
	local a=$1 b=$2 desc=$3 id
	id=$(mktemp -u fldXXXXXX)
	check "$desc: tshark sees the same timestamps and lengths as in $(basename "$a")"
	fields "$a" >"$T/$id.a"
	fields "$b" >"$T/$id.b"
	[ -s "$T/$id.a" ] || die "$desc: tshark read no packets from $a"
	if ! cmp -s "$T/$id.a" "$T/$id.b"; then
		diff "$T/$id.a" "$T/$id.b" | head -10 >&2 || true
		die "$desc: tshark sees different timestamps/lengths"
	fi
	rm -f "$T/$id".*
}

# same_as_nsec EXPECTED_NSECPCAP GOT DESC: like same_packets when the
# expected side is already a nanosecond pcap (made by pcaptool or editcap).
same_as_nsec() {
	local a=$1 b=$2 desc=$3 id
	id=$(mktemp -u cmpXXXXXX)
	check "$desc"
	if [ "$(stat -c %s "$a")" = 24 ]; then
		[ "$(npackets "$b")" = 0 ] || die "$desc: expected no packets, got '$(npackets "$b")'"
		return 0
	fi
	norm "$b" "$T/$id.b"
	if ! cmp -s <(tail -c +25 "$a") <(tail -c +25 "$T/$id.b"); then
		echo "   expected $($PCAPTOOL count "$a") packets, got $($PCAPTOOL count "$T/$id.b")" >&2
		diff <($PCAPTOOL recs "$a") <($PCAPTOOL recs "$T/$id.b") | head -10 >&2 || true
		die "$desc: packets differ"
	fi
	rm -f "$T/$id".*
}

# precision_is FILE WORD: capinfos reports that file timestamp precision.
precision_is() {
	local p
	p=$(capinfos -M "$1" 2>/dev/null | sed -n 's/^File timestamp precision: *//p')
	case $p in "$2"*) ;; *) die "$1: capinfos says precision '$p', wanted $2" ;; esac
}

# capinfo FILE KEY: a value from capinfos -M (e.g. "File type", "Number of
# interfaces in file").
capinfo() {
	capinfos -M "$1" 2>/dev/null | sed -n "s/^$2: *//p" | head -1
}

# ts_ns_list FILE: one nanosecond timestamp per packet, in file order.
ts_ns_list() {
	local id
	id=$(mktemp -u tsXXXXXX)
	norm "$1" "$T/$id"
	$PCAPTOOL recs "$T/$id" | awk '{print $2}'
	rm -f "$T/$id"
}

# ns_to_epoch NS: "SSSSSSSSSS.NNNNNNNNN"
ns_to_epoch() {
	printf '%d.%09d\n' $(($1 / 1000000000)) $(($1 % 1000000000))
}

# ns_to_rfc3339 NS [OFFSET_MINUTES]: RFC 3339 with 9 fraction digits, UTC
# ("Z") or at a fixed offset ("+02:00").
ns_to_rfc3339() {
	$PYTHON - "$1" "${2:-}" <<'EOF'
import datetime, sys
ns = int(sys.argv[1]); off = sys.argv[2]
s, f = divmod(ns, 10**9)
if off == "":
    tz = datetime.timezone.utc
else:
    tz = datetime.timezone(datetime.timedelta(minutes=int(off)))
d = datetime.datetime.fromtimestamp(s, tz)
z = "Z" if off == "" else d.strftime("%z")
if z != "Z":
    z = z[:3] + ":" + z[3:]
print(d.strftime("%Y-%m-%dT%H:%M:%S") + ".%09d" % f + z)
EOF
}

# window IN FROM TO OUT: editcap's half-open window [FROM, TO) of IN (either
# may be "" for open), as nanosecond pcap.
window() {
	local in=$1 from=$2 to=$3 out=$4
	set -- -F nsecpcap
	[ -n "$from" ] && set -- "$@" -A "$from"
	[ -n "$to" ] && set -- "$@" -B "$to"
	editcap "$@" "$in" "$out" 2>"$T/editcap.err" || {
		cat "$T/editcap.err" >&2
		die "editcap $* $in failed"
	}
}

# bpf IN FILTER OUT: tcpdump's selection of IN, nanosecond pcap.
bpf() {
	local in=$1 filter=$2 out=$3
	tcpdump --time-stamp-precision=nano -r "$in" -w "$out" "$filter" 2>"$T/tcpdump.err" || {
		cat "$T/tcpdump.err" >&2
		die "tcpdump -r $in '$filter' failed"
	}
}

# zcat_file STORE_FILE OUT: the pcapng inside a store file (decompressed, or
# copied for plain files).
zcat_file() {
	case $1 in
	*.zst | *.zst.part) zstd -q -dc "$1" >"$2" || die "zstd -d $1 failed" ;;
	*) cat "$1" >"$2" ;;
	esac
}

# rand VAR N: sets VAR to a random number in [0, N).  RANDOM is seeded per
# test so that failures reproduce; never call this in $(...): bash reseeds
# RANDOM in subshells.
RANDOM=${TEST_SEED:-4242}
rand() { printf -v "$1" '%d' $(((RANDOM * 32768 + RANDOM) % $2)); }
