# test/e2e/60-migrate.sh - moving in from certbot, uacme and acme.sh
# (sourced by test/run.sh): Debian's certbot and uacme make real trees
# against a Pebble of the test's own, an acme.sh tree is laid out as
# acme.sh documents it; each is imported and then renewed on the
# client's own account, with its hooks.

# mig_pebble NAME: a Pebble that rejects no nonce: certbot retries a
# badNonce once only, so Pebble's default 5 % would fail a run now and
# then.
mig_pebble()
{
	pebble_start "mig-$1" PEBBLE_WFE_NONCEREJECT=0 >"$T/pebble.log" 2>&1 ||
	    fail "pebble: $(tail -n 1 "$T/pebble.log")"
}

# cb_run DIR PROG... -- ARGS...: certbot (PROG: certbot, or python3
# test/certbot-ec.py) with its three folders below DIR, against $PB_URL.
cb_run()
{
	local c=$1 prog=()
	shift
	while [ "$1" != -- ]; do
		prog+=("$1")
		shift
	done
	shift
	printf '+ certbot %s\n' "$*"
	REQUESTS_CA_BUNDLE=$PB_CA timeout -k 5 300 "${prog[@]}" \
	    --config-dir "$c" --work-dir "$c.work" --logs-dir "$c.logs" \
	    --server "$PB_URL" --non-interactive "$@" >"$T/certbot.out" 2>&1 ||
	    fail "certbot $1: $(grep -i error "$T/certbot.out" | tail -n 2 | tr '\n' ' ')"
}

