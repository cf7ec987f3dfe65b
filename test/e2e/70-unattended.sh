# test/e2e/70-unattended.sh - years without a person: a first
# boot on an image older than the CA's TLS certificate, a CA that forgot
# the account or refuses "replaces", a CA that cannot be reached, what a
# person leaves in the backup ring, a crowd at the built-in responder
# (sourced by test/run.sh).

# The CA's TLS certificate was made after the binary was built and the
# device clock reads 1970 with no DIR/time: TLS checks the chain at the
# build date, a lower bound of the true time, at which the certificate is
# not yet valid; it is valid at some later time, so it is accepted. One
# that expired ten days ago is refused at the build date, and at
# DIR/time = now, and nothing is written.
e2e tls_lower_bound
t_tls_lower_bound()
{
	local d nb na built when
	nb=$(date +%s)
	built=$(stat -c %Y "$ACME")
	[ "$nb" -gt "$built" ] || nb=$((built + 1))
	listener_leaf newer "$(date -u -d "@$nb" +%Y%m%d%H%M%SZ)" \
	    21500101000000Z || fail "no listener certificate"
	PB_CERT=$LEAF_CERT PB_KEY=$LEAF_KEY pebble_start pebble-newer ||
	    fail "pebble did not start"
	d=$(newdir)
	ACME_TEST_NOW=1 run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" \
	    issue first-boot.example.com
	expect_rc 0
	check_live "$d" first-boot.example.com DNS:first-boot.example.com

	# ten days ago, and before the build (a binary built long ago)
	na=$(($(date +%s) - 864000))
	[ "$na" -lt "$built" ] || na=$((built - 86400))
	listener_leaf expired 20000101000000Z \
	    "$(date -u -d "@$na" +%Y%m%d%H%M%SZ)" ||
	    fail "no listener certificate"
	PB_CERT=$LEAF_CERT PB_KEY=$LEAF_KEY pebble_start pebble-expired ||
	    fail "pebble did not start"
	for when in none now; do
		d=$(newdir "state-$when")
		[ $when = now ] && utc %Y-%m-%dT%H:%M:%SZ 0 >"$d/time"
		snapshot "$d" >"$T/before"
		ACME_TEST_NOW=1 run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" \
		    --dir "$d" issue expired.example.com
		expect_rc 1
		expect_one_error_line
		grep -q 'TLS certificate .*expired' "$T/stderr" ||
		    fail "DIR/time $when: not refused as expired: $(first_err)"
		expect_same "$T/before" "$d"
	done
}

# The CA forgot every account (Pebble restarted at the same URL, as a
# staging reset or a CA migration would): the forced renewal registers
# the account key again, with the consent to the same terms saved at
# issue, and renews; the old record goes to the account's backup. Without
# saved consent, or with other terms saved, one line names the command
# that fixes it, and that command does.
e2e account_forgotten
t_account_forgotten()
{
	local d n=forgot.example.com acct old cmd
	pebble_start pebble-forgets || fail "pebble did not start"
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
	expect_rc 0
	check_account "$d"
	acct=$ACCOUNT
	old=$(sed -n 's/^url: //p' "$acct/account.txt")
	grep -q '^agreed: ' "$acct/account.txt" ||
	    fail "no consent in account.txt: $(tr '\n' ' ' <"$acct/account.txt")"
	pebble_restart || fail "pebble did not start again"
	run_acme --dir "$d" renew --force $n
	expect_rc 0
	[ "$(grep -c . "$T/stderr")" = 1 ] &&
	    grep -q "forgot .*registered its key again" "$T/stderr" ||
	    fail "not one line saying so: $(first_err)"
	check_live "$d" $n DNS:$n
	check_account "$d"
	[ "$(sed -n 's/^url: //p' "$acct/backup/account.txt")" = "$old" ] ||
	    fail "the old record is not in the account's backup"
	[ "$(sed -n 's/^url: //p' "$acct/account.txt")" != "$old" ] ||
	    fail "account.txt still names the forgotten account"
	grep -q '^agreed: ' "$acct/account.txt" ||
	    fail "the consent was not kept in the new record"

	for how in absent changed; do
		pebble_restart || fail "pebble did not start again"
		if [ $how = absent ]; then
			sed -i '/^agreed: /d' "$acct/account.txt"
		else
			sed -i 's|^agreed: .*|agreed: https://example.com/old-terms|' \
			    "$acct/account.txt"
		fi
		snapshot "$d" >"$T/before"
		run_acme --dir "$d" renew --force $n
		expect_rc 2
		expect_one_error_line
		cmd="acme --dir $d --agree-tos renew --force $n"
		grep -qF "'$cmd'" "$T/stderr" ||
		    fail "consent $how: the command is not named: $(first_err)"
		expect_same "$T/before" "$d"
		run_acme --dir "$d" --agree-tos renew --force $n
		expect_rc 0
		check_live "$d" $n DNS:$n
	done
}

