# test/e2e/10-bad.sh - bad input and misbehaving servers (sourced by run.sh).
#
# Every case: exit status 1 or 2 as the contract says, exactly one stderr
# line starting "acme: ", and the state directory exactly as it was.
# Usage cases name https://localhost:1/dir as server (connection refused):
# an acme that wrongly went on to the network exits 1 instead of 2, and
# nothing ever leaves this machine.

NOWHERE=https://localhost:1/dir

# refuse RC ARGS...: run acme --dir FRESH ARGS and check the refusal.
refuse()
{
	local want=$1 d
	shift
	d=$(newdir)
	snapshot "$d" >"$T/before"
	run_acme --dir "$d" "$@"
	expect_rc "$want"
	expect_one_error_line
	expect_same "$T/before" "$d"
}

# usage RC ARGS...: as refuse, against the unreachable server.
usage() { local rc=$1; shift; refuse "$rc" --server "$NOWHERE" --agree-tos "$@"; }

e2e bad_option
t_bad_option() { usage 2 --no-such-option issue x.example.com; }

e2e bad_no_command
t_bad_no_command() { usage 2; }

e2e bad_unknown_command
t_bad_unknown_command() { usage 2 frobnicate x.example.com; }

e2e bad_missing_name
t_bad_missing_name() { usage 2 --standalone issue; }

e2e bad_label_without_identifier
t_bad_label_without_identifier() { usage 2 --standalone issue site; }

e2e bad_dns_space
t_bad_dns_space() { usage 2 --standalone issue 'exa mple.com'; }

e2e bad_dns_empty_label
t_bad_dns_empty_label() { usage 2 --standalone issue 'a..b'; }

e2e bad_dns_char
t_bad_dns_char() { usage 2 --standalone issue 'bad!name.example.com'; }

e2e bad_dns_long_label
t_bad_dns_long_label()
{
	usage 2 --standalone issue "$(printf 'a%.0s' $(seq 64)).example.com"
}

e2e bad_dns_identifier
t_bad_dns_identifier()
{
	usage 2 --standalone issue site ok.example.com 'no good.example.com'
}

e2e bad_ipv4
t_bad_ipv4() { usage 2 --standalone issue site 127.0.0.256; }

e2e bad_ipv6
t_bad_ipv6() { usage 2 --standalone issue site 1::2::3; }

e2e bad_name_slash
t_bad_name_slash() { usage 2 --standalone issue a/b x.example.com; }

e2e bad_name_dotdot
t_bad_name_dotdot() { usage 2 --standalone issue .. x.example.com; }

e2e bad_name_dot
t_bad_name_dot() { usage 2 --standalone issue . x.example.com; }

e2e bad_key_type
t_bad_key_type() { usage 2 --standalone --key-type rsa1024 issue x.example.com; }

e2e bad_http_port
t_bad_http_port() { usage 2 --standalone --http-port 70000 issue x.example.com; }

e2e bad_http_server
t_bad_http_server()
{
	refuse 2 --server http://localhost:1/dir --agree-tos --standalone \
	    issue x.example.com
}

e2e bad_ca_file_missing
t_bad_ca_file_missing()
{
	usage 2 --ca-file "$T/no-such-file.pem" --standalone issue x.example.com
}

e2e unreachable_server
t_unreachable_server() { usage 1 --standalone issue x.example.com; }

# ---- servers that misbehave (test/fakeca.py) -------------------------

# fake MODE: refuse 1 against fakeca in MODE.
fake()
{
	fakeca_start "$1" || fail "fakeca did not start"
	mkdir -p "$T/www"
	refuse 1 --server "$FAKE_URL" --ca-file "$LISTENER_CA" --agree-tos \
	    --email test@example.com --webroot "$T/www" issue x.example.com
}

e2e server_500
t_server_500() { fake 500; }

e2e server_garbage
t_server_garbage() { fake garbage; }

# The problem document's detail reaches the user.
e2e server_problem
t_server_problem()
{
	fake problem
	grep -q 'fakeca refuses every request' "$T/stderr" ||
	    fail "stderr does not carry the server's problem detail"
}

# Server text is escaped: no newline (one line is checked) and no control
# characters reach the terminal.
e2e server_problem_escaped
t_server_problem_escaped()
{
	fake escape
	grep -q 'fakeca refuses' "$T/stderr" ||
	    fail "stderr does not carry the server's problem detail"
	! head -c -1 "$T/stderr" | LC_ALL=C grep -q '[[:cntrl:]]' ||
	    fail "stderr holds raw control characters from the server"
	grep -qF 'fakeca refuses\nsecond line \x1b[31mred\x1b[0m \x07bell' \
	    "$T/stderr" || fail "the server's text is not escaped: $(first_err)"
}

# badNonce forever: acme retries a bounded number of times, then fails.
e2e server_badnonce_forever
t_server_badnonce_forever() { fake badnonce; }

# A server that never answers: acme gives up (30 s) and fails. Slow, so
# run only by name or with E2E_SLOW=1.
e2e server_hang slow
t_server_hang()
{
	local t0=$SECONDS
	fake hang
	[ $((SECONDS - t0)) -le 90 ] || fail "took $((SECONDS - t0))s to give up"
}

# ---- the command line itself -----------------------------------------

e2e cli_help
t_cli_help()
{
	run_acme --help
	expect_rc 0
	grep -q issue "$T/stdout" || fail "--help does not mention issue on stdout"
	[ ! -s "$T/stderr" ] || fail "--help wrote to stderr: $(first_err)"
}

e2e cli_version
t_cli_version()
{
	run_acme --version
	expect_rc 0
	[ "$(wc -l <"$T/stdout")" = 1 ] || fail "--version is not one line on stdout"
	[ ! -s "$T/stderr" ] || fail "--version wrote to stderr: $(first_err)"
}
