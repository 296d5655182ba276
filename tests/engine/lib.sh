# SPDX-License-Identifier: LGPL-2.1-or-later
# lib.sh: sourced (from the top directory) by the engine scripts. BUILD, a
# scratch $work on tmpfs removed on exit, PCIBIND_FORBID_REAL_SYSFS so that
# nothing can write the host's /sys, and the pass/fail counters:
#   ok NAME, bad NAME            count and print one result
#   check NAME COMMAND...        ok if COMMAND succeeds, else bad
#   summary [LABEL]              "[LABEL: ]P passed, F failed"; false if F > 0
#   policy_dir DIR [FILE] <RULES  DIR with the vendor defaults and RULES in FILE
# A script may define its own ok, bad or check after sourcing this.
set -u
BUILD=${BUILD:-build}
work=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT
export PCIBIND_FORBID_REAL_SYSFS=1
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}
summary() {
	echo "${1:+$1: }$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

# policy_dir DIR [FILE]: a policy directory with the vendor defaults and, from
# stdin, the rules of FILE (50-test.conf); mode 644, as the trust gate asks.
policy_dir() {
	mkdir -p "$1"
	cp policy.d/10-defaults.conf "$1/"
	cat >"$1/${2:-50-test.conf}"
	chmod 644 "$1"/*.conf
}
