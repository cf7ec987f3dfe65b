# test/e2e/60-trust.sh - trust hardening: every command on the
# trusted time, the CA's time bounded, the webroot walk, key rollover
# outcomes, test switches only in test builds (sourced by test/run.sh).

# The release binary reads none of the test switches (acme(1), TEST
# BUILD); the test build under test does, so every check here can fail.
e2e release_ignores_test_switches pebble
t_release_ignores_test_switches()
{
	local rel=$ACME_RELEASE d
	[ -x "$rel" ] || skip "no release binary $rel (make acme)"
	! grep -q ACME_TEST_ "$rel" ||
	    fail "the release binary holds the names of the test switches"
	grep -q ACME_TEST_NOW "$ACME" || fail "$ACME is not a test build"
	d=$(newdir)
	# a device clock past the listener certificate (2150) fails TLS...
	ACME_TEST_NOW=7258118400 run_acme --server "$PB_URL" \
	    --ca-file "$PB_CA" --dir "$d" account show
	expect_rc 1
	grep -q 'TLS certificate expired before' "$T/stderr" ||
	    fail "test build: ACME_TEST_NOW ignored: $(first_err)"
	# ...unless the binary ignores it: then only the account is missing
	ACME=$rel ACME_TEST_NOW=7258118400 run_acme --server "$PB_URL" \
	    --ca-file "$PB_CA" --dir "$d" account show
	expect_rc 2
	grep -q 'no account for' "$T/stderr" ||
	    fail "release: ACME_TEST_NOW honoured: $(first_err)"
	# a test CA bundle replaces the system one only in the test build
	ACME_TEST_CA_BUNDLES=$PB_CA run_acme --server "$PB_URL" --dir "$d" \
	    account show
	expect_rc 2
	ACME=$rel ACME_TEST_CA_BUNDLES=$PB_CA run_acme --server "$PB_URL" \
	    --dir "$d" account show
	expect_rc 1
	# the first write step kills the test build, not the release
	ACME_TEST_CRASH_AT=1 run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" \
	    --dir "$d" issue crash.example.com
	[ "$RC" = 137 ] || fail "test build: ACME_TEST_CRASH_AT=1 gave exit $RC"
	ACME=$rel ACME_TEST_CRASH_AT=1 ACME_TEST_NO_EXCHANGE=1 run_acme \
	    "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue crash.example.com
	expect_rc 0
	check_live "$d" crash.example.com DNS:crash.example.com
}

# utc FORMAT SECONDS-FROM-NOW: the time then, in date(1)'s FORMAT.
utc() { date -u -d "@$(($(date +%s) + $2))" "+$1"; }

# meta_get DIR NAME KEY: one value of live/NAME/meta.txt.
meta_get() { sed -n "s/^$3: //p" "$1/live/$2/meta.txt"; }

# time_le DIR SECONDS-FROM-NOW: DIR/time is at most that far ahead.
time_le()
{
	local t
	t=$(date -u -d "$(cat "$1/time")" +%s) || fail "DIR/time unreadable"
	[ "$t" -le $(($(date +%s) + $2)) ] ||
	    fail "DIR/time $(cat "$1/time") is ahead by more than $2 s"
}

