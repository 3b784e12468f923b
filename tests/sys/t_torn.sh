#!/bin/bash
# Torn and damaged files.  A store file cut at an arbitrary offset (as a
# crash would leave it) must list as torn, slice to exactly the packets of
# its whole zstd frames (a prefix of the input), fail verify, be sealed by
# verify --repair, and then pass verify and zstd -t with the same packets.
# The expected prefix is computed without captured's code: the zstd frames
# of the file are walked (RFC 8878) and the whole ones decompressed by zstd.
# A flipped byte inside a frame, an index record or the seek table must be
# found by verify while the other frames stay readable.
set -eu
. "$(dirname "$0")/../lib/common.sh"
need_tool python3 editcap capinfos zstd jq
need_bins
note "random choices from TEST_SEED=${TEST_SEED:-4242} (set it to vary them)"

# flip FILE OFFSET: inverts the byte at OFFSET.
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	[ -n "$b" ] || die "flip: $1 has no byte at $2"
	# shellcheck disable=SC2059
	printf "$(printf '\\%03o' $((b ^ 0xff)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# list_row STORE: the only file's row of capctl list --json as
# "name state packets ... damage".
list_row() {
	list_json "$1" >"$T/list.json"
	$PCAPTOOL jtable "$T/list.json" >"$T/list.txt"
	[ "$(wc -l <"$T/list.txt")" = 1 ] || die "$1: list shows $(wc -l <"$T/list.txt") files: $(cat "$T/list.txt")"
	cat "$T/list.txt"
}

say "a store file with many frames"
$GEN -o "$T/in.pcap" -n 4000 --seed 61 --nsec --dup-ts 0.05
ingest "$T/in.pcap" "$T/s0" --frame-size 16K --level 3
F=$(store_files "$T/s0")
[ "$(printf '%s\n' "$F" | wc -l)" = 1 ] || die "expected one store file: $F"
SIZE=$(stat -c %s "$T/s0/$F")
$PCAPTOOL zframes "$T/s0/$F" >"$T/frames.txt"
check "the file is a sequence of whole zstd and skippable frames ending at its size"
awk -v size="$SIZE" '$4 != "zstd" && $4 != "skip" { bad = 1 } END { exit bad || $3 != size }' "$T/frames.txt" ||
	die "frame walk: $(tail -2 "$T/frames.txt")"
NZ=$(awk '$4 == "zstd"' "$T/frames.txt" | wc -l)
check "it has many zstd frames ($NZ)"
[ "$NZ" -ge 6 ] || die "only $NZ zstd frames"
N=$(npackets "$T/in.pcap")
slice "$T/s0" "$T/all.pcapng"
same_packets "$T/in.pcap" "$T/all.pcapng" "the intact store"
# The first cut worth making: after the header frame and its record.
MINCUT=$(awk '$1 == 1 { print $3 }' "$T/frames.txt")
# Data frames (zstd frames after the first); their ends are frame
# boundaries.
mapfile -t ZEND < <(awk '$4 == "zstd" && $1 > 0 { print $3 }' "$T/frames.txt")
mapfile -t ZMID < <(awk '$4 == "zstd" && $1 > 0 { print int(($2 + $3) / 2) }' "$T/frames.txt")
mapfile -t ZIDX < <(awk '$4 == "zstd" && $1 > 0 { print $1 }' "$T/frames.txt")
mapfile -t SKIPS < <(awk '$4 == "skip" { print $2 " " $3 }' "$T/frames.txt")

cuts=()
for k in 1 2 3 4 5 6 7 8; do
	rand r $((SIZE - MINCUT - 2))
	cuts+=($((MINCUT + 1 + r)))
done
cuts+=("${ZEND[2]}")               # exactly at the end of a data frame
cuts+=($((${ZEND[3]} - 1)))        # one byte short of a whole frame
cuts+=($((SIZE - 5)))              # inside the trailer: every frame is whole