# A CA that refuses a newOrder carrying "replaces" (Pebble 2.10's HTTP 500
# for some serials, Let's Encrypt's 404 malformed after a change of CA):
# the forced renewal orders once more without it, says so in one line,
# and succeeds.
e2e replaces_refused pebble
t_replaces_refused()
{
	local d n=refused.example.com
	caproxy_start --ari --fail replaces:500 || fail "caproxy did not start"
	d=$(newdir)
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
	expect_rc 0
	px_reset
	run_acme --dir "$d" renew --force $n
	expect_rc 0
	[ "$(px_count newOrder replaces 500)" = 1 ] ||
	    fail "no newOrder with replaces refused"
	[ "$(px_count newOrder "" 201)" = 1 ] ||
	    fail "$(px_count newOrder "" 201) newOrders succeeded, expected 1"
	[ "$(grep -c . "$T/stderr")" = 1 ] &&
	    grep -q 'replaces.*HTTP 500' "$T/stderr" ||
	    fail "not one line naming the answer: $(first_err)"
	grep -q "^$n: renewed" "$T/stdout" || fail "not renewed: $(cat "$T/stdout")"
}

# The CA cannot be reached: a certificate that is not due by the best
# time known is reported so and the run exits 0; one that is due (--days
# 100 of a 90-day certificate) fails it. Nothing is written.
e2e renew_ca_down pebble
t_renew_ca_down()
{
	local d port
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue later.example.com
	expect_rc 0
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" --days 100 \
	    issue due.example.com
	expect_rc 0
	snapshot "$d" >"$T/before"
	port=$(free_ports 1)
	run_acme --dir "$d" --server "https://localhost:$port/dir" renew \
	    later.example.com
	expect_rc 0
	grep -q '^later.example.com: not due by 20[0-9-]*T[0-9:]*Z; the CA could not be asked' \
	    "$T/stdout" || fail "not reported: $(head -n 1 "$T/stdout")"
	[ ! -s "$T/stderr" ] || fail "stderr: $(first_err)"
	run_acme --dir "$d" --server "https://localhost:$port/dir" renew
	expect_rc 1
	grep -q '^later.example.com: not due by' "$T/stdout" ||
	    fail "not reported: $(head -n 1 "$T/stdout")"
	[ "$(grep -c . "$T/stderr")" = 1 ] &&
	    grep -q '^acme: due.example.com: failed' "$T/stderr" ||
	    fail "the due certificate did not fail alone: $(first_err)"
	expect_same "$T/before" "$d"
}