# Every command on the trusted time: the CA's listener certificate starts
# two hours from now, DIR/time is three hours ahead and the device clock a
# day behind. Each command checks TLS at DIR/time, so all succeed, and
# none writes DIR/time. Without DIR/time, at the device clock (a lower
# bound), the certificate is not yet valid but can be at the true time:
# accepted too (acme(1), TIME); a device clock past its end is refused.
e2e trust_clock_behind
t_trust_clock_behind()
{
	local d ts
	listener_leaf future "$(utc %Y%m%d%H%M%SZ 7200)" 21500101000000Z ||
	    fail "no listener certificate"
	PB_CERT=$LEAF_CERT PB_KEY=$LEAF_KEY pebble_start pebble-future ||
	    fail "pebble did not start"
	d=$(newdir)
	ts=$(utc %Y-%m-%dT%H:%M:%SZ 10800)
	printf '%s\n' "$ts" >"$d/time"
	export ACME_TEST_NOW=$(($(date +%s) - 86400))
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue \
	    behind.example.com
	expect_rc 0
	run_acme "${ACME_PB[@]}" --dir "$d" account show
	expect_rc 0
	run_acme "${ACME_PB[@]}" --dir "$d" account update \
	    --email other@example.org
	expect_rc 0
	run_acme "${ACME_PB[@]}" --dir "$d" account rollover
	expect_rc 0
	run_acme "${ACME_PB[@]}" --dir "$d" revoke behind.example.com
	expect_rc 0
	[ "$(cat "$d/time")" = "$ts" ] || fail "DIR/time changed: $(cat "$d/time")"
	rm "$d/time"
	run_acme "${ACME_PB[@]}" --dir "$d" account show
	expect_rc 0
	ACME_TEST_NOW=7258118400 run_acme "${ACME_PB[@]}" --dir "$d" account show
	expect_rc 1
	expect_one_error_line
	grep -q 'TLS certificate expired before 2200-01-01T00:00:00Z' \
	    "$T/stderr" || fail "a clock in 2200: $(first_err)"
}

# A directory whose Date says 9999 during a forced renew: the CA's time,
# bounded by its TLS certificate (2150), has the new certificate expired,
# so it is refused and nothing changes, DIR/time included; the next
# honest run renews and keeps every valid backup.
e2e trust_ca_date_9999 pebble
t_trust_ca_date_9999()
{
	local d n=nine.example.com
	caproxy_start || fail "caproxy did not start"
	d=$(newdir)
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
	expect_rc 0
	run_acme --dir "$d" renew --force $n
	expect_rc 0
	[ -d "$d/backup/$n/1" ] || fail "no backup 1"
	snapshot "$d" >"$T/before"
	caproxy_set --date "directory=Fri, 31 Dec 9999 23:59:59 GMT"
	run_acme --dir "$d" renew --force $n
	expect_rc 1
	expect_one_error_line
	grep -q 'expired at .*before the CA.s own time 2150-.*refused, nothing changed' \
	    "$T/stderr" || fail "not refused: $(first_err)"
	expect_same "$T/before" "$d"
	caproxy_set
	run_acme --dir "$d" renew --force $n
	expect_rc 0
	[ -d "$d/backup/$n/2" ] || fail "a valid backup was deleted"
	time_le "$d" 120
}

# The Date of the certificate download must agree with the certificate:
# in 9999 (after notAfter) or a day before notBefore it is not used, the
# issuance time is notBefore + backdate, and no valid backup is purged by
# it; one that agrees (a minute after notBefore) is used. All Dates a day behind: the CA's own clock
# has the new certificate not yet valid, which is refused.
e2e trust_download_date pebble
t_trust_download_date()
{
	local d n=dl.example.com
	caproxy_start --date "cert=Fri, 31 Dec 9999 23:59:59 GMT" ||
	    fail "caproxy did not start"
	d=$(newdir)
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
	expect_rc 0
	[ "$(meta_get "$d" $n issued_at_source)" = notbefore+backdate ] ||
	    fail "a Date in 9999 was used: $(meta_get "$d" $n issued_at)"
	time_le "$d" 120
	caproxy_set --date cert=-86400
	run_acme --dir "$d" renew --force $n
	expect_rc 0
	[ "$(meta_get "$d" $n issued_at_source)" = notbefore+backdate ] ||
	    fail "a Date before notBefore was used: $(meta_get "$d" $n issued_at)"
	[ -d "$d/backup/$n/1" ] || fail "the valid backup was purged"
	caproxy_set --date cert=+60
	run_acme --dir "$d" renew --force $n
	expect_rc 0
	[ "$(meta_get "$d" $n issued_at_source)" = http-date ] ||
	    fail "a Date that agrees was not used"
	snapshot "$d" >"$T/before"
	caproxy_set --date any=-86400
	run_acme --dir "$d" renew --force $n
	expect_rc 1
	expect_one_error_line
	grep -q 'valid only from .*refused, nothing changed' "$T/stderr" ||
	    fail "not refused: $(first_err)"
	expect_same "$T/before" "$d"
}

