# test/e2e/30-challenges.sh - challenge types and the challenge hook (sourced by
# test/run.sh): dns-01 and http-01 through a uacme-style hook talking to
# pebble-challtestsrv, wildcards, fallback when the hook declines, the
# tls-alpn-01 responder, hook timeouts, and option checks.

CHAL_HOOK=$LIB_HERE/hooks/challtestsrv-hook.sh

# mkhook [VAR=VALUE...]: write $T/hook, a wrapper that gives the test hook
# its settings and logs to $T/hook.log. Prints the wrapper's path.
mkhook()
{
	local v
	{
		echo '#!/bin/sh'
		echo "export CHALLTESTSRV='$PB_CMGMT' HOOK_LOG='$T/hook.log'"
		for v in "$@"; do
			echo "export ${v%%=*}='${v#*=}'"
		done
		echo "exec '$CHAL_HOOK' \"\$@\""
	} >"$T/hook"
	chmod 755 "$T/hook"
	: >"$T/hook.log"
	echo "$T/hook"
}

# calls: the hook log without the environment part.
calls() { sed 's/ | env:.*//' "$T/hook.log"; }

# thumbprint DIR: RFC 7638 thumbprint of the P-256 account key in DIR.
thumbprint()
{
	openssl pkey -in "$(find "$1/accounts" -name key.pem)" -pubout \
	    -outform DER 2>/dev/null | tail -c 64 | "$PYTHON" -c '
import base64, hashlib, sys
p = sys.stdin.buffer.read()
b = lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()
jwk = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}" % (b(p[:32]), b(p[32:]))
print(b(hashlib.sha256(jwk.encode()).digest()))'
}

# b64sha TEXT: base64url(SHA-256(TEXT)), the dns-01 TXT value.
b64sha()
{
	printf '%s' "$1" | "$PYTHON" -c '
import base64, hashlib, sys
print(base64.urlsafe_b64encode(hashlib.sha256(sys.stdin.buffer.read()).digest()).rstrip(b"=").decode())'
}

# expect_auth DIR: every call's AUTH is what uacme passes for its TYPE:
# the key authorization TOKEN.THUMBPRINT (http-01) or its base64url
# SHA-256 digest (dns-01, tls-alpn-01).
expect_auth()
{
	local tp n m type ident token auth want
	tp=$(thumbprint "$1")
	[ -n "$tp" ] || fail "cannot compute the account key thumbprint"
	while read -r n m type ident token auth; do
		[ "$n" = 5 ] || fail "the hook got $n arguments, expected 5"
		case $type in
		http-01) want=$token.$tp ;;
		*) want=$(b64sha "$token.$tp") ;;
		esac
		[ "$auth" = "$want" ] ||
		    fail "$m $type $ident: AUTH $auth, expected $want"
	done < <(calls)
}

e2e chal_dns01 pebble
t_chal_dns01()
{
	local d h out
	d=$(newdir)
	h=$(mkhook)
	SECRET_CANARY=leak HOOK_ENV0="$T/hook.env0" run_acme "${ACME_PB[@]}" \
	    --hook "$h" --challenge dns-01 --dir "$d" issue dns1.example.com
	expect_rc 0
	check_live "$d" dns1.example.com DNS:dns1.example.com
	[ "$(calls | awk '{ print $2, $3, $4 }' | paste -sd ' ')" = \
	    "begin dns-01 dns1.example.com done dns-01 dns1.example.com" ] ||
	    fail "hook calls: $(calls | paste -sd ';')"
	expect_auth "$d"
	# the caller's environment, nothing of ours added (no secret)
	SECRET_CANARY=leak HOOK_ENV0="$T/hook.env0" env -0 >"$T/caller.env0"
	out=$(env_diff "$T/hook.env0" "$T/caller.env0") ||
	    fail "hook environment: $out"
	grep -qx 'challenge = dns-01' "$d/conf/dns1.example.com.conf" &&
	    grep -qx "hook = $h" "$d/conf/dns1.example.com.conf" ||
	    fail "conf lacks challenge/hook: $(paste -sd ';' "$d/conf/dns1.example.com.conf")"
}

