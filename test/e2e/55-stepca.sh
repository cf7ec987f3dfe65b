# test/e2e/55-stepca.sh - against a private CA, as home labs run them
# (sourced by test/run.sh): smallstep's step-ca 0.19, built once from
# Debian's packages by test/stepca.sh, one instance per test
# (stepca_start). Issue, renew, list, revoke on the saved server, every
# challenge type (http-01 and tls-alpn-01 on ports 80 and 443 of
# 127.0.0.1: step-ca 0.19 validates there only, see low_port), dns-01
# through the hook, an IP identifier, a wildcard; the account operations
# and the key rollover step-ca refuses; the CA reached by its IP address;
# a challenge step-ca leaves pending with an error. And, with Pebble and
# test/fakeca.py, a CA whose certificate lacks the IP address it is
# reached by.

# sc_start: this test's step-ca (SC_*); check_live verifies against its
# root, the challenge hook talks to its challtestsrv.
sc_start()
{
	stepca_start "sc-${T##*/}" >"$T/stepca-start.log" 2>&1 ||
	    skip "no step-ca: $(tail -n 1 "$T/stepca-start.log")"
	PB_ROOT=$SC_ROOT
	PB_CMGMT=$SC_CMGMT
	SC_SA=(--standalone --http-port 80 --bind 127.0.0.1)
}

# sc_ports PORT...: each 127.0.0.1:PORT free to bind, else the test ends
# (failed when another program has it, skipped when not root).
sc_ports()
{
	local p why rc
	for p in "$@"; do
		why=$(low_port "$p")
		rc=$?
		[ "$rc" = 0 ] && continue
		[ "$rc" = 2 ] && skip "$why"
		fail "$why"
	done
}

# meta DIR NAME KEY: the value of KEY in live/NAME/meta.txt.
meta() { sed -n "s/^$3: //p" "$1/live/$2/meta.txt"; }

# Issue over http-01 (the responder on port 80), renew with the saved
# server, and the serial as openssl prints it in meta.txt and list.
e2e stepca_issue built
t_stepca_issue()
{
	local d s1 s2
	sc_start
	sc_ports 80
	d=$(newdir)
	run_acme "${ACME_SC[@]}" "${SC_SA[@]}" --dir "$d" issue a.example.com
	expect_rc 0
	check_live "$d" a.example.com DNS:a.example.com
	check_account "$d"
	[ "$(meta "$d" a.example.com server)" = "$SC_URL" ] ||
	    fail "meta.txt server: $(meta "$d" a.example.com server)"
	s1=$(serial "$d/live/a.example.com/cert.pem")
	[ "$(meta "$d" a.example.com serial)" = "$s1" ] ||
	    fail "meta.txt serial $(meta "$d" a.example.com serial), openssl $s1"
	run_acme --dir "$d" --force "${SC_SA[@]}" renew a.example.com
	expect_rc 0
	grep -q '^a.example.com: renewed' "$T/stdout" ||
	    fail "not renewed: $(head -n 1 "$T/stdout")"
	check_live "$d" a.example.com DNS:a.example.com
	s2=$(serial "$d/live/a.example.com/cert.pem")
	[ "$s2" != "$s1" ] || fail "serial unchanged after renew"
	[ "$(meta "$d" a.example.com serial)" = "$s2" ] ||
	    fail "meta.txt serial after renew"
	run_acme --dir "$d" list
	expect_rc 0
	grep -Eq "^  live .* ec256 +serial $s2\$" "$T/stdout" ||
	    fail "list: no live line with serial $s2"
	grep -Eq "^  backup 1 .* ec256 +serial $s1\$" "$T/stdout" ||
	    fail "list: no backup line with serial $s1"
}