# DIR/time never passes the notAfter of the CA's TLS certificate: a proxy
# whose certificate ends in two hours answers with a Date in 9999, a
# renew finds nothing due and raises DIR/time to that notAfter exactly;
# the next run still verifies TLS.
e2e trust_ca_time_bound pebble
t_trust_ca_time_bound()
{
	local d n=bound.example.com na
	listener_leaf short "$(utc %Y%m%d%H%M%SZ -3600)" \
	    "$(utc %Y%m%d%H%M%SZ 7200)" || fail "no listener certificate"
	CAPROXY_CERT=$LEAF_CERT CAPROXY_KEY=$LEAF_KEY caproxy_start ||
	    fail "caproxy did not start"
	na=$(date -u -d "$(openssl x509 -in "$LEAF_CERT" -noout -enddate |
	    sed 's/^notAfter=//')" +%Y-%m-%dT%H:%M:%SZ)
	d=$(newdir)
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
	expect_rc 0
	rm -f "$d/time"
	caproxy_set --date "any=Fri, 31 Dec 9999 23:59:59 GMT"
	run_acme --dir "$d" renew $n
	expect_rc 0
	grep -q 'not due' "$T/stdout" || fail "renew: $(cat "$T/stdout")"
	[ "$(cat "$d/time")" = "$na" ] ||
	    fail "DIR/time $(cat "$d/time"), expected the TLS notAfter $na"
	caproxy_set
	run_acme --dir "$d" renew $n
	expect_rc 0
}

# A DIR/time past every certificate of the CA is reported as such, with
# the file and how to reset it, not as a wrong device clock.
e2e trust_floor_ahead pebble
t_trust_floor_ahead()
{
	local d
	d=$(newdir)
	echo 2200-01-01T00:00:00Z >"$d/time"
	run_acme "${ACME_PB[@]}" --dir "$d" account show
	expect_rc 1
	expect_one_error_line
	grep -q "before 2200-01-01T00:00:00Z, the time in $d/time.*remove $d/time" \
	    "$T/stderr" || fail "not named: $(first_err)"
	rm "$d/time"
	run_acme "${ACME_PB[@]}" --dir "$d" account show
	expect_rc 2
}

# mtime_ns PATH: the modification time of PATH, in nanoseconds.
mtime_ns() { stat -c %.9Y "$1"; }

# A webroot whose .well-known/acme-challenge, or .well-known itself, is a
# symlink out of it (whoever writes the web root could aim it anywhere):
# refused with one line, nothing written or removed where it points.
e2e webroot_symlink_refused pebble
t_webroot_symlink_refused()
{
	local d w out m
	d=$(newdir)
	w=$T/www
	out=$T/outside
	mkdir -p "$w/.well-known" "$out"
	echo keep >"$out/keep"
	ln -s "$out" "$w/.well-known/acme-challenge"
	snapshot "$out" >"$T/out.before"
	m=$(mtime_ns "$out")
	run_acme "${ACME_PB[@]}" --webroot "$w" --dir "$d" issue sym.example.com
	expect_rc 1
	expect_one_error_line
	grep -q "$w/.well-known/acme-challenge is a symbolic link.*--webroot-symlinks" \
	    "$T/stderr" || fail "not the symlink line: $(first_err)"
	expect_same "$T/out.before" "$out"
	[ "$(mtime_ns "$out")" = "$m" ] || fail "$out was written to"
	[ -L "$w/.well-known/acme-challenge" ] || fail "the symlink was removed"
	rm "$w/.well-known/acme-challenge"
	rmdir "$w/.well-known"
	ln -s "$out" "$w/.well-known"
	m=$(mtime_ns "$out")
	run_acme "${ACME_PB[@]}" --webroot "$w" --dir "$d" issue sym.example.com
	expect_rc 1
	expect_one_error_line
	grep -q "$w/.well-known is a symbolic link" "$T/stderr" ||
	    fail "not the symlink line: $(first_err)"
	expect_same "$T/out.before" "$out"
	[ "$(mtime_ns "$out")" = "$m" ] || fail "$out was written to"
}