# A --hook path of about 2,000 bytes (up to PATH_LEN_MAX is accepted) is
# saved in conf/NAME.conf whole, and renew runs it from there. (A line
# over 1,000 bytes used to be left out of the conf, silently.)
e2e chal_hook_long_path pebble
t_chal_hook_long_path()
{
	local d h long i n=longhook.example.com
	d=$(newdir)
	h=$(mkhook)
	long=$T/hook.d
	for i in 1 2 3 4 5 6 7 8 9 10; do
		long=$long/$(printf '%0200d' "$i")
	done
	mkdir -p "$long"
	long=$long/hook
	cp "$h" "$long"
	[ "${#long}" -gt 1900 ] || fail "the hook path is only ${#long} bytes"
	run_acme "${ACME_PB[@]}" --hook "$long" --challenge dns-01 \
	    --dir "$d" issue $n
	expect_rc 0
	grep -qxF "hook = $long" "$d/conf/$n.conf" ||
	    fail "conf lacks the hook: $(cut -c 1-60 "$d/conf/$n.conf" | paste -sd ';')"
	: >"$T/hook.log"
	run_acme --dir "$d" --force renew $n
	expect_rc 0
	[ "$(calls | awk '{ print $2, $3, $4 }' | paste -sd ' ')" = \
	    "begin dns-01 $n done dns-01 $n" ] ||
	    fail "renew did not run the saved hook: $(calls | paste -sd ';')"
}

# A wildcard and its base name: two authorizations for one name, both
# dns-01 (the hook is offered dns-01 first). uacme-style hooks keep one
# TXT value per name, so the second begins only after the first is done.
e2e chal_wildcard pebble
t_chal_wildcard()
{
	local d h
	d=$(newdir)
	h=$(mkhook)
	run_acme "${ACME_PB[@]}" --hook "$h" --dir "$d" \
	    issue wild.example.com '*.wild.example.com'
	expect_rc 0
	check_live "$d" wild.example.com DNS:wild.example.com \
	    'DNS:*.wild.example.com'
	[ "$(calls | awk '{ print $2, $3, $4 }' | paste -sd ';')" = \
	    "begin dns-01 wild.example.com;done dns-01 wild.example.com;begin dns-01 wild.example.com;done dns-01 wild.example.com" ] ||
	    fail "hook calls: $(calls | paste -sd ';')"
	[ "$(calls | awk '$2 == "begin" { print $5 }' | sort -u | wc -l)" = 2 ] ||
	    fail "the two begins had the same token"
	expect_auth "$d"
	# NAME may be the wildcard itself
	run_acme "${ACME_PB[@]}" --hook "$h" --dir "$d" issue '*.w2.example.com'
	expect_rc 0
	check_live "$d" '*.w2.example.com' 'DNS:*.w2.example.com'
}

# The hook declines dns-01 (exit 1 on begin): acme offers it http-01,
# which it places in a webroot served by our test web server. No done or
# failed call for the declined challenge.
e2e chal_hook_decline pebble
t_chal_hook_decline()
{
	local d h w
	d=$(newdir)
	w=$T/www
	mkdir "$w"
	h=$(mkhook HOOK_DECLINE=dns-01 HOOK_WEBROOT="$w")
	webroot_start "$w" || fail "webroot server did not start"
	run_acme "${ACME_PB[@]}" --hook "$h" --dir "$d" issue decline.example.com
	expect_rc 0
	check_live "$d" decline.example.com DNS:decline.example.com
	[ "$(calls | awk '{ print $2, $3 }' | paste -sd ';')" = \
	    "begin dns-01;begin http-01;done http-01" ] ||
	    fail "hook calls: $(calls | paste -sd ';')"
	expect_auth "$d"
	[ -z "$(find "$w" -type f)" ] || fail "the hook's token file is left"
}

# http-01 through the hook, for a DNS name and an IP address (RFC 8738).
e2e chal_http01_hook pebble
t_chal_http01_hook()
{
	local d h w
	d=$(newdir)
	w=$T/www
	mkdir "$w"
	h=$(mkhook HOOK_WEBROOT="$w")
	webroot_start "$w" || fail "webroot server did not start"
	run_acme "${ACME_PB[@]}" --challenge http-01 --hook "$h" --dir "$d" \
	    issue hookweb.example.com 127.0.0.1
	expect_rc 0
	check_live "$d" hookweb.example.com DNS:hookweb.example.com \
	    "IP Address:127.0.0.1"
	[ "$(calls | awk '{ print $2, $3 }' | sort | paste -sd ';')" = \
	    "begin http-01;begin http-01;done http-01;done http-01" ] ||
	    fail "hook calls: $(calls | paste -sd ';')"
	calls | grep -q '^5 begin http-01 127\.0\.0\.1 ' ||
	    fail "no begin for 127.0.0.1: $(calls | paste -sd ';')"
	expect_auth "$d"
}