# json_get FILE KEY: a top-level string member of a JSON file.
json_get()
{
	"$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# pubkey FILE: the public key of a private key file (PEM).
pubkey() { openssl pkey -in "$1" -pubout 2>/dev/null; }

# jwk_thumb FILE: the RFC 7638 thumbprint of a JWK file (EC or RSA).
jwk_thumb()
{
	"$PYTHON" - "$1" <<'EOF'
import base64, hashlib, json, sys
j = json.load(open(sys.argv[1]))
keep = ("crv", "kty", "x", "y") if j["kty"] == "EC" else ("e", "kty", "n")
s = json.dumps({k: j[k] for k in keep}, sort_keys=True, separators=(",", ":"))
print(base64.urlsafe_b64encode(hashlib.sha256(s.encode()).digest()).rstrip(b"=").decode())
EOF
}

# acct_is DIR URL [THUMBPRINT]: acme account show names this account URL
# (and key thumbprint): the CA knows DIR's account as that one.
acct_is()
{
	run_acme --dir "$1" --server "$PB_URL" --ca-file "$PB_CA" account show
	expect_rc 0
	grep -qxF "account: $2" "$T/stdout" ||
	    fail "account show: $(head -n 1 "$T/stdout"), expected $2"
	[ -z "${3:-}" ] || grep -qxF "key-thumbprint: $3" "$T/stdout" ||
	    fail "account show: $(grep thumbprint "$T/stdout"), expected $3"
}

# expect_line TEXT: stdout has this exact line.
expect_line()
{
	grep -qxF "$1" "$T/stdout" || fail "no line '$1' in: $(tr '\n' '|' <"$T/stdout" | cut -c 1-600)"
}

# expect_conf DIR NAME LINE...: conf/NAME.conf has each line.
expect_conf()
{
	local d=$1 n=$2
	shift 2
	for l in "$@"; do
		grep -qxF "$l" "$d/conf/$n.conf" ||
		    fail "conf/$n.conf lacks '$l': $(paste -sd '|' "$d/conf/$n.conf")"
	done
}

# certbot_trees: E (an EC account; e.example.com in three versions,
# standalone on 127.0.0.1, a deploy hook command line, a pre hook) and R
# (an RSA account; r.example.com by webroot W, an executable deploy hook,
# reuse_key, preferred_chain). Four certbot runs in all.
certbot_trees()
{
	local ec=(/usr/bin/python3 "$LIB_HERE/certbot-ec.py") i
	cb_run "$T/E" "${ec[@]}" -- certonly --standalone \
	    --http-01-port "$PB_HTTP_PORT" --http-01-address 127.0.0.1 \
	    --agree-tos --register-unsafely-without-email \
	    -d e.example.com -d www.e.example.com --pre-hook true \
	    --deploy-hook 'echo "cmd $RENEWED_LINEAGE $CALLER_VAR" >>'"$T/deployed"
	for i in 2 3; do
		cb_run "$T/E" "${ec[@]}" -- renew --force-renewal \
		    --no-random-sleep-on-renew
	done
	mkdir -p "$T/W" && webroot_start "$T/W" || fail "webroot server"
	WEB_PID=$LIB_PID
	printf '#!/bin/sh\necho "path $RENEWED_LINEAGE" >>"%s"\n' \
	    "$T/deployed" >"$T/deploy.sh"
	chmod 755 "$T/deploy.sh"
	cb_run "$T/R" certbot -- certonly --webroot -w "$T/W" \
	    -d r.example.com --agree-tos --register-unsafely-without-email \
	    --key-type rsa --rsa-key-size 2048 --reuse-key \
	    --preferred-chain 'Pebble Root CA' --deploy-hook "$T/deploy.sh"
	# a hook of renewal-hooks/deploy/, run before renew_hook
	mkdir -p "$T/E/renewal-hooks/deploy"
	printf '#!/bin/sh\necho "dir $RENEWED_DOMAINS" >>"%s"\n' \
	    "$T/deployed" >"$T/E/renewal-hooks/deploy/01-log"
	chmod 755 "$T/E/renewal-hooks/deploy/01-log"
	# R's account beside E's: two accounts for one server
	SERVER_PATH=${PB_URL#https://}
	cp -a "$T/R/accounts/$SERVER_PATH/." "$T/E/accounts/$SERVER_PATH/"
	: >"$T/deployed"
}

e2e migrate_certbot
t_migrate_certbot()
{
	local d e r ide idr host a out
	command -v certbot >/dev/null || skip "certbot not installed (Debian package certbot)"
	mig_pebble certbot
	certbot_trees
	host=${PB_URL#https://}
	host=${host%%/*}
	ide=$(sed -n 's/^account = //p' "$T/E/renewal/e.example.com.conf")
	idr=$(sed -n 's/^account = //p' "$T/R/renewal/r.example.com.conf")
	[ -n "$ide" ] && [ -n "$idr" ] && [ "$ide" != "$idr" ] || fail "certbot account IDs: '$ide' '$idr'"
	a=$T/E/accounts/$SERVER_PATH/$ide
	grep -q '"kty": "EC"' "$a/private_key.json" || fail "certbot-ec.py made no EC account"
	# E: three versions, an EC account, a second account for the server
	d=$(newdir D1)
	snapshot "$T/E" >"$T/E.before"
	run_acme --dir "$d" import-certbot "$T/E"
	expect_rc 0
	expect_same "$T/E.before" "$T/E"
	e=$T/E/archive/e.example.com
	cmp -s "$d/live/e.example.com/cert.pem" "$e/cert3.pem" &&
	    cmp -s "$d/backup/e.example.com/1/cert.pem" "$e/cert2.pem" &&
	    cmp -s "$d/backup/e.example.com/2/cert.pem" "$e/cert1.pem" ||
	    fail "live and backups are not versions 3, 2, 1"
	check_account "$d"
	[ "$(key_type "$ACCOUNT/key.pem")" = ec256 ] || fail "account key: $(key_type "$ACCOUNT/key.pem")"
	grep -qxF "url: $(json_get "$a/regr.json" uri)" "$ACCOUNT/account.txt" &&
	    grep -qxF "created: $(json_get "$a/meta.json" creation_dt)" "$ACCOUNT/account.txt" ||
	    fail "account.txt: $(paste -sd '|' "$ACCOUNT/account.txt")"
	expect_line "account $host: certbot account $ide imported ($(json_get "$a/regr.json" uri), created $(json_get "$a/meta.json" creation_dt))"
	expect_line "account $host: not carried over: certbot account $idr: renewal/e.example.com.conf names $ide, and DIR keeps one account per server"
	expect_line "e.example.com: version 3 is live, backups: version 2, version 1"
	grep -q "^e.example.com: not carried over: pre_hook 'true': acme runs no hook before or after a renewal" "$T/stdout" ||
	    fail "pre_hook not reported"
	expect_line "e.example.com: deploy hook: $d/hooks/e.example.com.deploy runs renewal-hooks/deploy/01-log '$T/E/renewal-hooks/deploy/01-log'"
	expect_line "e.example.com: deploy hook: $d/hooks/e.example.com.deploy runs renew_hook 'echo \"cmd \$RENEWED_LINEAGE \$CALLER_VAR\" >>$T/deployed' with /bin/sh"
	[ "$(grep -c '^e.example.com: ' "$T/stdout")" = 4 ] || fail "more report lines than expected"
	expect_conf "$d" e.example.com "server = $PB_URL" "key-type = ec256" \
	    "challenge = http-01" "standalone = yes" "http-port = $PB_HTTP_PORT" \
	    "bind = 127.0.0.1" "deploy-hook = $d/hooks/e.example.com.deploy"
	[ "$(mode "$d/hooks/e.example.com.deploy")" = 700 ] || fail "wrapper mode $(mode "$d/hooks/e.example.com.deploy")"
	# R: an RSA account, webroot, an executable deploy hook as it is
	r=$(newdir D2)
	snapshot "$T/R" >"$T/R.before"
	run_acme --dir "$r" import-certbot "$T/R"
	expect_rc 0
	expect_same "$T/R.before" "$T/R"
	check_account "$r"
	[ "$(key_type "$ACCOUNT/key.pem")" = rsa2048 ] || fail "account key: $(key_type "$ACCOUNT/key.pem")"
	expect_line "r.example.com: version 1 is live"
	[ "$(grep -c '^r.example.com: ' "$T/stdout")" = 1 ] || fail "R: unexpected report lines"
	expect_conf "$r" r.example.com "webroot = $T/W" "challenge = http-01" \
	    "key-type = rsa2048" "reuse-key = yes" "deploy-hook = $T/deploy.sh" \
	    "preferred-chain = Pebble Root CA"
	[ ! -e "$r/hooks" ] || fail "a wrapper for a hook that is an executable"
	# renewals: no --agree-tos, on the certbot accounts, hooks run
	cp "$r/live/r.example.com/privkey.pem" "$T/r.key"
	CALLER_VAR=from-cron run_acme --dir "$r" --ca-file "$PB_CA" renew --force
	expect_rc 0
	grep -q '^r.example.com: renewed' "$T/stdout" || fail "R not renewed"
	[ "$(pubkey "$T/r.key")" = "$(pubkey "$r/live/r.example.com/privkey.pem")" ] ||
	    fail "reuse_key: the key changed"
	acct_is "$r" "$(json_get "$T/R/accounts/$SERVER_PATH/$idr/regr.json" uri)" \
	    "$(jwk_thumb "$T/R/accounts/$SERVER_PATH/$idr/private_key.json")"
	kill "$WEB_PID" 2>/dev/null
	wait "$WEB_PID" 2>/dev/null
	CALLER_VAR=from-cron run_acme --dir "$d" --ca-file "$PB_CA" renew --force
	expect_rc 0
	grep -q '^e.example.com: renewed' "$T/stdout" || fail "E not renewed"
	check_live "$d" e.example.com DNS:e.example.com DNS:www.e.example.com
	acct_is "$d" "$(json_get "$a/regr.json" uri)" \
	    "$(jwk_thumb "$a/private_key.json")"
	out=$(printf '%s\n' "path $r/live/r.example.com" \
	    "dir e.example.com www.e.example.com" \
	    "cmd $d/live/e.example.com from-cron")
	[ "$(cat "$T/deployed")" = "$out" ] || fail "deploy hooks ran: $(paste -sd '|' "$T/deployed")"
	# one DIR, one owner
	snapshot "$T/E" >"$T/E.before"
	run_acme --dir "$T/E" "${ACME_PB[@]}" "${ACME_SA[@]}" issue x.example.com
	expect_rc 2
	expect_one_error_line
	grep -q "holds certbot's files (renewal): .*import-certbot $T/E\$" "$T/stderr" ||
	    fail "no import offered: $(first_err)"
	expect_same "$T/E.before" "$T/E"
}
