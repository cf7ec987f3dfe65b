#!/usr/bin/env bash
# test/bench.sh - figures, not pass/fail: size of ./acme, and for one ec256
# issuance against a local Pebble (new account, then a second issuance with
# the stored account): peak RSS, HTTP requests and wall time.
#
#   make bench      (or: bash test/bench.sh [path/to/acme])
#
# Peak RSS comes from /usr/bin/time -v (package "time"); it is the largest
# of acme and its standalone responder child.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
ACME=${1:-${ACME:-$LIB_REPO/acme}}
case $ACME in /*) ;; *) ACME=$PWD/$ACME ;; esac

[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
pebble_start bench || { echo "bench: cannot start Pebble" >&2; exit 1; }

echo "binary: $ACME"
echo "size (bytes, stripped file): $(stat -c %s "$ACME")"
size "$ACME" | sed 's/^/  /'
file "$ACME" | sed 's/^[^:]*: /  file: /'

d=$LIB_TMP/bench-state
mkdir -m 700 "$d"
for run in new-account stored-account; do
	/usr/bin/time -v -o "$LIB_TMP/time.txt" "$ACME" -v "${ACME_PB[@]}" \
	    "${ACME_SA[@]}" --dir "$d" issue bench.example.com \
	    >"$LIB_TMP/out.txt" 2>"$LIB_TMP/err.txt" || {
		echo "bench: acme failed: $(tail -n 1 "$LIB_TMP/err.txt")" >&2
		exit 1
	}
	rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$LIB_TMP/time.txt")
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$LIB_TMP/time.txt")
	req=$(sed -n 's/^acme: \([0-9]*\) requests (.*/\1/p' "$LIB_TMP/err.txt")
	echo "issue ec256 ($run): peak RSS ${rss} KB, ${req:-?} requests, wall ${wall}"
done
