# test/e2e/40-renew.sh - renew: decisions by the CA's time, saved settings,
# the deploy hook, ARI, rate limits (sourced by test/run.sh).

# mtimes DIR: every path with its modification time (ns) and size.
mtimes() { (cd "$1" && find . -printf '%p %T@ %s\n' | LC_ALL=C sort); }

# hook_script FILE: a deploy hook that appends its environment to FILE
# (and leaves it in FILE.env0 as `env -0` prints it).
hook_script()
{
	cat >"$T/hook" <<EOF
#!/bin/sh
{ echo "run"; env | LC_ALL=C sort; } >>"$1"
env -0 >"$1.env0"
EOF
	chmod 755 "$T/hook"
}

# certid CERT: RFC 9773 certID (base64url AKI keyid "." base64url serial).
certid()
{
	"$PYTHON" - "$1" <<'EOF'
import base64, subprocess, sys
def b64u(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
t = subprocess.run(["openssl", "x509", "-in", sys.argv[1], "-noout", "-ext",
    "authorityKeyIdentifier", "-serial"], capture_output=True, text=True).stdout
aki = [l.strip() for l in t.splitlines() if ":" in l and "Identifier" not in l
       and not l.startswith("serial")][0].replace("keyid:", "")
serial = t.split("serial=")[1].split()[0]
s = bytes.fromhex(serial if len(serial) % 2 == 0 else "0" + serial)
if s[0] & 0x80:
    s = b"\0" + s
print(b64u(bytes.fromhex(aki.replace(":", ""))) + "." + b64u(s))
EOF
}

e2e renew_not_due pebble
t_renew_not_due()
{
	local d
	d=$(newdir)
	hook_script "$T/hook.log"
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" \
	    --deploy-hook "$T/hook" issue nd.example.com
	expect_rc 0
	[ "$(grep -c '^run$' "$T/hook.log")" = 1 ] || fail "issue did not run the deploy hook once"
	grep -q "^deploy-hook = $T/hook\$" "$d/conf/nd.example.com.conf" ||
	    fail "deploy-hook not saved in conf"
	[ -s "$d/time" ] || fail "DIR/time not written at issue"
	grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "$d/time" ||
	    fail "DIR/time is not one RFC 3339 line: $(head -c 80 "$d/time")"
	snapshot "$d" >"$T/snap"
	# every mtime set to 2000: any write shows, however soon it comes
	find "$d" -exec touch -h -d @946684800 {} +
	mtimes "$d" >"$T/mt"
	run_acme --dir "$d" renew
	expect_rc 0
	grep -q '^nd.example.com: not due until 20' "$T/stdout" ||
	    fail "no 'not due until' line: $(head -n 1 "$T/stdout")"
	[ ! -s "$T/stderr" ] || fail "stderr: $(first_err)"
	expect_same "$T/snap" "$d"
	mtimes "$d" >"$T/mt2"
	cmp -s "$T/mt" "$T/mt2" || fail "a no-op renew changed mtimes: $(diff "$T/mt" "$T/mt2" | head -n 2 | tr '\n' ' ')"
	[ "$(grep -c '^run$' "$T/hook.log")" = 1 ] || fail "deploy hook ran on a no-op renew"
	run_acme -q --dir "$d" renew nd.example.com
	expect_rc 0
	expect_quiet "renew -q with nothing due"
	run_acme -q --syslog --random-delay 1 --dir "$d" renew
	expect_rc 0
	expect_quiet "renew -q --syslog --random-delay 1 with nothing due"
	mtimes "$d" >"$T/mt2"
	cmp -s "$T/mt" "$T/mt2" || fail "a no-op renew -q --syslog changed DIR"
	run_acme --random-delay 86401 --dir "$d" renew
	expect_rc 2
	expect_one_error_line
	# an unknown conf key (from a newer acme) is a warning, not an error
	echo "future-key = 1" >>"$d/conf/nd.example.com.conf"
	run_acme --dir "$d" renew nd.example.com
	expect_rc 0
	grep -q "unknown key 'future-key'" "$T/stderr" || fail "no warning for an unknown key"
	run_acme --dir "$d" renew nosuch.example.com
	expect_rc 2
	expect_one_error_line
	run_acme --dir "$T/nonexistent" renew
	expect_rc 2
	expect_one_error_line
	[ ! -e "$T/nonexistent" ] || fail "renew created a missing DIR"
}

e2e renew_force_hook pebble
t_renew_force_hook()
{
	local d s1 s2 live out
	d=$(newdir)
	hook_script "$T/hook.log"
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" \
	    issue fh.example.com www.fh.example.com
	expect_rc 0
	s1=$(serial "$d/live/fh.example.com/cert.pem")
	# options given to renew win over the conf for that run only; the
	# hook sees its caller's environment (cron's, systemd's), ours on top
	CALLER_VAR='from cron' ACME_NAME=spoof ACME_EAB_HMAC=c2VjcmV0 \
	    run_acme --dir "$d" --force --deploy-hook "$T/hook" renew
	expect_rc 0
	grep -q '^fh.example.com: renewed, valid until' "$T/stdout" ||
	    fail "no 'renewed' line: $(head -n 1 "$T/stdout")"
	s2=$(serial "$d/live/fh.example.com/cert.pem")
	[ "$s1" != "$s2" ] || fail "the serial did not change"
	check_live "$d" fh.example.com DNS:fh.example.com DNS:www.fh.example.com
	[ "$(grep -c '^run$' "$T/hook.log")" = 1 ] || fail "deploy hook ran $(grep -c '^run$' "$T/hook.log") times"
	live=$(cd "$d" && pwd)/live/fh.example.com
	for v in "ACME_NAME=fh.example.com" \
	    "ACME_DOMAINS=fh.example.com www.fh.example.com" \
	    "ACME_LIVE_DIR=$live" "RENEWED_LINEAGE=$live" \
	    "RENEWED_DOMAINS=fh.example.com www.fh.example.com"; do
		grep -qxF "$v" "$T/hook.log" || fail "hook environment lacks $v"
	done
	CALLER_VAR='from cron' ACME_NAME=spoof ACME_EAB_HMAC=c2VjcmV0 \
	    env -0 >"$T/caller.env0"
	out=$(env_diff "$T/hook.log.env0" "$T/caller.env0" -ACME_EAB_HMAC \
	    "ACME_NAME=fh.example.com" \
	    "ACME_DOMAINS=fh.example.com www.fh.example.com" \
	    "ACME_LIVE_DIR=$live" "RENEWED_LINEAGE=$live" \
	    "RENEWED_DOMAINS=fh.example.com www.fh.example.com") ||
	    fail "deploy hook environment: $out"
	grep -q '^deploy-hook' "$d/conf/fh.example.com.conf" &&
	    fail "renew rewrote the conf with its one-run options"
	run_acme --dir "$d" --force --deploy-hook hook renew
	expect_rc 2
	expect_one_error_line
	[ "$(serial "$d/live/fh.example.com/cert.pem")" = "$s2" ] ||
	    fail "renewed with a relative --deploy-hook"
	# a failing hook: reported, exit 1, the new set stays
	printf '#!/bin/sh\nexit 3\n' >"$T/bad"
	chmod 755 "$T/bad"
	run_acme --dir "$d" --force --deploy-hook "$T/bad" renew fh.example.com
	expect_rc 1
	expect_one_error_line
	grep -q 'deploy hook.*exit status 3' "$T/stderr" || fail "hook failure not reported: $(first_err)"
	[ "$(serial "$d/live/fh.example.com/cert.pem")" != "$s2" ] ||
	    fail "the certificate was undone after the hook failed"
	check_live "$d" fh.example.com DNS:fh.example.com DNS:www.fh.example.com
}

# No CA reachable: no decision, a clear message, nothing written.
e2e renew_no_ca pebble
t_renew_no_ca()
{
	local d port
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue nc.example.com
	expect_rc 0
	snapshot "$d" >"$T/snap"
	port=$(free_ports 1)
	ACME_TEST_NOW=4102444800 run_acme --dir "$d" \
	    --server "https://localhost:$port/dir" renew
	expect_rc 1
	expect_one_error_line
	grep -q 'nc.example.com: failed' "$T/stderr" || fail "no 'failed' line: $(first_err)"
	expect_same "$T/snap" "$d"
}

# The device clock at 1970, true, a year ahead and 2100; the CA's clock
# (caproxy's, in front of the shared Pebble's 90-day certificates) decides
# alone. The CA's clock is moved, not waited for: 61 days ahead the
# certificate is due (2/3 of its lifetime).
e2e renew_clock pebble
t_renew_clock()
{
	local d now s1 s2 when
	caproxy_start || fail "caproxy did not start"
	d=$(newdir)
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue clk.example.com
	expect_rc 0
	s1=$(serial "$d/live/clk.example.com/cert.pem")
	now=$(date +%s)
	for when in 0 "$now"; do
		ACME_TEST_NOW=$when run_acme --dir "$d" renew
		expect_rc 0
		grep -q 'not due until' "$T/stdout" || fail "clock $when: fresh certificate not 'not due'"
	done
	caproxy_set --date-offset $((59 * 86400))
	run_acme --dir "$d" renew
	expect_rc 0
	grep -q 'not due until' "$T/stdout" || fail "due 59 days after issue"
	[ "$(serial "$d/live/clk.example.com/cert.pem")" = "$s1" ] || fail "a fresh certificate was renewed"
	caproxy_set --date-offset $((61 * 86400))
	ACME_TEST_NOW=0 run_acme --dir "$d" renew
	expect_rc 0
	grep -q 'clk.example.com: renewed' "$T/stdout" || fail "1970: due certificate not renewed: $(first_err)"
	s2=$(serial "$d/live/clk.example.com/cert.pem")
	[ "$s2" != "$s1" ] || fail "serial unchanged"
	# Back to the true time (below DIR/time now): 1970, now, a year
	# ahead, 2100: TLS verifies (the listener certificate runs to 2150)
	# and the decision is the CA's.
	caproxy_set
	for when in 0 "$(date +%s)" $(($(date +%s) + 366 * 86400)) 4102444800; do
		ACME_TEST_NOW=$when run_acme --dir "$d" renew
		expect_rc 0
		grep -q 'not due until' "$T/stdout" || fail "clock $when: renewed twice"
	done
	[ "$(serial "$d/live/clk.example.com/cert.pem")" = "$s2" ] || fail "renewed more than once"
	check_live "$d" clk.example.com DNS:clk.example.com
	snapshot "$d" >"$T/snap"
	# A clock past the CA's certificate (2200): a clear failure.
	for when in 7258118400; do
		ACME_TEST_NOW=$when run_acme --dir "$d" renew
		expect_rc 1
		expect_one_error_line
		grep -q 'TLS certificate expired before .*device clock.*acme(1)' "$T/stderr" ||
		    fail "clock $when: no clear TLS time message: $(first_err)"
		expect_same "$T/snap" "$d"
	done
}

e2e renew_ari pebble
t_renew_ari()
{
	local d id line1 line2
	caproxy_start --ari --ari-window +86400,+172800 --ari-retry-after 3600 ||
	    fail "caproxy did not start"
	d=$(newdir)
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue ari.example.com
	expect_rc 0
	[ "$(px_count newOrder replaces)" = 0 ] || fail "issue sent replaces"
	id=$(certid "$d/live/ari.example.com/cert.pem")
	px_reset
	run_acme --dir "$d" renew
	expect_rc 0
	line1=$(cat "$T/stdout")
	case $line1 in "ari.example.com: not due until"*) ;;
	*) fail "window a day ahead: $line1" ;; esac
	[ "$(px_count renewalInfo)" = 1 ] || fail "$(px_count renewalInfo) renewalInfo requests, expected 1"
	grep -q "\"certid\": \"$id\"" "$PX_LOG" || fail "certID is not $id: $(grep renewal "$PX_LOG")"
	"$PYTHON" - "$d/conf/ari.example.com.state" <<'EOF' || fail "ari-renew-at not inside the window"