k=0
for c in "${cuts[@]}"; do
	k=$((k + 1))
	st=$T/cut$k
	cp -a "$T/s0" "$st"
	truncate -s "$c" "$st/$F"
	name=$F
	# Every other cut also loses the final name, as if the writer died.
	if [ $((k % 2)) = 0 ]; then
		mv "$st/$F" "$st/$F.part"
		name=$F.part
	fi
	$PCAPTOOL zkeep "$T/s0/$F" "$T/exp$k.zst" --upto "$c"
	zstd -q -dc "$T/exp$k.zst" >"$T/exp$k.pcapng" || die "zstd -d of the whole frames failed"
	K=$(npackets "$T/exp$k.pcapng")
	say "cut $k at $c of $SIZE bytes ($name): whole frames hold $K of $N packets"
	norm "$T/exp$k.pcapng" "$T/exp$k.nsec"
	$PCAPTOOL head "$(norm_cached "$T/in.pcap")" "$K" "$T/head$k.nsec"
	check "test sanity: the whole frames hold the first $K input packets"
	[ "$K" = 0 ] || cmp -s <(tail -c +25 "$T/exp$k.nsec") <(tail -c +25 "$T/head$k.nsec") ||
		die "test bug: whole frames are not a prefix of the input"

	check "capctl list: torn, $K packets"
	list_row "$st" >"$T/row"
	read -r lname state lpk _ <"$T/row"
	[ "$lname" = "$name" ] || die "list names '$lname', the file is $name"
	[ "$state" = torn ] || die "list state '$state', expected torn"
	[ "$lpk" = "$K" ] || die "list packets $lpk, whole frames hold $K"

	slice "$st" "$T/got.pcapng"
	same_as_nsec "$T/head$k.nsec" "$T/got.pcapng" "slice returns the first $K packets"

	check "verify finds the damage (exit 1, names the file)"
	run_rc 1 "verify of a torn file" "$CAPCTL" --store "$st" verify
	msg_has "verify" "${F%.pcapng.zst}"

	check "verify --repair seals it (exit 0)"
	run_rc 0 "verify --repair" "$CAPCTL" --store "$st" verify --repair
	[ ! -e "$st/$F.part" ] || die "$F.part still there after repair"
	[ -f "$st/$F" ] || die "$F missing after repair: $(ls "$st")"
	check "the repaired file: verify exit 0, zstd -t, complete, $K packets, slice unchanged"
	run_rc 0 "verify after repair" "$CAPCTL" --store "$st" verify
	zstd -q -t "$st/$F" || die "zstd -t fails after repair"
	list_row "$st" >"$T/row"
	read -r lname state lpk _ <"$T/row"
	[ "$lname" = "$F" ] && [ "$state" = complete ] && [ "$lpk" = "$K" ] ||
		die "after repair list says: $lname $state $lpk"
	slice "$st" "$T/got.pcapng"
	same_as_nsec "$T/head$k.nsec" "$T/got.pcapng" "slice after repair"
	zstd -q -dc "$st/$F" >"$T/rep.pcapng"
	same_as_nsec "$T/head$k.nsec" "$T/rep.pcapng" "the repaired file read by zstd and editcap"
	rm -rf "$st" "$T/exp$k".* "$T/head$k.nsec"
done

say "repair of a named file argument"
st=$T/named
cp -a "$T/s0" "$st"
truncate -s "${ZEND[4]}" "$st/$F"
run_rc 1 "verify FILE of a torn file" "$CAPCTL" --store "$st" verify "$st/$F"
run_rc 0 "verify --repair FILE" "$CAPCTL" --store "$st" verify --repair "$st/$F"
run_rc 0 "verify FILE after repair" "$CAPCTL" --store "$st" verify "$st/$F"
rm -rf "$st"

