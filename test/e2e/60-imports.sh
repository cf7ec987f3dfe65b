# test/e2e/60-imports.sh - moving in from certbot, uacme and acme.sh
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
	local d=$1 n=$2 l
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
	ln -s "$T/W" "$T/W2"	# a second webroot (in webroot_map)
	cb_run "$T/R" certbot -- certonly --webroot -w "$T/W" \
	    -d r.example.com -w "$T/W2" -d www.r.example.com \
	    --agree-tos --register-unsafely-without-email \
	    --key-type rsa --rsa-key-size 2048 --reuse-key \
	    --preferred-chain 'Pebble Root CA' --deploy-hook "$T/deploy.sh"
	# a hook of renewal-hooks/deploy/, run before renew_hook
	mkdir -p "$T/E/renewal-hooks/deploy"
	printf '#!/bin/sh\necho "dir $RENEWED_DOMAINS" >>"%s"\n' \
	    "$T/deployed" >"$T/E/renewal-hooks/deploy/01-log"
	mkdir -p "$T/E/renewal-hooks/post"
	cp "$T/E/renewal-hooks/deploy/01-log" "$T/E/renewal-hooks/post/start"
	chmod 755 "$T/E/renewal-hooks/deploy/01-log" "$T/E/renewal-hooks/post/start"
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
	run_acme --dir "$d" --ca-file "$PB_CA" import-certbot "$T/E"
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
	grep -q "^e.example.com: not carried over: pre_hook 'true': acme runs no hook before or after a renewal" "$T/stdout" &&
	    grep -q "^e.example.com: not carried over: renewal-hooks/post/start: acme runs no hook before or after a renewal" "$T/stdout" ||
	    fail "pre_hook or renewal-hooks/post/ not reported"
	expect_line "e.example.com: deploy hook: $d/hooks/e.example.com.deploy runs renewal-hooks/deploy/01-log '$T/E/renewal-hooks/deploy/01-log' (its copy e.example.com.deploy-1 beside it)"
	expect_line "e.example.com: deploy hook: $d/hooks/e.example.com.deploy runs renew_hook 'echo \"cmd \$RENEWED_LINEAGE \$CALLER_VAR\" >>$T/deployed' with /bin/sh"
	[ "$(grep -c '^e.example.com: ' "$T/stdout")" = 5 ] || fail "more report lines than expected"
	expect_conf "$d" e.example.com "server = $PB_URL" "key-type = ec256" \
	    "challenge = http-01" "standalone = yes" "http-port = $PB_HTTP_PORT" \
	    "bind = 127.0.0.1" "deploy-hook = $d/hooks/e.example.com.deploy" \
	    "ca-file = $PB_CA"
	[ "$(mode "$d/hooks/e.example.com.deploy")" = 700 ] &&
	    [ "$(mode "$d/hooks/e.example.com.deploy-1")" = 700 ] ||
	    fail "wrapper mode $(mode "$d/hooks/e.example.com.deploy")"
	cmp -s "$d/hooks/e.example.com.deploy-1" "$T/E/renewal-hooks/deploy/01-log" ||
	    fail "the hook was not copied"
	# R: an RSA account, webroot, an executable deploy hook as it is
	r=$(newdir D2)
	snapshot "$T/R" >"$T/R.before"
	run_acme --dir "$r" import-certbot "$T/R"
	expect_rc 0
	expect_same "$T/R.before" "$T/R"
	check_account "$r"
	[ "$(key_type "$ACCOUNT/key.pem")" = rsa2048 ] || fail "account key: $(key_type "$ACCOUNT/key.pem")"
	expect_line "r.example.com: version 1 is live"
	expect_line "r.example.com: not carried over: www.r.example.com '$T/W2': acme uses one webroot for all the names of a certificate: $T/W"
	expect_line "r.example.com: deploy hook: $r/hooks/r.example.com.deploy runs renew_hook '$T/deploy.sh' (its copy r.example.com.deploy-1 beside it)"
	[ "$(grep -c '^r.example.com: ' "$T/stdout")" = 3 ] || fail "R: unexpected report lines"
	expect_conf "$r" r.example.com "webroot = $T/W" "challenge = http-01" \
	    "key-type = rsa2048" "reuse-key = yes" \
	    "deploy-hook = $r/hooks/r.example.com.deploy" \
	    "preferred-chain = Pebble Root CA" "imported = import-certbot $T/R"
	cmp -s "$r/hooks/r.example.com.deploy-1" "$T/deploy.sh" ||
	    fail "the executable hook was not copied"
	# the copies run, whatever becomes of the originals
	echo 'echo changed >>'"$T/deployed" >>"$T/deploy.sh"
	echo 'echo changed >>'"$T/deployed" >>"$T/E/renewal-hooks/deploy/01-log"
	# renewals: no --agree-tos, on the certbot accounts, hooks run
	cp "$r/live/r.example.com/privkey.pem" "$T/r.key"
	CALLER_VAR=from-cron run_acme --dir "$r" --ca-file "$PB_CA" renew --force
	expect_rc 0
	grep -q '^r.example.com: renewed' "$T/stdout" || fail "R not renewed"
	check_live "$r" r.example.com DNS:r.example.com DNS:www.r.example.com
	[ "$(pubkey "$T/r.key")" = "$(pubkey "$r/live/r.example.com/privkey.pem")" ] ||
	    fail "reuse_key: the key changed"
	acct_is "$r" "$(json_get "$T/R/accounts/$SERVER_PATH/$idr/regr.json" uri)" \
	    "$(jwk_thumb "$T/R/accounts/$SERVER_PATH/$idr/private_key.json")"
	kill "$WEB_PID" 2>/dev/null
	wait "$WEB_PID" 2>/dev/null
	CALLER_VAR=from-cron run_acme --dir "$d" renew --force
	expect_rc 0
	grep -q '^e.example.com: renewed' "$T/stdout" || fail "E not renewed"
	check_live "$d" e.example.com DNS:e.example.com DNS:www.e.example.com
	acct_is "$d" "$(json_get "$a/regr.json" uri)" \
	    "$(jwk_thumb "$a/private_key.json")"
	out=$(printf '%s\n' "path $r/live/r.example.com" \
	    "dir e.example.com www.e.example.com" \
	    "cmd $d/live/e.example.com from-cron")
	[ "$(cat "$T/deployed")" = "$out" ] || fail "deploy hooks ran: $(paste -sd '|' "$T/deployed")"
	# refused: links for the account key, a certificate key, a folder;
	# E owned by another user, hooks and all; one hook of another user's
	refusals "$(newdir D3)" import-certbot "$T/E" \
	    "accounts/$SERVER_PATH/$ide/private_key.json" \
	    archive/e.example.com/privkey3.pem archive/e.example.com
	chown -R 0 "$T/refused"
	chown 1000 "$T/refused/renewal-hooks/deploy/01-log"
	run_acme --dir "$T/D4" import-certbot "$T/refused"
	expect_rc 2
	grep -qxF "acme: $T/refused/renewal-hooks/deploy/01-log belongs to uid 1000, neither root nor the user running acme: chown 0 $T/refused/renewal-hooks/deploy/01-log (or import a copy)" "$T/stderr" ||
	    fail "a hook of uid 1000: $(first_err)"
	[ ! -e "$T/D4" ] || fail "a refused import made DIR"
	# one DIR, one owner
	snapshot "$T/E" >"$T/E.before"
	run_acme --dir "$T/E" "${ACME_PB[@]}" "${ACME_SA[@]}" issue x.example.com
	expect_rc 2
	expect_one_error_line
	grep -qF "holds certbot's files (renewal), not acme's: use another --dir, and take them over with 'acme import-certbot $T/E'" "$T/stderr" ||
	    fail "no import offered: $(first_err)"
	expect_same "$T/E.before" "$T/E"
}

