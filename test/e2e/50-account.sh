# test/e2e/50-account.sh - section 21 (Account and revocation) and more of
# 18 (Issue): accounts, EAB, revocation, alternate chains, CSR,
# key reuse, built-in trust anchors, profiles, error messages (sourced by
# test/run.sh). Each t_NAME runs in its own subshell, in its own $T.

# cert_status SERIAL: Pebble's management view of a certificate (JSON).
cert_status()
{
	curl -fsS --max-time 5 --cacert "$PB_CA" \
	    "$PB_MGMT/cert-status-by-serial/$1"
}

# json_field FIELD: one top-level member of the JSON on stdin.
json_field()
{
	"$PYTHON" -c 'import json, sys; v = json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$1"
}

# issue_into DIR NAME: a certificate for NAME from the shared Pebble.
issue_into()
{
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$1" issue "$2"
	expect_rc 0
}

e2e account_show_update pebble
t_account_show_update()
{
	local d
	d=$(newdir)
	run_acme "${ACME_PB[@]}" --dir "$d" account show
	expect_rc 2
	expect_one_error_line
	grep -q 'no account for' "$T/stderr" || fail "no-account message: $(first_err)"
	issue_into "$d" show.example.com
	run_acme "${ACME_PB[@]}" --dir "$d" account show
	expect_rc 0
	grep -qx 'status: valid' "$T/stdout" || fail "show: no 'status: valid'"
	grep -qx 'contact: mailto:test@example.com' "$T/stdout" ||
	    fail "show: contact missing"
	grep -q '^account: https://localhost' "$T/stdout" || fail "show: no account URL"
	snapshot "$d" >"$T/before"
	run_acme --server "$PB_URL" --ca-file "$PB_CA" --dir "$d" account update
	expect_rc 2
	run_acme "${ACME_PB[@]}" --dir "$d" account update --email new@example.org
	expect_rc 0
	run_acme "${ACME_PB[@]}" --dir "$d" account show
	expect_rc 0
	grep -qx 'contact: mailto:new@example.org' "$T/stdout" ||
	    fail "update: contact not changed: $(grep contact "$T/stdout")"
	expect_same "$T/before" "$d"
	run_acme "${ACME_PB[@]}" --dir "$d" account frobnicate
	expect_rc 2
}