import sys, time, calendar
kv = dict(l.split(" = ") for l in open(sys.argv[1]).read().splitlines() if " = " in l)
t = lambda k: calendar.timegm(time.strptime(kv[k], "%Y-%m-%dT%H:%M:%SZ"))
now = time.time()
assert t("ari-window-start") <= t("ari-renew-at") < t("ari-window-end")
assert now + 86400 - 120 < t("ari-window-start") < now + 86400 + 120
assert now + 3600 - 120 < t("ari-next-check") < now + 3600 + 120
EOF
	snapshot "$d" >"$T/snap"
	px_reset
	run_acme --dir "$d" renew
	expect_rc 0
	line2=$(cat "$T/stdout")
	[ "$line1" = "$line2" ] || fail "the point was drawn again: $line1 / $line2"
	[ "$(px_count renewalInfo)" = 0 ] || fail "renewalInfo asked again before its Retry-After"
	[ "$(px_count any)" = 1 ] || fail "a no-op renew made $(px_count any) requests, expected 1 (the directory)"
	expect_same "$T/snap" "$d"
	# a window in the past: due now; newOrder replaces the old certificate
	caproxy_set --ari --ari-window=-7200,-3600
	rm "$d/conf/ari.example.com.state"
	px_reset
	run_acme --dir "$d" renew
	expect_rc 0
	grep -q 'ari.example.com: renewed' "$T/stdout" || fail "past window: not renewed: $(first_err)"
	# one order made; every newOrder sent (a badNonce retry sends it
	# again) carried replaces
	[ "$(px_count newOrder replaces 201)" = 1 ] || fail "newOrder without replaces"
	[ "$(px_count newOrder)" = "$(px_count newOrder replaces)" ] ||
	    fail "a newOrder without replaces"
	grep '"kind": "newOrder"' "$PX_LOG" | grep -q "\"replaces\": \"$id\"" ||
	    fail "replaces is not $id"
	[ ! -e "$d/conf/ari.example.com.state" ] || fail "state kept after a renewal"
	# no renewalInfo in the directory: no replaces
	caproxy_set
	px_reset
	run_acme --dir "$d" --force renew
	expect_rc 0
	[ "$(px_count newOrder '' 201)" = 1 ] || fail "$(px_count newOrder '' 201) orders made, expected 1: $(cut -c 1-150 "$PX_LOG" | tr "\n" " ")"
	[ "$(px_count newOrder replaces)" = 0 ] || fail "replaces sent without renewalInfo"
	[ "$(px_count renewalInfo)" = 0 ] || fail "renewalInfo asked without the directory offering it"
}

