#!/bin/sh
# test/fuzz.sh - run acme's libFuzzer fuzzers (built by `make fuzzers`).
#
#   sh test/fuzz.sh SECONDS fuzz/fuzz_NAME...   run each for SECONDS
#   sh test/fuzz.sh --merge fuzz/fuzz_NAME...   keep what a run found
#
# A run starts from the committed corpus test/fuzz/NAME/ (read only) and
# a scratch corpus FUZZ_WORK/corpus/NAME/ (FUZZ_WORK: default fuzz/, kept
# between runs, ignored by git), where libFuzzer writes the inputs that
# reach new code. It prints one line per fuzzer,
# `NAME: N runs in S s (E/s), corpus C inputs, no finding`.
# A finding (crash, sanitizer report, broken invariant, leak, an input
# slower than FUZZ_TIMEOUT seconds) is kept as FUZZ_WORK/NAME-crash-* (or
# -leak-, -timeout-); the sanitizer's summary is printed and the status
# is 1 once every fuzzer ran.
#
# --merge adds to test/fuzz/NAME/ the scratch inputs of at most 2 KB that
# reach an edge its current files do not (libFuzzer -merge=1, edges only:
# -use_counters=0), so the corpus in git stays small (a few KB, a few
# hundred files at most); commit the new files.

FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-30}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
W=${FUZZ_WORK:-$REPO/fuzz}

name_of() { n=${1##*/}; echo "${n#fuzz_}"; }

merge()
{
	for f in "$@"; do
		n=$(name_of "$f")
		mkdir -p "$HERE/fuzz/$n" "$W/corpus/$n" || return 1
		"$f" -merge=1 -use_counters=0 -max_len=2048 "$HERE/fuzz/$n" \
		    "$W/corpus/$n" >"$W/$n.merge.log" 2>&1 || {
			tail -n 5 "$W/$n.merge.log"
			return 1
		}
		echo "$n: $(ls "$HERE/fuzz/$n" | wc -l) inputs in test/fuzz/$n"
	done
}

# run SECONDS FUZZER: one fuzzer; 0 no finding.
run()
{
	n=$(name_of "$2")
	log=$W/$n.log
	mkdir -p "$HERE/fuzz/$n" "$W/corpus/$n" || return 1
	"$2" -max_total_time="$1" -timeout="$FUZZ_TIMEOUT" \
	    -print_final_stats=1 -artifact_prefix="$W/$n-" \
	    "$W/corpus/$n" "$HERE/fuzz/$n" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	if [ "$rc" = 0 ]; then
		echo "$n: ${runs:-?} runs in $1 s (${rate:-?}/s)," \
		    "corpus $(ls "$W/corpus/$n" | wc -l) inputs, no finding"
		return 0
	fi
	echo "$n: FINDING (exit $rc), see $log:"
	grep -E 'ERROR|SUMMARY|Test unit written|==[0-9]+==' "$log" | head -n 8
	return 1
}

if [ "${1:-}" = --merge ]; then
	shift
	merge "$@"
	exit
fi
secs=${1:?usage: fuzz.sh SECONDS FUZZER...}
shift
status=0
for f in "$@"; do
	run "$secs" "$f" || status=1
done
exit $status
