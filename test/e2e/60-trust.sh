# test/e2e/60-trust.sh - trust hardening (issue 8): every command on the
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
	grep -q 'expired or not yet valid' "$T/stderr" ||
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
