#!/usr/bin/env bash
# test/bench.sh - figures, not pass/fail: acme beside uacme and lego.
#
#   make bench      (or: bash test/bench.sh [path/to/acme])
#
# One Pebble on 127.0.0.1 serves every client (no random nonce rejection,
# no authorization reuse, so every run does the same work). Printed:
# - the binary: size, sections, file(1);
# - a fresh issuance with a new account, EC P-256 keys, one name: wall,
#   CPU (user+sys), peak RSS, requests and TCP connections, for acme (and
#   acme again with its stored account), and for uacme and lego when
#   Debian's packages are installed (`make deps` installs them; BENCH_CLIENTS
#   lists the others to run, default "uacme lego"); medians of BENCH_RUNS (3)
#   runs after a warm-up;
# - `renew --force` of 1 certificate and of BENCH_NAMES (20), the same
#   medians, and their ratio; uacme's and lego's (a loop of one invocation
#   per name, one run) only with BENCH_RENEW_OTHERS=1, as they take minutes;
# - acme's goals, met or not: wall at most half of uacme's, CPU at most
#   lego's, at most 10 requests, the 20-name renewal at most 3x one, the
#   binary at most 400,000 bytes.
#
# How: wall and CPU come from bash's `time` around /usr/bin/time (package
# "time"), which gives the peak RSS (of the client and any child it waited
# for); the same wrapper around /bin/true, measured in the same run, is
# subtracted (GNU time's own start-up: about 10 ms wall, 1 ms CPU).
# Requests and connections are counted by test/caproxy.py in one more run
# of each client through it (timed runs go to Pebble directly).
# acme answers http-01 with --standalone, lego with --http on the same port,
# uacme with its hook writing into a directory that a Python http.server
# serves there. Pebble's test CA is trusted by acme's --ca-file, lego's
# LEGO_CA_CERTIFICATES, and for uacme (libcurl-gnutls, which only reads
# /etc/ssl/certs) by a bind mount in a private mount namespace (unshare -m
# as root, unshare -rm otherwise); where that is impossible uacme is skipped
# with the reason.
#
# Exit status 1 when a run failed (each failure is reported); 0 otherwise,
# whatever the figures.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
ACME=${1:-${ACME:-$LIB_REPO/acme}}
case $ACME in /*) ;; *) ACME=$PWD/$ACME ;; esac
RUNS=${BENCH_RUNS:-3}
NAMES=${BENCH_NAMES:-20}
RENEW_OTHERS=${BENCH_RENEW_OTHERS:-0}
CLIENTS=" ${BENCH_CLIENTS-uacme lego} "
ERRORS=0
TIMEFORMAT='%3R %3U %3S'
export LC_ALL=C

bench_err() { printf 'bench: %s\n' "$*" >&2; ERRORS=$((ERRORS + 1)); }

# ---- measuring -------------------------------------------------------

# median: the median of the numbers on stdin ("-" when there are none).
median()
{
	sort -g | awk '{ v[NR] = $1 } END {
	    if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
	    else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# measure OUT PREFIX... -- CMD...: run PREFIX /usr/bin/time CMD with
# stdout/stderr in OUT.out/OUT.err; append "wall cpu rss_kb" to OUT. The
# PREFIX (timeout, a namespace) runs outside /usr/bin/time. Returns CMD's
# exit status.
measure()
{
	local out=$1 pre=() rc t rss
	shift
	while [ "$1" != -- ]; do pre+=("$1"); shift; done
	shift
	{ time "${pre[@]}" /usr/bin/time -f %M -o "$out.rss" "$@" \
	    >"$out.out" 2>"$out.err" </dev/null; } 2>"$out.time"
	rc=$?
	t=$(tail -n 1 "$out.time")
	rss=$(tail -n 1 "$out.rss" 2>/dev/null)
	case $rss in '' | *[!0-9]*) rss=0 ;; esac
	echo "$t" | awk -v r="$rss" '{ printf "%.3f %.3f %d\n", $1, $2 + $3, r }' >>"$out"
	return "$rc"
}

# baseline NAME PREFIX...: median wall and CPU of the measuring wrapper
# around /bin/true; sets BASE_NAME to "wall cpu".
baseline()
{
	local name=$1 f i
	shift
	f=$BT/base-$name
	for i in 1 2 3 4 5; do
		measure "$f" "$@" -- /bin/true
	done
	printf -v "BASE_$name" '%s %s' "$(cut -d' ' -f1 "$f" | median)" \
	    "$(cut -d' ' -f2 "$f" | median)"
}

# sum_steps FILE BASE: one "wall cpu rss" for the steps in FILE (walls and
# CPUs less BASE each and added, the largest RSS).
# net_walls FILE BASE: each line's wall less BASE's.
sum_steps()
{
	awk -v b="$2" 'BEGIN { split(b, z, " ") }
	    { w = $1 - z[1]; c = $2 - z[2]; W += (w > 0 ? w : 0)
	      C += (c > 0 ? c : 0); if ($3 > R) R = $3 }
	    END { printf "%.3f %.3f %d\n", W, C, R }' "$1"
}

net_walls()
{
	awk -v b="$2" 'BEGIN { split(b, z, " ") }
	    { w = $1 - z[1]; printf "%.3f\n", (w > 0 ? w : 0) }' "$1"
}

# ---- clients -----------------------------------------------------------
# Each CLIENT_issue DIR URL NAME runs a fresh issuance (new account) into the
# new directory DIR against URL, measuring every step into DIR/steps.
# CLIENT_wrap prints nothing; it sets WRAP to the prefix the steps run with.

# acme_issue DIR URL NAME [STEPS]: STEPS (default DIR/steps) gets the
# figures; DIR/state keeps the account, so a second call reuses it.
acme_issue()
{
	local d=$1 url=$2 name=$3 f=${4:-$1/steps}
	mkdir -m 700 -p "$d/state"
	measure "$f" timeout -k 5 300 -- "$ACME" -v --server "$url" \
	    --ca-file "$PB_CA" --agree-tos --email bench@example.com \
	    "${ACME_SA[@]}" --dir "$d/state" issue "$name" || {
		bench_err "acme issue $name: $(tail -n 1 "$f.err")"
		return 1
	}
}

uacme_issue()
{
	local d=$1 url=$2 name=$3
	mkdir -p "$d/conf"
	measure "$d/steps" "${UACME_PRE[@]}" -- uacme -a "$url" -c "$d/conf" \
	    -y -t EC -b 256 new bench@example.com || {
		bench_err "uacme new: $(tail -n 1 "$d/steps.err")"
		return 1
	}
	measure "$d/steps" "${UACME_PRE[@]}" -- uacme -a "$url" -c "$d/conf" \
	    -t EC -b 256 -h "$BT/uacme-hook" issue "$name" || {
		bench_err "uacme issue $name: $(tail -n 1 "$d/steps.err")"
		return 1
	}
}

lego_issue()
{
	local d=$1 url=$2 name=$3
	mkdir -p "$d"
	measure "$d/steps" timeout -k 5 300 -- lego --server "$url" \
	    --email bench@example.com --accept-tos --key-type ec256 \
	    --path "$d/lego" --http --http.port "127.0.0.1:$PB_HTTP_PORT" \
	    --domains "$name" run || {
		bench_err "lego run $name: $(grep -v '^\s*$' "$d/steps.err" | tail -n 1)"
		return 1
	}
}

# uacme_setup: the hook, the webroot server and the namespace that makes
# libcurl-gnutls trust Pebble's CA; sets UACME_PRE, or UACME_SKIP.
uacme_setup()
{
	local www=$BT/uacme-www
	UACME_SKIP= UACME_OK=0
	command -v uacme >/dev/null || { UACME_SKIP="not installed (apt-get install uacme)"; return 1; }
	mkdir -p "$www/.well-known/acme-challenge" "$BT/uacme-certs"
	cp "$PB_CA" "$BT/uacme-certs/pebble-ca.pem"
	cat >"$BT/uacme-hook" <<EOF
#!/bin/sh
# uacme hook for the bench: http-01 only, into the webroot
[ "\$2" = http-01 ] || exit 1
f="$www/.well-known/acme-challenge/\$4"
case \$1 in
begin) printf '%s' "\$5" >"\$f" ;;
*) rm -f "\$f" ;;
esac
EOF
	chmod 755 "$BT/uacme-hook"
	if [ "$(id -u)" = 0 ]; then
		UACME_PRE=(timeout -k 5 300 unshare -m)
	else
		UACME_PRE=(timeout -k 5 300 unshare -rm)
	fi
	UACME_PRE+=(sh -c 'mount --bind "$0" /etc/ssl/certs && exec "$@"'
	    "$BT/uacme-certs")
	"${UACME_PRE[@]}" true 2>"$BT/unshare.err" || {
		UACME_SKIP="skipped: cannot give uacme Pebble's CA (private mount namespace: $(tail -n 1 "$BT/unshare.err"))"
		return 1
	}
	mkdir -p "$BT/uacme-srv"
	LIB_PIDFILE=$BT/uacme-srv/pids webroot_start "$www" || {
		UACME_SKIP="skipped: the webroot server did not start"
		bench_err "uacme: the webroot server did not start"
		return 1
	}
	UACME_OK=1
}

uacme_teardown() { lib_stop_pids "$BT/uacme-srv/pids"; }

# ---- one client's issuance rows ----------------------------------------

# bench_client CLIENT LABEL PREFIX...: warm-up, RUNS timed runs, one counted
# run through the proxy; prints the table row.
bench_client()
{
	local c=$1 label=$2 base r d ok=1 req conn w cpu rss req2=
	shift 2
	baseline "$c" "$@"
	base=BASE_$c
	: >"$BT/$c.runs"
	: >"$BT/$c.runs2"
	for r in $(seq 0 "$RUNS"); do
		d=$BT/$c-$r
		mkdir -p "$d"
		"${c}_issue" "$d" "$PB_URL" "run$r.$c.example.com" || { ok=0; break; }
		[ "$r" = 0 ] && continue	# the warm-up
		sum_steps "$d/steps" "${!base}" >>"$BT/$c.runs"
		if [ "$c" = acme ]; then	# again, with the stored account
			acme_issue "$d" "$PB_URL" "again$r.acme.example.com" \
			    "$d/steps2" || { ok=0; break; }
			sum_steps "$d/steps2" "${!base}" >>"$BT/$c.runs2"
		fi
	done
	req=- conn=-
	if [ "$ok" = 1 ]; then
		px_reset
		d=$BT/$c-proxy
		mkdir -p "$d"
		if "${c}_issue" "$d" "$PX_URL" "proxy.$c.example.com"; then
			req=$(px_count any) conn=$(px_conns)
			if [ "$c" = acme ]; then	# and its stored account
				px_reset
				acme_issue "$d" "$PX_URL" "proxy2.$c.example.com" \
				    "$d/steps2" && req2=$(px_count any)
			fi
		else
			ok=0
		fi
	fi
	if [ "$ok" = 0 ]; then
		printf '| %s | failed (see above) | | | | |\n' "$label"
		return
	fi
	w=$(cut -d' ' -f1 "$BT/$c.runs" | median)
	cpu=$(cut -d' ' -f2 "$BT/$c.runs" | median)
	rss=$(cut -d' ' -f3 "$BT/$c.runs" | median)
	printf '| %s | %.2f s | %.3f s | %d KB | %s | %s |\n' "$label" \
	    "$w" "$cpu" "$rss" "$req" "$conn"
	printf '%s %s %s %s %s\n' "$w" "$cpu" "$rss" "$req" "$conn" >"$BT/$c.fig"
	if [ "$c" = acme ]; then
		printf '| %s, stored account | %.2f s | %.3f s | %d KB | %s | |\n' \
		    "$label" "$(cut -d' ' -f1 "$BT/$c.runs2" | median)" \
		    "$(cut -d' ' -f2 "$BT/$c.runs2" | median)" \
		    "$(cut -d' ' -f3 "$BT/$c.runs2" | median)" "${req2:--}"
		req=$(sed -n 's/^acme: \([0-9][0-9]*\) requests.*/\1/p' \
		    "$BT"/acme-[1-9]*/steps.err | median)
		printf '%s\n' "$req" >"$BT/acme.vreq"
	fi
}