e2e account_rollover pebble
t_account_rollover()
{
	local d old tp1 tp2
	d=$(newdir)
	issue_into "$d" roll.example.com
	check_account "$d"
	old=$(openssl pkey -in "$ACCOUNT/key.pem" -pubout)
	run_acme "${ACME_PB[@]}" --dir "$d" account show
	tp1=$(grep '^key-thumbprint:' "$T/stdout")
	run_acme "${ACME_PB[@]}" --dir "$d" --key-type ec384 account rollover
	expect_rc 0
	check_account "$d"
	[ "$(openssl pkey -in "$ACCOUNT/key.pem" -pubout)" != "$old" ] ||
	    fail "key.pem is still the old key"
	[ "$(key_type "$ACCOUNT/key.pem")" = ec384 ] || fail "new key is not ec384"
	[ "$(ls "$ACCOUNT")" = "account.txt
key.pem" ] || fail "account dir holds [$(ls "$ACCOUNT" | tr '\n' ' ')]"
	run_acme "${ACME_PB[@]}" --dir "$d" account show
	expect_rc 0
	tp2=$(grep '^key-thumbprint:' "$T/stdout")
	[ "$tp1" != "$tp2" ] || fail "thumbprint unchanged after rollover"
	# the new key works for issuance on the same account
	issue_into "$d" roll2.example.com
	check_account "$d"
}

# A refused key change leaves key.pem as it was: a deactivated account
# cannot roll over.
e2e account_deactivate pebble
t_account_deactivate()
{
	local d n
	d=$(newdir)
	issue_into "$d" deact.example.com
	check_account "$d"
	cp "$ACCOUNT/key.pem" "$T/key.before"
	run_acme "${ACME_PB[@]}" --dir "$d" account deactivate
	expect_rc 2
	expect_one_error_line
	grep -q -- '--yes-deactivate' "$T/stderr" || fail "no hint at --yes-deactivate"
	cmp -s "$ACCOUNT/key.pem" "$T/key.before" || fail "key changed"
	run_acme "${ACME_PB[@]}" --dir "$d" account deactivate --yes-deactivate
	expect_rc 0
	n=$(find "$d/accounts" -mindepth 1 -maxdepth 1 -name '*@deactivated-*' | wc -l)
	[ "$n" = 1 ] || fail "deactivated account not moved aside ($n)"
	# the old key is refused by the CA now
	mv "$d/accounts/"*@deactivated-* "$ACCOUNT"
	run_acme "${ACME_PB[@]}" --dir "$d" account rollover
	expect_rc 1
	expect_one_error_line
	cmp -s "$ACCOUNT/key.pem" "$T/key.before" || fail "refused rollover replaced key.pem"
	[ ! -e "$ACCOUNT/key-rollover.pem" ] || fail "staged key left behind"
	rm -rf "$ACCOUNT"
	# a new issue makes a new account
	issue_into "$d" deact2.example.com
	check_account "$d"
}

e2e revoke_account_key pebble
t_revoke_account_key()
{
	local d s st
	d=$(newdir)
	issue_into "$d" rev.example.com
	s=$(serial "$d/live/rev.example.com/cert.pem")
	st=$(cert_status "$s" | json_field Status)
	[ "$st" = Valid ] || fail "status before revoke: $st"
	snapshot "$d" >"$T/before"
	run_acme "${ACME_PB[@]}" --dir "$d" revoke rev.example.com --reason keyCompromise
	expect_rc 0
	expect_same "$T/before" "$d"
	st=$(cert_status "$s" | json_field Status)
	[ "$st" = Revoked ] || fail "status after revoke: $st"
	[ "$(cert_status "$s" | json_field Reason)" = 1 ] || fail "reason is not 1"
	run_acme "${ACME_PB[@]}" --dir "$d" revoke rev.example.com
	expect_rc 1
	expect_one_error_line
	grep -q 'alreadyRevoked.* -- nothing to do' "$T/stderr" ||
	    fail "second revoke: $(first_err)"
	run_acme "${ACME_PB[@]}" --dir "$d" revoke nosuch.example.com
	expect_rc 2
	expect_one_error_line
}

# By the certificate's own key, from a file, with no account at all.
e2e revoke_cert_key pebble
t_revoke_cert_key()
{
	local d e s
	d=$(newdir)
	issue_into "$d" revkey.example.com
	cp "$d/live/revkey.example.com/fullchain.pem" "$T/cert.pem"
	openssl x509 -in "$T/cert.pem" -outform DER -out "$T/cert.der"
	s=$(serial "$T/cert.pem")
	e=$(newdir empty)
	run_acme --server "$PB_URL" --ca-file "$PB_CA" --dir "$e" \
	    --cert-key "$d/live/revkey.example.com/privkey.pem" \
	    revoke "$T/cert.der" --reason superseded
	expect_rc 0
	[ ! -e "$e/accounts" ] || fail "revocation by certificate key made an account"
	[ "$(cert_status "$s" | json_field Status)" = Revoked ] || fail "not revoked"
	[ "$(cert_status "$s" | json_field Reason)" = 4 ] || fail "reason is not 4"
	# the wrong key is refused before anything is sent
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/other.pem" 2>/dev/null
	run_acme --server "$PB_URL" --ca-file "$PB_CA" --dir "$e" \
	    --cert-key "$T/other.pem" revoke "$T/cert.pem"
	expect_rc 2
	grep -q 'is not the key of the certificate' "$T/stderr" || fail "wrong key: $(first_err)"
	run_acme "${ACME_PB[@]}" --dir "$e" --reason bogus revoke "$T/cert.pem"
	expect_rc 2
	expect_one_error_line
}

# Pebble with external account binding required (RFC 8555 7.3.4).
e2e eab
t_eab()
{
	local d key bad
	key=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
	PEBBLE_JSON_EXTRA="\"externalAccountBindingRequired\": true, \"externalAccountMACKeys\": {\"kid-1\": \"$key\"}" \
	    pebble_start eab >"$T/pebble.log" 2>&1 || fail "pebble: $(tail -n 1 "$T/pebble.log")"
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue eab.example.com
	expect_rc 2
	expect_one_error_line
	grep -q 'external account binding' "$T/stderr" || fail "no EAB hint: $(first_err)"
	[ ! -e "$d/accounts" ] || fail "an account was stored without EAB"
	# another key (not just zeros appended: HMAC pads keys with zeros)
	case $key in A*) bad=B${key#?} ;; *) bad=A${key#?} ;; esac
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" --eab-kid kid-1 \
	    --eab-hmac "$bad" issue eab.example.com
	expect_rc 1
	expect_one_error_line
	[ ! -e "$d/accounts" ] || fail "an account was stored with a bad EAB"
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" --eab-kid kid-1 \
	    --eab-hmac "$key" --eab-alg HS384 issue eab.example.com
	expect_rc 0
	check_live "$d" eab.example.com DNS:eab.example.com
	! grep -rq -- "$key" "$d" || fail "the EAB key was written to disk"
	d=$(newdir s2)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" --eab-kid kid-1 \
	    --eab-hmac "$key" issue eab2.example.com
	expect_rc 0
	d=$(newdir s3)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" --eab-kid kid-1 \
	    --eab-hmac "$key" --eab-alg HS999 issue eab3.example.com
	expect_rc 2
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" --eab-kid kid-1 \
	    --eab-hmac "$key" --eab-alg HS512 issue eab3.example.com
	expect_rc 0
}

# Alternate chains: Pebble offers one chain per root; --preferred-chain
# picks the one whose top certificate the named root issued.
e2e alternate_chain
t_alternate_chain()
{
	local d cn0 cn1 i
	pebble_start alt PEBBLE_ALTERNATE_ROOTS=2 PEBBLE_CHAIN_LENGTH=3 \
	    >"$T/pebble.log" 2>&1 || fail "pebble: $(tail -n 1 "$T/pebble.log")"
	for i in 0 1; do
		curl -fsS --cacert "$PB_CA" -o "$T/root$i.pem" "$PB_MGMT/roots/$i" ||
		    fail "no /roots/$i"
	done
	cn0=$(openssl x509 -in "$T/root0.pem" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= //p')
	cn1=$(openssl x509 -in "$T/root1.pem" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= //p')
	[ -n "$cn1" ] && [ "$cn0" != "$cn1" ] || fail "roots [$cn0] [$cn1]"
	for i in 0 1; do
		d=$(newdir s$i)
		if [ $i = 0 ]; then cn=$cn0; else cn=$cn1; fi
		run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" \
		    --preferred-chain "$cn" issue alt$i.example.com
		expect_rc 0
		openssl verify -CAfile "$T/root$i.pem" -untrusted "$d/live/alt$i.example.com/chain.pem" \
		    "$d/live/alt$i.example.com/cert.pem" >/dev/null 2>&1 ||
		    fail "--preferred-chain '$cn': chain does not lead to root $i"
		openssl verify -CAfile "$T/root$((1 - i)).pem" -untrusted "$d/live/alt$i.example.com/chain.pem" \
		    "$d/live/alt$i.example.com/cert.pem" >/dev/null 2>&1 &&
		    fail "--preferred-chain '$cn': chain leads to the other root"
		grep -qx "preferred-chain = $cn" "$d/conf/alt$i.example.com.conf" ||
		    fail "conf lacks preferred-chain"
	done
	# an unknown CN keeps the default chain (and says so at -v)
	d=$(newdir s2)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" -v \
	    --preferred-chain "No Such Root" issue alt2.example.com
	expect_rc 0
	grep -q 'keeping the default chain' "$T/stderr" || fail "no note about the default chain"
}

# With no --ca-file and no system CA bundle acme still speaks TLS, with
# its built-in roots: Pebble's listener is not signed by them, so the
# handshake must fail verification with a message that says so.
e2e builtin_anchors pebble
t_builtin_anchors()
{
	local d
	d=$(newdir)
	ACME_TEST_CA_BUNDLES=$T/none run_acme --server "$PB_URL" --agree-tos \
	    "${ACME_SA[@]}" --dir "$d" issue anchors.example.com
	expect_rc 1
	expect_one_error_line
	grep -q "built-in roots" "$T/stderr" || fail "no built-in anchors note: $(first_err)"
	: >"$T/empty.pem"
	ACME_TEST_CA_BUNDLES=$T/empty.pem run_acme --server "$PB_URL" --agree-tos \
	    "${ACME_SA[@]}" --dir "$d" issue anchors.example.com
	expect_rc 1
	grep -q "built-in roots" "$T/stderr" || fail "empty bundle: $(first_err)"
	# the same path given a real bundle is used: the env var works
	ACME_TEST_CA_BUNDLES=$T/none:$PB_CA run_acme --server "$PB_URL" --agree-tos \
	    "${ACME_SA[@]}" --dir "$d" issue anchors.example.com
	expect_rc 0
	# --ca-file still overrides
	ACME_TEST_CA_BUNDLES=$T/none run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" \
	    --dir "$d" issue anchors.example.com
	expect_rc 0
}

# The generated block of built-in anchors equals what the script makes
# from Debian's ca-certificates today.
e2e anchors_generated noacme
t_anchors_generated()
{
	[ -d /usr/share/ca-certificates/mozilla ] || skip "ca-certificates not installed"
	sh "$LIB_REPO/vendor/gen-anchors.sh" --check "$LIB_REPO/acme.c" 2>"$T/err" ||
	    fail "$(cat "$T/err")"
	sh "$LIB_REPO/vendor/gen-anchors.sh" | grep -c '^static unsigned char anchor[0-9]*_dn\[\] = {$' >"$T/n"
	[ "$(cat "$T/n")" = 7 ] || fail "$(cat "$T/n") anchors, expected 7"
}

e2e csr pebble
t_csr()
{
	local d
	d=$(newdir)
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes \
	    -keyout "$T/csr.key" -out "$T/req.pem" -subj "/CN=csr.example.com" \
	    -addext "subjectAltName=DNS:csr.example.com,DNS:www.csr.example.com" 2>/dev/null ||
	    fail "openssl req failed"
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" --csr "$T/req.pem" issue
	expect_rc 2
	grep -q -- '--csr-key' "$T/stderr" || fail "no --csr-key hint: $(first_err)"
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" --csr req.pem \
	    --csr-key csr.key issue
	expect_rc 0
	check_live "$d" csr.example.com DNS:csr.example.com DNS:www.csr.example.com
	[ "$(openssl pkey -in "$d/live/csr.example.com/privkey.pem" -pubout)" = \
	    "$(openssl pkey -in "$T/csr.key" -pubout)" ] || fail "privkey is not the CSR's key"
	grep -qx "csr = $T/req.pem" "$d/conf/csr.example.com.conf" ||
	    fail "conf lacks the absolute csr path"
	# DER CSR, NAME as a label, a key that is not the CSR's
	openssl req -in "$T/req.pem" -outform DER -out "$T/req.der"
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" --csr "$T/req.der" \
	    --csr-key "$T/csr.key" issue site
	expect_rc 0
	check_live "$d" site DNS:csr.example.com DNS:www.csr.example.com
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/other.pem" 2>/dev/null
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" --csr "$T/req.der" \
	    --csr-key "$T/other.pem" issue site
	expect_rc 2
	grep -q 'not the key of the CSR' "$T/stderr" || fail "mismatch: $(first_err)"
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" --csr "$T/req.der" \
	    --csr-key "$T/csr.key" issue site extra.example.com
	expect_rc 2
}

e2e reuse_key pebble
t_reuse_key()
{
	local d k1 k2 k3
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" --reuse-key issue reuse.example.com
	expect_rc 0
	k1=$(openssl pkey -in "$d/live/reuse.example.com/privkey.pem" -pubout)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" --reuse-key issue reuse.example.com
	expect_rc 0
	check_live "$d" reuse.example.com DNS:reuse.example.com
	k2=$(openssl pkey -in "$d/live/reuse.example.com/privkey.pem" -pubout)
	[ "$k1" = "$k2" ] || fail "--reuse-key made a new key"
	grep -qx 'reuse-key = yes' "$d/conf/reuse.example.com.conf" || fail "conf lacks reuse-key"
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" --reuse-key \
	    --key-type rsa2048 issue reuse.example.com
	expect_rc 2
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue reuse.example.com
	expect_rc 0
	k3=$(openssl pkey -in "$d/live/reuse.example.com/privkey.pem" -pubout)
	[ "$k3" != "$k2" ] || fail "without --reuse-key the key was kept"
}

# Pebble 2.4.0 has no profiles: asking for one fails before any order
# (and before DIR is touched).
e2e profile_unknown pebble
t_profile_unknown()
{
	local d=$T/state
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" --profile shortlived \
	    issue prof.example.com
	expect_rc 2
	expect_one_error_line
	grep -q 'offers no profiles' "$T/stderr" || fail "$(first_err)"
	[ ! -e "$d" ] || fail "DIR was created"
}

# A failed challenge names the identifier and the URL the CA tried, and
# says what to do.
e2e challenge_message pebble
t_challenge_message()
{
	local d
	d=$(newdir)
	mkdir "$T/www"
	# nothing serves the webroot: the CA cannot connect
	run_acme "${ACME_PB[@]}" --webroot "$T/www" --dir "$d" issue fail.example.com
	expect_rc 1
	expect_one_error_line
	grep -q 'fail.example.com: challenge failed (the CA tried http://fail.example.com/.well-known/acme-challenge/' "$T/stderr" ||
	    fail "no identifier/URL: $(first_err)"
	grep -q ' -- ' "$T/stderr" || fail "no hint: $(first_err)"
}

# Profiles through test/caproxy.py, which adds meta.profiles to Pebble's
# directory and logs every request's payload.
e2e profile pebble
t_profile()
{
	local d
	caproxy_start --profiles >"$T/px.log" 2>&1 || fail "caproxy: $(tail -n 1 "$T/px.log")"
	d=$(newdir)
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" --profile long \
	    issue prof.example.com
	expect_rc 2
	expect_one_error_line
	grep -q 'offers only classic, shortlived' "$T/stderr" || fail "$(first_err)"
	[ "$(px_count newOrder)" = 0 ] || fail "an order was made for an unknown profile"
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" --profile shortlived \
	    issue prof.example.com
	expect_rc 0
	[ "$(px_count newOrder profile 201)" = 1 ] &&
	    [ "$(px_count newOrder)" = "$(px_count newOrder profile)" ] ||
	    fail "newOrder without \"profile\""
	grep '"kind": "newOrder"' "$PX_LOG" | grep -q '"profile": "shortlived"' ||
	    fail "newOrder profile is not shortlived"
	grep -qx 'profile = shortlived' "$d/conf/prof.example.com.conf" || fail "conf lacks profile"
	px_reset
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue prof2.example.com
	expect_rc 0
	[ "$(px_count newOrder '' 201)" = 1 ] && [ "$(px_count newOrder profile)" = 0 ] ||
	    fail "newOrder without --profile sent a profile"
}

# rateLimited says when to try again: the Date of the answer plus its
# Retry-After.
e2e message_rate_limited pebble
t_message_rate_limited()
{
	local d
	caproxy_start --fail newOrder:429 --retry-after 120 >"$T/px.log" 2>&1 ||
	    fail "caproxy: $(tail -n 1 "$T/px.log")"
	d=$(newdir)
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue rl.example.com
	expect_rc 1
	expect_one_error_line
	grep -Eq 'rateLimited.* -- the CA limits how often you may ask: try again later after 20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z' "$T/stderr" ||
	    fail "no retry time: $(first_err)"
}

# The CA failing the key change (an outage, not a refusal) leaves key.pem
# as it was and no staged key behind.
e2e account_rollover_fails pebble
t_account_rollover_fails()
{
	local d
	d=$(newdir)
	caproxy_start >"$T/px.log" 2>&1 || fail "caproxy: $(tail -n 1 "$T/px.log")"
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue rf.example.com
	expect_rc 0
	check_account "$d"
	cp "$ACCOUNT/key.pem" "$T/key.before"
	caproxy_set --fail keyChange:503
	run_acme "${ACME_PX[@]}" --dir "$d" account rollover
	expect_rc 1
	expect_one_error_line
	grep -q 'serverInternal' "$T/stderr" || fail "$(first_err)"
	cmp -s "$ACCOUNT/key.pem" "$T/key.before" || fail "key.pem changed"
	[ "$(ls "$ACCOUNT")" = "account.txt
key.pem" ] || fail "account dir holds [$(ls "$ACCOUNT" | tr '\n' ' ')]"
	caproxy_set
	run_acme "${ACME_PX[@]}" --dir "$d" account rollover
	expect_rc 0
	! cmp -s "$ACCOUNT/key.pem" "$T/key.before" || fail "key.pem not replaced"
}