# tls-alpn-01 (the responder on port 443), dns-01 through the hook for a
# wildcard and its base name, an IP identifier over http-01.
e2e stepca_challenges built
t_stepca_challenges()
{
	local d hook
	sc_start
	sc_ports 80 443
	d=$(newdir)
	run_acme "${ACME_SC[@]}" --dir "$d" --standalone --challenge \
	    tls-alpn-01 --tls-port 443 --bind 127.0.0.1 issue t.example.com
	expect_rc 0
	check_live "$d" t.example.com DNS:t.example.com
	hook=$(mkhook)
	run_acme "${ACME_SC[@]}" --dir "$d" --hook "$hook" --challenge dns-01 \
	    issue w.example.com '*.w.example.com'
	expect_rc 0
	check_live "$d" w.example.com DNS:w.example.com 'DNS:*.w.example.com'
	grep -q '^5 begin dns-01 w.example.com ' "$T/hook.log" ||
	    fail "the hook was not asked for dns-01: $(calls | head -n 1)"
	run_acme "${ACME_SC[@]}" "${SC_SA[@]}" --dir "$d" issue 127.0.0.1
	expect_rc 0
	check_live "$d" 127.0.0.1 "IP Address:127.0.0.1"
}

# Revoke and issue again on a saved NAME without --server: NAME's server
# (and its CA file), not Let's Encrypt; revoke where the CA is not known
# asks for --server and sends nothing.
e2e stepca_revoke built
t_stepca_revoke()
{
	local d s t
	sc_start
	sc_ports 80
	d=$(newdir)
	run_acme "${ACME_SC[@]}" "${SC_SA[@]}" --dir "$d" issue rv.example.com
	expect_rc 0
	s=$(serial "$d/live/rv.example.com/cert.pem")
	cp "$d/live/rv.example.com/cert.pem" "$T/rv.pem"
	snapshot "$d" >"$T/before"
	run_acme --dir "$d" --reason superseded revoke rv.example.com
	expect_rc 0
	[ "$(cat "$T/stdout")" = "rv.example.com: revoked (serial $s, superseded)" ] ||
	    fail "revoke printed [$(cat "$T/stdout")]"
	expect_same "$T/before" "$d"
	# step-ca itself says it is revoked
	run_acme --dir "$d" revoke rv.example.com
	expect_rc 1
	expect_one_error_line
	grep -q 'alreadyRevoked' "$T/stderr" || fail "second revoke: $(first_err)"
	# issue on the saved NAME goes to the same CA
	run_acme --dir "$d" "${SC_SA[@]}" issue rv.example.com
	expect_rc 0
	check_live "$d" rv.example.com DNS:rv.example.com
	[ "$(meta "$d" rv.example.com server)" = "$SC_URL" ] ||
	    fail "issue again went to $(meta "$d" rv.example.com server)"
	# a file, or a NAME without conf: no CA is known
	for t in "$T/rv.pem" nosuch.example.com; do
		snapshot "$d" >"$T/before"
		run_acme --dir "$d" revoke "$t"
		expect_rc 2
		expect_one_error_line
		grep -q 'name it with --server' "$T/stderr" ||
		    fail "revoke $t: $(first_err)"
		expect_same "$T/before" "$d"
	done
	run_acme "${ACME_SC[@]}" --dir "$d" revoke "$T/rv.pem"
	expect_rc 1
	grep -q 'alreadyRevoked' "$T/stderr" || fail "revoke a file: $(first_err)"
}

# account show, update, deactivate; rollover, which step-ca 0.19 answers
# with HTTP 501 (and the problem type rejectedIdentifier): refused with
# one line, the key as it was.
e2e stepca_account built
t_stepca_account()
{
	local d
	sc_start
	sc_ports 80
	d=$(newdir)
	run_acme "${ACME_SC[@]}" "${SC_SA[@]}" --dir "$d" issue acct.example.com
	expect_rc 0
	check_account "$d"
	run_acme "${ACME_SC[@]}" --dir "$d" account show
	expect_rc 0
	grep -qx 'status: valid' "$T/stdout" || fail "show: no 'status: valid'"
	cp "$ACCOUNT/key.pem" "$T/key.before"
	run_acme "${ACME_SC[@]}" --dir "$d" account rollover
	expect_rc 1
	expect_one_error_line
	grep -q ': this CA does not support account key rollover (HTTP 501); the key is unchanged$' \
	    "$T/stderr" || fail "rollover: $(first_err)"
	cmp -s "$ACCOUNT/key.pem" "$T/key.before" || fail "key.pem changed"
	[ ! -e "$ACCOUNT/key-rollover.pem" ] || fail "staged key left behind"
	run_acme "${ACME_SC[@]}" --dir "$d" --email new@example.com account update
	expect_rc 0
	run_acme "${ACME_SC[@]}" --dir "$d" account show
	grep -qx 'contact: mailto:new@example.com' "$T/stdout" ||
	    fail "update: contact is [$(grep contact "$T/stdout")]"
	run_acme "${ACME_SC[@]}" --dir "$d" --yes-deactivate account deactivate
	expect_rc 0
	[ "$(find "$d/accounts" -mindepth 1 -maxdepth 1 -name '*@deactivated-*' | wc -l)" = 1 ] ||
	    fail "deactivated account not moved aside"
}