# ---- renewal -------------------------------------------------------------

# acme_fill DIR N: N certificates r1..rN in DIR.
acme_fill()
{
	local d=$1 n=$2 i
	mkdir -m 700 -p "$d/state"
	for i in $(seq "$n"); do
		timeout -k 5 300 "$ACME" "${ACME_PB[@]}" "${ACME_SA[@]}" \
		    --dir "$d/state" issue "r$i.example.com" \
		    >"$d/fill.out" 2>"$d/fill.err" || {
			bench_err "acme issue r$i.example.com: $(tail -n 1 "$d/fill.err")"
			return 1
		}
	done
}

# acme_renew_all DIR: time `acme --force renew` of everything in DIR.
acme_renew_all()
{
	measure "$1/renew" timeout -k 5 900 -- "$ACME" --dir "$1/state" \
	    --force renew || {
		bench_err "acme renew --force ($1): $(tail -n 1 "$1/renew.err")"
		return 1
	}
}

bench_renew_acme()
{
	local d1=$BT/renew-1 dn=$BT/renew-$NAMES r a b
	acme_fill "$d1" 1 && acme_fill "$dn" "$NAMES" || {
		printf '| acme | failed (see above) | | |\n'
		return
	}
	for r in $(seq 0 "$RUNS"); do
		acme_renew_all "$d1" && acme_renew_all "$dn" || {
			printf '| acme | failed (see above) | | |\n'
			return
		}
		if [ "$r" = 0 ]; then	# the warm-up
			: >"$d1/renew" && : >"$dn/renew"
		fi
	done
	a=$(net_walls "$d1/renew" "$BASE_acme" | median)
	b=$(net_walls "$dn/renew" "$BASE_acme" | median)
	printf '%s %s\n' "$a" "$b" >"$BT/acme.renew"
	printf '| acme | %.2f s | %.2f s | %.1fx |\n' "$a" "$b" \
	    "$(awk -v a="$a" -v b="$b" 'BEGIN { print (a > 0 ? b / a : 0) }')"
}

