# test/e2e/20-issue.sh - issuance against Pebble (sourced by test/run.sh).
# Each t_NAME runs in its own subshell, in its own directory $T.

e2e issue_one pebble
t_issue_one()
{
	local d
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue one.example.com
	expect_rc 0
	check_live "$d" one.example.com DNS:one.example.com
	check_account "$d"
	[ "$(key_type "$d/live/one.example.com/privkey.pem")" = ec256 ] ||
	    fail "default key type is $(key_type "$d/live/one.example.com/privkey.pem"), expected ec256"
	[ "$(ls "$d/live")" = one.example.com ] ||
	    fail "live/ holds [$(ls "$d/live" | tr '\n' ' ')], expected only one.example.com"
}

e2e issue_many pebble
t_issue_many()
{
	local d
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" \
	    issue many.example.com www.many.example.com api.many.example.com
	expect_rc 0
	check_live "$d" many.example.com DNS:many.example.com \
	    DNS:www.many.example.com DNS:api.many.example.com
}

# NAME without a dot is only a label: it names the set, not a SAN.
e2e issue_label pebble
t_issue_label()
{
	local d
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" \
	    issue site a.site.example.com b.site.example.com
	expect_rc 0
	check_live "$d" site DNS:a.site.example.com DNS:b.site.example.com
}

# RFC 8738: Pebble validates http-01 for an IP identifier against the IP.
e2e issue_ipv4 pebble
t_issue_ipv4()
{
	local d
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue 127.0.0.1
	expect_rc 0
	check_live "$d" 127.0.0.1 "IP Address:127.0.0.1"
}

# IPv6 too: Pebble connects to [::1]:PB_HTTP_PORT, acme binds ::1.
e2e issue_ipv6 pebble
t_issue_ipv6()
{
	local d
	"$PYTHON" -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
	    2>/dev/null || skip "no IPv6 loopback address ::1"
	d=$(newdir)
	run_acme "${ACME_PB[@]}" --standalone --http-port "$PB_HTTP_PORT" \
	    --bind ::1 --dir "$d" issue ::1
	expect_rc 0
	check_live "$d" ::1 "IP Address:0:0:0:0:0:0:0:1"
}

e2e issue_dns_and_ip pebble
t_issue_dns_and_ip()
{
	local d
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" \
	    issue mixed.example.com 127.0.0.1
	expect_rc 0
	check_live "$d" mixed.example.com DNS:mixed.example.com \
	    "IP Address:127.0.0.1"
}

# keytype KT: issue with --key-type KT; the key is of that type.
keytype()
{
	local d n=$1.example.com
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" --key-type "$1" \
	    issue "$n"
	expect_rc 0
	check_live "$d" "$n" "DNS:$n"
	[ "$(key_type "$d/live/$n/privkey.pem")" = "$1" ] ||
	    fail "--key-type $1 gave a $(key_type "$d/live/$n/privkey.pem") key"
}

e2e keytype_ec256 pebble
t_keytype_ec256() { keytype ec256; }
e2e keytype_ec384 pebble
t_keytype_ec384() { keytype ec384; }
e2e keytype_rsa2048 pebble
t_keytype_rsa2048() { keytype rsa2048; }
e2e keytype_rsa3072 pebble
t_keytype_rsa3072() { keytype rsa3072; }
e2e keytype_rsa4096 pebble
t_keytype_rsa4096() { keytype rsa4096; }

# --webroot: the token is served by someone else's web server from
# WEBROOT/.well-known/acme-challenge/, and removed afterwards; nothing
# else in the webroot changes.
e2e webroot pebble
t_webroot()
{
	local d w
	d=$(newdir)
	w=$T/www
	mkdir -p "$w/.well-known/acme-challenge"
	echo '<h1>home</h1>' >"$w/index.html"
	echo 'not a token' >"$w/.well-known/acme-challenge/keep.txt"
	snapshot "$w" >"$T/www.before"
	webroot_start "$w" || fail "webroot server did not start"
	run_acme "${ACME_PB[@]}" --webroot "$w" --dir "$d" issue web.example.com
	expect_rc 0
	check_live "$d" web.example.com DNS:web.example.com
	grep -q '"GET /\.well-known/acme-challenge/[A-Za-z0-9_-]* HTTP/1\.[01]" 200' \
	    "$WEBROOT_LOG" ||
	    fail "the webroot server never served a challenge token"
	expect_same "$T/www.before" "$w"
}

