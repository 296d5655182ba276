#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Run /vmtest/scenarios/*.sh in order, each in its own subshell with the test
# library loaded, and write everything to the result channel. Used by our
# /init (debian, xen) and by the dracut test module's settled hook.
#
# The result channel is the second serial port (a file of its own on the
# host, free of kernel messages) when the kernel drives it, else the console.
# Lines: VMTEST BEGIN, then per scenario "SCENARIO name", its PASS/FAIL/SKIP
# lines and "SUMMARY ...", "ABORT name: ..." if it died, "TIME name SECS s"
# (guest uptime it took, for the budget of issue 23), finally VMTEST DONE.

VMTEST_OUT=/dev/console
if [ -c /dev/ttyS1 ] && grep -q '^1: uart:16550' /proc/tty/driver/serial 2>/dev/null; then
	stty -F /dev/ttyS1 raw -echo 115200 2>/dev/null
	VMTEST_OUT=/dev/ttyS1
fi
VMTEST_KIND=${VMTEST_KIND:-$(cat /vmtest/kind 2>/dev/null || echo unknown)}
VMTEST_KVER=$(uname -r)
export VMTEST_OUT VMTEST_KIND VMTEST_KVER

vmtest_say() { echo "$*" >"$VMTEST_OUT"; }

t0=$(cut -d' ' -f1 /proc/uptime)
vmtest_say "VMTEST BEGIN kind=$VMTEST_KIND kernel=$VMTEST_KVER uptime=$t0"
for s in /vmtest/scenarios/*.sh; do
	[ -f "$s" ] || continue
	name=$(basename "$s" .sh)
	vmtest_say "SCENARIO $name"
	# A subshell per scenario: its set -e or exit cannot stop the runner.
	(
		cd /tmp || exit 1
		. /vmtest/testlib.sh
		tl_begin "$name"
		. "$s"
		tl_end
	) >"$VMTEST_OUT" 2>&1 </dev/null
	rc=$?
	[ "$rc" = 0 ] || vmtest_say "ABORT $name: scenario exited with status $rc"
	t1=$(cut -d' ' -f1 /proc/uptime)
	vmtest_say "TIME $name $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
	t0=$t1
done
vmtest_say "VMTEST DONE uptime=$(cut -d' ' -f1 /proc/uptime)"