# The CA by its IP address (step-ca's TLS certificate names 127.0.0.1):
# issue, renew and revoke with that saved server.
e2e stepca_ip_server built
t_stepca_ip_server()
{
	local d
	sc_start
	sc_ports 80
	d=$(newdir)
	run_acme --server "$SC_IPURL" --ca-file "$SC_ROOT" --agree-tos \
	    "${SC_SA[@]}" --dir "$d" issue ip.example.com
	expect_rc 0
	check_live "$d" ip.example.com DNS:ip.example.com
	[ "$(meta "$d" ip.example.com server)" = "$SC_IPURL" ] ||
	    fail "meta.txt server: $(meta "$d" ip.example.com server)"
	run_acme --dir "$d" --force renew ip.example.com
	expect_rc 0
	run_acme --dir "$d" revoke ip.example.com
	expect_rc 0
}

# A name whose A record points at a closed port: step-ca stores its
# connection error on the challenge and leaves it pending for ever. acme
# prints the CA's words at once and gives up POLL_STUCK (20) seconds later
# with them and its hint, not after 300 s.
e2e stepca_stuck built
t_stepca_stuck()
{
	local d t0 took
	sc_start
	sc_ports 80			# closed: nothing serves the webroot
	d=$(newdir)
	mkdir "$T/www"
	t0=$(date +%s)
	run_acme "${ACME_SC[@]}" --dir "$d" --webroot "$T/www" issue \
	    stuck.example.com
	took=$(($(date +%s) - t0))
	expect_rc 1
	[ "$took" -lt 50 ] || fail "took $took s"
	[ "$(wc -l <"$T/stderr")" = 2 ] ||
	    fail "stderr has $(wc -l <"$T/stderr") lines, expected the CA's report and the error"
	grep -q "^acme: stuck.example.com: the CA's error, challenge still open (the CA tried http://stuck.example.com/.well-known/acme-challenge/[A-Za-z0-9_-]*): connection: The server could not connect to validation target -- the CA could not connect to the name" \
	    "$T/stderr" || fail "no report of the CA's error: $(first_err)"
	tail -n 1 "$T/stderr" | grep -q '^acme: stuck.example.com: challenge failed: no progress 20 s after the CA.s error (the CA tried .*): connection: The server could not connect to validation target -- the CA could not connect to the name' ||
	    fail "last line: $(tail -n 1 "$T/stderr" | cut -c 1-200)"
	[ ! -e "$d/live/stuck.example.com" ] || fail "a set was installed"
}

# ip_leaf NAME SAN: $T/NAME.{pem,key}, a leaf signed by the listener CA
# (PB_CA trusts it) whose subjectAltName is SAN (openssl's syntax).
ip_leaf()
{
	local c=${LISTENER_CA%/ca.pem}
	printf '%s\n' "subjectAltName=$2" "basicConstraints=critical,CA:FALSE" \
	    "keyUsage=critical,digitalSignature" \
	    "extendedKeyUsage=serverAuth" >"$T/$1.ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/$1.key" -out "$T/$1.csr" -subj "/CN=127.0.0.1" \
	    >>"$T/openssl.log" 2>&1 &&
	openssl x509 -req -in "$T/$1.csr" -CA "$LISTENER_CA" -CAkey "$c/ca.key" \
	    -set_serial "0x$(openssl rand -hex 8)" -days 2 -extfile "$T/$1.ext" \
	    -out "$T/$1.pem" >>"$T/openssl.log" 2>&1 ||
	    fail "ip_leaf $1: $(tail -n 1 "$T/openssl.log")"
}