# --webroot into an empty directory: acme creates .well-known/acme-challenge
# itself and leaves no token behind.
e2e webroot_empty pebble
t_webroot_empty()
{
	local d w left
	d=$(newdir)
	w=$T/www
	mkdir "$w"
	webroot_start "$w" || fail "webroot server did not start"
	run_acme "${ACME_PB[@]}" --webroot "$w" --dir "$d" issue web2.example.com
	expect_rc 0
	check_live "$d" web2.example.com DNS:web2.example.com
	left=$(find "$w" -type f | head -n 1)
	[ -z "$left" ] || fail "token left in webroot: ${left#"$w"/}"
}

# --standalone: acme answers http-01 itself on --bind:--http-port, and the
# port is free again once acme exits (run twice: SO_REUSEADDR).
e2e standalone pebble
t_standalone()
{
	local d
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue sa.example.com
	expect_rc 0
	check_live "$d" sa.example.com DNS:sa.example.com
	port_free "$PB_HTTP_PORT" || fail "port $PB_HTTP_PORT still bound after acme exited"
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue sa2.example.com
	expect_rc 0
	check_live "$d" sa2.example.com DNS:sa2.example.com
}

# issue on an existing NAME replaces it, whatever its names were: a new
# certificate (serial) with a new key, still valid, and no NAME-0001.
e2e reissue pebble
t_reissue()
{
	local d l s1 s2 k1 k2
	d=$(newdir)
	l=$d/live/re.example.com
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue re.example.com
	expect_rc 0
	check_live "$d" re.example.com DNS:re.example.com
	s1=$(serial "$l/cert.pem")
	k1=$(sha256sum <"$l/privkey.pem")
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" \
	    issue re.example.com www.re.example.com
	expect_rc 0
	check_live "$d" re.example.com DNS:re.example.com DNS:www.re.example.com
	s2=$(serial "$l/cert.pem")
	k2=$(sha256sum <"$l/privkey.pem")
	[ "$s1" != "$s2" ] || fail "serial unchanged after re-issue ($s1)"
	[ "$k1" != "$k2" ] || fail "private key unchanged after re-issue without --reuse-key"
	[ "$(ls "$d/live")" = re.example.com ] ||
	    fail "live/ holds [$(ls "$d/live" | tr '\n' ' ')], expected only re.example.com"
}

# A second issuance in the same DIR uses the stored account: the account
# key and account.txt stay byte-for-byte the same. -q prints nothing.
e2e account_reuse pebble
t_account_reuse()
{
	local d before
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue acct1.example.com
	expect_rc 0
	check_account "$d"
	before=$(cd "$ACCOUNT" && sha256sum key.pem account.txt)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" -q --dir "$d" issue acct2.example.com
	expect_rc 0
	expect_quiet "-q"
	check_live "$d" acct2.example.com DNS:acct2.example.com
	check_account "$d"
	[ "$before" = "$(cd "$ACCOUNT" && sha256sum key.pem account.txt)" ] ||
	    fail "account key.pem or account.txt changed on the second issuance"
	check_live "$d" acct1.example.com DNS:acct1.example.com
}

