#!/bin/bash
# Errors: every bad input gives a non-zero exit and a message that names the
# problem (the file and line of a bad config line, the option, the path, the
# time text), and leaves nothing half done.  Also that a good config file
# works and that the command line overrides it.
set -eu
. "$(dirname "$0")/../lib/common.sh"
need_tool python3 editcap capinfos zstd jq
need_bins

$GEN -o "$T/in.pcap" -n 3000 --seed 81 --nsec
ingest "$T/in.pcap" "$T/good"

say "config files"
cat >"$T/bad.conf" <<'EOF'
# a comment

[captured]
; another comment
frame_size = 16K
no_such_key = 3
EOF
check "an unknown key on line 6: non-zero exit, 'PATH:6' and the key in the message"
run_rc nz "bad config key" "$CAPTURED" -c "$T/bad.conf" -r "$T/in.pcap" --store "$T/s1"
msg_has "bad config key" "$T/bad.conf:6" no_such_key
cat >"$T/bad2.conf" <<'EOF'
[captured]
compression = zstd
level = 42
EOF
check "a bad value on line 3: 'PATH:3' and the key"
run_rc nz "bad config value" "$CAPTURED" -c "$T/bad2.conf" -r "$T/in.pcap" --store "$T/s1"
msg_has "bad config value" "$T/bad2.conf:3" level
printf '[captured]\nthis is not a key value line\n' >"$T/bad3.conf"
check "a line that is not key = value: 'PATH:2'"
run_rc nz "bad config syntax" "$CAPTURED" -c "$T/bad3.conf" -r "$T/in.pcap" --store "$T/s1"
msg_has "bad config syntax" "$T/bad3.conf:2"
check "a missing config file is named"
run_rc nz "missing config" "$CAPTURED" -c "$T/nope.conf" -r "$T/in.pcap" --store "$T/s1"
msg_has "missing config" "$T/nope.conf"
check "nothing was stored by the failed runs"
[ -z "$(store_files "$T/s1" 2>/dev/null)" ] || die "files were written: $(ls "$T/s1")"

check "a good config file is applied: frame_size = 16K makes more frames than the default"
printf '# good\n[captured]\nframe_size = 16K\ncompression = none\n' >"$T/good.conf"
run_rc 0 "good config" "$CAPTURED" -c "$T/good.conf" -r "$T/in.pcap" --store "$T/s2" --compression zstd
list_json "$T/s2" >"$T/l2.json"
list_json "$T/good" >"$T/l0.json"
f2=$($PCAPTOOL jsum "$T/l2.json" frames) f0=$($PCAPTOOL jsum "$T/l0.json" frames)
[ "$f2" -gt "$f0" ] || die "frame_size = 16K in the config: $f2 frames, default $f0"
check "the command line wins over the file (--compression zstd over compression = none)"
[ -n "$(store_files "$T/s2" | grep '\.pcapng\.zst$')" ] || die "store files: $(ls "$T/s2")"
[ -z "$(store_files "$T/s2" | grep -v '\.pcapng\.zst$')" ] || die "store files: $(ls "$T/s2")"