# ua_run DIR ARGS...: uacme (Debian's) on confdir DIR against $PB_URL.
# uacme's libcurl trusts only the system bundle, so it runs in a mount
# namespace of its own where Pebble's listener CA is that bundle; the
# machine's own file is never touched.
ua_run()
{
	local u=$1
	shift
	printf '+ uacme %s\n' "$*"
	timeout -k 5 120 unshare -m --propagation private sh -c \
	    'mount --bind "$1" /etc/ssl/certs/ca-certificates.crt && shift &&
	    exec "$@"' sh "$PB_CA" uacme -v -c "$u" -a "$PB_URL" "$@" \
	    >"$T/uacme.out" 2>&1 ||
	    fail "uacme $1: $(tail -n 2 "$T/uacme.out" | tr '\n' ' ')"
}

# first_cert FILE: the first certificate of a PEM file, as PEM.
first_cert() { openssl x509 -in "$1" 2>/dev/null; }

e2e migrate_uacme
t_migrate_uacme()
{
	local u=$T/uacme d url old ch host
	command -v uacme >/dev/null || skip "uacme not installed (Debian package uacme)"
	[ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null &&
	    [ -f /etc/ssl/certs/ca-certificates.crt ] ||
	    skip "uacme needs root and a mount namespace to trust Pebble"
	mig_pebble uacme
	mkdir -p "$T/W/.well-known/acme-challenge" && webroot_start "$T/W" ||
	    fail "webroot server"
	export UACME_CHALLENGE_PATH=$T/W/.well-known/acme-challenge
	# uacme's own account and hook; twice, so that cert.pem has a backup
	ua_run "$u" -y new
	url=$(sed -n 's/^uacme: account created at //p' "$T/uacme.out")
	[ -n "$url" ] || fail "uacme printed no account URL"
	ua_run "$u" -h /usr/share/uacme/uacme.sh issue u.example.com www.u.example.com
	sleep 1		# cert-TIME.pem names the second
	ua_run "$u" -f -h /usr/share/uacme/uacme.sh issue u.example.com www.u.example.com
	old=$(find "$u/u.example.com" -name 'cert-*.pem')
	[ "$(echo "$old" | wc -w)" = 1 ] || fail "uacme kept no backup: $old"
	# import: the server and hook uacme records nowhere are given once
	d=$(newdir)
	snapshot "$u" >"$T/u.before"
	run_acme --dir "$d" --server "$PB_URL" --hook /usr/share/uacme/uacme.sh \
	    import-uacme "$u"
	expect_rc 0
	expect_same "$T/u.before" "$u"
	host=${PB_URL#https://}
	expect_line "account ${host%%/*}: uacme's private/key.pem imported (its URL is looked up at the next renewal)"
	expect_line "u.example.com: cert.pem is live, backups: ${old##*/}"
	grep -q "^u.example.com: not carried over: key reuse: uacme keeps the key" "$T/stdout" ||
	    fail "key reuse not reported"
	[ "$(first_cert "$d/live/u.example.com/cert.pem")" = "$(first_cert "$u/u.example.com/cert.pem")" ] &&
	    [ "$(first_cert "$d/backup/u.example.com/1/cert.pem")" = "$(first_cert "$old")" ] ||
	    fail "live or backup 1 is not uacme's"
	ch=$(openssl crl2pkcs7 -nocrl -certfile "$u/u.example.com/cert.pem" | openssl pkcs7 -print_certs | grep -c BEGIN)
	[ "$(grep -c BEGIN "$d/live/u.example.com/fullchain.pem")" = "$ch" ] &&
	    [ "$(grep -c BEGIN "$d/live/u.example.com/chain.pem")" = $((ch - 1)) ] ||
	    fail "cert.pem's chain was not split"
	check_account "$d"
	[ "$(pubkey "$ACCOUNT/key.pem")" = "$(pubkey "$u/private/key.pem")" ] ||
	    fail "the account key is not uacme's"
	IMP_ARGS=(--server "$PB_URL")
	refusals "$(newdir D3)" import-uacme "$u" private/key.pem \
	    private/u.example.com/key.pem u.example.com
	expect_conf "$d" u.example.com "server = $PB_URL" \
	    "hook = /usr/share/uacme/uacme.sh" "identifiers = u.example.com www.u.example.com"
	# renew on uacme's account (no --agree-tos), uacme.sh as the hook
	run_acme --dir "$d" --ca-file "$PB_CA" renew --force
	expect_rc 0
	check_live "$d" u.example.com DNS:u.example.com DNS:www.u.example.com
	acct_is "$d" "$url"
	# uacme.sh as --hook, UACME_CHALLENGE_PATH from the caller: issues
	run_acme --dir "$d" --ca-file "$PB_CA" --server "$PB_URL" \
	    --hook /usr/share/uacme/uacme.sh issue h.example.com
	expect_rc 0
	check_live "$d" h.example.com DNS:h.example.com
	[ -z "$(ls -A "$UACME_CHALLENGE_PATH")" ] || fail "uacme.sh left tokens behind"
	# one DIR, one owner
	run_acme --dir "$u" list
	expect_rc 2
	expect_one_error_line
	grep -qF "holds uacme's files (private/key.pem), not acme's: use another --dir, and take them over with 'acme import-uacme $u'" "$T/stderr" ||
	    fail "no import offered: $(first_err)"
	expect_same "$T/u.before" "$u"
}

# lego_run ARGS...: Debian's lego on ./.lego against $PB_URL, answering
# http-01 itself; it trusts Pebble through LEGO_CA_CERTIFICATES.
lego_run()
{
	printf '+ lego %s\n' "$*"
	LEGO_CA_CERTIFICATES=$PB_CA timeout -k 5 120 lego --server "$PB_URL" \
	    --email lego@example.com --accept-tos --path "$T/.lego" --http \
	    --http.port "127.0.0.1:$PB_HTTP_PORT" "$@" >"$T/lego.out" 2>&1 ||
	    fail "lego $*: $(grep -v '^\s*$' "$T/lego.out" | tail -n 1)"
}

e2e migrate_lego
t_migrate_lego()
{
	local lg=$T/.lego d url host acc
	command -v lego >/dev/null || skip "lego not installed (Debian package lego)"
	mig_pebble lego
	lego_run --key-type ec256 --domains l.example.com --domains www.l.example.com run
	lego_run --key-type rsa2048 --domains n.example.com run --no-bundle
	host=${PB_URL#https://}
	host=${host%%/*}
	acc=accounts/${host//:/_}/lego@example.com
	url=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["registration"]["uri"])' "$lg/$acc/account.json")
	[ -n "$url" ] || fail "lego kept no account URL"
	# import (./.lego by default), with what lego records nowhere
	d=$(newdir)
	snapshot "$lg" >"$T/l.before"
	run_acme --dir "$d" --server "$PB_URL" --ca-file "$PB_CA" \
	    "${ACME_SA[@]}" import-lego
	expect_rc 0
	expect_same "$T/l.before" "$lg"
	expect_line "account $host: lego's $acc imported ($url)"
	expect_line "l.example.com: certificates/l.example.com.crt is live"
	expect_line "n.example.com: certificates/n.example.com.crt is live"
	[ "$(grep -c '^[ln].example.com: ' "$T/stdout")" = 2 ] ||
	    fail "report: $(paste -sd '|' "$T/stdout")"
	check_account "$d"
	[ "$(pubkey "$ACCOUNT/key.pem")" = "$(pubkey "$lg/$acc/keys/lego@example.com.key")" ] ||
	    fail "the account key is not lego's"
	[ "$(first_cert "$d/live/n.example.com/chain.pem")" = "$(first_cert "$lg/certificates/n.example.com.issuer.crt")" ] &&
	    [ "$(first_cert "$d/live/l.example.com/cert.pem")" = "$(first_cert "$lg/certificates/l.example.com.crt")" ] ||
	    fail "lego's certificates or chains did not come over"
	expect_conf "$d" l.example.com "server = $PB_URL" "ca-file = $PB_CA" \
	    "key-type = ec256" "standalone = yes" "bind = 127.0.0.1" \
	    "identifiers = l.example.com www.l.example.com" \
	    "imported = import-lego $lg"
	expect_conf "$d" n.example.com "key-type = rsa2048"
	# renewed on lego's account, with no option
	run_acme --dir "$d" renew --force
	expect_rc 0
	check_live "$d" l.example.com DNS:l.example.com DNS:www.l.example.com
	check_live "$d" n.example.com DNS:n.example.com
	acct_is "$d" "$url"
	# links out of the tree, another user's tree: refused
	IMP_ARGS=(--server "$PB_URL")
	refusals "$(newdir D3)" import-lego "$lg" \
	    "$acc/keys/lego@example.com.key" "$acc/account.json" \
	    certificates/l.example.com.key certificates
}

# b64 TEXT: acme.sh's base64 wrapping of a saved hook.
b64() { printf '__ACME_BASE64__START_%s__ACME_BASE64__END_' "$(printf '%s' "$1" | base64 -w 0)"; }

# acmesh_tree A SRC NAME: an acme.sh home A as acme.sh documents and
# writes it (ECC certificate folder NAME_ecc/, ca/HOST/PATH/ account,
# Le_* settings with base64 hooks), from acme's own DIR SRC.
acmesh_tree()
{
	local a=$1 s=$2 n=$3 h p c url
	h=${PB_URL#https://}
	p=${h#*/}
	h=${h%%/*}
	c=$a/ca/${h%%:*}/$p
	url=$(sed -n 's/^url: //p' "$s"/accounts/*/account.txt)
	mkdir -p "$c" "$a/${n}_ecc" || fail "mkdir"
	printf "LOG_FILE='%s/acme.sh.log'\nAUTO_UPGRADE='1'\nDEFAULT_ACME_SERVER='%s'\n" \
	    "$a" "$PB_URL" >"$a/account.conf"
	openssl ec -in "$s"/accounts/*/key.pem -out "$c/account.key" 2>/dev/null &&
	    openssl ec -in "$s/live/$n/privkey.pem" -out "$a/${n}_ecc/$n.key" 2>/dev/null ||
	    fail "openssl ec"
	printf "ACCOUNT_URL='%s'\nCA_KEY_HASH='x'\n" "$url" >"$c/ca.conf"
	printf '{"key":{},"status":"valid","createdAt":"2026-01-02T03:04:05Z"}' \
	    >"$c/account.json"
	cp "$s/live/$n/cert.pem" "$a/${n}_ecc/$n.cer"
	cp "$s/live/$n/chain.pem" "$a/${n}_ecc/ca.cer"
	cp "$s/live/$n/fullchain.pem" "$a/${n}_ecc/fullchain.cer"
	cat >"$a/${n}_ecc/$n.conf" <<CONF
Le_Domain='$n'
Le_Alt='www.$n'
Le_Webroot='no'
Le_PreHook=''
Le_PostHook='$(b64 'echo post')'
Le_RenewHook='$(b64 "echo \"renew \$Le_Domain\" >>'$T/reload.log'")'
Le_API='$PB_URL'
Le_Keylength='ec-256'
Le_OrderFinalize='$PB_URL/finalize'
Le_LinkOrder='$PB_URL/order'
Le_LinkCert='$PB_URL/cert'
Le_CertCreateTime='1796000000'
Le_CertCreateTimeStr='2026-11-30T00:00:00Z'
Le_NextRenewTimeStr='2027-01-28T00:00:00Z'
Le_NextRenewTime='1801000000'
Le_HTTPPort='$PB_HTTP_PORT'
Le_LocalAddress='127.0.0.1'
Le_RealCertPath='$T/inst/cert.pem'
Le_RealCACertPath='$T/inst/ca.pem'
Le_RealKeyPath='$T/inst/key.pem'
Le_ReloadCmd='$(b64 "echo \"reload \$Le_Domain \$CERT_PATH \$CALLER_VAR \$(pwd)\" >>'$T/reload.log'")'
Le_RealFullChainPath='$T/inst/fullchain.pem'
Le_DeployHook='haproxy,'
SAVED_DEPLOY_HAPROXY_PEM_PATH='/etc/haproxy'
CONF
	# the RSA certificate of the same domain, by a DNS API plugin
	mkdir "$a/$n"
	cp "$s/live/rsa/cert.pem" "$a/$n/$n.cer"
	cp "$s/live/rsa/chain.pem" "$a/$n/ca.cer"
	cp "$s/live/rsa/fullchain.pem" "$a/$n/fullchain.cer"
	openssl rsa -in "$s/live/rsa/privkey.pem" -out "$a/$n/$n.key" 2>/dev/null
	printf "Le_Domain='%s'\nLe_Webroot='dns_cf'\nLe_API='%s'\nLe_Keylength='2048'\n" \
	    "$n" "$PB_URL" >"$a/$n/$n.conf"
}

e2e migrate_acmesh pebble
t_migrate_acmesh()
{
	local s a=$T/acmesh d n=sh.example.com url abs live k
	s=$(newdir src)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$s" issue $n www.$n
	expect_rc 0
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --key-type rsa2048 --dir "$s" \
	    issue rsa $n www.$n
	expect_rc 0
	acmesh_tree "$a" "$s" $n
	url=$(sed -n "s/^ACCOUNT_URL='\(.*\)'\$/\1/p" "$a"/ca/*/*/ca.conf)
	rm -rf "$s"	# nothing of acme's is left: all comes from the tree
	mkdir "$T/inst"
	snapshot "$a" >"$T/a.before"
	# one DIR, one owner: acme.sh's home is not written beside
	run_acme --dir "$a" "${ACME_PB[@]}" "${ACME_SA[@]}" issue x.example.com
	expect_rc 2
	expect_one_error_line
	grep -qF "holds acme.sh's files (account.conf), not acme's: use another --dir, and take them over with 'acme import-acmesh $a'" "$T/stderr" ||
	    fail "no import offered: $(first_err)"
	expect_same "$T/a.before" "$a"
	d=$(newdir)
	run_acme --dir "$d" --ca-file "$PB_CA" import-acmesh "$a"
	expect_rc 0
	expect_same "$T/a.before" "$a"
	abs=$(cd "$d" && pwd)
	live=$abs/live/$n
	expect_line "${n}: ${n}_ecc/$n.cer is live"
	grep -q "^account [^ ]*: acme.sh's ca/localhost/${PB_URL##*/}/account.key imported ($url, created 2026-01-02T03:04:05Z)\$" "$T/stdout" ||
	    fail "account not reported: $(grep '^account' "$T/stdout")"
	for l in "not carried over: Le_PostHook 'echo post': acme runs no hook" \
	    "not carried over: Le_DeployHook 'haproxy,': acme.sh's deploy plugins" \
	    "not carried over: key reuse: acme.sh keeps the key" \
	    "deploy hook: $abs/hooks/$n.deploy runs Le_ReloadCmd 'echo " \
	    "deploy hook: $abs/hooks/$n.deploy runs Le_RenewHook 'echo "; do
		grep -qF "$n: $l" "$T/stdout" || fail "report lacks '$l'"
	done
	[ "$(grep -c "^$n: " "$T/stdout")" = 6 ] || fail "report: $(grep -c "^$n: " "$T/stdout") lines for $n"
	# the RSA one beside: NAME-rsa, its DNS plugin as --dns-api, whose
	# script this machine lacks (reported)
	expect_line "$n-rsa: $n/$n.cer is live"
	grep -q "^$n-rsa: dns-api dns_cf: --dns-api dns_cf: no dns_cf.sh in " "$T/stdout" ||
	    fail "dns_cf's missing script not reported: $(grep "^$n-rsa" "$T/stdout")"
	expect_conf "$d" $n-rsa "key-type = rsa2048" "identifiers = $n www.$n" \
	    "dns-api = dns_cf"
	grep -q '^challenge\|^webroot\|^standalone\|^hook' "$d/conf/$n-rsa.conf" &&
	    fail "a challenge method came from nowhere"
	check_account "$d"
	[ "$(pubkey "$ACCOUNT/key.pem")" = "$(pubkey "$a"/ca/*/*/account.key)" ] ||
	    fail "the account key is not acme.sh's"
	[ "$(mode "$d/live/$n/privkey.pem")" = 600 ] || fail "privkey mode"
	expect_conf "$d" $n "server = $PB_URL" "key-type = ec256" "standalone = yes" \
	    "http-port = $PB_HTTP_PORT" "bind = 127.0.0.1" "ca-file = $PB_CA" \
	    "copy-cert = $T/inst/cert.pem" "copy-chain = $T/inst/ca.pem" \
	    "copy-fullchain = $T/inst/fullchain.pem" "copy-key = $T/inst/key.pem" \
	    "deploy-hook = $abs/hooks/$n.deploy"
	# renew on acme.sh's account, trusting what the import was given;
	# the set is copied where acme.sh put it (a file there keeps its
	# mode), then the reload command and the renew hook run
	echo old >"$T/inst/fullchain.pem"
	chmod 640 "$T/inst/fullchain.pem"
	CALLER_VAR=from-cron run_acme --dir "$d" renew --force $n
	expect_rc 0
	check_live "$d" $n DNS:$n DNS:www.$n
	acct_is "$d" "$url"
	cmp -s "$T/inst/cert.pem" "$d/live/$n/cert.pem" &&
	    cmp -s "$T/inst/ca.pem" "$d/live/$n/chain.pem" &&
	    cmp -s "$T/inst/key.pem" "$d/live/$n/privkey.pem" &&
	    cmp -s "$T/inst/fullchain.pem" "$d/live/$n/fullchain.pem" ||
	    fail "the new set was not installed where acme.sh put it"
	[ "$(mode "$T/inst/key.pem")" = 600 ] &&
	    [ "$(mode "$T/inst/fullchain.pem")" = 640 ] ||
	    fail "copies' modes $(mode "$T/inst/key.pem") $(mode "$T/inst/fullchain.pem")"
	[ "$(cat "$T/reload.log")" = "$(printf '%s\n' \
	    "reload $n $live/cert.pem from-cron $live" "renew $n")" ] ||
	    fail "hooks ran: $(paste -sd '|' "$T/reload.log")"
	# an account that did not come along: the renewal names the import
	# to run again, which brings it
	k=$(echo "$a"/ca/*/*/account.key)
	mv "$k" "$T/account.key" && echo corrupt >"$k"
	d=$(newdir D2)
	run_acme --dir "$d" --ca-file "$PB_CA" import-acmesh "$a"
	expect_rc 1
	k=${PB_URL#https://}
	grep -qF "acme: account ${k%%/*}: acme.sh's ca/localhost/${PB_URL##*/}/account.key: not imported: " "$T/stderr" ||
	    fail "the corrupt account is not named: $(first_err)"
	run_acme --dir "$d" renew --force $n
	expect_rc 2
	grep -qF "acme: $n: failed: its account was not imported: fix what 'acme --server $PB_URL import-acmesh $a' reported and run it again: no account at " "$T/stderr" ||
	    fail "the renewal does not name the import: $(first_err)"
	mv "$T/account.key" "$a"/ca/*/*/account.key
	run_acme --dir "$d" import-acmesh "$a"
	expect_rc 0
	expect_line "$n: skipped, already in DIR"
	grep -q "^account [^ ]*: acme.sh's ca/localhost/${PB_URL##*/}/account.key imported ($url, " "$T/stdout" ||
	    fail "the second import brought no account"
	run_acme --dir "$d" renew --force $n
	expect_rc 0
	acct_is "$d" "$url"
}

# ---- what an import refuses, names and keeps whole ---------------------

# refusals DIR CMD TREE PATH...: copies of TREE with, in turn, each PATH
# below it replaced by a symbolic link to its copy outside the tree, then
# the whole tree owned by uid 1000 (with its hooks): each import (with
# the words of IMP_ARGS before CMD) is refused with one line naming the
# path, and DIR stays as it was.
IMP_ARGS=()
refusals()
{
	local d=$1 cmd=$2 tree=$3 p c=$T/refused want
	shift 3
	snapshot "$d" >"$T/refusals.before"
	for p in "$@" ""; do
		rm -rf "$c" "$T/outside"
		cp -a "$tree" "$c" || fail "cp $tree"
		if [ -n "$p" ]; then
			mv "$c/$p" "$T/outside" && ln -s "$T/outside" "$c/$p" ||
			    fail "ln -s $p"
			want="$c/$p is a symbolic link: acme follows none in a tree it imports"
		else
			chown -R 1000 "$c" || fail "chown"
			want="$c belongs to uid 1000, neither root nor the user running acme: chown 0 $c"
		fi
		run_acme --dir "$d" "${IMP_ARGS[@]}" "$cmd" "$c"
		expect_rc 2
		expect_one_error_line
		grep -qF -- "$want" "$T/stderr" || fail "$cmd with ${p:-uid 1000}: $(first_err)"
		expect_same "$T/refusals.before" "$d"
	done
}

# sh_leaf DIR FILE NAME: a key DIR/FILE.key and certificate DIR/FILE.cer
# for NAME from the throwaway CA $T/sca (made once), with ca.cer and
# fullchain.cer beside them, as acme.sh keeps them.
sh_leaf()
{
	local d=$1 f=$2 n=$3
	mkdir -p "$d" "$T/sca" || fail "mkdir"
	[ -f "$T/sca/ca.pem" ] || openssl req -x509 -newkey ec \
	    -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/sca/ca.key" \
	    -out "$T/sca/ca.pem" -days 3650 -subj /CN=sca 2>/dev/null ||
	    fail "openssl CA"
	printf 'subjectAltName=DNS:%s\n' "$n" >"$T/sca/ext"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/$f.key" -subj "/CN=$n" -out "$T/sca/csr" 2>/dev/null &&
	    openssl x509 -req -in "$T/sca/csr" -CA "$T/sca/ca.pem" \
	    -CAkey "$T/sca/ca.key" -CAcreateserial -days 90 \
	    -extfile "$T/sca/ext" -out "$d/$f.cer" 2>/dev/null ||
	    fail "openssl leaf $n"
	cp "$T/sca/ca.pem" "$d/ca.cer"
	cat "$d/$f.cer" "$d/ca.cer" >"$d/fullchain.cer"
}

# sh_home A NAME...: an acme.sh home with NAME_ecc/ for each NAME (whose
# conf sets a reload command and a key copy into $T/inst), and the
# account of https://localhost:1/dir.
sh_home()
{
	local a=$1 n
	shift
	mkdir -p "$a/ca/localhost/dir" "$T/inst" || fail "mkdir"
	openssl ecparam -name prime256v1 -genkey -noout \
	    -out "$a/ca/localhost/dir/account.key" 2>/dev/null || fail "openssl"
	printf "ACCOUNT_URL='https://localhost:1/acct/1'\n" \
	    >"$a/ca/localhost/dir/ca.conf"
	for n in "$@"; do
		sh_leaf "$a/${n}_ecc" "$n" "${n//[^a-z.]/x}"
		cat >"$a/${n}_ecc/$n.conf" <<CONF
Le_Domain='$n'
Le_Webroot='no'
Le_API='https://localhost:1/dir'
Le_RealKeyPath='$T/inst/$n.key'
Le_ReloadCmd='$(b64 "echo reload >>'$T/reloaded'")'
CONF
	done
}

# The rules of acme(1), IMPORTS, on acme.sh homes laid out as acme.sh
# writes them (no CA needed): the rules for what is read, the copies'
# rules, the account's server, odd names, a corrupt account, trust, and
# escaping of the report.
e2e imports_checks
t_imports_checks()
{
	local a=$T/sh d=$T/D n=a.example.com nl=$'x\ny' l
	[ "$(id -u)" = 0 ] || skip "the checks of ownership chown a tree to uid 1000"
	sh_home "$a" $n b.example.com
	# a corrupt account, odd names, a C1 byte and an unknown key
	echo garbage >"$a/ca/localhost/dir/account.key"
	for l in 'a;b' "$nl" '..' -lead; do
		mkdir "$a/${l}_ecc"
		printf "Le_API='https://localhost:1/dir'\n" >"$a/${l}_ecc/$l.conf"
	done
	printf "Le_Foo='\x9b[31mred'\nLe_PreHook='%s'\n" "$(b64 "$nl")" \
	    >>"$a/b.example.com_ecc/b.example.com.conf"
	printf "CA_BUNDLE='%s'\n" "$T/sca/ca.pem" >"$a/account.conf"
	run_acme --dir "$d" import-acmesh "$a"
	expect_rc 1
	for l in "a;b" 'x\ny' .. -lead; do
		grep -qxF "acme: $l: not imported: acme keeps no certificate of that name (1 to 255 of a-z A-Z 0-9 . _ : * -, not starting with . or -)" \
		    "$T/stderr" || fail "odd name $l not named: $(paste -sd '|' "$T/stderr")"
	done
	grep -qF "acme: account localhost:1: acme.sh's ca/localhost/dir/account.key: not imported: " "$T/stderr" ||
	    fail "the corrupt account is not named: $(paste -sd '|' "$T/stderr")"
	[ "$(wc -l <"$T/stderr")" = 5 ] || fail "stderr: $(paste -sd '|' "$T/stderr")"
	expect_line "a.example.com: a.example.com_ecc/a.example.com.cer is live"
	expect_line "b.example.com: not carried over: Le_Foo '\\x9b[31mred': unknown to acme"
	grep -qxF "b.example.com: not carried over: Le_PreHook 'x\\ny': $(grep -o 'acme runs no hook before.*' "$T/stdout" | head -n 1)" "$T/stdout" ||
	    fail "a newline from the tree printed raw"
	LC_ALL=C grep -q $'\x9b' "$T/stdout" && fail "a C1 byte printed raw"
	[ "$(ls "$d/live")" = "$(printf '%s\n' a.example.com b.example.com)" ] &&
	    [ ! -e "$d/accounts" ] || fail "DIR: $(ls "$d" "$d/live" | tr '\n' ' ')"
	expect_conf "$d" $n "ca-file = $T/sca/ca.pem" "copy-key = $T/inst/$n.key" \
	    "deploy-hook = $d/hooks/$n.deploy" "imported = import-acmesh $a"
	# the CA_BUNDLE gone, the key copy through a link, a directory others
	# can write, an account on another host; only odd names: no DIR
	rm "$T/sca/ca.pem" "$a/ca/localhost/dir/account.key" "$a"/b*/*.conf
	sh_home "$T/sh2" c.example.com
	printf "ACCOUNT_URL='https://evil.example/acct/1'\n" >"$a/ca/localhost/dir/ca.conf"
	ln -s /etc/shadow "$T/inst/a.example.com.key"
	mkdir -m 777 "$T/open"
	cp -a "$T/sh2/c.example.com_ecc" "$a/"
	sed -i "s|$T/inst/c|$T/open/c|" "$a/c.example.com_ecc/c.example.com.conf"
	cp -a "$T/sh2/ca/localhost/dir/account.key" "$a/ca/localhost/dir/"
	run_acme --dir "$T/D2" import-acmesh "$a"
	expect_rc 1
	grep -qxF "acme: a.example.com: not imported: Le_RealKeyPath: $T/inst/a.example.com.key is no regular file (a symbolic link?): acme writes no copy through it" "$T/stderr" &&
	    grep -qxF "acme: c.example.com: not imported: Le_RealKeyPath: $T/open is writable by group or others: chmod go-w $T/open" "$T/stderr" &&
	    grep -qxF "acme: account localhost:1: acme.sh's ca/localhost/dir/account.key: not imported: its URL https://evil.example/acct/1 is not on the server https://localhost:1/dir: an account belongs to one server" "$T/stderr" ||
	    fail "not named: $(paste -sd '|' "$T/stderr")"
	[ ! -e "$T/D2" ] || fail "DIR made when nothing was imported"
	# refused trees: a link for the account key, a certificate key, a
	# folder, the tree another user's; DIR stays as it was
	rm -rf "$a" "$T/inst"
	sh_home "$a" r.example.com
	refusals "$d" import-acmesh "$a" ca/localhost/dir/account.key \
	    r.example.com_ecc/r.example.com.key r.example.com_ecc ca
	cp -a "$a" "$T/sh3"
	chown 1000 "$T/sh3/r.example.com_ecc/r.example.com.conf"
	run_acme --dir "$T/D3" import-acmesh "$T/sh3"
	expect_rc 2
	expect_one_error_line
	grep -qF "$T/sh3/r.example.com_ecc/r.example.com.conf belongs to uid 1000" "$T/stderr" ||
	    fail "a file of uid 1000: $(first_err)"
	chown 0 "$T/sh3/r.example.com_ecc/r.example.com.conf"
	chmod g+w "$T/sh3/r.example.com_ecc"
	run_acme --dir "$T/D3" import-acmesh "$T/sh3"
	expect_rc 2
	grep -qxF "acme: $T/sh3/r.example.com_ecc is writable by group or others: chmod go-w $T/sh3/r.example.com_ecc" "$T/stderr" ||
	    fail "a folder others can write: $(first_err)"
	[ ! -e "$T/D3" ] || fail "DIR made by a refused import"
	[ ! -e "$T/reloaded" ] || fail "a hook ran"
}

# -vv is -v -v, as acme(1) says: every HTTP exchange.
e2e cli_vv pebble
t_cli_vv()
{
	local d
	d=$(newdir)
	run_acme -vv --dir "$d" --server "$PB_URL" --ca-file "$PB_CA" account show
	grep -q "^acme: GET $PB_URL: HTTP 200" "$T/stderr" ||
	    fail "-vv shows no HTTP exchange: $(first_err)"
	run_acme -v --dir "$d" --server "$PB_URL" --ca-file "$PB_CA" account show
	grep -q "^acme: GET " "$T/stderr" && fail "-v shows HTTP exchanges"
	run_acme -vvq list
	expect_rc 2
}
