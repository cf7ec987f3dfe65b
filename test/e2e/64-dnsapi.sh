# test/e2e/64-dnsapi.sh - --dns-api: acme.sh-style dnsapi scripts run by
# acme's own prelude (sourced by test/run.sh). The scripts are ours, in
# test/dnsapi/, written for these tests in acme.sh's form: one talks to a
# real PowerDNS through its HTTP API, one to test/dnsmock.py, an API that
# takes only requests signed with an HMAC-SHA256 and a SHA-256 digest.
# acme runs with a PATH that holds only busybox applets (no wget, curl or
# openssl): whatever needs HTTP, a hash or base64 is acme's own callback.
# Every callback goes through a wrapper (ACME_TEST_EXE) that logs its
# arguments, so a credential in argv is caught.

# dnsapi_setup: $T/bb (the busybox PATH), $T/dnsapi (our scripts, 0644),
# $T/exe (the logging wrapper of $ACME, its log $T/argv.log).
dnsapi_setup()
{
	busybox_path "$T/bb" || skip "busybox not installed (make deps)"
	mkdir -m 755 "$T/dnsapi" &&
	cp "$LIB_REPO"/test/dnsapi/*.sh "$T/dnsapi/" &&
	chmod 644 "$T"/dnsapi/*.sh || fail "cannot copy the test scripts"
	printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>"%s/argv.log"\nexec "%s" "$@"\n' \
	    "$T" "$ACME" >"$T/exe" && chmod 755 "$T/exe" && : >"$T/argv.log"
}

# run_bb [VAR=VALUE...] -- ARGS...: run $ACME ARGS with only the
# environment given (PATH the busybox directory), like run_acme.
run_bb()
{
	local env=(PATH="$T/bb" ACME_TEST_EXE="$T/exe")
	while [ "$1" != -- ]; do
		env+=("$1")
		shift
	done
	shift
	printf '+ %s acme %s\n' "${env[*]}" "$*"
	timeout -k 5 "$ACME_TIMEOUT" env -i "${env[@]}" "$ACME" "$@" \
	    >"$T/stdout" 2>"$T/stderr"
	RC=$?
	sed 's/^/  stdout: /' "$T/stdout"
	sed 's/^/  stderr: /' "$T/stderr"
	echo "  exit $RC"
	[ "$RC" = 124 ] && fail "acme did not finish within ${ACME_TIMEOUT}s"
	return 0
}

# secret_nowhere SECRET: not in acme's output, nor in any callback's argv.
secret_nowhere()
{
	! grep -qF -- "$1" "$T/stdout" "$T/stderr" ||
	    fail "a credential was printed: $(grep -hF -- "$1" "$T/stdout" "$T/stderr" | head -n 1)"
	[ -s "$T/argv.log" ] || fail "no callback went through $T/exe"
	! grep -qF -- "$1" "$T/argv.log" ||
	    fail "a credential was in a callback's argv: $(grep -F -- "$1" "$T/argv.log" | head -n 1)"
}

# ino FILE: its inode number (a rewrite through rename changes it).
ino() { stat -c %i "$1"; }

# A real DNS provider: PowerDNS, Pebble asking it. A name and its
# wildcard; the credentials saved 0600 in DIR/dns-api/account.conf as
# acme.sh saves them; renew --force with an empty environment; no TXT
# record left; DNS alias mode.
e2e dnsapi_pdns
t_dnsapi_pdns()
{
	local d s1 acct inode
	dnsapi_setup
	pdns_start example.com || fail "PowerDNS did not start"
	PB_DNSSERVER=$PDNS_DNS pebble_start pebble-pdns ||
	    fail "pebble did not start"
	d=$(newdir)
	run_bb TPDNS_Url="$PDNS_API" TPDNS_Token="$PDNS_KEY" -- --dir "$d" \
	    "${ACME_PB[@]}" --dns-api dns_testpdns --dns-api-dir "$T/dnsapi" \
	    --dns-wait 1 -v -v -v issue example.com '*.example.com'
	expect_rc 0
	check_live "$d" example.com DNS:example.com 'DNS:*.example.com'
	secret_nowhere "$PDNS_KEY"
	grep -q "dns_testpdns: TPDNS_Token=\[hidden\]" "$T/stderr" ||
	    fail "-vvv did not show the script's _debug lines, hidden"
	[ -z "$(pdns_txt _acme-challenge.example.com)" ] ||
	    fail "TXT left: $(pdns_txt _acme-challenge.example.com)"
	acct=$d/dns-api/account.conf
	[ "$(mode "$d/dns-api")" = 700 ] && [ "$(mode "$acct")" = 600 ] ||
	    fail "dns-api/ mode $(mode "$d/dns-api"), account.conf $(mode "$acct")"
	grep -qx "SAVED_TPDNS_Token='$PDNS_KEY'" "$acct" &&
	    grep -qx "SAVED_TPDNS_Url='$PDNS_API'" "$acct" ||
	    fail "account.conf: $(cat "$acct")"
	grep -q '^dns-api = dns_testpdns$' "$d/conf/example.com.conf" ||
	    fail "conf/example.com.conf keeps no dns-api"
	s1=$(serial "$d/live/example.com/cert.pem")
	inode=$(ino "$acct")

	# renew with nothing in the environment: the saved credentials
	: >"$T/argv.log"
	run_bb -- --dir "$d" renew --force example.com
	expect_rc 0
	[ "$(serial "$d/live/example.com/cert.pem")" != "$s1" ] ||
	    fail "renew --force kept the old certificate"
	check_live "$d" example.com DNS:example.com 'DNS:*.example.com'
	secret_nowhere "$PDNS_KEY"
	[ "$(ino "$acct")" = "$inode" ] ||
	    fail "account.conf was rewritten though nothing changed"
	[ -z "$(pdns_txt _acme-challenge.example.com)" ] ||
	    fail "TXT left after renew: $(pdns_txt _acme-challenge.example.com)"

	# DNS alias mode: the CA follows a CNAME to the record we set
	curl -fsS -X PATCH -H "X-API-Key: $PDNS_KEY" \
	    "$PDNS_API/api/v1/servers/localhost/zones/example.com." -d '{"rrsets": [
	    {"name": "_acme-challenge.www.example.com.", "type": "CNAME",
	    "ttl": 1, "changetype": "REPLACE", "records": [{"content":
	    "_acme-challenge.alias.example.com.", "disabled": false}]},
	    {"name": "_acme-challenge.web.example.com.", "type": "CNAME",
	    "ttl": 1, "changetype": "REPLACE", "records": [{"content":
	    "txt.alias.example.com.", "disabled": false}]}]}' ||
	    fail "cannot add the CNAME records"
	run_bb -- --dir "$d" "${ACME_PB[@]}" --dns-api dns_testpdns \
	    --dns-api-dir "$T/dnsapi" --dns-wait 1 -v \
	    --challenge-alias alias.example.com issue www.example.com
	expect_rc 0
	grep -q 'dns_testpdns_add _acme-challenge.alias.example.com' \
	    "$T/stderr" || fail "the record was not set at the alias"
	check_live "$d" www.example.com DNS:www.example.com
	run_bb -- --dir "$d" "${ACME_PB[@]}" --dns-api dns_testpdns \
	    --dns-api-dir "$T/dnsapi" --dns-wait 1 -v \
	    --domain-alias txt.alias.example.com issue web.example.com
	expect_rc 0
	check_live "$d" web.example.com DNS:web.example.com
	[ -z "$(pdns_txt _acme-challenge.alias.example.com)$(pdns_txt txt.alias.example.com)" ] ||
	    fail "TXT left at the aliases"
	# the aliases are saved for renew
	run_bb -- --dir "$d" renew --force web.example.com
	expect_rc 0
	check_live "$d" web.example.com DNS:web.example.com
}

# An API that wants every request signed (HMAC-SHA256 over a SHA-256
# digest of the body), over HTTPS with the CA's --ca-file; a wildcard;
# the account's and the domain's saved settings, the old-style one
# (_saveaccountconf) loaded back into the script on renew.
e2e dnsapi_hmac pebble
t_dnsapi_hmac()
{
	local d m st secret=tmac-secret-$RANDOM-$RANDOM url good
	dnsapi_setup
	m=$(mktemp -d "$T/mock.XXXXXX")
	lib_spawn "$m/log" "$PYTHON" "$LIB_HERE/dnsmock.py" \
	    --cert "$LISTENER_CERT" --key "$LISTENER_KEY" --secret "$secret" \
	    --challtestsrv "$PB_CMGMT" --state "$m/state" \
	    --port-file "$m/port"
	st=$(lib_starttime "$LIB_PID")
	wait_for "$LIB_PID" "$st" dnsmock test -s "$m/port" ||
	    fail "dnsmock did not start: $(tail -n 1 "$m/log")"
	url=https://localhost:$(cat "$m/port")
	d=$(newdir)
	run_bb TMAC_Url="$url" TMAC_Secret="$secret" -- --dir "$d" \
	    "${ACME_PB[@]}" --dns-api dns_testmac --dns-api-dir "$T/dnsapi" \
	    --dns-wait 1 -v -v -v issue mac.example.com '*.mac.example.com'
	expect_rc 0
	check_live "$d" mac.example.com DNS:mac.example.com \
	    'DNS:*.mac.example.com'
	secret_nowhere "$secret"
	good=$("$PYTHON" -c 'import json, sys
s = json.load(open(sys.argv[1]))
print(s["good"] if s["bad"] == 0 and not s["records"] else "bad %r" % s)' \
	    "$m/state")
	[ "$good" -ge 6 ] 2>/dev/null ||
	    fail "dnsmock: $good (signed requests, records left)"
	grep -qx "TMAC_Url='$url'" "$d/dns-api/account.conf" &&
	    grep -qx "SAVED_TMAC_Secret='$secret'" "$d/dns-api/account.conf" ||
	    fail "account.conf: $(cat "$d/dns-api/account.conf")"
	grep -qx "TMAC_Zone='z1'" "$d/conf/mac.example.com.dns-api" &&
	    [ "$(mode "$d/conf/mac.example.com.dns-api")" = 600 ] ||
	    fail "no zone saved 0600 in conf/mac.example.com.dns-api"

	: >"$T/argv.log"
	run_bb -- --dir "$d" renew --force mac.example.com
	expect_rc 0
	check_live "$d" mac.example.com DNS:mac.example.com \
	    'DNS:*.mac.example.com'
	secret_nowhere "$secret"
	"$PYTHON" -c 'import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(s["bad"] != 0 or s["records"] != [])' "$m/state" ||
	    fail "dnsmock after renew: $(cat "$m/state")"
}

# The callbacks on known values: hashes, HMACs, base64, hex, URL
# encoding, and the saved settings (quoting, base64 wrapping, nothing
# written when nothing changes).
e2e dnsapi_callbacks
t_dnsapi_callbacks()
{
	local d got
	d=$(newdir)
	call() { ACME_DIR=$d ACME_NAME=x.example.com "$ACME" dns-api-call "$@"; }
	got=$(printf abc | call digest sha256)
	[ "$got" = "$(printf abc | openssl dgst -sha256 -binary | base64)" ] ||
	    fail "digest sha256: $got"
	got=$(printf abc | call digest sha1 hex)
	[ "$got" = a9993e364706816aba3e25717850c26c9cd0d89d ] ||
	    fail "digest sha1 hex: $got"
	got=$(printf abc | ACME_HMAC_KEY=6b6579 call hmac sha256 hex)
	[ "$got" = "$(printf abc | openssl dgst -sha256 -hmac key | sed 's/.*= //')" ] ||
	    fail "hmac sha256 hex: $got"
	got=$(printf abc | ACME_HMAC_KEY=6b6579 call hmac sha1 | base64)
	[ "$got" = "$(printf abc | openssl dgst -sha1 -hmac key -binary | base64)" ] ||
	    fail "hmac sha1: $got"
	got=$(head -c 100 /dev/zero | call b64 1 | wc -l)
	[ "$got" = 3 ] || fail "b64 multiline: $got lines, expected 3"
	got=$(printf 'aGVs\nbG8=\n' | call d64)
	[ "$got" = hello ] || fail "d64: $got"
	got=$(printf 'a b/~' | call hex)
	[ "$got" = " 61 20 62 2f 7e" ] || fail "hex: '$got'"
	got=$(printf '61 62 0a' | call h2b)
	[ "$got" = ab ] || fail "h2b: $got"
	got=$(printf 'a b/~' | call url)$(printf '/' | call url upper-hex)
	[ "$got" = a%20b%2f~%2F ] || fail "url: $got"
	printf "it's \$x" | call set a K1 || fail "set K1"
	printf 'line1\nline2' | call set a SAVED_K2 "" K2 || fail "set K2"
	[ "$(cat "$d/dns-api/account.conf")" = "K1='it'\\''s \$x'
SAVED_K2='__ACME_BASE64__START_bGluZTEKbGluZTI=__ACME_BASE64__END_'" ] ||
	    fail "account.conf: $(cat "$d/dns-api/account.conf")"
	[ "$(call get a K1)" = "it's \$x" ] && [ "$(call get a SAVED_K2)" = \
	    "$(printf 'line1\nline2')" ] || fail "get: $(call get a K1)"
	[ "$(call load)" = "K1='it'\\''s \$x'" ] || fail "load: $(call load)"
	[ -z "$(K1=set call load)" ] || fail "load overrode the environment"
	got=$(ino "$d/dns-api/account.conf")
	printf "it's \$x" | call set a K1 || fail "set K1 again"
	[ "$(ino "$d/dns-api/account.conf")" = "$got" ] ||
	    fail "an unchanged value rewrote account.conf"
	call del a SAVED_K2 K1 && [ ! -s "$d/dns-api/account.conf" ] ||
	    fail "del: $(cat "$d/dns-api/account.conf")"
	printf z1 | call set d Z || fail "set d"
	[ "$(cat "$d/conf/x.example.com.dns-api")" = "Z='z1'" ] &&
	    [ "$(mode "$d/conf/x.example.com.dns-api")" = 600 ] ||
	    fail "the domain's file: $(cat "$d/conf/x.example.com.dns-api")"
	call bogus 2>"$T/err"
	[ $? = 2 ] && grep -q '^acme: ' "$T/err" || fail "an unknown operation"
	(unset ACME_DIR; printf x | "$ACME" dns-api-call set a K 2>"$T/err")
	[ $? = 2 ] || fail "set without ACME_DIR: $(cat "$T/err")"
}

# What --dns-api refuses before any request.
e2e dnsapi_usage
t_dnsapi_usage()
{
	local s=$LIB_REPO/test/dnsapi
	mkdir -m 755 "$T/w" && cp "$s/dns_testpdns.sh" "$T/w/" &&
	    chmod 666 "$T/w/dns_testpdns.sh" || fail "setup"
	expect_usage_errors 8 <<EOF
--dns-api 'dns cf' issue a.example.com
--dns-api dns_nothere --dns-api-dir '$s' issue a.example.com
--dns-api dns_testpdns --dns-api-dir '$s' --hook /bin/true issue a.example.com
--challenge-alias b.example.com --webroot /tmp issue a.example.com
--dns-api dns_testpdns --dns-api-dir '$s' --challenge-alias b.example.com --domain-alias c.example.com issue a.example.com
--dns-api dns_testpdns --dns-api-dir '$s' --challenge http-01 issue a.example.com
--dns-api dns_testpdns --dns-api-dir '$T/w' issue a.example.com
--dns-api dns_testpdns --dns-api-dir '$s' --challenge-alias '*.b.example.com' issue a.example.com
EOF
}

# import-acmesh carries an acme.sh DNS API setup over: Le_Webroot
# dns_NAME (a copy of the tree's dnsapi/ script), Le_ChallengeAlias,
# Le_DNSSleep, the script's settings in DOMAIN.conf, account.conf's
# credentials (not acme.sh's own settings); renew then runs with an
# empty environment.
e2e dnsapi_import_acmesh
t_dnsapi_import_acmesh()
{
	local s d a n=imp.example.com h p c
	dnsapi_setup
	pdns_start example.com || fail "PowerDNS did not start"
	PB_DNSSERVER=$PDNS_DNS pebble_start pebble-pdns ||
	    fail "pebble did not start"
	# acme.sh's tree, from a certificate and account of acme's
	s=$(newdir src)
	run_bb TPDNS_Url="$PDNS_API" TPDNS_Token="$PDNS_KEY" -- --dir "$s" \
	    "${ACME_PB[@]}" --dns-api dns_testpdns --dns-api-dir "$T/dnsapi" \
	    --dns-wait 1 issue $n
	expect_rc 0
	a=$T/acmesh
	h=${PB_URL#https://}
	p=${h#*/}
	h=${h%%/*}
	c=$a/ca/${h%%:*}/$p
	mkdir -p "$c" "$a/${n}_ecc" "$a/dnsapi" || fail "mkdir"
	cp "$T/dnsapi/dns_testpdns.sh" "$a/dnsapi/"
	openssl ec -in "$s"/accounts/*/key.pem -out "$c/account.key" 2>/dev/null &&
	    openssl ec -in "$s/live/$n/privkey.pem" -out "$a/${n}_ecc/$n.key" \
	    2>/dev/null || fail "openssl ec"
	printf "ACCOUNT_URL='%s'\n" "$(sed -n 's/^url: //p' "$s"/accounts/*/account.txt)" \
	    >"$c/ca.conf"
	cp "$s/live/$n/cert.pem" "$a/${n}_ecc/$n.cer"
	cp "$s/live/$n/chain.pem" "$a/${n}_ecc/ca.cer"
	cp "$s/live/$n/fullchain.pem" "$a/${n}_ecc/fullchain.cer"
	printf '%s\n' "LOG_FILE='$a/acme.sh.log'" "AUTO_UPGRADE='1'" \
	    "SAVED_TPDNS_Url='$PDNS_API'" "SAVED_TPDNS_Token='$PDNS_KEY'" \
	    "OLD_STYLE='it'\\''s'" >"$a/account.conf"
	printf '%s\n' "Le_Domain='$n'" "Le_Alt='no'" \
	    "Le_Webroot='dns_testpdns,'" "Le_API='$PB_URL'" \
	    "Le_Keylength='ec-256'" "Le_ChallengeAlias='alias.example.com,'" \
	    "Le_DNSSleep='1'" "SAVED_TPDNS_Note='from the domain'" \
	    >"$a/${n}_ecc/$n.conf"
	rm -rf "$s"
	# from now on the name's record is the alias's
	curl -fsS -X PATCH -H "X-API-Key: $PDNS_KEY" \
	    "$PDNS_API/api/v1/servers/localhost/zones/example.com." -d '{"rrsets": [
	    {"name": "_acme-challenge.imp.example.com.", "type": "CNAME",
	    "ttl": 1, "changetype": "REPLACE", "records": [{"content":
	    "_acme-challenge.alias.example.com.", "disabled": false}]}]}' ||
	    fail "cannot add the CNAME record"
	d=$(newdir)
	run_acme --dir "$d" import-acmesh "$a"
	expect_rc 0
	grep -qF "$n: dns-api dns_testpdns: its script copied to $d/hooks/$n.dns-api/dns_testpdns.sh" \
	    "$T/stdout" || fail "the script's copy not reported"
	cmp -s "$a/dnsapi/dns_testpdns.sh" "$d/hooks/$n.dns-api/dns_testpdns.sh" ||
	    fail "the script was not copied"
	rm -r "$a/dnsapi"	# the copy is what runs
	grep -q "^account.conf: 3 DNS API settings into " "$T/stdout" ||
	    fail "account.conf not reported: $(grep account.conf "$T/stdout")"
	! grep -q "^$n: not carried over: \(Le_\|challenge\)" "$T/stdout" ||
	    fail "not carried over: $(grep "^$n: not carried over" "$T/stdout")"
	expect_conf "$d" $n "dns-api = dns_testpdns" \
	    "dns-api-dir = $d/hooks/$n.dns-api" "challenge-alias = alias.example.com" \
	    "dns-wait = 1"
	[ "$(cat "$d/dns-api/account.conf")" = "SAVED_TPDNS_Url='$PDNS_API'
SAVED_TPDNS_Token='$PDNS_KEY'
OLD_STYLE='it'\\''s'" ] || fail "dns-api/account.conf: $(cat "$d/dns-api/account.conf")"
	[ "$(cat "$d/conf/$n.dns-api")" = "SAVED_TPDNS_Note='from the domain'" ] ||
	    fail "conf/$n.dns-api: $(cat "$d/conf/$n.dns-api")"
	: >"$T/argv.log"
	run_bb -- --dir "$d" --ca-file "$PB_CA" -v renew --force $n
	expect_rc 0
	check_live "$d" $n DNS:$n
	grep -q 'dns_testpdns_add _acme-challenge.alias.example.com' \
	    "$T/stderr" || fail "the imported alias was not used"
	secret_nowhere "$PDNS_KEY"
	[ -z "$(pdns_txt _acme-challenge.alias.example.com)" ] ||
	    fail "TXT left: $(pdns_txt _acme-challenge.alias.example.com)"
}
