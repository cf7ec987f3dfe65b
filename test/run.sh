#!/usr/bin/env bash
# test/run.sh - acme's test driver: unit tests, then end-to-end tests.
#
#   bash test/run.sh                 unit tests + every e2e test but the slow
#   bash test/run.sh NAME|GLOB...    only these (e2e names or globs; other
#                                    words are handed to the unit binary)
#   bash test/run.sh unit | e2e      one suite only
#   bash test/run.sh --list          list e2e test names
#
# Environment: ACME (binary under test, default ./acme-test beside test/:
# a test build, see acme(1) ENVIRONMENT), ACME_RELEASE (the release binary,
# default ./acme, for the test that it ignores the test switches),
# UNIT (unit test binary; not run when unset), CI=true (a test that cannot
# run counts as failed instead of skipped), E2E_SLOW=1 (also run slow
# tests), KEEP_TMP=1 (keep the temp dir), ACME_TIMEOUT (seconds per run),
# E2E_TIMES=1 (show each e2e test's duration), TEST_BUILD (a command, run
# by sh in the background from the start, that builds what the e2e tests
# marked `built` need: they run last, once it is done; its failure is the
# failed test `build`. `make test` sets it: device targets, fuzzers,
# step-ca).
#
# Prints `ok NAME`, `FAIL NAME: reason` or `skip NAME: reason` per test
# (details of a failure go to stderr), then one line `N passed, N failed`
# (`, N skipped` when any). Exit status 1 when anything failed.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
umask 022

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