# A key without account.txt (a crash between the two writes) finds its
# account again (onlyReturnExisting); a key the server does not know gets a
# new account, with that same key.
e2e account_lookup_by_key pebble
t_account_lookup_by_key()
{
	local d url key
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue look1.example.com
	expect_rc 0
	check_account "$d"
	url=$(cat "$ACCOUNT/account.txt")
	key=$(sha256sum <"$ACCOUNT/key.pem")
	rm "$ACCOUNT/account.txt"
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue look2.example.com
	expect_rc 0
	check_account "$d"
	[ "$url" = "$(cat "$ACCOUNT/account.txt")" ] ||
	    fail "account.txt after the lookup differs: $(cat "$ACCOUNT/account.txt")"
	[ "$key" = "$(sha256sum <"$ACCOUNT/key.pem")" ] ||
	    fail "the account key changed"
	# A fresh key the server has never seen: without --agree-tos, no.
	rm "$ACCOUNT/account.txt"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$ACCOUNT/key.pem" 2>/dev/null || fail "openssl genpkey"
	key=$(sha256sum <"$ACCOUNT/key.pem")
	run_acme --server "$PB_URL" --ca-file "$PB_CA" "${ACME_SA[@]}" \
	    --dir "$d" issue look3.example.com
	expect_rc 2
	expect_one_error_line
	grep -q -- --agree-tos "$T/stderr" || fail "error does not name --agree-tos"
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue look3.example.com
	expect_rc 0
	check_live "$d" look3.example.com DNS:look3.example.com
	[ "$key" = "$(sha256sum <"$ACCOUNT/key.pem")" ] ||
	    fail "the account key was replaced instead of registered"
	[ "$url" != "$(cat "$ACCOUNT/account.txt")" ] ||
	    fail "the new key reused the old account URL"
}

# ACME_DIR replaces --dir; options may also follow the command word.
e2e env_dir_and_option_order pebble
t_env_dir_and_option_order()
{
	local d etc
	d=$(newdir)
	etc=$(snapshot /etc/acme)
	ACME_DIR=$d run_acme issue env.example.com "${ACME_PB[@]}" "${ACME_SA[@]}"
	[ "$etc" = "$(snapshot /etc/acme)" ] ||
	    fail "acme ignored ACME_DIR and changed /etc/acme (left for you to inspect)"
	expect_rc 0
	check_live "$d" env.example.com DNS:env.example.com
}

# A separate Pebble that rejects half of all good nonces: acme must retry
# on badNonce with the fresh nonce and still succeed.
e2e nonce_reject pebble
t_nonce_reject()
{
	local d
	pebble_start pebble-nonce50 PEBBLE_WFE_NONCEREJECT=50 ||
	    fail "second pebble (NONCEREJECT=50) did not start"
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" \
	    issue nonce.example.com www.nonce.example.com
	expect_rc 0
	check_live "$d" nonce.example.com DNS:nonce.example.com \
	    DNS:www.nonce.example.com
	grep -q badNonce "$PB_DIR/pebble.log" ||
	    echo "note: pebble logged no badNonce this time"
}

# A Pebble that always reuses a valid authorization (the shared one never
# does): the second order for the same name comes with its authorization
# already valid, so acme must not ask for a challenge at all; a hook
# that declines everything proves it.
e2e authz_reuse pebble
t_authz_reuse()
{
	local d
	pebble_start pebble-reuse PEBBLE_AUTHZREUSE=100 ||
	    fail "second pebble (AUTHZREUSE=100) did not start"
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue reuse.example.com
	expect_rc 0
	printf '#!/bin/sh\necho "$*" >>"%s"\nexit 1\n' "$T/hook.log" >"$T/decline"
	chmod 755 "$T/decline"
	run_acme "${ACME_PB[@]}" --hook "$T/decline" --dir "$d" issue reuse.example.com
	expect_rc 0
	[ ! -e "$T/hook.log" ] || fail "hook called for a valid authorization: $(head -n 1 "$T/hook.log")"
	check_live "$d" reuse.example.com DNS:reuse.example.com
}

# The ACME server's certificate is checked: with an unrelated CA as
# --ca-file acme refuses Pebble and writes nothing.
e2e tls_untrusted pebble
t_tls_untrusted()
{
	local d
	d=$(newdir)
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/other.key" -out "$T/other.pem" -days 2 \
	    -subj "/CN=unrelated CA" -addext "basicConstraints=critical,CA:TRUE" \
	    >/dev/null 2>&1 || fail "openssl could not make a CA"
	snapshot "$d" >"$T/before"
	run_acme --server "$PB_URL" --ca-file "$T/other.pem" --agree-tos \
	    --email test@example.com "${ACME_SA[@]}" --dir "$d" \
	    issue untrusted.example.com
	expect_rc 1
	expect_one_error_line
	expect_same "$T/before" "$d"
}