# bench_renew_loop CLIENT LABEL: one name, then NAMES names, each renewed
# by its own invocation (uacme -f issue, lego renew --days 365), one run.
bench_renew_loop()
{
	local c=$1 label=$2 d i t0 t1 tn
	d=$BT/$c-renew
	mkdir -p "$d"
	for i in $(seq "$NAMES"); do
		"${c}_issue" "$d/n$i" "$PB_URL" "r$i.$c.example.com" || {
			printf '| %s | failed (see above) | | |\n' "$label"
			return
		}
	done
	t0=$(date +%s%N)
	"${c}_renew" "$d/n1" "r1.$c.example.com" || { printf '| %s | failed | | |\n' "$label"; return; }
	t1=$(date +%s%N)
	for i in $(seq "$NAMES"); do
		"${c}_renew" "$d/n$i" "r$i.$c.example.com" || { printf '| %s | failed | | |\n' "$label"; return; }
	done
	tn=$(date +%s%N)
	awk -v a="$((t1 - t0))" -v b="$((tn - t1))" -v l="$label" 'BEGIN {
	    printf "| %s | %.2f s | %.2f s | %.1fx |\n", l, a / 1e9, b / 1e9, b / a }'
}

uacme_renew()
{
	"${UACME_PRE[@]}" uacme -a "$PB_URL" -c "$1/conf" -t EC -b 256 -f \
	    -h "$BT/uacme-hook" issue "$2" >"$1/renew.out" 2>"$1/renew.err" || {
		bench_err "uacme -f issue $2: $(tail -n 1 "$1/renew.err")"
		return 1
	}
}

