#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# One decision path, as a property over every fixture tree (hand-made and
# recorded from real kernels), every function and both operations, on the
# fake kernel (build/pcibind-fake):
#   1. explain's verdict equals the --dry-run's outcome: allowed <=> exit 0;
#   2. for an allowed change that writes anything, the real run makes
#      exactly the writes the --dry-run printed (a "<driver of M>" of the
#      plan resolved to the driver module M registers);
# and a release is also judged on the state its seize left (every seize
# that went through is released again, on its own copy).
# Prints "N verdicts, N agree" and "N runs, N as planned".
# Usage: agree.sh [FIXTURE...]   (BUILD, default build)
. tests/engine/lib.sh
fake=$BUILD/pcibind-fake
fixtures=${*:-"laptop laptop-guards sriov domains qemu-q35 xen-dom0 holders desktop"}

verdicts=0 agree=0 runs=0 planned=0 fail=0
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

pb() { # pb DIR ARGS...: the fake pcibind on the copy in DIR
	d=$1; shift
	"$fake" --sysfs-root "$d/sys" --modules-dir "$src/modules" \
		--pci-ids tests/fixtures/pci.ids --state-dir "$d/state" --probe-timeout 50 \
		--policy-dir policy.d --proc-root "$proc" "$@"
}

# The plan's steps as the fake kernel logs writes, symbols resolved.
plan_of() { # plan_of DIR OP DEV OUT
	pb "$1" "$2" --dry-run "$3" 2>/dev/null | sed -n 's/^ *[0-9]*  \(.*\)  # .*/\1/p' >"$4"
	for m in $(sed -n 's/.*<driver of \([^>]*\)>.*/\1/p' "$4" | sort -u); do
		drv=$(head -n 1 "$1/sys/.fake/modules/$m")
		sed -i "s/<driver of $m>/$drv/g" "$4"
	done
}

# judge DIR OP DEV WHAT: verdict vs dry run; if allowed, the real run on a
# copy (left in $work/real) against the plan. Returns 0 if the real run
# changed something as planned.
judge() {
	dir=$1 op=$2 dev=$3 what=$4
	verdict=$(pb "$dir" explain "$dev" "$op" 2>/dev/null | grep '^Verdict')
	pb "$dir" "$op" --dry-run "$dev" >/dev/null 2>&1
	rc=$?
	verdicts=$((verdicts + 1))
	case $verdict in
	*" refused: "*) allowed=1 ;;
	*": cannot tell: "* | "") allowed=2 ;;
	*) allowed=0 ;;
	esac
	if [ "$allowed" = 2 ]; then
		bad "$what: explain gave no verdict: '$verdict'"
		return 1
	fi
	if { [ "$allowed" = 0 ] && [ "$rc" = 0 ]; } || { [ "$allowed" = 1 ] && [ "$rc" = 3 ]; }; then
		agree=$((agree + 1))
	else
		bad "$what: explain says '$verdict' but $op --dry-run exits $rc"
		return 1
	fi
	[ "$allowed" = 0 ] || return 1
	plan_of "$dir" "$op" "$dev" "$work/plan"
	[ -s "$work/plan" ] || return 1
	rm -rf "$work/real"
	cp -a "$dir" "$work/real"
	rm -f "$work/log"
	PCIBIND_FAKE_LOG=$work/log pb "$work/real" "$op" "$dev" >/dev/null 2>"$work/err"
	rc=$?
	runs=$((runs + 1))
	if [ "$rc" -ne 0 ]; then
		bad "$what: allowed, but the real $op exits $rc: $(head -n 3 "$work/err")"
		return 1
	fi
	if cmp -s "$work/plan" "$work/log"; then
		planned=$((planned + 1))
	else
		bad "$what: the real $op's writes differ from its --dry-run plan"
		diff "$work/plan" "$work/log" | head -8
		return 1
	fi
	return 0
}

for fx in $fixtures; do
	src=$BUILD/fixtures/$fx
	[ -d "$src/sys" ] || { bad "$fx: no fixture (make fixtures)"; continue; }
	proc=tests/fixtures/proc/$fx
	[ -d "$proc" ] || proc=tests/fixtures/proc/none
	base=$work/base
	rm -rf "$base"
	mkdir -p "$base/state"
	cp -a "$src/sys" "$base/sys"
	aliases=$src/fixture.aliases
	# laptop-guards is laptop's tree with the guards' facts (mkguards.sh).
	[ -f "$aliases" ] || aliases=$BUILD/fixtures/${fx%-guards}/fixture.aliases
	sh tests/engine/prep.sh "$base/sys" "$aliases"
	for dev in $(pb "$base" --json list | jq -r '.devices[].address'); do
		judge "$base" release "$dev" "$fx $dev release"
		if judge "$base" seize "$dev" "$fx $dev seize"; then
			seized=$work/seized
			rm -rf "$seized"
			mv "$work/real" "$seized"
			judge "$seized" release "$dev" "$fx $dev release after seize"
		fi
	done
done
echo "agree: $verdicts verdicts, $agree agree"
echo "agree: $runs runs, $planned as planned"
echo "$((agree + planned)) passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$verdicts" -gt 0 ] && [ "$runs" -gt 0 ]