e2e renew_rate_limit pebble
t_renew_rate_limit()
{
	local d ans s1 n
	caproxy_start || fail "caproxy did not start"
	d=$(newdir)
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue rl.example.com
	expect_rc 0
	s1=$(serial "$d/live/rl.example.com/cert.pem")
	for ans in 429 ratelimited 503; do
		rm -f "$d/conf/rl.example.com.state"
		caproxy_set --fail "newOrder:$ans" --retry-after 7200
		snapshot "$d/live" >"$T/snap"
		run_acme --dir "$d" --force renew
		expect_rc 1
		expect_one_error_line
		grep -q 'rl.example.com: failed: rate limited until 20' "$T/stderr" ||
		    fail "$ans: not reported with the CA's time: $(first_err)"
		grep -q '^rate-limited-until = ' "$d/conf/rl.example.com.state" ||
		    fail "$ans: rate limit not persisted"
		expect_same "$T/snap" "$d/live"
		px_reset
		run_acme --dir "$d" --force renew
		expect_rc 1
		expect_one_error_line
		n=$(px_count newOrder)
		[ "$n" = 0 ] || fail "$ans: $n newOrder before the rate limit's end"
	done
	# an HTTP-date Retry-After, and a server error without one
	rm -f "$d/conf/rl.example.com.state"
	caproxy_set --fail newOrder:429 --retry-after date+5400
	run_acme --dir "$d" --force renew
	expect_rc 1
	grep -q 'rate limited until' "$T/stderr" || fail "HTTP-date Retry-After: $(first_err)"
	rm -f "$d/conf/rl.example.com.state"
	caproxy_set --fail finalize:500
	snapshot "$d/live" >"$T/snap"
	run_acme --dir "$d" --force renew
	expect_rc 1
	expect_one_error_line
	expect_same "$T/snap" "$d/live"
	[ ! -e "$d/conf/rl.example.com.state" ] || fail "a server error was kept as a rate limit"
	[ "$(serial "$d/live/rl.example.com/cert.pem")" = "$s1" ] || fail "live set changed"
}

