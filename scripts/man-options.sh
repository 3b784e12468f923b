#!/bin/sh
# Regenerates the option list of captured.conf(5) from captured's option
# table: replaces everything between the lines
#   .\" BEGIN OPTIONS
#   .\" END OPTIONS
# of the page with the output of `captured --man-options`.  "make man" runs it.
#
#   scripts/man-options.sh [CAPTURED [PAGE]]
#
# CAPTURED defaults to build/captured, PAGE to man/captured.conf.5, both in
# the repository.  The page is rewritten only when the list changed.
set -eu

prog=${0##*/}
root=$(cd "$(dirname "$0")/.." && pwd)
captured=${1:-$root/build/captured}
page=${2:-$root/man/captured.conf.5}

die() {
	echo "$prog: $*" >&2
	exit 1
}

[ -x "$captured" ] || die "$captured: no such program (run make first)"
[ -f "$page" ] || die "$page: no such file"

dir=$(dirname "$page")
list=$(mktemp "$dir/.man-options.XXXXXX")
new=$(mktemp "$dir/.man-page.XXXXXX")
trap 'rm -f "$list" "$new"' EXIT
trap 'exit 1' HUP INT TERM

"$captured" --man-options >"$list" || die "$captured --man-options failed"
[ "$(head -n 1 "$list")" = ".TP" ] ||
	die "$captured --man-options printed no option list"

# The markers go through the environment: awk -v would eat the backslash.
BEGIN_MARK='.\" BEGIN OPTIONS' END_MARK='.\" END OPTIONS' LIST=$list \
awk '
	$0 == ENVIRON["BEGIN_MARK"] {
		if (state != 0) { print "second BEGIN OPTIONS line: " NR > "/dev/stderr"; bad = 1; exit }
		print
		while ((getline line < ENVIRON["LIST"]) > 0)
			print line
		state = 1
		next
	}
	$0 == ENVIRON["END_MARK"] {
		if (state != 1) { print "END OPTIONS line without BEGIN: " NR > "/dev/stderr"; bad = 1; exit }
		state = 2
	}
	state != 1 { print }
	END {
		if (bad)
			exit 1
		if (state != 2) {
			print "no BEGIN OPTIONS ... END OPTIONS lines" > "/dev/stderr"
			exit 1
		}
	}
' "$page" >"$new" || die "$page: cannot place the option list"

if cmp -s "$new" "$page"; then
	echo "$prog: $page: option list unchanged"
else
	chmod 0644 "$new"
	mv -f "$new" "$page"
	echo "$prog: $page: option list updated"
fi