say "captured command lines"
check "unknown option"
run_rc nz "unknown option" "$CAPTURED" --no-such-option -r "$T/in.pcap" --store "$T/s3"
msg_has "unknown option" no-such-option
for bad in "--frame-size 12Q:frame" "--rotate-time 5x:rotate" "--compression lzma:compression" \
	"--level 99:level" "--rotate-size -1M:rotate" "--retain-age 1y:retain"; do
	opt=${bad%%:*} word=${bad##*:}
	check "bad value: $opt"
	# shellcheck disable=SC2086
	run_rc nz "$opt" "$CAPTURED" $opt -r "$T/in.pcap" --store "$T/s3"
	msg_has "$opt" "$word" "${opt#* }"
done
check "missing input file: named in the message, no store files"
run_rc nz "missing input" "$CAPTURED" -r "$T/no-such.pcap" --store "$T/s4"
msg_has "missing input" "$T/no-such.pcap"
[ -z "$(store_files "$T/s4" 2>/dev/null)" ] || die "files were written for a missing input"
check "an input that is not a capture: named in the message"
head -c 5000 /dev/urandom >"$T/junk.pcap"
run_rc nz "junk input" "$CAPTURED" -r "$T/junk.pcap" --store "$T/s4"
msg_has "junk input" junk.pcap
check "no -r and no --synthetic"
run_rc nz "nothing to do" "$CAPTURED" --store "$T/s4"

say "capctl and stores"
mkdir -p "$T/notastore"
: >"$T/notastore/somefile"
for cmd in list slice verify; do
	check "capctl $cmd on a directory that is not a store: error naming it"
	run_rc nz "$cmd on a non-store" "$CAPCTL" --store "$T/notastore" $cmd
	msg_has "$cmd on a non-store" "$T/notastore"
done
[ ! -e "$T/notastore/.captured-store" ] || die "capctl made a store of notastore"
check "capctl on a missing directory: error naming it"
run_rc nz "missing store" "$CAPCTL" --store "$T/nowhere" list
msg_has "missing store" "$T/nowhere"
[ ! -e "$T/nowhere" ] || die "capctl created $T/nowhere"
check "capctl on a file: error naming it"
run_rc nz "file as store" "$CAPCTL" --store "$T/in.pcap" list
msg_has "file as store" "$T/in.pcap"
check "an empty store lists no files (exit 0)"
mkdir -p "$T/empty"
: >"$T/empty/.captured-store"
run_rc 0 "empty store" "$CAPCTL" --store "$T/empty" list --json
jq -e '.files == []' "$T/last.out" >/dev/null || die "empty store lists: $(cat "$T/last.out")"
check "unknown command, unknown option"
run_rc nz "unknown command" "$CAPCTL" --store "$T/good" frobnicate
msg_has "unknown command" frobnicate
run_rc nz "unknown global option" "$CAPCTL" --bogus --store "$T/good" list
msg_has "unknown global option" bogus
run_rc nz "unknown slice option" "$CAPCTL" --store "$T/good" slice --bogus -w "$T/x.pcapng"
msg_has "unknown slice option" bogus
check "verify: usage error exits 2, a whole store exits 0"
run_rc 2 "verify usage" "$CAPCTL" --store "$T/good" verify --bogus
run_rc 0 "verify whole" "$CAPCTL" --store "$T/good" verify
check "slice --format and --compress with unknown values"
run_rc nz "bad --format" "$CAPCTL" --store "$T/good" slice --format pcapx -w "$T/x.pcapng"
msg_has "bad --format" pcapx
run_rc nz "bad --compress" "$CAPCTL" --store "$T/good" slice --compress lz4 -w "$T/x.pcapng"
msg_has "bad --compress" lz4

say "bad times"
for t in yesterday 2023-13-45T00:00:00Z 2023-11-14T22:13:20 "2023-11-14T25:00:00Z" \
	1700000000.1234567891 12:00 -5 "1700000000 5" 99999999999999999999 now-5; do
	check "--from '$t' is refused and named"
	rm -f "$T/x.pcapng"
	run_rc nz "--from '$t'" "$CAPCTL" --store "$T/good" slice --from "$t" -w "$T/x.pcapng"
	msg_has "--from '$t'" "$t"
	[ ! -s "$T/x.pcapng" ] || die "--from '$t' wrote output"
	run_rc nz "--to '$t'" "$CAPCTL" --store "$T/good" slice --to "$t" -w "$T/x.pcapng"
	msg_has "--to '$t'" "$t"
done

say "output files"
echo keep >"$T/exists.pcapng"
check "-w an existing file without --force is refused, the file unchanged"
run_rc nz "-w existing" "$CAPCTL" --store "$T/good" slice -w "$T/exists.pcapng"
msg_has "-w existing" "$T/exists.pcapng"
[ "$(cat "$T/exists.pcapng")" = keep ] || die "the existing file was changed"
check "with --force it is replaced by the capture"
run_rc 0 "-w existing --force" "$CAPCTL" --store "$T/good" slice -w "$T/exists.pcapng" --force
same_packets "$T/in.pcap" "$T/exists.pcapng" "slice --force"
check "-w - writes to stdout"
"$CAPCTL" --store "$T/good" slice -w - >"$T/stdout.pcapng" 2>"$T/last.err" || die "slice -w - failed"
same_packets "$T/in.pcap" "$T/stdout.pcapng" "slice -w -"
check "-w into a missing directory fails with the path"
run_rc nz "-w bad dir" "$CAPCTL" --store "$T/good" slice -w "$T/no/dir/out.pcapng"
msg_has "-w bad dir" "$T/no/dir/out.pcapng"

finish