# Our X.509 engine (installed for the validation time) still checks the
# host name: a certificate from the trusted CA for another name fails, the
# right one gets past TLS (to fakeca's problem answer), at a 1970 clock.
e2e tls_time_hostname
t_tls_time_hostname()
{
	local d st name
	lib_init || fail "lib_init"
	printf '%s\n' "subjectAltName=DNS:other.example" \
	    "basicConstraints=critical,CA:FALSE" \
	    "extendedKeyUsage=serverAuth" >"$T/ext.cnf"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/other.key" -out "$T/other.csr" -subj "/CN=other.example" \
	    >/dev/null 2>&1 &&
	openssl x509 -req -in "$T/other.csr" -CA "$LISTENER_CA" \
	    -CAkey "${LISTENER_CA%/ca.pem}/ca.key" -CAcreateserial -days 2 \
	    -extfile "$T/ext.cnf" -out "$T/other.pem" >/dev/null 2>&1 ||
	    fail "openssl could not make the certificate"
	for name in other listener; do
		if [ $name = other ]; then
			set -- --cert "$T/other.pem" --key "$T/other.key"
		else
			set -- --cert "$LISTENER_CERT" --key "$LISTENER_KEY"
		fi
		rm -f "$T/port"
		lib_spawn "$T/fakeca-$name.log" "$PYTHON" "$LIB_HERE/fakeca.py" \
		    --mode problem "$@" --port-file "$T/port" --lifetime 60
		st=$(lib_starttime "$LIB_PID")
		wait_for "$LIB_PID" "$st" fakeca test -s "$T/port" ||
		    fail "fakeca did not start"
		d=$(newdir "state-$name")
		date -u +%Y-%m-%dT%H:%M:%SZ >"$d/time"
		ACME_TEST_NOW=0 run_acme --server "https://localhost:$(cat "$T/port")/dir" \
		    --ca-file "$LISTENER_CA" --agree-tos --standalone \
		    --http-port "$(free_ports 1)" --bind 127.0.0.1 \
		    --dir "$d" issue host.example.com
		expect_rc 1
		expect_one_error_line
		if [ $name = other ]; then
			grep -q 'server name' "$T/stderr" ||
			    fail "a certificate for another name was not refused: $(first_err)"
		else
			grep -q 'fakeca refuses' "$T/stderr" ||
			    fail "the right certificate did not pass TLS at 1970 with DIR/time: $(first_err)"
		fi
	done
}

