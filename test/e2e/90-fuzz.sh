# test/e2e/90-fuzz.sh - the libFuzzer fuzzers (test/fuzz_*.c) build and
# run each a few seconds without a finding (sourced by test/run.sh).
# `make fuzz` runs them for longer, FUZZ_SECONDS each (the Makefile).

FUZZ_CI_SECONDS=${FUZZ_CI_SECONDS:-5}

# fuzz_toolchain: clang with libFuzzer (Debian: clang, libclang-rt-14-dev).
fuzz_toolchain()
{
	command -v clang >/dev/null ||
	    skip "clang not installed (vendor/deps.sh installs it)"
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
	    '{ (void)d; (void)n; return 0; }' >"$T/probe.c"
	clang -fsanitize=fuzzer,address -o "$T/probe" "$T/probe.c" \
	    >"$T/probe.log" 2>&1 ||
	    skip "clang cannot link libFuzzer (libclang-rt-14-dev): $(head -n 1 "$T/probe.log")"
}

e2e fuzz noacme built
t_fuzz()
{
	local f n=0
	fuzz_toolchain
	make -C "$LIB_REPO" -j2 fuzzers >"$T/build.log" 2>&1 ||
	    fail "make fuzzers: $(grep -m 1 -E 'error:|Error [0-9]' "$T/build.log")"
	set --
	for f in "$LIB_REPO"/test/fuzz_*.c; do
		f=${f##*/}
		set -- "$@" "$LIB_REPO/fuzz/${f%.c}"
		n=$((n + 1))
	done
	[ "$n" -ge 7 ] || fail "only $n fuzzers in test/"
	FUZZ_WORK=$T/work sh "$LIB_HERE/fuzz.sh" "$FUZZ_CI_SECONDS" "$@" \
	    >"$T/fuzz.out" 2>&1
	cat "$T/fuzz.out"
	grep -q FINDING "$T/fuzz.out" &&
	    fail "$(grep -m 1 FINDING "$T/fuzz.out") $(grep -m 1 SUMMARY "$T/fuzz.out")"
	[ "$(grep -c 'no finding$' "$T/fuzz.out")" = "$n" ] ||
	    fail "not every fuzzer ran: $(grep -v 'no finding$' "$T/fuzz.out" | head -n 1)"
}