lego_renew()
{
	timeout -k 5 300 lego --server "$PB_URL" --email bench@example.com \
	    --accept-tos --key-type ec256 --path "$1/lego" --http \
	    --http.port "127.0.0.1:$PB_HTTP_PORT" --domains "$2" renew \
	    --days 365 --no-random-sleep >"$1/renew.out" 2>"$1/renew.err" || {
		bench_err "lego renew $2: $(tail -n 1 "$1/renew.err")"
		return 1
	}
}

# ---- the run -----------------------------------------------------------

pkgver()
{
	dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo "?"
}

[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
[ -x "$ACME" ] || { echo "bench: no executable $ACME (make first)" >&2; exit 1; }
pebble_start bench PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 ||
    { echo "bench: cannot start Pebble" >&2; exit 1; }
CAPROXY_LIFETIME=7200 caproxy_start ||
    { echo "bench: cannot start test/caproxy.py" >&2; exit 1; }
BT=$LIB_TMP/runs
mkdir -p "$BT"
export LEGO_CA_CERTIFICATES=$PB_CA

echo "acme bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m), $(nproc) CPUs," \
    "Pebble $(pkgver pebble) on 127.0.0.1"
echo "binary: $ACME ($("$ACME" --version 2>&1 | head -n 1)$(git -C "$LIB_REPO" \
    describe --always --dirty 2>/dev/null | sed 's/^/, git /'))"
SIZE=$(stat -c %s "$ACME")
echo "size: $SIZE bytes (stripped file)"
size "$ACME" | sed 's/^/  /'
file -b "$ACME" | sed 's/^/  file: /'
echo

echo "Fresh issuance, new account, EC P-256, one name: median of $RUNS runs after"
echo "a warm-up; requests and TCP connections counted in one more run."
echo
echo "| client | wall | CPU (user+sys) | peak RSS | requests | TCP connections |"
echo "|---|---:|---:|---:|---:|---:|"
bench_client acme "acme $("$ACME" --version 2>&1 | awk '{ print $2; exit }')" \
    timeout -k 5 300
if [ "${CLIENTS#* uacme }" = "$CLIENTS" ]; then
	UACME_SKIP="not run (BENCH_CLIENTS)" UACME_OK=0
	printf '| uacme | %s | | | | |\n' "$UACME_SKIP"
elif uacme_setup; then
	bench_client uacme "uacme $(pkgver uacme)" "${UACME_PRE[@]}"
else
	printf '| uacme | %s | | | | |\n' "$UACME_SKIP"
fi
uacme_teardown
if [ "${CLIENTS#* lego }" = "$CLIENTS" ]; then
	printf '| lego | not run (BENCH_CLIENTS) | | | | |\n'
elif command -v lego >/dev/null; then
	bench_client lego "lego $(pkgver lego)" timeout -k 5 300
else
	printf '| lego | not installed (apt-get install lego) | | | | |\n'
fi
[ -s "$BT/acme.vreq" ] && echo "(acme -v counted $(cat "$BT/acme.vreq") requests in the median timed run)"
echo

echo "renew --force: 1 certificate, then $NAMES, in the same run (median of $RUNS after a warm-up)"
echo
echo "| client | 1 name | $NAMES names | ratio |"
echo "|---|---:|---:|---:|"
bench_renew_acme
if [ "$RENEW_OTHERS" = 1 ]; then
	if [ "$UACME_OK" = 1 ]; then
		LIB_PIDFILE=$BT/uacme-srv/pids webroot_start "$BT/uacme-www" &&
		    bench_renew_loop uacme "uacme (one run, one invocation per name)"
		uacme_teardown
	fi
	[ "${CLIENTS#* lego }" != "$CLIENTS" ] && command -v lego >/dev/null &&
	    bench_renew_loop lego "lego (one run, one invocation per name)"
else
	echo "| uacme, lego | not run (BENCH_RENEW_OTHERS=1: one invocation per name, minutes) | | |"
fi
echo

# ---- acme's goals ----------------------------------------------------

# verdict OK TEXT: one line, met, not met, or no figure (OK is "-").
verdict()
{
	local v='NOT met'
	[ "$1" = 1 ] && v=met
	[ "$1" = - ] && v='no figure'
	printf '  %-46s %s\n' "$2" "$v"
}

# cmp_le A B: 1 when A <= B, 0 when not, - when either is not a number.
cmp_le()
{
	awk -v a="$1" -v b="$2" 'BEGIN {
	    if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/) print "-";
	    else print (a + 0 <= b + 0) ? 1 : 0 }'
}

