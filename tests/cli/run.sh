#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# run.sh: golden-output tests of the pcibind command line against the fixtures.
#
# Each line of tests/cli/cases.txt is "NAME FIXTURE ARGS..."; the case runs
#   $PCIBIND --sysfs-root $BUILD/fixtures/FIXTURE/sys
#            --modules-dir $BUILD/fixtures/FIXTURE/modules
#            --policy-dir policy.d --proc-root tests/fixtures/proc/FIXTURE (or none)
#            --driverctl-dir tests/fixtures/driverctl/none (which does not exist)
#            --pci-ids tests/fixtures/pci.ids ARGS
# (FIXTURE "-" drops the --sysfs-root and --modules-dir options) and compares
# stdout, "--- stderr ---", stderr and "--- exit N ---" with
# tests/cli/expected/NAME.out.  UPDATE=1 rewrites the expected files instead.
# A case with --json must print JSON in strict UTF-8 (python3), or nothing.
# ARGS are split on blanks and never glob-expanded.  Run from the top directory.
set -u

PCIBIND=${PCIBIND:-build/pcibind}
BUILD=${BUILD:-build}
CASES=${CASES:-tests/cli/cases.txt}
EXPECTED=${EXPECTED:-tests/cli/expected}
PCI_IDS=${PCI_IDS:-tests/fixtures/pci.ids}
UPDATE=${UPDATE:-0}

[ -x "$PCIBIND" ] || { echo "run.sh: $PCIBIND is not executable (run make)" >&2; exit 2; }
[ -f "$CASES" ] || { echo "run.sh: no $CASES" >&2; exit 2; }
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
set -f

pass=0
fail=0
while read -r name fixture args; do
	case $name in '' | '#'*) continue ;; esac
	if [ "$fixture" = - ]; then
		roots=
	else
		dir=$BUILD/fixtures/$fixture
		if [ ! -d "$dir/sys" ]; then
			echo "FAIL $name (no fixture $dir/sys: run make fixtures)"
			fail=$((fail + 1))
			continue
		fi
		roots="--sysfs-root $dir/sys --modules-dir $dir/modules"
	fi
	# Hermetic: the repository's policy.d, and a fixture /proc (or an empty one).
	proc=tests/fixtures/proc/$fixture
	[ -d "$proc" ] || proc=tests/fixtures/proc/none
	roots="$roots --policy-dir ${POLICY_DIR:-policy.d} --proc-root $proc"
	# and no driverctl overrides but a case's own (this host's /etc/driverctl.d is not read)
	roots="$roots --driverctl-dir tests/fixtures/driverctl/none"
	# shellcheck disable=SC2086 # word splitting of roots and args is wanted
	"$PCIBIND" $roots --pci-ids "$PCI_IDS" $args \
		>"$tmp/stdout" 2>"$tmp/stderr" </dev/null
	rc=$?
	# --json output is JSON in strict UTF-8, whatever bytes the fixture holds
	case " $args " in
	*" --json "* | *" -j "*)
		if [ -s "$tmp/stdout" ] && ! python3 -c 'import json, sys
json.loads(sys.stdin.buffer.read().decode("utf-8", "strict"))' <"$tmp/stdout" 2>"$tmp/json-error"; then
			echo "FAIL $name (--json printed what is not JSON in UTF-8: $(tail -n 1 "$tmp/json-error"))"
			fail=$((fail + 1))
			continue
		fi
		;;
	esac
	{
		cat "$tmp/stdout"
		echo "--- stderr ---"
		cat "$tmp/stderr"
		echo "--- exit $rc ---"
	} | sed "s|$BUILD/fixtures/|@FIXTURES@/|g" >"$tmp/$name.out"

	if [ "$UPDATE" = 1 ]; then
		mkdir -p "$EXPECTED"
		cp "$tmp/$name.out" "$EXPECTED/$name.out"
		echo "updated $name"
		pass=$((pass + 1))
	elif [ ! -f "$EXPECTED/$name.out" ]; then
		echo "FAIL $name (no $EXPECTED/$name.out: run with UPDATE=1 and review it)"
		fail=$((fail + 1))
	elif diff -u "$EXPECTED/$name.out" "$tmp/$name.out" >"$tmp/diff"; then
		echo "ok $name"
		pass=$((pass + 1))
	else
		echo "FAIL $name"
		cat "$tmp/diff"
		fail=$((fail + 1))
	fi
done <"$CASES"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
