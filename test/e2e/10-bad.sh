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

# The options of OPTIONS in acme.c (the one option table), one
# "FIELD NAME LETTER" line each (LETTER 0 when none).
opt_rows()
{
	sed -n "s/^X(\([a-z_]*\), \"\([a-z-]*\)\", '\{0,1\}\([0-9A-Za-z]\)'\{0,1\},.*/\1 \2 \3/p" \
	    "$LIB_REPO/acme.c"
}

# man_esc WORD: WORD as acme.1 writes it (every - as \-).
man_esc() { printf '%s' "$1" | sed 's/-/\\-/g'; }

# The table against its three hand-written neighbours: every option is in
# --help and has its entry (.TP tag) in acme.1, and neither shows an option
# the table lacks; every field of acme.h's struct acme_options belongs to
# an option (the compiler checks the other way round).
e2e cli_options_documented
t_cli_options_documented()
{
	local field name letter e n=0 tags fields
	run_acme --help
	expect_rc 0
	tags=$(awk '/^\.TP/ { getline; print }' "$LIB_REPO/acme.1")
	while read -r field name letter; do
		n=$((n + 1))
		e=$(man_esc "$name")
		if [ "$letter" = 0 ]; then
			grep -qE -- "^  --$name( |\$)" "$T/stdout" ||
			    fail "--help lacks --$name"
			printf '%s\n' "$tags" | grep -qxF -e ".B \\-\\-$e" ||
			    printf '%s\n' "$tags" | grep -qF ".BI \\-\\-$e \"" ||
			    fail "acme.1 has no entry for --$name"
		else
			grep -qE -- "^  -$letter, --$name( |\$)" "$T/stdout" ||
			    fail "--help lacks -$letter, --$name"
			printf '%s\n' "$tags" |
			    grep -qxF ".BR \\-$letter \", \" \\-\\-$e" ||
			    fail "acme.1 has no entry for -$letter, --$name"
		fi
	done < <(opt_rows)
	[ "$n" -ge 40 ] || fail "only $n options found in acme.c's OPTIONS"
	# nothing beyond the table
	[ "$(grep -cE '^  (-., )?--[a-z]' "$T/stdout")" = "$n" ] ||
	    fail "--help shows $(grep -cE '^  (-., )?--[a-z]' "$T/stdout") options, the table has $n"
	for e in $(printf '%s\n' "$tags" | grep -E '^\.B[IR]? \\-' |
	    grep -oE '\\-\\-[a-z\\-]+' | sed 's/\\-/-/g; s/^--//' | sort -u); do
		opt_rows | grep -q " $e " || fail "acme.1 documents --$e, which the table lacks"
	done
	fields=$(sed -nE '/^struct acme_options \{/,/^\};/s/^'$'\t''(const char|int)[[:space:]]+\*?([a-z_]+);.*/\2/p' \
	    "$LIB_REPO/acme.h")
	[ "$(printf '%s\n' "$fields" | wc -l)" -ge 30 ] || fail "acme.h: fields not found"
	for e in $fields; do
		opt_rows | grep -q "^$e " || fail "acme.h's $e is no option of the table"
	done
}

# The command line's refusals, word for word: a value that is no number
# or port (cli_number), a missing value, a number beyond the option's
# limit (api_limits, before anything else).
e2e cli_bad_values
t_cli_bad_values()
{
	local args want
	while IFS='|' read -r args want; do
		# shellcheck disable=SC2086
		usage 2 $args
		[ "$(cat "$T/stderr")" = "$want" ] ||
		    fail "$args: '$(first_err)', not '$want'"
	done <<'EOF2'
--days 1x list|acme: --days: bad number '1x'
--dns-wait -1 list|acme: --dns-wait: bad number '-1'
--standalone --http-port 0 issue x.example.com|acme: --http-port: bad port '0'
--standalone --tls-port 65536 issue x.example.com|acme: --tls-port: bad port '65536'
--standalone --days 3651 issue x.example.com|acme: --days: 0 to 3650
--standalone --hook-timeout 3601 issue x.example.com|acme: --hook-timeout: 1 to 3600 seconds
--random-delay 86401 renew|acme: --random-delay: 0 to 86400 seconds
--standalone issue x.example.com --profile|acme: --profile needs a value
-x issue x.example.com|acme: unknown option '-x' (see acme --help)
EOF2
}

e2e cli_version
t_cli_version()
{
	run_acme --version
	expect_rc 0
	[ "$(wc -l <"$T/stdout")" = 1 ] || fail "--version is not one line on stdout"
	[ ! -s "$T/stderr" ] || fail "--version wrote to stderr: $(first_err)"
}