echo "Goals:"
read -r AW AC _ AREQ _ <"$BT/acme.fig" 2>/dev/null || AW=
if [ -n "$AW" ]; then
	if [ -s "$BT/uacme.fig" ]; then
		read -r UW _ <"$BT/uacme.fig"
		verdict "$(cmp_le "$AW" "$(awk -v u="$UW" 'BEGIN { print u / 2 }')")" \
		    "wall ${AW} s <= half of uacme's ${UW} s"
	else
		echo "  wall <= half of uacme's: no uacme figure"
	fi
	if [ -s "$BT/lego.fig" ]; then
		read -r _ LC _ <"$BT/lego.fig"
		verdict "$(cmp_le "$AC" "$LC")" "CPU ${AC} s <= lego's ${LC} s"
	else
		echo "  CPU <= lego's: no lego figure"
	fi
	# the larger of the proxy's count and acme -v's (direct to Pebble)
	VREQ=$(cat "$BT/acme.vreq" 2>/dev/null)
	[ -n "$VREQ" ] && [ "$(cmp_le "$AREQ" "$VREQ")" = 1 ] && AREQ=$VREQ
	verdict "$(cmp_le "$AREQ" 10)" "requests ${AREQ} <= 10"
fi
if [ -s "$BT/acme.renew" ]; then
	read -r R1 RN <"$BT/acme.renew"
	verdict "$(cmp_le "$RN" "$(awk -v a="$R1" 'BEGIN { print 3 * a }')")" \
	    "$NAMES-name renewal ${RN} s <= 3x one (${R1} s)"
fi
verdict "$(cmp_le "$SIZE" 400000)" "size $SIZE B <= 400 KB (400,000 B)"

if [ "$ERRORS" != 0 ]; then
	echo "bench: $ERRORS run(s) failed, see the messages above" >&2
	exit 1
fi
exit 0
