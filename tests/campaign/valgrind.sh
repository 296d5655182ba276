#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Valgrind memcheck over pcibind:
#  1. the CLI golden tests (tests/cli/run.sh) with PCIBIND set to a wrapper
#     that runs build/pcibind under valgrind: the golden outputs must still
#     match, and valgrind must find no error and no definite or indirect leak;
#  2. tests/campaign/valgrind-cases.txt: hostile arguments to build/pcibind,
#     and seize/release/status/recover cycles on a fixture copy with
#     $BUILD/campaign/pcibind-fake-plain (the fake kernel without ASan, so
#     that valgrind can run it), each with its expected exit code.
# Still-reachable memory (libpci, libkmod, json-c caches) is not an error;
# nothing is suppressed. Prints "valgrind: N runs, E errors, L leaks".
# Usage: valgrind.sh   (BUILD, default build; JOBS, default 2)
set -u
BUILD=${BUILD:-build}
JOBS=${JOBS:-2}
export PCIBIND_FORBID_REAL_SYSFS=1
work=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/logs"
pass=0 fail=0

command -v valgrind >/dev/null || { echo "valgrind: not installed"; echo "0 passed, 1 failed"; exit 1; }

# The wrapper: one log file per process; exit 99 on an error or a leak.
mkwrap() { # mkwrap NAME BINARY
	cat >"$work/$1" <<EOW
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full \\
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \\
	--log-file="$work/logs/$1.%p" "$(realpath "$2")" "\$@"
EOW
	chmod +x "$work/$1"
}
mkwrap pcibind "$BUILD/pcibind"
mkwrap fake "$BUILD/campaign/pcibind-fake-plain"

# 1. The golden tests, split over JOBS runners.
grep -v -e '^#' -e '^[[:space:]]*$' tests/cli/cases.txt >"$work/cases"
n=$(wc -l <"$work/cases")
per=$(((n + JOBS - 1) / JOBS))
split -l "$per" "$work/cases" "$work/part."
for p in "$work"/part.*; do
	PCIBIND=$work/pcibind BUILD=$BUILD CASES=$p sh tests/cli/run.sh >"$p.out" 2>&1 &
done
wait
for p in "$work"/part.*.out; do
	grep '^FAIL' -A 12 "$p"
	set -- $(tail -n 1 "$p")
	pass=$((pass + ${1:-0})) fail=$((fail + ${3:-1}))
done
echo "golden (under valgrind): $pass passed, $fail failed"

# 2. The extra cases.
fx=$BUILD/fixtures/laptop
copy=$work/laptop
cp -a "$fx/sys" "$copy.sys" && mkdir -p "$copy" && mv "$copy.sys" "$copy/sys"
sh tests/engine/prep.sh "$copy/sys" "$fx/fixture.aliases"
mkdir -p "$work/state"
chmod 700 "$work/state"
while read -r want who args; do
	case $want in '' | '#'*) continue ;; esac
	case $who in
	pcibind) root=$fx ;;
	fake) root=$copy ;;
	*) echo "valgrind-cases.txt: bad line '$want $who'"; fail=$((fail + 1)); continue ;;
	esac
	# shellcheck disable=SC2086 # the arguments are split on blanks
	"$work/$who" --sysfs-root "$root/sys" --modules-dir "$fx/modules" \
		--pci-ids tests/fixtures/pci.ids --policy-dir policy.d \
		--proc-root tests/fixtures/proc/none --state-dir "$work/state" \
		--probe-timeout 50 $args >"$work/out" 2>&1 </dev/null
	st=$?
	if [ "$st" -eq "$want" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $who $args: exit $st, want $want"; sed 's/^/  /' "$work/out" | head -n 5
	fi
done <tests/campaign/valgrind-cases.txt

runs=$(ls "$work/logs" | wc -l)
errors=0 leaks=0
for l in "$work"/logs/*; do
	[ -s "$l" ] || continue
	if grep -q -E 'definitely lost|indirectly lost' "$l"; then leaks=$((leaks + 1)); fi
	if grep -v -E 'lost in loss record|definitely lost|indirectly lost' "$l" | grep -q -E '^==[0-9]+== [A-Z]'; then
		errors=$((errors + 1))
	fi
	echo "== valgrind report $(basename "$l"):"; head -n 30 "$l"
done
echo "valgrind: $runs runs, $errors errors, $leaks leaks"
[ "$errors" -eq 0 ] && [ "$leaks" -eq 0 ] || fail=$((fail + 1))
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