# What a person leaves in the ring (a note in the oldest set, a file
# beside the sets) blocks nothing and is never deleted: two more
# renewals succeed, each stray entry is in backup/NAME/stray/ (said once),
# live/ is the newest certificate and the ring holds three sets.
e2e store_stray pebble
t_store_stray()
{
	local d n=stray.example.com i k s
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
	expect_rc 0
	for i in 1 2 3; do
		run_acme --dir "$d" renew --force $n
		expect_rc 0
	done
	echo "why I kept this" >"$d/backup/$n/3/notes.txt"
	echo "and this" >"$d/backup/$n/README"
	run_acme --dir "$d" renew --force $n
	expect_rc 0
	[ "$(grep -c . "$T/stderr")" = 1 ] &&
	    grep -q "backup/$n/stray" "$T/stderr" ||
	    fail "not said once: $(first_err)"
	run_acme --dir "$d" renew --force $n
	expect_rc 0
	[ ! -s "$T/stderr" ] || fail "said again: $(first_err)"
	[ "$(cat "$d/backup/$n/stray/notes.txt" 2>/dev/null)" = "why I kept this" ] &&
	    [ "$(cat "$d/backup/$n/stray/README" 2>/dev/null)" = "and this" ] ||
	    fail "stray/ holds [$(ls -A "$d/backup/$n/stray" 2>&1 | tr '\n' ' ')]"
	check_live "$d" $n DNS:$n
	s=$(serial "$d/live/$n/cert.pem")
	grep -qx "serial: $s" "$d/live/$n/meta.txt" ||
	    fail "live/ does not match its meta.txt"
	[ "$(ls -A "$d/backup/$n" | tr '\n' ' ')" = "1 2 3 stray " ] ||
	    fail "backup/$n holds [$(ls -A "$d/backup/$n" | tr '\n' ' ')]"
	for k in 1 2 3; do
		[ "$(ls -A "$d/backup/$n/$k" | wc -l)" = 5 ] ||
		    fail "backup $k holds [$(ls -A "$d/backup/$n/$k" | tr '\n' ' ')]"
	done
}

# crowd PORT LOG: 80 connections from 127.0.0.2 (one client address,
# not the validator's 127.0.0.1) to 127.0.0.1:PORT that send nothing,
# each opened again as soon as it is closed (or refused: the responder
# listens only while acme runs); LOG gets, every second, how many the
# responder accepted and then closed. CROWD_PID is its process.
crowd()
{
	[ -s "$T/crowd.py" ] || cat >"$T/crowd.py" <<'EOF'
import selectors, socket, sys, time
port, closed = int(sys.argv[1]), 0
sel = selectors.DefaultSelector()
def one():
    while True:
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.setblocking(False)
        if s.connect_ex(("127.0.0.1", port)) in (0, 115):
            sel.register(s, selectors.EVENT_READ)
            return
        s.close()
        time.sleep(0.05)
for i in range(80):
    one()
end = time.time() + 110
while time.time() < end:
    for key, _ in sel.select(1):
        try:
            closed += key.fileobj.recv(1) == b""
        except OSError:
            time.sleep(0.05)	# refused: nothing listens yet
        sel.unregister(key.fileobj)
        key.fileobj.close()
        one()
    print(closed, flush=True)
EOF
	lib_spawn "$2" "$PYTHON" -u "$T/crowd.py" "$1"
	CROWD_PID=$LIB_PID
}

# crowd_got_in LOG: the responder accepted and closed some of the
# crowd's connections (it says so within 5 s, its log printing each
# second); then the crowd is stopped.
crowd_got_in()
{
	local i
	for i in $(seq 50); do
		[ "$(tail -n 1 "$1")" -gt 0 ] 2>/dev/null && break
		sleep 0.1
	done
	kill "$CROWD_PID"
	[ "$(tail -n 1 "$1")" -gt 0 ] 2>/dev/null
}

# One address holds 80 idle connections to the responder, reopened as
# they are closed, while Pebble validates (taking its time, three
# requests per name): issuance succeeds, with http-01 and with
# tls-alpn-01.
e2e responder_crowd
t_responder_crowd()
{
	local d
	pebble_start crowdva PEBBLE_VA_NOSLEEP=0 PEBBLE_VA_SLEEPTIME=3 ||
	    fail "pebble did not start"
	d=$(newdir)
	crowd "$PB_HTTP_PORT" "$T/http.log"
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue crowd.example.com
	expect_rc 0
	check_live "$d" crowd.example.com DNS:crowd.example.com
	crowd_got_in "$T/http.log" ||
	    fail "the crowd never got in (http-01): $(tail -n 1 "$T/http.log")"
	crowd "$PB_TLS_PORT" "$T/tls.log"
	run_acme "${ACME_PB[@]}" --standalone --challenge tls-alpn-01 \
	    --tls-port "$PB_TLS_PORT" --bind 127.0.0.1 --dir "$d" \
	    issue crowdtls.example.com
	expect_rc 0
	check_live "$d" crowdtls.example.com DNS:crowdtls.example.com
	crowd_got_in "$T/tls.log" ||
	    fail "the crowd never got in (tls-alpn-01): $(tail -n 1 "$T/tls.log")"
}
