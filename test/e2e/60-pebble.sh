# test/e2e/60-pebble.sh - against a current Pebble (sourced by test/run.sh):
# Debian sid's pebble 2.10 or newer, fetched once by test/pebble-sid.sh,
# one instance per test. dns-persist-01 (account persist-record, issue,
# renew, the expected-record line), ARI with Pebble's own replaces check,
# profiles and Retry-After. The other tests stay on bookworm's Pebble 2.4
# on purpose: its behaviour is what they were written against (no
# Retry-After pauses, no random profile), and sid moves under them.

# sid_start [VAR=VALUE...]: this test's own Pebble 2.10 (pebble_start's
# variables: PEBBLE_JSON_EXTRA, PB_VALIDITY) with a Retry-After of one
# second unless PEBBLE_JSON_EXTRA sets retryAfter.
sid_start()
{
	local extra=${PEBBLE_JSON_EXTRA:-}
	case $extra in
	*retryAfter*) ;;
	*) extra="\"retryAfter\": {\"authz\": 1, \"order\": 1}${extra:+, $extra}" ;;
	esac
	PEBBLE_JSON_EXTRA=$extra pebble_sid_start "sid-${T##*/}" "$@" ||
	    skip "no Pebble 2.10 or newer from Debian sid: $(bash "$LIB_HERE/pebble-sid.sh" 2>&1 >/dev/null | tail -n 1)"
	echo "Pebble $PB_VERSION"
}

# publish LINE...: put the TXT text of each record line that persist-record
# printed into pebble-challtestsrv (set-txt), unquoted as RFC 1035 5.1
# says; a line that is no such record fails the test.
publish()
{
	"$PYTHON" - "$PB_CMGMT" "$@" <<'EOF' || fail "cannot publish: $*"
import json, re, sys, urllib.request
def unquote(s):
    return re.sub(r'\\([0-9]{3}|.)', lambda m: chr(int(m.group(1)))
                  if m.group(1).isdigit() else m.group(1), s)
for line in sys.argv[2:]:
    m = re.fullmatch(r'(_validation-persist\.[a-z0-9.-]+\.) IN TXT ((?:"(?:[^"\\]|\\.)*" ?)+)', line)
    if not m:
        sys.exit("not a record line: %r" % line)
    value = "".join(unquote(s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2)))
    body = json.dumps({"host": m.group(1), "value": value}).encode()
    urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/set-txt",
                           data=body, method="POST"), timeout=5).read()
EOF
}

# unpublish NAME: remove every TXT record of _validation-persist.NAME.
unpublish()
{
	curl -fsS --max-time 5 -o /dev/null -X POST \
	    -d "{\"host\": \"_validation-persist.$1.\"}" "$PB_CMGMT/clear-txt" ||
	    fail "cannot clear the TXT records of $1"
}

