# test/e2e/12-http.sh - the TLS suites libcurl offers (sourced by run.sh).
#
# vendor/patches/curl-bearssl-suites.patch narrows libcurl's BearSSL setup
# to TLS 1.2, ECDHE with AES-GCM or ChaCha20-Poly1305, RSA or ECDSA server
# keys. Each suite is checked alone against test/fakeca.py (mode problem:
# reaching its problem detail means the handshake worked), with the usual
# ECDSA listener certificate (P-256 CA, SHA-256) and with an RSA one (RSA
# CA, SHA-384), so that both signature verifiers of the X.509 engine acme
# installs are used; a server that offers only
# suites we dropped (CBC, static RSA key exchange) is refused at the
# handshake.

# tls_rsa_cert: an RSA-2048 certificate for localhost signed (SHA-384) by
# an RSA CA of its own, in $T: FAKECA_CERT, FAKECA_KEY, TLS_CA.
tls_rsa_cert()
{
	local d=$LIB_TMP/tls
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/rsa-ca.key" \
	    -out "$T/rsa-ca.pem" -subj "/CN=acme test RSA CA" -days 3650 \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign >"$T/openssl.log" 2>&1 &&
	openssl req -new -newkey rsa:2048 -nodes -keyout "$T/rsa.key" \
	    -out "$T/rsa.csr" -subj /CN=localhost >>"$T/openssl.log" 2>&1 &&
	openssl x509 -req -in "$T/rsa.csr" -CA "$T/rsa-ca.pem" \
	    -CAkey "$T/rsa-ca.key" -set_serial "0x$(openssl rand -hex 8)" \
	    -days 3650 -sha384 -extfile "$d/ext.cnf" -out "$T/rsa.pem" \
	    >>"$T/openssl.log" 2>&1 ||
	    fail "RSA listener certificate: $(tail -n 1 "$T/openssl.log")"
	FAKECA_CERT=$T/rsa.pem FAKECA_KEY=$T/rsa.key TLS_CA=$T/rsa-ca.pem
}

# tls_try SUITE: acme against fakeca offering only SUITE; sets RC.
tls_try()
{
	local d
	FAKECA_CIPHERS=$1 fakeca_start problem || fail "fakeca ($1) did not start"
	d=$(newdir "state-$1")
	mkdir -p "$T/www"
	run_acme --dir "$d" --server "$FAKE_URL" \
	    --ca-file "${TLS_CA:-$LISTENER_CA}" --agree-tos \
	    --email test@example.com --webroot "$T/www" \
	    issue x.example.com
}

# tls_ok SUITE...: each suite alone completes the handshake.
tls_ok()
{
	local s
	for s in "$@"; do
		tls_try "$s"
		expect_rc 1
		grep -q 'fakeca refuses every request' "$T/stderr" ||
		    fail "$s: no answer from the server: $(first_err)"
	done
}

e2e tls_suites_ecdsa
t_tls_suites_ecdsa()
{
	tls_ok ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 \
	    ECDHE-ECDSA-CHACHA20-POLY1305
}

e2e tls_suites_rsa
t_tls_suites_rsa()
{
	tls_rsa_cert
	tls_ok ECDHE-RSA-AES128-GCM-SHA256 ECDHE-RSA-AES256-GCM-SHA384 \
	    ECDHE-RSA-CHACHA20-POLY1305
}

# Suites left out are refused: one TLS error line, nothing reached.
e2e tls_suites_dropped
t_tls_suites_dropped()
{
	local s
	tls_rsa_cert
	for s in ECDHE-RSA-AES128-SHA256 AES128-GCM-SHA256 ECDHE-RSA-AES256-SHA; do
		tls_try "$s"
		expect_rc 1
		expect_one_error_line
		! grep -q 'fakeca refuses' "$T/stderr" ||
		    fail "$s: the handshake succeeded"
		grep -q 'TLS alert 40' "$T/stderr" ||
		    fail "$s: the error does not name the TLS alert: $(first_err)"
	done
}

# One issuance, one TLS connection (libcurl re-reads the CA file and
# repeats the handshake for every new one): counted at test/caproxy.py.
e2e tls_one_connection pebble
t_tls_one_connection()
{
	local d n
	caproxy_start || fail "caproxy did not start"
	d=$(newdir)
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue one.example.com
	expect_rc 0
	n=$(px_count any)
	[ "$n" -gt 5 ] || fail "only $n requests logged"
	n=$(px_conns)
	[ "$n" = 1 ] || fail "$n TCP connections, expected 1"
}