# --days saved at issue decides; --days given to renew overrides it.
e2e renew_days pebble
t_renew_days()
{
	local d
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" --days 95 \
	    issue days.example.com
	expect_rc 0
	grep -q '^days = 95$' "$d/conf/days.example.com.conf" || fail "days not saved"
	run_acme --dir "$d" --days 10 renew
	expect_rc 0
	grep -q 'days.example.com: not due until' "$T/stdout" ||
	    fail "--days 10 on renew did not override the saved 95: $(head -n 1 "$T/stdout")"
	run_acme --dir "$d" renew
	expect_rc 0
	grep -q 'days.example.com: renewed' "$T/stdout" ||
	    fail "saved --days 95 on a 90-day certificate: not renewed: $(first_err)"
}

# Several certificates saved with --ca-file, renewed in one run over one
# session: each renewed (the session once kept a pointer into the first
# name's conf, freed before the second name).
e2e renew_several pebble
t_renew_several()
{
	local d i
	d=$(newdir)
	for i in 1 2 3; do
		run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" \
		    issue "s$i.example.com"
		expect_rc 0
	done
	run_acme --dir "$d" --force renew
	expect_rc 0
	for i in 1 2 3; do
		grep -q "^s$i.example.com: renewed" "$T/stdout" ||
		    fail "s$i.example.com not renewed: $(first_err)"
	done
}