# A CA reached by IP address whose certificate does not name it: Pebble's
# (DNS:localhost only), one with another address, one whose CN is the
# address (never looked at): refused with one line, before any request.
# The same certificate with IP:127.0.0.1 passes TLS.
e2e ip_server_refused pebble
t_ip_server_refused()
{
	local d port san
	d=$(newdir)
	port=${PB_URL#https://localhost:}
	port=${port%%/*}
	run_acme --server "https://127.0.0.1:$port/dir" --ca-file "$PB_CA" \
	    --dir "$d" account show
	expect_rc 1
	expect_one_error_line
	grep -q "^acme: https://127.0.0.1:$port/dir: the server's TLS certificate has no iPAddress name for this address" \
	    "$T/stderr" || fail "Pebble: $(first_err)"
	for san in IP:127.0.0.2 DNS:localhost,IP:::1 IP:127.0.0.1; do
		ip_leaf leaf "$san"
		FAKECA_CERT=$T/leaf.pem FAKECA_KEY=$T/leaf.key fakeca_start problem \
		    >"$T/fakeca.log" 2>&1 || fail "fakeca: $(tail -n 1 "$T/fakeca.log")"
		port=${FAKE_URL#https://localhost:}
		port=${port%%/*}
		run_acme --server "https://127.0.0.1:$port/dir" --ca-file "$PB_CA" \
		    --dir "$d" account show
		expect_one_error_line
		case $san in
		IP:127.0.0.1)
			expect_rc 2	# TLS passed: no account here
			grep -q 'no account for 127.0.0.1' "$T/stderr" ||
			    fail "$san: $(first_err)"
			;;
		*)
			expect_rc 1
			grep -q 'has no iPAddress name for this address' \
			    "$T/stderr" || fail "$san: $(first_err)"
			;;
		esac
	done
}

# First boot of a device without a real-time clock: its clock reads 1970
# (ACME_TEST_NOW=0) and DIR has no DIR/time, so the TLS validation time V
# is the build date, and step-ca's own TLS certificate (24 hours, renewed
# by step-ca) is newer than any binary: "not yet valid" by V, at every
# boot. V is a lower bound of the true time (acme(1), TIME): the chain is
# accepted, issue and renew work, and DIR/time then holds the CA's time.
e2e stepca_first_boot built
t_stepca_first_boot()
{
	local d port nb built wait
	# step-ca backdates its certificate one minute: start it a minute
	# after the binary was built (never a wait under make test), so
	# that the certificate is newer than V
	built=$(stat -c %Y "$ACME")
	wait=$((built + 62 - $(date +%s)))
	[ "$wait" -le 0 ] || sleep "$wait"
	sc_start
	sc_ports 80
	port=${SC_URL#https://localhost:}
	port=${port%%/*}
	nb=$(openssl s_client -connect "127.0.0.1:$port" </dev/null 2>/dev/null |
	    openssl x509 -noout -startdate | cut -d= -f2)
	[ "$(date -u -d "$nb" +%s)" -gt "$built" ] ||
	    fail "step-ca's certificate (from $nb) is not newer than the binary"
	d=$(newdir)
	ACME_TEST_NOW=0 run_acme "${ACME_SC[@]}" "${SC_SA[@]}" --dir "$d" \
	    issue boot.example.com
	expect_rc 0
	check_live "$d" boot.example.com DNS:boot.example.com
	[ -s "$d/time" ] || fail "no DIR/time after the first issue"
	ACME_TEST_NOW=0 run_acme --dir "$d" --force "${SC_SA[@]}" renew \
	    boot.example.com
	expect_rc 0
	grep -q '^boot.example.com: renewed' "$T/stdout" ||
	    fail "not renewed: $(head -n 1 "$T/stdout")"
}
