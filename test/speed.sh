#!/usr/bin/env bash
# test/speed.sh - figures, not pass/fail: how long acme takes against a
# local Pebble, and how many requests it makes.
#
#   bash test/speed.sh [path/to/acme]      (RUNS=3 NAMES=20 by default)
#
# 1. Fresh issuance (new account) and a second one (stored account), one
#    ec256 name by --standalone http-01: wall time (median of RUNS) and
#    requests from the -v summary.
# 2. NAMES certificates issued, then `renew --force` of one of them and of
#    all NAMES, in the same run against the same Pebble: both wall times
#    and their ratio. Pebble reuses no authorization (PEBBLE_AUTHZREUSE=0),
#    so every renewal is a full order with a challenge.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
ACME=${1:-${ACME:-$LIB_REPO/acme}}
case $ACME in /*) ;; *) ACME=$PWD/$ACME ;; esac
RUNS=${RUNS:-3}
NAMES=${NAMES:-20}

die() { echo "speed: $*" >&2; exit 1; }

pebble_start speed PEBBLE_AUTHZREUSE=0 || die "cannot start Pebble"

# now: monotonic-enough wall time in ms.
now() { echo $(($(date +%s%N) / 1000000)); }

# timed OUT ARGS...: run acme -v ARGS, wall ms in $MS, requests in $REQ.
timed()
{
	local t0
	t0=$(now)
	"$ACME" -v "$@" >"$LIB_TMP/out" 2>"$LIB_TMP/err" ||
	    die "acme $*: $(grep -v '^acme: [a-z]' "$LIB_TMP/err" | tail -n 1)$(tail -n 1 "$LIB_TMP/err")"
	MS=$(($(now) - t0))
	REQ=$(sed -n 's/^acme: \([0-9]*\) requests.*/\1/p' "$LIB_TMP/err" | tail -n 1)
	POLLS=$(sed -n 's/^acme: [0-9]* requests (\([0-9]*\) polls)$/\1/p' "$LIB_TMP/err" | tail -n 1)
}

median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

for kind in new stored; do
	walls=() reqs=()
	for i in $(seq "$RUNS"); do
		d=$LIB_TMP/one-$kind-$i
		[ "$kind" = stored ] && d=$LIB_TMP/one-new-$i
		[ -d "$d" ] || mkdir -m 700 "$d"
		timed "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" \
		    issue "$kind$i.example.com"
		walls+=("$MS") reqs+=("$REQ${POLLS:+ ($POLLS polls)}")
	done
	echo "issue, $kind account: wall $(secs "$(median "${walls[@]}")") s" \
	    "(median of $RUNS), requests: ${reqs[*]}"
done

d=$LIB_TMP/many
mkdir -m 700 "$d"
names=()
for i in $(seq "$NAMES"); do
	names+=("n$i.example.com")
	timed "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue "n$i.example.com"
done
timed --dir "$d" --force renew n1.example.com
one=$MS
echo "renew --force, 1 name: wall $(secs "$one") s, $REQ requests"
timed --dir "$d" --force renew
all=$MS
n=$(grep -c ': renewed' "$LIB_TMP/out")
[ "$n" = "$NAMES" ] || die "renewed $n of $NAMES names"
echo "renew --force, $NAMES names: wall $(secs "$all") s, $REQ requests"
echo "ratio $NAMES names / 1 name: $(awk -v a="$all" -v b="$one" 'BEGIN { printf "%.1fx", a / b }')"
