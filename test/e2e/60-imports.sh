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
	grep -q "^e.example.com: not carried over: pre_hook 'true': acme runs no hook before or after a renewal" "$T/stdout" &&
	    grep -q "^e.example.com: not carried over: renewal-hooks/post/start: acme runs no hook before or after a renewal" "$T/stdout" ||
	    fail "pre_hook or renewal-hooks/post/ not reported"
	expect_line "e.example.com: deploy hook: $d/hooks/e.example.com.deploy runs renewal-hooks/deploy/01-log '$T/E/renewal-hooks/deploy/01-log'"
	expect_line "e.example.com: deploy hook: $d/hooks/e.example.com.deploy runs renew_hook 'echo \"cmd \$RENEWED_LINEAGE \$CALLER_VAR\" >>$T/deployed' with /bin/sh"
	[ "$(grep -c '^e.example.com: ' "$T/stdout")" = 5 ] || fail "more report lines than expected"
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
	expect_line "r.example.com: not carried over: www.r.example.com '$T/W2': acme uses one webroot for all the names of a certificate: $T/W"
	[ "$(grep -c '^r.example.com: ' "$T/stdout")" = 2 ] || fail "R: unexpected report lines"
	expect_conf "$r" r.example.com "webroot = $T/W" "challenge = http-01" \
	    "key-type = rsa2048" "reuse-key = yes" "deploy-hook = $T/deploy.sh" \
	    "preferred-chain = Pebble Root CA"
	[ ! -e "$r/hooks" ] || fail "a wrapper for a hook that is an executable"
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
	local s a=$T/acmesh d n=sh.example.com url abs live
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
	run_acme --dir "$d" import-acmesh "$a"
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
	    "deploy hook: $abs/hooks/$n.deploy runs Le_RealCertPath '$T/inst/cert.pem' (a copy of cert.pem)" \
	    "deploy hook: $abs/hooks/$n.deploy runs Le_ReloadCmd 'echo " \
	    "deploy hook: $abs/hooks/$n.deploy runs Le_RenewHook 'echo "; do
		grep -qF "$n: $l" "$T/stdout" || fail "report lacks '$l'"
	done
	[ "$(grep -c "^$n: " "$T/stdout")" = 10 ] || fail "report: $(grep -c "^$n: " "$T/stdout") lines for $n"
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
	    "http-port = $PB_HTTP_PORT" "bind = 127.0.0.1" \
	    "deploy-hook = $abs/hooks/$n.deploy"
	# renew on acme.sh's account; the set is installed where acme.sh
	# put it, then the reload command and the renew hook run
	CALLER_VAR=from-cron run_acme --dir "$d" --ca-file "$PB_CA" renew --force $n
	expect_rc 0
	check_live "$d" $n DNS:$n DNS:www.$n
	acct_is "$d" "$url"
	cmp -s "$T/inst/cert.pem" "$d/live/$n/cert.pem" &&
	    cmp -s "$T/inst/ca.pem" "$d/live/$n/chain.pem" &&
	    cmp -s "$T/inst/key.pem" "$d/live/$n/privkey.pem" &&
	    cmp -s "$T/inst/fullchain.pem" "$d/live/$n/fullchain.pem" ||
	    fail "the new set was not installed where acme.sh put it"
	[ "$(mode "$T/inst/key.pem")" = 600 ] || fail "installed key mode $(mode "$T/inst/key.pem")"
	[ "$(cat "$T/reload.log")" = "$(printf '%s\n' \
	    "reload $n $live/cert.pem from-cron $live" "renew $n")" ] ||
	    fail "hooks ran: $(paste -sd '|' "$T/reload.log")"
}