ACME=${ACME:-$LIB_REPO/acme-test}
case $ACME in /*) ;; *) ACME=$PWD/$ACME ;; esac
ACME_RELEASE=${ACME_RELEASE:-$LIB_REPO/acme}
case $ACME_RELEASE in /*) ;; *) ACME_RELEASE=$PWD/$ACME_RELEASE ;; esac
UNIT=${UNIT:-}
unset ACME_DIR

PASSED=0 FAILED=0 SKIPPED=0
E2E_NAMES=()
declare -A E2E_NEEDS

# e2e NAME [pebble] [slow] [noacme] [built]: register test function t_NAME,
# which needs the shared Pebble / is slow (not run by default) / runs
# without acme / needs what TEST_BUILD builds (run after the others).
e2e()
{
	E2E_NAMES+=("$1")
	E2E_NEEDS[$1]="${*:2}"
}

for f in "$HERE"/e2e/*.sh; do
	# shellcheck source=/dev/null
	. "$f"
done

report_ok() { echo "ok $1"; PASSED=$((PASSED + 1)); }
report_fail() { echo "FAIL $1: $2"; FAILED=$((FAILED + 1)); }

# cannot_run NAME REASON: failed under CI, skipped elsewhere.
cannot_run()
{
	if [ "${CI:-}" = true ]; then
		report_fail "$1" "cannot run: $2"
	else
		echo "skip $1: $2"
		SKIPPED=$((SKIPPED + 1))
	fi
}

# run_unit [NAME...]: run $UNIT, pass its lines through, add its totals.
run_unit()
{
	local out rc last p f
	if [ -z "$UNIT" ]; then
		cannot_run unit "UNIT is not set"
		return
	fi
	if [ ! -x "$UNIT" ]; then
		cannot_run unit "$UNIT is not an executable file"
		return
	fi
	out=$(mktemp)
	"$UNIT" "$@" >"$out" 2>&1
	rc=$?
	last=$(tail -n 1 "$out")
	sed '$d' "$out"
	rm -f "$out"
	if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
		echo "unit: $last"
		PASSED=$((PASSED + p))
		FAILED=$((FAILED + f))
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
			report_fail unit "exit status $rc with 0 failures reported"
		elif [ "$rc" = 0 ] && [ "$f" != 0 ]; then
			report_fail unit "exit status 0 with $f failures reported"
		fi
	else
		[ -n "$last" ] && echo "$last"
		report_fail unit "exit status $rc, no 'N passed, N failed' line"
	fi
}

SHARED_PEBBLE=	# "" not tried, ok, or the reason it failed

BUILD_PID=	# TEST_BUILD running in the background (its own session)
BUILD_T0=

# build_start: TEST_BUILD in the background, output to $LIB_TMP/build.log.
build_start()
{
	[ -n "${TEST_BUILD:-}" ] || return 0
	BUILD_T0=$(date +%s)
	setsid sh -c "$TEST_BUILD" </dev/null >"$LIB_TMP/build.log" 2>&1 &
	BUILD_PID=$!
}

# build_wait: wait for TEST_BUILD; a failure is the failed test `build`.
build_wait()
{
	local rc
	[ -n "$BUILD_PID" ] || return 0
	# nothing else of ours runs now: back to normal priority (root only)
	renice -n 0 -g "$BUILD_PID" >/dev/null 2>&1
	wait "$BUILD_PID"
	rc=$?
	BUILD_PID=
	[ -n "${E2E_TIMES:-}" ] &&
	    echo "build: done $(($(date +%s) - BUILD_T0))s after the start"
	[ "$rc" = 0 ] && return 0
	report_fail build "TEST_BUILD exited with status $rc: $(grep -m 1 -E 'error:|Error [0-9]' "$LIB_TMP/build.log")"
	tail -n 40 "$LIB_TMP/build.log" | sed 's/^/    /' >&2
}

# build_stop: at exit, end a TEST_BUILD still running (an interrupted run).
build_stop()
{
	[ -n "$BUILD_PID" ] && kill -TERM -- "-$BUILD_PID" 2>/dev/null
	BUILD_PID=
}

# run_e2e NAME: run t_NAME in a subshell with its own directory T.
run_e2e()
{
	local name=$1 needs=${E2E_NEEDS[$1]} t t0 took rc reason
	case " $needs " in
	*" noacme "*) ;;
	*)
		if [ ! -x "$ACME" ]; then
			cannot_run "$name" "no executable $ACME"
			return
		fi
		;;
	esac
	case " $needs " in
	*" pebble "*)
		if [ -z "$SHARED_PEBBLE" ]; then
			if pebble_start pebble 2>"$LIB_TMP/pebble-start.log"; then
				SHARED_PEBBLE=ok
			else
				SHARED_PEBBLE="pebble did not start: $(tail -n 1 "$LIB_TMP/pebble-start.log")"
			fi
		fi
		if [ "$SHARED_PEBBLE" != ok ]; then
			cannot_run "$name" "$SHARED_PEBBLE"
			return
		fi
		;;
	esac
	t=$LIB_TMP/t/$name
	mkdir -p "$t"
	t0=$(date +%s%N)
	(
		T=$t
		LIB_PIDFILE=$T/pids
		: >"$LIB_PIDFILE"
		trap 'lib_stop_pids "$T/pids"' EXIT
		cd "$T" || exit 1
		"t_$name"
	) >"$t/log" 2>&1 </dev/null
	rc=$?
	t0=$((($(date +%s%N) - t0) / 10000000))
	took=$(printf '%d.%02ds' $((t0 / 100)) $((t0 % 100)))
	echo "took $took" >>"$t/log"
	if [ "$rc" = 0 ] && [ -e "$t/skip" ]; then
		cannot_run "$name" "$(cat "$t/skip")"
		return
	fi
	if [ "$rc" = 0 ] && [ ! -e "$t/reason" ]; then
		report_ok "$name${E2E_TIMES:+ ($took)}"
		return
	fi
	reason=$(cat "$t/reason" 2>/dev/null)
	report_fail "$name" "${reason:-exited with status $rc}"
	sed 's/^/    /' "$t/log" | tail -n 40 >&2
}

# ---- selection -------------------------------------------------------

if [ "${1:-}" = --list ]; then
	printf '%s\n' "${E2E_NAMES[@]}"
	exit 0
fi

lib_init || { echo "FAIL setup: cannot create temp dir or certificates"; echo "0 passed, 1 failed"; exit 1; }
trap 'build_stop; lib_cleanup' EXIT
build_start

want_unit=0
unit_args=()
selected=()
if [ $# = 0 ]; then
	want_unit=1
	for n in "${E2E_NAMES[@]}"; do
		case " ${E2E_NEEDS[$n]} " in
		*" slow "*) [ "${E2E_SLOW:-}" = 1 ] && selected+=("$n") ;;
		*) selected+=("$n") ;;
		esac
	done
else
	for a in "$@"; do
		hit=0
		case $a in
		unit) want_unit=1; continue ;;
		e2e) a='*' ;;
		esac
		for n in "${E2E_NAMES[@]}"; do
			# shellcheck disable=SC2254
			case $n in
			$a) selected+=("$n"); hit=1 ;;
			esac
		done
		if [ "$hit" = 0 ]; then
			if [ -n "$UNIT" ]; then
				want_unit=1
				unit_args+=("$a")
			else
				report_fail "$a" "no such test"
			fi
		fi
	done
fi

[ "$want_unit" = 1 ] && run_unit "${unit_args[@]}"

# The tests that need TEST_BUILD's output last, after it.
declare -A done_
later=()
for n in "${selected[@]}"; do
	[ -n "${done_[$n]:-}" ] && continue
	done_[$n]=1
	case " ${E2E_NEEDS[$n]} " in
	*" built "*) later+=("$n"); continue ;;
	esac
	run_e2e "$n"
done
build_wait
for n in "${later[@]}"; do
	run_e2e "$n"
done

lib_cleanup
if [ "$SKIPPED" -gt 0 ]; then
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
else
	echo "$PASSED passed, $FAILED failed"
fi
[ "$FAILED" = 0 ]