say "a flipped byte inside a data frame"
m=$((${#ZIDX[@]} / 2))
st=$T/flip
cp -a "$T/s0" "$st"
flip "$st/$F" "${ZMID[$m]}"
check "zstd -t agrees the file is damaged (test sanity)"
! zstd -q -t "$st/$F" 2>/dev/null || die "test bug: zstd -t accepts the flipped file"
check "verify: exit 1, names the file"
run_rc 1 "verify of a damaged frame" "$CAPCTL" --store "$st" verify
msg_has "verify" "${F%.pcapng.zst}"
check "the other frames are still readable: slice gives every packet but the damaged frame's"
$PCAPTOOL zkeep "$T/s0/$F" "$T/drop.zst" --drop "${ZIDX[$m]}"
zstd -q -dc "$T/drop.zst" >"$T/drop.pcapng"
norm "$T/drop.pcapng" "$T/drop.nsec"
nd=$($PCAPTOOL count "$T/drop.nsec")
[ "$nd" -gt 0 ] && [ "$nd" -lt "$N" ] || die "test bug: $nd packets without frame ${ZIDX[$m]}"
rc=0
rm -f "$T/got.pcapng"
"$CAPCTL" --store "$st" slice -w "$T/got.pcapng" 2>"$T/slice.err" || rc=$?
note "slice over the damaged frame: exit $rc: $(head -1 "$T/slice.err")"
same_as_nsec "$T/drop.nsec" "$T/got.pcapng" "slice skips only the damaged frame ($nd of $N packets)"
[ "$rc" = 0 ] || [ -s "$T/slice.err" ] || die "slice failed without a message"
check "the damage is reported on stderr by slice"
grep -qi "${F%.pcapng.zst}\|damage\|corrupt\|checksum\|frame" "$T/slice.err" ||
	die "slice did not report the damaged frame: $(cat "$T/slice.err")"

say "a flipped byte inside an index record"
st=$T/flip-rec
cp -a "$T/s0" "$st"
read -r ro re <<<"${SKIPS[$((${#SKIPS[@]} / 2))]}"
flip "$st/$F" $(((ro + re) / 2))
zstd -q -t "$st/$F" || die "test bug: zstd -t must not see into skippable frames"
check "verify: exit 1 (it checks every index entry, not only the seek table)"
rc=0
"$CAPCTL" --store "$st" verify >"$T/last.all" 2>&1 || rc=$?
if [ "$rc" != 1 ]; then
	sed 's/^/   | /' "$T/last.all"
	fail "verify of a damaged index record: exit $rc, wanted 1"
else
	msg_has "verify" "${F%.pcapng.zst}"
fi

say "a flipped byte inside the seek table"
st=$T/flip-tab
cp -a "$T/s0" "$st"
read -r to te <<<"${SKIPS[$((${#SKIPS[@]} - 1))]}"
[ "$te" = "$SIZE" ] || die "test bug: the last frame is not skippable"
flip "$st/$F" $((to + 40))
check "list: torn (no valid table), every packet still there"
list_row "$st" >"$T/row"
read -r lname state lpk _ <"$T/row"
[ "$state" = torn ] || die "list state '$state' with a damaged seek table"
[ "$lpk" = "$N" ] || die "list packets $lpk, expected $N (the frames are whole)"
slice "$st" "$T/got.pcapng"
same_packets "$T/in.pcap" "$T/got.pcapng" "slice with a damaged seek table"
run_rc 1 "verify of a damaged seek table" "$CAPCTL" --store "$st" verify
run_rc 0 "verify --repair of a damaged seek table" "$CAPCTL" --store "$st" verify --repair
run_rc 0 "verify after repair" "$CAPCTL" --store "$st" verify
slice "$st" "$T/got.pcapng"
same_packets "$T/in.pcap" "$T/got.pcapng" "slice after the seek table was rebuilt"

say "a torn plain (--compression none) file"
ingest "$T/in.pcap" "$T/p0" --frame-size 16K --compression none
P=$(store_files "$T/p0")
PSIZE=$(stat -c %s "$T/p0/$P")
list_row "$T/p0" >"$T/row"
pframes=$(awk '{print $6}' "$T/row")
for k in 1 2 3; do
	st=$T/pcut$k
	cp -a "$T/p0" "$st"
	rand r 1000
	c=$((PSIZE / 4 * k + r))
	truncate -s "$c" "$st/$P"
	read -r _ whole _ < <($PCAPTOOL pcapng "$st/$P")
	say "plain cut $k at $c of $PSIZE: $whole whole packets before the cut"
	list_row "$st" >"$T/row"
	read -r lname state lpk _ <"$T/row"
	check "list: torn, at most $whole packets ($lpk)"
	[ "$state" = torn ] || die "list state '$state', expected torn"
	[ "$lpk" -le "$whole" ] || die "list claims $lpk packets, only $whole are whole"
	# no more than two frames' worth of whole packets may be given up
	[ "$lpk" -ge $((whole - 2 * N / pframes)) ] || die "list: only $lpk of $whole whole packets"
	$PCAPTOOL head "$(norm_cached "$T/in.pcap")" "$lpk" "$T/phead.nsec"
	slice "$st" "$T/got.pcapng"
	same_as_nsec "$T/phead.nsec" "$T/got.pcapng" "slice returns the first $lpk packets"
	run_rc 1 "verify of a torn plain file" "$CAPCTL" --store "$st" verify
	run_rc 0 "verify --repair of a torn plain file" "$CAPCTL" --store "$st" verify --repair
	run_rc 0 "verify after repair" "$CAPCTL" --store "$st" verify
	check "the repaired plain file: whole pcapng blocks only, $lpk packets, readable directly"
	read -r _ whole2 end2 < <($PCAPTOOL pcapng "$st/$P")
	[ "$end2" = "$(stat -c %s "$st/$P")" ] || die "repaired file has a partial block at $end2"
	same_as_nsec "$T/phead.nsec" "$st/$P" "the repaired plain file read by editcap"
	rm -rf "$st"
done

finish
