#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Run libFuzzer targets for a bounded time and print per target
# "fuzz-T: execs N, crashes C". Exits 1 on any crash (or a target that
# did not run). Crashing inputs go to $BUILD/fuzz/crashes/T/.
# Usage: run.sh [--replay] [--fork] SECONDS TARGET...   (BUILD, default build)
#   --replay  first run every input of tests/fuzz/repro/T/ (known crashers,
#             kept as regression tests) once; a crash fails.
#   --fork    keep fuzzing after a crash (libFuzzer's -fork=1
#             -ignore_crashes=1), to count every crash of a long run.
set -u
BUILD=${BUILD:-build}
replay=0 fork=0
while :; do
	case ${1:-} in
	--replay) replay=1; shift ;;
	--fork) fork=1; shift ;;
	*) break ;;
	esac
done
secs=$1; shift
export PCIBIND_FORBID_REAL_SYSFS=1
# Leaks are bugs; UB stops the run (the objects are built without recovery).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fail=0
log=$(mktemp) || exit 2
trap 'rm -f "$log"' EXIT

for t in "$@"; do
	bin=$BUILD/fuzz/fuzz-$t
	seeds=tests/fuzz/corpus/$t
	work=$BUILD/fuzz/corpus/$t
	crashes=$BUILD/fuzz/crashes/$t
	mkdir -p "$work" "$crashes"
	if [ ! -x "$bin" ]; then
		echo "fuzz-$t: not built"; fail=1; continue
	fi
	if [ "$replay" = 1 ] && [ -d "tests/fuzz/repro/$t" ]; then
		n=0 c=0
		for f in "tests/fuzz/repro/$t"/*; do
			[ -f "$f" ] || continue
			n=$((n + 1))
			if ! "$bin" "$f" >"$log" 2>&1; then
				c=$((c + 1))
				echo "fuzz-$t: replay of $f crashes:"
				grep -E 'ERROR|invariant|runtime error|SUMMARY' "$log" | head -n 3 | sed 's/^/  /'
			fi
		done
		echo "fuzz-$t: replay $n known crashers, crashes $c"
		[ "$c" -eq 0 ] || fail=1
	fi
	before=$(ls "$crashes" | wc -l)
	# -timeout: one input may take at most 10 s (a hang is a crash too);
	# -rss_limit_mb: so is runaway memory.
	if [ "$fork" = 1 ]; then
		"$bin" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
			-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
			-artifact_prefix="$crashes/" "$work" "$seeds" >"$log" 2>&1
		st=$?
		execs=$(sed -n 's/^#\([0-9]*\): cov.*/\1/p' "$log" | tail -n 1)
	else
		"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix="$crashes/" "$work" "$seeds" >"$log" 2>&1
		st=$?
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	fi
	ncrash=$(($(ls "$crashes" | wc -l) - before))
	if [ "$st" -ne 0 ] && [ "$ncrash" -eq 0 ]; then ncrash=1; fi
	echo "fuzz-$t: execs ${execs:-0}, crashes $ncrash"
	if [ "$ncrash" -ne 0 ] || [ "$st" -ne 0 ]; then
		fail=1
		grep -E '^==.*ERROR|invariant broken|runtime error|^SUMMARY|Test unit written' "$log" |
			sort | uniq -c | sort -rn | head -n 8 | sed 's/^/  /'
	fi
done
exit $fail
