#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# check-vm-selftest: prove the harness catches broken guests. Boots the
# debian guest three times with deliberately broken scenarios (selftest/)
# and passes only if run-guest.sh fails each boot with the expected,
# readable message:
#   1. st-fail + st-abort: a FAIL line, and a scenario without SUMMARY
#   2. st-oops: a kernel panic on the console
#   3. st-hang: a guest that never powers off (short timeout)
# Prints one PASS/FAIL line per expectation and "N passed, M failed".
set -eu

. "$(dirname "$0")/lib/host.sh"

npass=0
nfail=0
# expect NAME OUTPUT-FILE ERE: the harness output must match ERE.
expect()
{
	if grep -qE -- "$3" "$2"; then
		npass=$((npass + 1))
		echo "PASS selftest/$1"
	else
		nfail=$((nfail + 1))
		echo "FAIL selftest/$1: no line matching /$3/ in the harness output ($2)"
	fi
}

# boot NAME TIMEOUT SCENARIO...: run a broken guest, it must fail. Sets $o
# to the file with the harness output.
boot()
{
	local name=$1 to=$2 args=() s out
	shift 2
	for s in "$@"; do args+=(--scenario "$VM_DIR/selftest/$s.sh"); done
	out=$VM_BUILD/selftest-$name.out
	o=$out
	mkdir -p "$VM_BUILD"
	if "$VM_DIR/run-guest.sh" --kind debian --name "selftest-$name" --timeout "$to" --quiet \
		"${args[@]}" >"$out" 2>&1; then
		nfail=$((nfail + 1))
		echo "FAIL selftest/$name-exit: run-guest.sh succeeded on a broken guest"
	else
		npass=$((npass + 1))
		echo "PASS selftest/$name-exit"
	fi
	grep -E '^== ' "$out" || true
}

boot fail 120 st-fail st-abort
expect fail-line "$o" '^FAIL selftest-fail:st-fail/deliberate-fail: want .expected., got .something else.$'
expect fail-pass-still-counted "$o" '^PASS selftest-fail:st-fail/deliberate-pass$'
expect abort-no-summary "$o" '^FAIL selftest-fail:harness: scenario st-abort: no SUMMARY line'
expect abort-reported "$o" '^FAIL selftest-fail:harness: ABORT st-abort: scenario exited with status 1'
expect fail-log-tail "$o" '^---- selftest-fail: last 40 lines of the console'

boot oops 120 st-oops
expect oops-crash "$o" '^FAIL selftest-oops:harness: kernel crash on the console: .*Kernel panic'
expect oops-no-done "$o" '^FAIL selftest-oops:harness: the guest never reported VMTEST DONE'
expect oops-log-tail "$o" 'sysrq triggered crash'

boot hang 25 st-hang
expect hang-timeout "$o" '^FAIL selftest-hang:harness: the guest did not power off within 25s'
expect hang-no-summary "$o" '^FAIL selftest-hang:harness: scenario st-hang: no SUMMARY line'

echo "$npass passed, $nfail failed"
[ "$nfail" = 0 ]
