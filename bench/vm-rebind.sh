#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# make bench's real-kernel part: pcibind seize+release of the e1000e vs the
# bare sysfs writes, in the Debian guest (bench/vm/rebind.sh). Prints a table row.
set -eu
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
tests/vm/run-guest.sh --kind debian --scenario bench/vm/rebind.sh --name bench-rebind >"$out" 2>&1 || {
	cat "$out"
	exit 1
}
line=$(grep -h '^BENCH ' "${BUILD:-build}/vm/runs/bench-rebind/results.txt" | tail -n 1)
eval "${line#BENCH }"
printf '| seize+release of the e1000e on a real 6.1 kernel (QEMU TCG) vs the bare sysfs writes, %s cycles | %s ms/cycle | %s ms/cycle | %d.%02dx | (report) | - |\n' \
	"$cycles" "$pcibind_ms_per_cycle" "$raw_ms_per_cycle" $((ratio_x100 / 100)) $((ratio_x100 % 100))
