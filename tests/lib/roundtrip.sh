# Shared by the round-trip tests (t_roundtrip*.sh): checks of a store made
# from one input.  Source after common.sh.

# gen NAME OPTIONS...: generates $T/in/NAME with gen_pcap.py.
gen() {
	mkdir -p "$T/in"
	local name=$1
	shift
	$GEN -o "$T/in/$name" "$@" || die "gen_pcap.py $* failed"
}
# iface part of a store file name for input IN: base name without the
# extension, characters other than [A-Za-z0-9.-] replaced by '-'.
iface_of() {
	local b
	b=$(basename "$1")
	b=${b%.*}
	printf '%s' "$b" | tr -c 'A-Za-z0-9.-' '-'
}

# check_store IN STORE EXT [tshark]: the files of STORE are well formed store
# files holding exactly the packets of IN; with "tshark", tshark must read
# them too (slow, so not for every store).
check_store() {
	local in=$1 st=$2 ext=$3 use_tshark=${4:-} f name iface n total=0 files nfiles
	local ds lname state lpk lby lds lfr lfirst llast ldmg cnt first last mn mx sorig scap
	iface=$(iface_of "$in")
	files=$(store_files "$st")
	nfiles=$(printf '%s\n' "$files" | grep -c . || true)
	check "$st: marker, file names, no .part"
	[ -e "$st/.captured-store" ] || die "$st: no .captured-store marker"
	[ "$nfiles" -ge 1 ] || die "$st: no store files: $(ls -A "$st")"
	for name in $files; do
		printf '%s\n' "$name" |
			grep -Eq "^[0-9]{8}T[0-9]{6}\.[0-9]{9}Z_${iface}_q[0-9]+([+_][0-9]+)?\.$ext\$" ||
			die "$st: bad file name '$name' (want *_${iface}_qN.$ext)"
	done
	for name in $files; do
		f=$st/$name
		if [ "$ext" = pcapng.zst ]; then
			check "$name: zstd -t"
			zstd -q -t "$f" || die "zstd -t $f failed"
			zstd -q -dc "$f" >"$T/dec.pcapng"
		else
			check "$name: sidecar $name.idx exists and is a zstd stream; tshark reads $name directly"
			[ -f "$f.idx" ] || die "$f: no sidecar .idx"
			zstd -q -t "$f.idx" || die "zstd -t $f.idx failed"
			cp "$f" "$T/dec.pcapng"
			n=$(tshark -r "$f" -T fields -e frame.number 2>/dev/null | wc -l)
			[ "$n" = "$(npackets "$T/dec.pcapng")" ] || die "tshark -r $f: $n packets"
		fi
		check "$name: pcapng, nanosecond, one interface, link type of the input, an ISB"
		capinfos -M "$T/dec.pcapng" >"$T/dec.info" 2>&1 || { cat "$T/dec.info" >&2; die "capinfos $name failed"; }
		grep -q '^File type: *pcapng$' "$T/dec.info" || die "$name: $(grep '^File type' "$T/dec.info")"
		grep -q '^File timestamp precision: *nanoseconds' "$T/dec.info" ||
			die "$name: $(grep '^File timestamp precision' "$T/dec.info")"
		grep -q '^Number of interfaces in file: 1$' "$T/dec.info" ||
			die "$name: $(grep '^Number of interfaces' "$T/dec.info")"
		[ "$(sed -n 's/^File encapsulation: *//p' "$T/dec.info")" = "$(capinfo "$in" "File encapsulation")" ] ||
			die "$name: $(grep '^File encapsulation' "$T/dec.info"), input $(capinfo "$in" "File encapsulation")"
		grep -Eq 'Number of stat entries = [1-9]' "$T/dec.info" || die "$name: no interface statistics block (ISB)"
		check "$name: tcpdump${use_tshark:+ and tshark} read every packet of the decompressed stream"
		n=$(npackets "$T/dec.pcapng")
		zcat_file "$f" /dev/stdout | tcpdump --time-stamp-precision=nano -r - -w "$T/td.pcap" 2>"$T/td.err" ||
			{ cat "$T/td.err" >&2; die "tcpdump -r - < $name failed"; }
		[ "$(npackets "$T/td.pcap")" = "$n" ] || die "tcpdump read $(npackets "$T/td.pcap") of $n packets of $name"
		if [ -n "$use_tshark" ]; then
			[ "$(zcat_file "$f" /dev/stdout | tshark -r - -T fields -e frame.number 2>/dev/null | wc -l)" = "$n" ] ||
				die "tshark -r - did not read $n packets of $name"
		fi
		total=$((total + n))
		if [ "$nfiles" = 1 ]; then
			same_packets "$in" "$T/td.pcap" "$name read by tcpdump"
		fi
	done
	check "$st: packets in the store files ($total) = input ($(npackets "$in"))"
	[ "$total" = "$(npackets "$in")" ] || die "$st: $total packets stored, input has $(npackets "$in")"

	check "$st: capctl list --json agrees (complete, no damage, packets, bytes, disk_bytes, first/last_ns)"
	list_json "$st" >"$T/list.json"
	jq -e . "$T/list.json" >/dev/null || die "list --json is not JSON"
	$PCAPTOOL jtable "$T/list.json" >"$T/list.txt"
	[ "$(wc -l <"$T/list.txt")" = "$nfiles" ] || die "list shows $(wc -l <"$T/list.txt") files, store has $nfiles"
	for name in $files; do
		read -r lname state lpk lby lds lfr lfirst llast ldmg < <(grep -F "$name " "$T/list.txt" | head -1) ||
			die "list --json does not show $name"
		[ "$state" = complete ] && [ "$ldmg" = null ] || die "$name: state $state, damage $ldmg"
		ds=$(stat -c %s "$st/$name")
		[ -f "$st/$name.idx" ] && ds=$((ds + $(stat -c %s "$st/$name.idx")))
		[ "$lds" = "$ds" ] || die "$name: list disk_bytes '$lds', file (and sidecar) take $ds bytes"
		zcat_file "$st/$name" "$T/dec.pcapng"
		norm "$T/dec.pcapng" "$T/dec.pcap"
		read -r cnt first last mn mx sorig scap < <($PCAPTOOL info "$T/dec.pcap")
		[ "$lpk" = "$cnt" ] || die "$name: list packets $lpk, file holds $cnt"
		# bytes: sum of original lengths (what batch.h and capindex.h count)
		[ "$lby" = "$sorig" ] || die "$name: list bytes $lby, original lengths sum to $sorig (captured: $scap)"
		# first_ns/last_ns: first and last packet, or min and max; the same
		# when the file is in time order.  Accept either reading.
		{ [ "$lfirst" = "$first" ] || [ "$lfirst" = "$mn" ]; } || die "$name: first_ns $lfirst, packets start at $first (min $mn)"
		{ [ "$llast" = "$last" ] || [ "$llast" = "$mx" ]; } || die "$name: last_ns $llast, packets end at $last (max $mx)"
		[ "$lfr" -ge 1 ] || die "$name: list says $lfr frames"
	done
}

