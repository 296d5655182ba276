#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# oracle.sh: check pcibind's device list against lspci's, function by function.
#
# usage: oracle.sh FIXTURE_DIR...   compare on fixtures ($BUILD/fixtures/NAME)
#        oracle.sh --live           compare on the running system (e.g. in a guest)
#
# For every function both must agree on the address (lspci -D form), the class
# (4 hex digits), vendor:device and the bound driver ("none" if unbound).
# pcibind's side is "--json list" parsed by jq, lspci's is "-D -nnk" parsed by
# awk.  PCIBIND_CMD and LSPCI_CMD override the two commands (default
# "$PCIBIND" or "pcibind", and "lspci"); for a fixture the sysfs options are
# appended to them.  Needs only a POSIX/busybox sh and awk, jq, sort, diff.
set -u

PCIBIND=${PCIBIND:-build/pcibind}

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

# "ADDRESS CLASS VENDOR:DEVICE DRIVER" lines from lspci -D -nnk on stdin
lspci_table() {
	awk '
	function flush() { if (addr != "") print addr, cls, vd, drv }
	/^[^ \t]/ {
		flush()
		addr = $1; cls = "?"; vd = "?"; drv = "none"
		if (match($0, /\[[0-9a-f][0-9a-f][0-9a-f][0-9a-f]\]:/))
			cls = substr($0, RSTART + 1, 4)
		rest = $0
		while (match(rest, /\[[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f][0-9a-f][0-9a-f]\]/)) {
			vd = substr(rest, RSTART + 1, 9)
			rest = substr(rest, RSTART + RLENGTH)
		}
		next
	}
	/^[ \t]+Kernel driver in use:/ { drv = $NF }
	END { flush() }' | sort
}

pcibind_table() {
	jq -r '.devices[] | "\(.address) \(.class) \(.vendor_id):\(.device_id) \(.driver // "none")"' |
		sort
}

pass=0
fail=0

# oracle NAME "PCIBIND COMMAND" "LSPCI COMMAND"
oracle() {
	name=$1
	# shellcheck disable=SC2086 # the commands are word lists
	if ! $2 --json list >"$tmp/pb.json" 2>"$tmp/pb.err"; then
		echo "FAIL oracle $name (pcibind failed)"
		cat "$tmp/pb.err"
		fail=$((fail + 1))
		return
	fi
	# shellcheck disable=SC2086
	$3 -D -nnk 2>"$tmp/ls.err" | lspci_table >"$tmp/lspci"
	pcibind_table <"$tmp/pb.json" >"$tmp/pcibind"
	if [ ! -s "$tmp/lspci" ]; then
		echo "FAIL oracle $name (lspci listed nothing)"
		cat "$tmp/ls.err"
		fail=$((fail + 1))
	elif diff -u "$tmp/lspci" "$tmp/pcibind" >"$tmp/diff"; then
		echo "ok oracle $name ($(wc -l <"$tmp/lspci" | tr -d ' ') functions)"
		pass=$((pass + 1))
	else
		echo "FAIL oracle $name (--- lspci, +++ pcibind)"
		cat "$tmp/diff"
		fail=$((fail + 1))
	fi
}

if [ $# -eq 0 ]; then
	echo "usage: oracle.sh FIXTURE_DIR... | --live" >&2
	exit 2
fi
for f in "$@"; do
	if [ "$f" = --live ]; then
		oracle live "${PCIBIND_CMD:-pcibind}" "${LSPCI_CMD:-lspci}"
		continue
	fi
	if [ ! -d "$f/sys/bus/pci/devices" ]; then
		echo "FAIL oracle $f (no $f/sys/bus/pci/devices: run make fixtures)"
		fail=$((fail + 1))
		continue
	fi
	oracle "${f##*/}" \
		"${PCIBIND_CMD:-$PCIBIND} --sysfs-root $f/sys --modules-dir $f/modules" \
		"${LSPCI_CMD:-lspci} -A linux-sysfs -O sysfs.path=$f/sys/bus/pci"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
