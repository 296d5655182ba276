#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# 'pcibind udev' and --persistent on a fixture with the fake kernel: the
# hot-plug decision comes from the policy, only "add" acts, a slot whose
# functions the policy all names moves whole, and --persistent writes and
# removes rules that the policy then reads.
set -u
BUILD=${BUILD:-build}
src=$BUILD/fixtures/laptop
work=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT
export PCIBIND_FORBID_REAL_SYSFS=1
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { # check NAME CONDITION...
	name=$1; shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

cp -a "$src/sys" "$work/sys"
sh tests/engine/prep.sh "$work/sys" "$src/fixture.aliases"
mkdir -p "$work/pol"
cp policy.d/10-defaults.conf "$work/pol/"
cat >"$work/pol/50-hot.conf" <<'POL'
[hot nics]
match-class = ethernet
hotplug = yes
driver = vfio-pci

[hot usb 1.1]
match-address = 00:1d.*
hotplug = yes
driver = pci-stub
strict-reset = no
POL
chmod 644 "$work/pol"/*.conf

pb() {
	"$BUILD/pcibind-fake" --sysfs-root "$work/sys" --modules-dir "$src/modules" \
		--pci-ids tests/fixtures/pci.ids --state-dir "$work/state" --policy-dir "$work/pol" \
		--proc-root tests/fixtures/proc/none "$@"
}
event() { # event ACTION BDF [ARGS]
	a=$1 b=$2; shift 2
	env ACTION="$a" SUBSYSTEM=pci SEQNUM=1 DEVPATH="/devices/pci0000:00/$b" \
		"$BUILD/pcibind-fake" --sysfs-root "$work/sys" --modules-dir "$src/modules" \
		--pci-ids tests/fixtures/pci.ids --state-dir "$work/state" --policy-dir "$work/pol" \
		--proc-root tests/fixtures/proc/none "$@" udev
}
driver() { basename "$(readlink "$work/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }

pb udev >/dev/null 2>&1; check outside-udev-is-usage [ $? -eq 2 ]
event bind 0000:00:1f.6 >/dev/null 2>&1
check bind-ignored [ "$(driver 0000:00:1f.6)" = e1000e ]
event add 0000:00:17.0 >/dev/null 2>&1
check add-not-named [ "$(driver 0000:00:17.0)" = ahci ]
check add-not-named-no-lock [ ! -e "$work/state/lock" ]
event add 0000:00:1f.6 >/dev/null 2>&1
check add-named [ "$(driver 0000:00:1f.6)" = vfio-pci ]
check add-origin-udev sh -c "pb_status=\$(\"$BUILD/pcibind-fake\" --sysfs-root $work/sys --state-dir $work/state status); echo \"\$pb_status\" | grep -q 'origin udev'"
# One engine per run: one snapshot, one policy load, one journal (issue 10).
event add 0000:00:1d.1 -v -v >"$work/udev.log" 2>&1
check loads-once grep -q 'engine: 1 snapshot, [0-9]* refresh, 1 policy load, 1 guard load, 1 journal open' "$work/udev.log"
check slot-whole [ "$(driver 0000:00:1d.0)$(driver 0000:00:1d.1)$(driver 0000:00:1d.2)$(driver 0000:00:1d.7)" = pci-stubpci-stubpci-stubpci-stub ]
event add 0000:00:1d.2 >/dev/null 2>&1; check second-event-noop [ $? -eq 0 ]

# --persistent
pb seize --driver pciback --persistent 00:14.0 >/dev/null 2>&1
f=$work/pol/90-persistent.conf
check persistent-written grep -q '^\[persistent 0000:00:14.0\]' "$f"
check persistent-identity grep -q '^expect-id = 8086:a36d' "$f"
pb policy check >/dev/null 2>&1; check persistent-rule-valid [ $? -eq 0 ]
pb explain 00:14.0 | grep -q 'boot          yes.*persistent 0000:00:14.0'
check persistent-rule-applies [ $? -eq 0 ]
pb release --persistent 00:14.0 >/dev/null 2>&1
check persistent-removed sh -c "! grep -q 'persistent 0000:00:14.0' $f"
check released-native [ "$(driver 0000:00:14.0)" = xhci_hcd ]

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