# slice_all IN STORE [tshark]: everything out of STORE equals IN, in all
# output forms.
slice_all() {
	local in=$1 st=$2 use_tshark=${3:-} magic
	slice "$st" "$T/out.pcapng"
	check "slice output is nanosecond pcapng with one interface"
	[ "$(capinfo "$T/out.pcapng" "File type")" = pcapng ] || die "slice output is $(capinfo "$T/out.pcapng" "File type")"
	precision_is "$T/out.pcapng" nanoseconds
	[ "$(capinfo "$T/out.pcapng" "Number of interfaces in file")" = 1 ] || die "slice output has several interfaces"
	same_packets "$in" "$T/out.pcapng" "slice of $st"
	[ -z "$use_tshark" ] || same_fields "$in" "$T/out.pcapng" "slice of $st"

	check "slice to stdout gives the same packets"
	"$CAPCTL" --store "$st" slice >"$T/out-stdout.pcapng" 2>"$T/last.err" ||
		{ cat "$T/last.err" >&2; die "capctl slice to stdout failed"; }
	cmp -s "$T/out.pcapng" "$T/out-stdout.pcapng" ||
		same_packets "$T/out.pcapng" "$T/out-stdout.pcapng" "slice to stdout"

	slice "$st" "$T/out.pcap" --format pcap
	check "--format pcap writes nanosecond pcap (magic a1b23c4d)"
	magic=$(od -An -tx4 -N4 "$T/out.pcap" | tr -d ' ')
	[ "$magic" = a1b23c4d ] || die "--format pcap magic $magic"
	[ "$(linktype_of "$T/out.pcap")" = "$(linktype_of "$(norm_cached "$in")")" ] ||
		die "--format pcap link type $(linktype_of "$T/out.pcap"), input $(linktype_of "$(norm_cached "$in")")"
	same_packets "$in" "$T/out.pcap" "slice --format pcap of $st"
	rm -f "$T/out.pcapng" "$T/out.pcap" "$T/out-stdout.pcapng"
}

# roundtrip IN: ingests IN with --frame-size 16K and checks the store and
# every form of slice output; then with default options, checks zstd -t and
# the slice.  tshark (slow to start) reads only when $TSHARK_FOR matches
# the input's name.
roundtrip() {
	local in=$1 b st tsh name
	b=$(basename "$in")
	b=${b// /-}
	say "$(basename "$in"): ingest with --frame-size 16K"
	st=$T/store-$b-small
	ingest "$in" "$st" --frame-size 16K
	case " ${TSHARK_FOR:-} " in *" $b "*) tsh=tshark ;; *) tsh= ;; esac
	check_store "$in" "$st" pcapng.zst $tsh
	slice_all "$in" "$st" $tsh

	say "$(basename "$in"): ingest with default options"
	st=$T/store-$b-default
	ingest "$in" "$st"
	for name in $(store_files "$st"); do
		check "$name: zstd -t"
		zstd -q -t "$st/$name" || die "zstd -t $st/$name failed"
	done
	slice "$st" "$T/out.pcapng"
	same_packets "$in" "$T/out.pcapng" "slice of $st"
}
