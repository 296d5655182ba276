#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# make bench's real-kernel part: pcibind seize+release of the e1000e vs the
# bare sysfs writes of the same change (the same reset included), in the
# Debian guest (bench/vm/rebind.sh). Prints the table row, then where
# pcibind's time goes (process start, PCIBIND_TRACE's stage points), then
# issue 23's targets with met / not met. The output is also left in
# BUILD/bench/results-vm.md.
set -eu
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
tests/vm/run-guest.sh --kind debian --scenario bench/vm/rebind.sh --name bench-rebind >"$out" 2>&1 || {
	cat "$out"
	exit 1
}
res=${BUILD:-build}/vm/runs/bench-rebind/results.txt
mkdir -p "${BUILD:-build}/bench"

x100() { printf '%d.%02d' $(($1 / 100)) $(($1 % 100)); }
yes_no() { if [ "$1" -le "$2" ]; then echo yes; else echo '**no**'; fi; }

report()
{
	local line met floor cycles pcibind_ms_per_cycle raw_ms_per_cycle ratio_x100 \
		floor_ms_per_cycle floor_x100 pb_floor_x100
	line=$(grep -h '^BENCH ' "$res" | tail -n 1)
	eval "${line#BENCH }"
	met=$(yes_no "$ratio_x100" 120)
	# A table of its own: results.md's main table ends before this is appended.
	echo
	echo '| what | pcibind | peer | ratio | target | met | floor |'
	echo '|---|---|---|---|---|---|---|'
	floor="floor (tests/vm/guest/rebind-floor.c: the same writes from a bare C program, one process per change) $(x100 "$floor_x100")x, $floor_ms_per_cycle ms/cycle; pcibind = $(x100 "$pb_floor_x100") x the floor"
	printf '| seize+release of the e1000e on a real %s kernel (QEMU TCG) vs the bare sysfs writes of the same change, reset included, %s cycles | %s ms/cycle | %s ms/cycle | %sx | <= 1.2x | %s | %s |\n' \
		"$(sed -n 's/.*kernel=\([0-9][0-9.]*\).*/\1/p' "$res" | head -n 1)" \
		"$cycles" "$pcibind_ms_per_cycle" "$raw_ms_per_cycle" "$(x100 "$ratio_x100")" "$met" "$floor"
	local pcibind_version_ms_x10 true_ms_x10 floor_start_ms_x10
	line=$(grep -h '^BENCHSTART ' "$res" | tail -n 1)
	eval "${line#BENCHSTART }"
	echo
	echo "Where pcibind's cycle goes in the guest (two processes: seize, then release)."
	# shellcheck disable=SC2016 # the backquotes are Markdown's
	printf 'A process start and exit: `pcibind --version` %d.%d ms, `rebind-floor` (C, libc only) %d.%d ms, `/bin/true` (static busybox) %d.%d ms.\n' \
		$((pcibind_version_ms_x10 / 10)) $((pcibind_version_ms_x10 % 10)) \
		$((floor_start_ms_x10 / 10)) $((floor_start_ms_x10 % 10)) $((true_ms_x10 / 10)) $((true_ms_x10 % 10))
	echo "PCIBIND_TRACE=1, mean over the traced cycles, the time before each point:"
	echo
	echo "| command | point | ms before it |"
	echo "|---|---|---|"
	grep -h '^BENCHTRACE ' "$res" | while read -r _ cmd ms point; do
		echo "| $cmd | $point | $ms |"
	done
	echo
	# Issue 23's targets: the cycle against the C floor, and each command's
	# time before its first write (from the trace: the time since main() of
	# the last point before the first sysfs write, mean over the traced runs).
	echo "Targets (issue 23), from the run above:"
	echo
	echo '| target | measured | met |'
	echo '|---|---|---|'
	printf '| seize+release <= 1.15x the C floor (rebind-floor) | %sx (%s vs %s ms/cycle) | %s |\n' \
		"$(x100 "$pb_floor_x100")" "$pcibind_ms_per_cycle" "$floor_ms_per_cycle" \
		"$(yes_no "$pb_floor_x100" 115)"
	printf '| seize+release <= 1.2x the bare shell writes (issue 14) | %sx (%s vs %s ms/cycle) | %s |\n' \
		"$(x100 "$ratio_x100")" "$pcibind_ms_per_cycle" "$raw_ms_per_cycle" "$met"
	local op runs no_write mean_ms min_ms max_ms
	for want in seize release; do
		line=$(grep -h "^BENCHPREWRITE op=$want " "$res" | tail -n 1)
		if [ -z "$line" ]; then
			printf '| %s: the time before the first write <= 20 ms | not traced | **no** |\n' "$want"
			continue
		fi
		eval "${line#BENCHPREWRITE }"
		# compared in tenths of a millisecond
		printf '| %s: the time before the first write <= 20 ms (PCIBIND_TRACE, %d runs) | %s ms (min %s, max %s)%s | %s |\n' \
			"$op" "$runs" "$mean_ms" "$min_ms" "$max_ms" \
			"$([ "$no_write" = 0 ] || echo ", $no_write runs without a write")" \
			"$([ "$no_write" = 0 ] && yes_no "$(echo "$mean_ms" | tr -d .)" 200 || echo '**no**')"
	done
	echo
}
report | tee "${BUILD:-build}/bench/results-vm.md"