# acct_url DIR: the account URL acme keeps for the one account in DIR.
acct_url() { sed -n 's/^url: //p' "$1"/accounts/*/account.txt; }

# record NAME ACCOUNT-URL [PARAMS]: the line persist-record prints for
# Pebble's issuer domain name.
record()
{
	printf '_validation-persist.%s. IN TXT "pebble.letsencrypt.org; accounturi=%s%s"' \
	    "$1" "$2" "${3:-}"
}

# sid_safe_serial DIR NAME ACME-ARGS...: Pebble 2.10 answers a newOrder
# whose "replaces" names a certificate with a serial of top byte >= 0x80
# with HTTP 500 (letsencrypt/pebble#550: it keeps serials without the DER
# sign byte that RFC 9773 4.1 certIDs carry; Boulder accepts them). About
# one Pebble serial in 500 is such a one. Before a renewal that sends
# replaces, issue NAME again (run_acme ACME-ARGS issue NAME: no replaces)
# until live/NAME's serial is clear of that bug, so that the test looks at
# acme and not at Pebble.
sid_safe_serial()
{
	local d=$1 n=$2 i s
	shift 2
	for i in $(seq 1 20); do
		s=$(openssl x509 -in "$d/live/$n/cert.pem" -noout -serial) ||
		    fail "live/$n/cert.pem unreadable"
		s=${s#serial=}
		[ $((${#s} % 2)) = 1 ] && return 0
		case $s in [0-7]*) return 0 ;; esac
		echo "serial $s trips letsencrypt/pebble#550: issuing $n again"
		run_acme "$@" issue "$n"
		expect_rc 0
	done
	fail "20 serials in a row with a top byte >= 0x80"
}

# The three steps: persist-record, publish once, issue; a name, and a
# wildcard with its base name (--wildcard); renew keeps the challenge.
e2e persist_issue
t_persist_issue()
{
	local d acct r1 r2
	sid_start PEBBLE_AUTHZREUSE=0
	d=$(newdir)
	run_acme "${ACME_PB[@]}" --dir "$d" account persist-record \
	    p1.example.com
	expect_rc 0
	[ ! -s "$T/stderr" ] || fail "stderr: $(first_err)"
	check_account "$d"
	acct=$(acct_url "$d")
	case $acct in https://localhost:*) ;; *) fail "account URL '$acct'" ;; esac
	r1=$(record p1.example.com "$acct")
	[ "$(cat "$T/stdout")" = "$r1" ] ||
	    fail "persist-record printed [$(cat "$T/stdout")], expected [$r1]"
	run_acme "${ACME_PB[@]}" --dir "$d" --wildcard account persist-record \
	    W1.Example.COM
	expect_rc 0
	r2=$(record w1.example.com "$acct" "; policy=wildcard")
	[ "$(cat "$T/stdout")" = "$r2" ] ||
	    fail "--wildcard printed [$(cat "$T/stdout")], expected [$r2]"
	publish "$r1" "$r2"
	run_acme "${ACME_PB[@]}" --challenge dns-persist-01 --dir "$d" \
	    issue p1.example.com
	expect_rc 0
	check_live "$d" p1.example.com DNS:p1.example.com
	grep -qx 'challenge = dns-persist-01' "$d/conf/p1.example.com.conf" ||
	    fail "conf lacks the challenge: $(paste -sd ';' "$d/conf/p1.example.com.conf")"
	! grep -Eq '^(hook|webroot|standalone|dns-wait) ' \
	    "$d/conf/p1.example.com.conf" || fail "conf names a way to answer"
	run_acme "${ACME_PB[@]}" --challenge dns-persist-01 --dir "$d" \
	    issue w1.example.com '*.w1.example.com'
	expect_rc 0
	check_live "$d" w1.example.com DNS:w1.example.com 'DNS:*.w1.example.com'
	sid_safe_serial "$d" p1.example.com "${ACME_PB[@]}" --challenge \
	    dns-persist-01 --dir "$d"
	# renew keeps dns-persist-01: without the record it fails and shows
	# it; published again, it renews (no authorization is reused)
	unpublish p1.example.com
	run_acme --dir "$d" --force renew p1.example.com
	expect_rc 1
	expect_one_error_line
	grep -qF -- " -- publish once: $r1" "$T/stderr" ||
	    fail "no expected-record line: $(first_err)"
	publish "$r1"
	run_acme --dir "$d" --force renew p1.example.com
	expect_rc 0
	grep -q '^p1.example.com: renewed' "$T/stdout" ||
	    fail "not renewed: $(head -n 1 "$T/stdout")"
	check_live "$d" p1.example.com DNS:p1.example.com
}

# A record for another account, an expired persistUntil, a wildcard
# without policy=wildcard: each fails with one line ending in the record
# the CA expected, ready to paste.
e2e persist_refused
t_persist_refused()
{
	local d d2 mine other
	sid_start PEBBLE_AUTHZREUSE=0
	d=$(newdir a)
	d2=$(newdir b)
	run_acme "${ACME_PB[@]}" --dir "$d" account persist-record o1.example.com
	expect_rc 0
	mine=$(cat "$T/stdout")
	run_acme "${ACME_PB[@]}" --dir "$d2" account persist-record o1.example.com
	expect_rc 0
	other=$(cat "$T/stdout")
	[ "$mine" != "$other" ] || fail "two accounts, one record: $mine"
	[ "$mine" = "$(record o1.example.com "$(acct_url "$d")")" ] ||
	    fail "record [$mine]"
	publish "$other"
	run_acme "${ACME_PB[@]}" --challenge dns-persist-01 --dir "$d" \
	    issue o1.example.com
	expect_rc 1
	expect_one_error_line
	case $(cat "$T/stderr") in
	"acme: o1.example.com: challenge failed: "*" -- publish once: $mine") ;;
	*) fail "another account's record: $(first_err)" ;;
	esac
	[ ! -e "$d/live/o1.example.com" ] || fail "live/o1.example.com exists"
	# persistUntil in the past: persist-record warns, the CA refuses
	run_acme "${ACME_PB[@]}" --dir "$d" --until 2000-01-01T00:00:00Z \
	    account persist-record e1.example.com
	expect_rc 0
	grep -q 'warning: --until 2000-01-01T00:00:00Z is past' "$T/stderr" ||
	    fail "no warning for a past --until: $(first_err)"
	[ "$(cat "$T/stdout")" = "$(record e1.example.com "$(acct_url "$d")" \
	    "; persistUntil=946684800")" ] || fail "record [$(cat "$T/stdout")]"
	publish "$(cat "$T/stdout")"
	run_acme "${ACME_PB[@]}" --challenge dns-persist-01 --dir "$d" \
	    issue e1.example.com
	expect_rc 1
	expect_one_error_line
	case $(cat "$T/stderr") in
	*" -- publish once: $(record e1.example.com "$(acct_url "$d")")") ;;
	*) fail "expired persistUntil: $(first_err)" ;;
	esac
	# a wildcard whose record lacks policy=wildcard
	run_acme "${ACME_PB[@]}" --dir "$d" account persist-record x1.example.com
	expect_rc 0
	publish "$(cat "$T/stdout")"
	run_acme "${ACME_PB[@]}" --challenge dns-persist-01 --dir "$d" \
	    issue '*.x1.example.com'
	expect_rc 1
	expect_one_error_line
	case $(cat "$T/stderr") in
	*" -- *.x1.example.com needs policy=wildcard; publish once: $(record \
	    x1.example.com "$(acct_url "$d")" "; policy=wildcard")") ;;
	*) fail "wildcard without policy=wildcard: $(first_err)" ;;
	esac
	# "*.NAME" asks for the record of NAME with policy=wildcard
	run_acme "${ACME_PB[@]}" --dir "$d" account persist-record \
	    '*.x1.example.com'
	expect_rc 0
	[ "$(cat "$T/stdout")" = "$(record x1.example.com "$(acct_url "$d")" \
	    "; policy=wildcard")" ] || fail "*.NAME: [$(cat "$T/stdout")]"
}

# Usage errors before any request: exit 2, one line, DIR as it was.
e2e persist_usage
t_persist_usage()
{
	local h=$T/hook.sh w
	printf '#!/bin/sh\nexit 0\n' >"$h"
	chmod 755 "$h"
	expect_usage_errors 10 <<EOF2
--challenge dns-persist-01 --hook "$h" issue x.example.com
--challenge dns-persist-01 --standalone issue x.example.com
--challenge dns-persist-01 --webroot "$T" issue x.example.com
--challenge dns-persist-01 --dns-wait 5 issue x.example.com
--challenge dns-persist-01 issue x.example.com 127.0.0.1
--challenge dns-persist-02 issue x.example.com
account persist-record
account persist-record 192.0.2.1
account persist-record 'a b.example.com'
--until yesterday account persist-record x.example.com
EOF2
	# documented: --help, the man page (the draft version), README
	run_acme --help
	for w in 'account persist-record' '--wildcard ' '--until TIME' \
	    dns-persist-01; do
		grep -qF -- "$w" "$T/stdout" || fail "--help lacks '$w'"
	done
	grep -q '^\.SS dns\\-persist\\-01' "$LIB_REPO/acme.1" &&
	    grep -q 'draft\\-ietf\\-acme\\-dns\\-persist\\-01' "$LIB_REPO/acme.1" &&
	    grep -qF '.BI "account persist\-record"' "$LIB_REPO/acme.1" ||
	    fail "acme.1 lacks the command, the challenge or the draft"
	grep -q '^## A router with no DNS API: dns-persist-01$' \
	    "$LIB_REPO/README.md" || fail "README lacks the dns-persist-01 section"
}

# The issuers: meta.caaIdentities, else the challenge's
# issuer-domain-names (a probe order); several give several lines, and a
# record naming any of them validates.
e2e persist_issuers
t_persist_issuers()
{
	local d d2 lines
	PEBBLE_JSON_EXTRA='"caaIdentities": ["pebble.letsencrypt.org", "ca2.example"]' \
	    sid_start PEBBLE_AUTHZREUSE=0
	caproxy_start --no-caa-identities || fail "caproxy did not start"
	d=$(newdir direct)
	d2=$(newdir proxied)
	run_acme "${ACME_PB[@]}" --dir "$d" account persist-record \
	    i1.example.com i2.example.com
	expect_rc 0
	[ "$(cat "$T/stdout")" = "$(two_issuers "$(acct_url "$d")")" ] ||
	    fail "caaIdentities: [$(paste -sd '|' "$T/stdout")]"
	lines=$(cat "$T/stdout")
	run_acme "${ACME_PX[@]}" --dir "$d2" account persist-record \
	    i1.example.com i2.example.com
	expect_rc 0
	[ "$(px_count newOrder)" = 1 ] ||
	    fail "$(px_count newOrder) probe orders without caaIdentities"
	[ "$(cat "$T/stdout")" = "$(two_issuers "$(acct_url "$d2")")" ] ||
	    fail "issuer-domain-names: [$(paste -sd '|' "$T/stdout")]"
	publish "$(echo "$lines" | sed -n 4p)"
	run_acme "${ACME_PB[@]}" --challenge dns-persist-01 --dir "$d" \
	    issue i2.example.com
	expect_rc 0
	check_live "$d" i2.example.com DNS:i2.example.com
}

# two_issuers ACCOUNT-URL: what persist-record i1 i2 prints for a CA
# naming pebble.letsencrypt.org and ca2.example.
two_issuers()
{
	local n
	for n in i1 i2; do
		record "$n.example.com" "$1"
		printf '\n_validation-persist.%s.example.com. IN TXT "ca2.example; accounturi=%s"\n' \
		    "$n" "$1"
	done
}

# A CA that does not offer dns-persist-01 (bookworm's Pebble 2.4): one
# line each.
e2e persist_unsupported pebble
t_persist_unsupported()
{
	local d
	d=$(newdir)
	run_acme "${ACME_PB[@]}" --challenge dns-persist-01 --dir "$d" \
	    issue u1.example.com
	expect_rc 1
	expect_one_error_line
	grep -q 'u1.example.com: the CA does not offer dns-persist-01 (it offers' \
	    "$T/stderr" || fail "no dns-persist-01: $(first_err)"
	[ ! -e "$d/live/u1.example.com" ] || fail "live/u1.example.com exists"
}

# ARI against Pebble's own renewalInfo: the window it suggests decides,
# newOrder "replaces" passes Pebble's check, and a second replacement of
# the same certificate is refused (alreadyReplaced), after which acme
# orders without replaces.
e2e sid_ari
t_sid_ari()
{
	local d id ri win
	sid_start
	caproxy_start || fail "caproxy did not start"
	d=$(newdir)
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue ari.example.com
	expect_rc 0
	sid_safe_serial "$d" ari.example.com "${ACME_PX[@]}" "${ACME_SA[@]}" \
	    --dir "$d"
	id=$(certid "$d/live/ari.example.com/cert.pem")
	px_reset
	run_acme --dir "$d" renew
	expect_rc 0
	grep -q '^ari.example.com: not due until 20' "$T/stdout" ||
	    fail "not 'not due': $(head -n 1 "$T/stdout") $(first_err)"
	[ "$(px_count renewalInfo)" = 1 ] || fail "$(px_count renewalInfo) renewalInfo requests"
	grep '"kind": "renewalInfo"' "$PX_LOG" | grep -q "\"certid\": \"$id\"" ||
	    fail "renewalInfo not asked for $id"
	ri=$(curl -fsS --cacert "$PB_CA" "$PB_URL" | "$PYTHON" -c \
	    'import json, sys; print(json.load(sys.stdin)["renewalInfo"])')
	win=$(curl -fsS --cacert "$PB_CA" "$ri/$id") || fail "GET $ri/$id"
	"$PYTHON" - "$d/conf/ari.example.com.state" "$win" <<'EOF' ||
import calendar, json, sys, time
kv = dict(l.split(" = ") for l in open(sys.argv[1]).read().splitlines() if " = " in l)
w = json.loads(sys.argv[2])["suggestedWindow"]
def t(s):
    return calendar.timegm(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S"))
assert kv["ari-window-start"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t(w["start"]))), (kv, w)
assert kv["ari-window-end"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t(w["end"]))), (kv, w)
assert t(w["start"]) <= t(kv["ari-renew-at"]) < t(w["end"]), (kv, w)
EOF
	    fail "state is not Pebble's window $win: $(paste -sd ';' "$d/conf/ari.example.com.state")"
	px_reset
	run_acme --dir "$d" --force renew
	expect_rc 0
	grep -q '^ari.example.com: renewed' "$T/stdout" || fail "not renewed: $(first_err)"
	[ "$(grep '"kind": "newOrder"' "$PX_LOG" | grep "\"replaces\": \"$id\"" |
	    grep -c '"status": 201')" = 1 ] ||
	    fail "Pebble did not accept replaces $id: $(grep newOrder "$PX_LOG" | cut -c 1-300)"
	# the old set back in live/: Pebble refuses to replace it twice
	run_acme --dir "$d" restore ari.example.com 1
	expect_rc 0
	[ "$(certid "$d/live/ari.example.com/cert.pem")" = "$id" ] || fail "restore"
	px_reset
	run_acme --dir "$d" --force renew
	expect_rc 0
	grep -q '^ari.example.com: renewed' "$T/stdout" || fail "not renewed: $(first_err)"
	"$PYTHON" - "$PX_LOG" "$id" <<'EOF' || fail "second replacement: $(grep newOrder "$PX_LOG" | cut -c 1-400 | paste -sd ' ')"
import json, sys
orders = [e for e in map(json.loads, open(sys.argv[1])) if e["kind"] == "newOrder"]
assert len(orders) == 2, orders
assert orders[0]["payload"].get("replaces") == sys.argv[2], orders[0]
assert orders[0]["status"] == 409, orders[0]
assert orders[0]["problem"] == "urn:ietf:params:acme:error:alreadyReplaced", orders[0]
assert "replaces" not in orders[1]["payload"] and orders[1]["status"] == 201, orders[1]
EOF
	grep -q 'refused "replaces": .*alreadyReplaced.*ordering again without it' \
	    "$T/stderr" || fail "not said why replaces was dropped"
	check_live "$d" ari.example.com DNS:ari.example.com
}

# validity NAME DIR: notAfter - notBefore of live/NAME, in seconds.
validity()
{
	local c=$2/live/$1/cert.pem
	echo $(($(date -d "$(openssl x509 -in "$c" -noout -enddate | cut -d= -f2)" +%s) -
	    $(date -d "$(openssl x509 -in "$c" -noout -startdate | cut -d= -f2)" +%s)))
}

# Profiles as Pebble offers them: --profile picks one (its validity),
# saved for renew; without --profile no profile is asked for (Pebble then
# picks one at random, so nothing is said about the validity).
e2e sid_profiles
t_sid_profiles()
{
	local d v
	PEBBLE_JSON_EXTRA='"profiles": {"default": {"description": "ninety days", "validityPeriod": 7776000}, "shortlived": {"description": "six days", "validityPeriod": 518400}}' \
	    sid_start
	caproxy_start || fail "caproxy did not start"
	d=$(newdir)
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --profile shortlived \
	    --dir "$d" issue prof.example.com
	expect_rc 0
	check_live "$d" prof.example.com DNS:prof.example.com
	v=$(validity prof.example.com "$d")
	[ "$v" -ge 518399 ] && [ "$v" -le 518400 ] ||
	    fail "shortlived: $v s of validity"
	grep '"kind": "newOrder"' "$PX_LOG" | grep -q '"profile": "shortlived"' ||
	    fail "newOrder without the profile"
	grep -qx 'profile = shortlived' "$d/conf/prof.example.com.conf" ||
	    fail "profile not saved"
	sid_safe_serial "$d" prof.example.com "${ACME_PX[@]}" "${ACME_SA[@]}" \
	    --profile shortlived --dir "$d"
	px_reset
	run_acme --dir "$d" --force renew prof.example.com
	expect_rc 0
	grep '"kind": "newOrder"' "$PX_LOG" | grep -q '"profile": "shortlived"' ||
	    fail "renew dropped the profile"
	v=$(validity prof.example.com "$d")
	[ "$v" -ge 518399 ] && [ "$v" -le 518400 ] ||
	    fail "renewed shortlived: $v s of validity"
	px_reset
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" \
	    issue noprof.example.com
	expect_rc 0
	check_live "$d" noprof.example.com DNS:noprof.example.com
	[ "$(px_count newOrder)" = 1 ] && [ "$(px_count newOrder profile)" = 0 ] ||
	    fail "a profile was asked for without --profile"
	! grep -q '^profile' "$d/conf/noprof.example.com.conf" ||
	    fail "conf names a profile"
	px_reset
	snapshot "$d" >"$T/snap"
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --profile classic --dir "$d" \
	    issue np2.example.com
	expect_rc 2
	expect_one_error_line
	grep -q 'default' "$T/stderr" && grep -q 'shortlived' "$T/stderr" ||
	    fail "the error does not list Pebble's profiles: $(first_err)"
	[ "$(px_count newOrder)" = 0 ] || fail "ordered with an unknown profile"
	expect_same "$T/snap" "$d"
}

# slow_webroot DIR SECONDS: serve DIR on PB_HTTP_PORT, every answer
# SECONDS late, so that Pebble's authorization stays pending a while.
slow_webroot()
{
	local st
	lib_spawn "$T/slow-webroot.log" "$PYTHON" -c '
import functools, http.server, sys, time
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/.well-known/"):
            time.sleep(float(sys.argv[3]))
        super().do_GET()
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])),
    functools.partial(H, directory=sys.argv[2])).serve_forever()
' "$PB_HTTP_PORT" "$1" "$2"
	st=$(lib_starttime "$LIB_PID")
	wait_for "$LIB_PID" "$st" slow-webroot \
	    lib_http_up "http://127.0.0.1:$PB_HTTP_PORT/" ||
	    fail "slow webroot server did not start"
}

# Retry-After on authorizations and orders, as Pebble sends it (seconds
# or an HTTP-date): each next request for the object came at least that
# long after the one it answered, by the proxy's log.
e2e sid_retry_after
t_sid_retry_after()
{
	local d w i out
	PEBBLE_JSON_EXTRA='"retryAfter": {"authz": 2, "order": 3}' sid_start
	caproxy_start || fail "caproxy did not start"
	w=$T/www
	mkdir "$w"
	slow_webroot "$w" 3
	d=$(newdir)
	# an order answers its finalize "processing" with Retry-After unless
	# Pebble was quicker: a few tries to see both kinds at least once
	for i in 1 2 3 4; do
		run_acme "${ACME_PX[@]}" --webroot "$w" --dir "$d" \
		    issue "ra$i.example.com"
		expect_rc 0
		out=$("$PYTHON" - "$PX_LOG" <<'EOF'
import email.utils, json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
def when(d):
    return email.utils.parsedate_to_datetime(d).timestamp()
def wait(e):
    ra = e.get("retry_after")
    if ra is None:
        return None
    if ra.strip().isdigit():
        return int(ra)
    return max(0, int(when(ra) - when(e["date"])))
seen = {"authz": 0, "order": 0}
for i, e in enumerate(log):
    w = wait(e)
    if w is None or w < 1 or e["kind"] not in ("authz", "finalize", "order"):
        continue
    kind = "authz" if e["kind"] == "authz" else "order"
    nxt = [x for x in log[i + 1:] if x["path"] == e["path"] or
           (kind == "order" and x["kind"] == "order")]
    if not nxt:
        continue
    seen[kind] += 1
    gap = nxt[0]["t"] - e["t"]
    if gap < w:
        print("FAIL %s %s: Retry-After %s (%d s), next request after %.2f s"
              % (e["kind"], e["path"], e["retry_after"], w, gap))
print("seen", seen["authz"], seen["order"])
EOF
) || fail "log analysis failed"
		echo "$out"
		case $out in *FAIL*) fail "$(echo "$out" | grep FAIL | head -n 1)" ;; esac
		case $out in *"seen "[1-9]*" "[1-9]*) return 0 ;; esac
	done
	fail "Retry-After not seen on both an authorization and an order: $out"
}