# A hook that hangs: stopped after --hook-timeout with its whole process
# group, one clear error line, 'failed' still called, nothing installed.
e2e chal_hook_timeout pebble
t_chal_hook_timeout()
{
	local d h pids p i
	d=$(newdir)
	h=$(mkhook HOOK_SLEEP=60 HOOK_PIDS="$T/pids.hook")
	run_acme "${ACME_PB[@]}" --hook "$h" --hook-timeout 2 --dir "$d" \
	    issue slow.example.com
	expect_rc 1
	expect_one_error_line
	grep -q 'did not finish within 2 s' "$T/stderr" ||
	    fail "error does not say what happened: $(first_err)"
	[ "$(calls | awk '{ print $2, $3 }' | paste -sd ';')" = \
	    "begin dns-01;failed dns-01" ] ||
	    fail "hook calls: $(calls | paste -sd ';')"
	pids=$(cat "$T/pids.hook" 2>/dev/null)
	[ -n "$pids" ] || fail "the hook did not record its pids"
	# SIGKILL reaches each member of the group when the kernel next
	# schedules it: gone within seconds, far below the hook's 60
	for p in $pids; do
		for i in $(seq 100); do
			[ -d "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" ||
			    break
			sleep 0.1
		done
		[ -d "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" &&
		    fail "hook process $p still runs 10 s after the timeout"
	done
	[ ! -e "$d/live/slow.example.com" ] || fail "live/slow.example.com exists"
}

# tls-alpn-01 answered by the built-in responder (RFC 8737) for a DNS name.
e2e chal_tlsalpn pebble
t_chal_tlsalpn()
{
	local d
	d=$(newdir)
	run_acme "${ACME_PB[@]}" --standalone --challenge tls-alpn-01 \
	    --tls-port "$PB_TLS_PORT" --bind 127.0.0.1 --dir "$d" \
	    issue alpn.example.com www.alpn.example.com
	expect_rc 0
	check_live "$d" alpn.example.com DNS:alpn.example.com \
	    DNS:www.alpn.example.com
	grep -q '^tls-port = ' "$d/conf/alpn.example.com.conf" ||
	    fail "conf lacks tls-port"
	! grep -q 'validate w/ HTTP: http://[a-z.]*alpn\.example\.com' \
	    "$PB_DIR/pebble.log" || fail "pebble validated over HTTP"
	grep -q 'Identifier:acme.Identifier{Type:"dns", Value:"www.alpn.example.com"}' \
	    "$PB_DIR/pebble.log" || fail "pebble never validated www.alpn.example.com"
}

# tls-alpn-01 for IP identifiers (RFC 8738 6: SNI is the reverse name).
e2e chal_tlsalpn_ip pebble
t_chal_tlsalpn_ip()
{
	local d
	d=$(newdir)
	run_acme "${ACME_PB[@]}" --standalone --challenge tls-alpn-01 \
	    --tls-port "$PB_TLS_PORT" --bind 127.0.0.1 --dir "$d" issue 127.0.0.1
	expect_rc 0
	check_live "$d" 127.0.0.1 "IP Address:127.0.0.1"
	"$PYTHON" -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
	    2>/dev/null || { echo "no IPv6 loopback: ::1 not tried"; return 0; }
	run_acme "${ACME_PB[@]}" --standalone --challenge tls-alpn-01 \
	    --tls-port "$PB_TLS_PORT" --bind ::1 --dir "$d" issue ::1
	expect_rc 0
	check_live "$d" ::1 "IP Address:0:0:0:0:0:0:0:1"
}

# Option checks before any request: exit 2, one line, nothing written.
e2e chal_bad_options
t_chal_bad_options()
{
	local h=$T/hook.sh
	printf '#!/bin/sh\nexit 0\n' >"$h"
	chmod 755 "$h"
	expect_usage_errors 12 <<EOF2
--challenge dns-02 --hook "$h" issue x.example.com
--challenge dns-01 --standalone issue x.example.com
--challenge tls-alpn-01 --webroot "$T" issue x.example.com
issue x.example.com
--standalone issue '*.example.com'
--hook "$h" --challenge http-01 issue '*.example.com'
--hook "$h" issue 'a.*.example.com'
--hook "$h" --challenge dns-01 issue 127.0.0.1
--hook "$T/no-such-hook" issue x.example.com
--hook "$h" --hook-timeout 5000 issue x.example.com
--hook "$h" --dns-wait -1 issue x.example.com
--standalone --tls-port 0 issue x.example.com
EOF2
}

# Every challenge option is in --help and in the man page.
e2e chal_docs
t_chal_docs()
{
	local o
	run_acme --help
	expect_rc 0
	for o in challenge hook hook-timeout dns-wait tls-port; do
		grep -q -- "--$o " "$T/stdout" || fail "--help lacks --$o"
		grep -qF -- ".BI $(printf '%s' "--$o" | sed 's/-/\\-/g') " \
		    "$LIB_REPO/acme.1" || fail "acme.1 lacks --$o"
	done
	grep -q '^\.SH CHALLENGES' "$LIB_REPO/acme.1" || fail "acme.1 lacks CHALLENGES"
	grep -q '^| challenges' "$LIB_REPO/README.md" || fail "README lacks the challenges row"
}

# --standalone and --hook together: the responder answers what it can
# (http-01), the hook only what needs it (the wildcard's dns-01), which
# waits for a second round because its name is the base name's too.
e2e chal_mixed pebble
t_chal_mixed()
{
	local d h
	d=$(newdir)
	h=$(mkhook)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --hook "$h" --dns-wait 1 \
	    --dir "$d" issue mix.example.com '*.mix.example.com' www.mix.example.com
	expect_rc 0
	check_live "$d" mix.example.com DNS:mix.example.com \
	    'DNS:*.mix.example.com' DNS:www.mix.example.com
	[ "$(calls | awk '{ print $2, $3, $4 }' | paste -sd ';')" = \
	    "begin dns-01 mix.example.com;done dns-01 mix.example.com" ] ||
	    fail "hook calls: $(calls | paste -sd ';')"
	grep -qx 'dns-wait = 1' "$d/conf/mix.example.com.conf" ||
	    fail "conf lacks dns-wait"
	! grep -q '^challenge' "$d/conf/mix.example.com.conf" ||
	    fail "conf names a challenge that was not asked for"
}

# A hook that says yes but puts nothing in place: the server's problem
# is the one error line, and 'failed' is called.
e2e chal_hook_lies pebble
t_chal_hook_lies()
{
	local d h
	d=$(newdir)
	h=$(mkhook HOOK_LIE=1)
	run_acme "${ACME_PB[@]}" --hook "$h" --challenge dns-01 --dir "$d" \
	    issue lies.example.com
	expect_rc 1
	expect_one_error_line
	grep -q 'lies.example.com: challenge failed' "$T/stderr" ||
	    fail "error does not name the failed challenge: $(first_err)"
	[ "$(calls | awk '{ print $2, $3 }' | paste -sd ';')" = \
	    "begin dns-01;failed dns-01" ] ||
	    fail "hook calls: $(calls | paste -sd ';')"
	[ ! -e "$d/live/lies.example.com" ] || fail "live/lies.example.com exists"
}

# A built-in responder Pebble cannot reach (wrong port): the one error
# line is the server's verdict on the challenge, not some earlier,
# harmless note (Pebble's data: termsOfService once leaked through).
e2e chal_standalone_unreachable pebble
t_chal_standalone_unreachable()
{
	local d
	d=$(newdir)
	run_acme "${ACME_PB[@]}" --standalone --http-port "$(free_ports 1)" \
	    --bind 127.0.0.1 --dir "$d" issue unreach.example.com
	expect_rc 1
	expect_one_error_line
	grep -q 'unreach.example.com: challenge failed' "$T/stderr" ||
	    fail "error does not name the failed challenge: $(first_err)"
}