# --webroot-symlinks: a challenge directory shared by symlink on purpose
# is followed once (-v says where), the token is served and removed, and
# the choice is saved for renew.
e2e webroot_symlinks_optin pebble
t_webroot_symlinks_optin()
{
	local d w shared
	d=$(newdir)
	w=$T/www
	shared=$T/shared
	mkdir -p "$w/.well-known" "$shared"
	ln -s "$shared" "$w/.well-known/acme-challenge"
	webroot_start "$w" || fail "webroot server did not start"
	run_acme "${ACME_PB[@]}" -v --webroot "$w" --webroot-symlinks \
	    --dir "$d" issue opt.example.com
	expect_rc 0
	check_live "$d" opt.example.com DNS:opt.example.com
	grep -q "is a symbolic link, followed once to $shared" "$T/stderr" ||
	    fail "-v does not say where the link leads"
	[ -z "$(ls -A "$shared")" ] || fail "token left in $shared: $(ls "$shared")"
	grep -qx 'webroot-symlinks = yes' "$d/conf/opt.example.com.conf" ||
	    fail "webroot-symlinks not saved"
	run_acme --dir "$d" renew --force opt.example.com
	expect_rc 0
}

# pubkey FILE: the public key of a private key file.
pubkey() { openssl pkey -in "$1" -pubout 2>/dev/null; }

# A keyChange the CA applied but whose answer was lost: acme asks the CA
# which key it has and keeps the new one. When even that question finds
# no answer, key-rollover.pem stays and the next run settles it the same
# way. The account works after each.
e2e rollover_answer_lost pebble
t_rollover_answer_lost()
{
	local d acct old new
	caproxy_start || fail "caproxy did not start"
	d=$(newdir)
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue lost.example.com
	expect_rc 0
	check_account "$d"
	acct=$ACCOUNT
	old=$(pubkey "$acct/key.pem")
	caproxy_set --fail keyChange:drop:1
	run_acme "${ACME_PX[@]}" --dir "$d" account rollover
	expect_rc 0
	grep -q '"dropped": true' "$PX_LOG" || fail "the proxy dropped nothing"
	[ "$(pubkey "$acct/key.pem")" != "$old" ] || fail "the new key was lost"
	[ ! -e "$acct/key-rollover.pem" ] || fail "key-rollover.pem left"
	run_acme "${ACME_PX[@]}" --dir "$d" account show
	expect_rc 0
	# the answer and both questions lost: the new key waits on disk
	old=$(pubkey "$acct/key.pem")
	caproxy_set --fail keyChange:drop:1 --fail newAccount:503
	run_acme "${ACME_PX[@]}" --dir "$d" account rollover
	expect_rc 1
	expect_one_error_line
	grep -q 'outcome is unknown.*key-rollover.pem' "$T/stderr" ||
	    fail "not the unknown-outcome line: $(first_err)"
	[ -s "$acct/key-rollover.pem" ] || fail "key-rollover.pem not kept"
	[ "$(mode "$acct/key-rollover.pem")" = 600 ] || fail "key-rollover.pem mode"
	new=$(pubkey "$acct/key-rollover.pem")
	[ "$(pubkey "$acct/key.pem")" = "$old" ] || fail "key.pem changed"
	caproxy_set
	run_acme "${ACME_PX[@]}" --dir "$d" account show
	expect_rc 0
	grep -q 'finished an interrupted key rollover: the CA has the new key' \
	    "$T/stderr" || fail "no settle line: $(first_err)"
	[ "$(pubkey "$acct/key.pem")" = "$new" ] || fail "key.pem is not the new key"
	[ ! -e "$acct/key-rollover.pem" ] || fail "key-rollover.pem left"
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue lost2.example.com
	expect_rc 0
	# a rollover the CA refused outright: the new key is dropped at once
	caproxy_set --fail keyChange:ratelimited:1
	run_acme "${ACME_PX[@]}" --dir "$d" account rollover
	expect_rc 1
	[ ! -e "$acct/key-rollover.pem" ] || fail "a refused key was kept"
	[ "$(pubkey "$acct/key.pem")" = "$new" ] || fail "key.pem changed"
}

