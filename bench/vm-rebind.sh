#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# make bench's real-kernel part: pcibind seize+release of the e1000e vs the
# bare sysfs writes of the same change (the same reset included), in the
# Debian guest (bench/vm/rebind.sh). Prints the table row, then where
# pcibind's time goes (process start, PCIBIND_TRACE's stage points).
set -eu
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
tests/vm/run-guest.sh --kind debian --scenario bench/vm/rebind.sh --name bench-rebind >"$out" 2>&1 || {
	cat "$out"
	exit 1
}
res=${BUILD:-build}/vm/runs/bench-rebind/results.txt
line=$(grep -h '^BENCH ' "$res" | tail -n 1)
eval "${line#BENCH }"
met=$([ "$ratio_x100" -le 120 ] && echo yes || echo '**no**')
# A table of its own: results.md's main table ends before this is appended.
echo
echo '| what | pcibind | peer | ratio | target | met | floor |'
echo '|---|---|---|---|---|---|---|'
floor="floor (tests/vm/guest/rebind-floor.c: the same writes from a bare C program, one process per change) $((floor_x100 / 100)).$(printf %02d $((floor_x100 % 100)))x, $floor_ms_per_cycle ms/cycle; pcibind = $((pb_floor_x100 / 100)).$(printf %02d $((pb_floor_x100 % 100))) x the floor"
printf '| seize+release of the e1000e on a real %s kernel (QEMU TCG) vs the bare sysfs writes of the same change, reset included, %s cycles | %s ms/cycle | %s ms/cycle | %d.%02dx | <= 1.2x | %s | %s |\n' \
	"$(sed -n 's/.*kernel=\([0-9][0-9.]*\).*/\1/p' "$res" | head -n 1)" \
	"$cycles" "$pcibind_ms_per_cycle" "$raw_ms_per_cycle" $((ratio_x100 / 100)) $((ratio_x100 % 100)) "$met" "$floor"
line=$(grep -h '^BENCHSTART ' "$res" | tail -n 1)
eval "${line#BENCHSTART }"
echo
echo "Where pcibind's cycle goes in the guest (two processes: seize, then release)."
printf 'A process start and exit: \`pcibind --version\` %d.%d ms, \`rebind-floor\` (C, libc only) %d.%d ms, \`/bin/true\` (static busybox) %d.%d ms.\n' \
	$((pcibind_version_ms_x10 / 10)) $((pcibind_version_ms_x10 % 10)) \
	$((floor_start_ms_x10 / 10)) $((floor_start_ms_x10 % 10)) $((true_ms_x10 / 10)) $((true_ms_x10 % 10))
echo "PCIBIND_TRACE=1, mean over the traced cycles, the time before each point:"
echo
echo "| command | point | ms before it |"
echo "|---|---|---|"
grep -h '^BENCHTRACE ' "$res" | while read -r _ op ms point; do
	echo "| $op | $point | $ms |"
done
echo