# DIR, DIR/conf and conf/NAME.conf name programs renew runs as root: one
# that others can write, or that another user owns, is refused with one
# line naming the path and the fix; fixed, everything works again.
e2e private_dir_conf pebble
t_private_dir_conf()
{
	local d n=priv.example.com
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
	expect_rc 0
	chmod 770 "$d"
	run_acme --dir "$d" list
	expect_rc 2
	expect_one_error_line
	grep -qF "$d is writable by group or others: chmod go-w $d" \
	    "$T/stderr" || fail "DIR g+w: $(first_err)"
	chmod 700 "$d"
	chmod 777 "$d/conf"
	run_acme --dir "$d" renew
	expect_rc 2
	expect_one_error_line
	grep -qF "$d/conf is writable by group or others: chmod go-w $d/conf" \
	    "$T/stderr" || fail "conf/ o+w: $(first_err)"
	chmod 700 "$d/conf"
	chmod 664 "$d/conf/$n.conf"
	run_acme --dir "$d" renew
	expect_rc 2
	expect_one_error_line
	grep -qF "$n: failed: $d/conf/$n.conf is writable by group or others: chmod go-w $d/conf/$n.conf" \
	    "$T/stderr" || fail "conf file g+w: $(first_err)"
	chmod 644 "$d/conf/$n.conf"
	if [ "$(id -u)" = 0 ]; then
		chown 65534 "$d/conf/$n.conf"
		run_acme --dir "$d" renew
		expect_rc 2
		grep -qF "$d/conf/$n.conf belongs to uid 65534, not to the user running acme (uid 0): chown 0 $d/conf/$n.conf" \
		    "$T/stderr" || fail "conf file of another user: $(first_err)"
		chown 0 "$d/conf/$n.conf"
		chown 65534 "$d"
		run_acme --dir "$d" list
		expect_rc 2
		grep -qF "$d belongs to uid 65534" "$T/stderr" ||
		    fail "DIR of another user: $(first_err)"
		chown 0 "$d"
	fi
	run_acme --dir "$d" renew
	expect_rc 0
	grep -q 'not due' "$T/stdout" || fail "renew: $(cat "$T/stdout")"
	# --bind goes into conf: no control character there either
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --bind "$(printf '127.0.0.1\nx')" \
	    --dir "$d" issue $n
	expect_rc 2
	expect_one_error_line
	grep -q -- '--bind: control character' "$T/stderr" ||
	    fail "--bind: $(first_err)"
}

# The EAB MAC key from a file or the environment (not only argv, which
# every user can read in /proc), never both flags; a wrong one fails.
e2e eab_file_env
t_eab_file_env()
{
	local d key
	key=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
	PEBBLE_JSON_EXTRA="\"externalAccountBindingRequired\": true, \"externalAccountMACKeys\": {\"kid-1\": \"$key\"}" \
	    pebble_start eab-file >"$T/pebble.log" 2>&1 ||
	    fail "pebble: $(tail -n 1 "$T/pebble.log")"
	printf '  %s\n' "$key" >"$T/eab.key"
	chmod 600 "$T/eab.key"
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" --eab-kid kid-1 \
	    --eab-hmac "$key" --eab-hmac-file "$T/eab.key" issue ef.example.com
	expect_rc 2
	expect_one_error_line
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" --eab-kid kid-1 \
	    --eab-hmac-file "$T/missing" issue ef.example.com
	expect_rc 2
	grep -q -- "--eab-hmac-file $T/missing: No such file" "$T/stderr" ||
	    fail "missing file: $(first_err)"
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" --eab-kid kid-1 \
	    --eab-hmac-file "$T/eab.key" issue ef.example.com
	expect_rc 0
	! grep -rq -- "$key" "$d" || fail "the EAB key was written to disk"
	d=$(newdir s2)
	ACME_EAB_HMAC=A${key#?}B run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" \
	    --dir "$d" --eab-kid kid-1 issue ee.example.com
	expect_rc 1
	[ ! -e "$d/accounts" ] || fail "an account was stored with a bad EAB"
	ACME_EAB_HMAC=$key run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" \
	    --dir "$d" --eab-kid kid-1 issue ee.example.com
	expect_rc 0
	check_live "$d" ee.example.com DNS:ee.example.com
}
