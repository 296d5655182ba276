#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# PCIBIND_TRACE: a real seize and release (fake kernel) print one timed line
# per stage point on stderr, in order: main, the snapshot, every step's
# write and check, the journal, exit; without the variable, none. libkmod's
# index is loaded only when a lookup or a module load needs it.
. tests/engine/lib.sh
fx=laptop
cp -a "$BUILD/fixtures/$fx/sys" "$work/sys"
sh tests/engine/prep.sh "$work/sys" "$BUILD/fixtures/$fx/fixture.aliases"
pb() {
	"$BUILD/pcibind-fake" --sysfs-root "$work/sys" --modules-dir "$BUILD/fixtures/$fx/modules" \
		--pci-ids tests/fixtures/pci.ids --state-dir "$work/state" --policy-dir policy.d \
		--proc-root tests/fixtures/proc/none "$@"
}
# 00:14.0 is alone in its IOMMU group (00:1f.6 shares one: vfio-pci refuses it alone).
PCIBIND_TRACE=1 pb seize --driver vfio-pci 0000:00:14.0 >"$work/out" 2>"$work/seize"
check seize-ok [ $? -eq 0 ]
PCIBIND_TRACE=1 pb release 0000:00:14.0 >"$work/out" 2>"$work/release"
check release-ok [ $? -eq 0 ]
pb seize --driver vfio-pci 0000:00:14.0 >"$work/out" 2>"$work/plain"
check plain-ok [ $? -eq 0 ]

# POINT... appear in this order in FILE, each on a "pcibind: trace: T ms +D ms" line.
in_order() {
	f=$1; shift
	grep '^pcibind: trace: *[0-9.]* ms *+[0-9.]* ms ' "$f" | sed 's/^pcibind: trace: *[0-9.]* ms *+[0-9.]* ms //' >"$f.points"
	for p in "$@"; do
		n=$(grep -n -m1 -F -- "$p" "$f.points" | cut -d: -f1)
		[ -n "$n" ] || { echo "no '$p' in $f"; return 1; }
		sed -i "1,${n}d" "$f.points"
	done
}
check seize-points in_order "$work/seize" main "journal opened and locked" "snapshot of" \
	"records checked against the devices" "details of 0000:00:14.0" \
	"policy loaded (" "guard facts read" "decided: planned, 3 steps" \
	"journal: transaction recorded" "write bus/pci/devices/0000:00:14.0/driver_override" "checked (override)" \
	"journal: step 1 recorded" "write bus/pci/drivers/vfio-pci/bind" "checked (bound)" exit
# the transaction is recorded before the first write: the time before that write is the point before it
check txn-before-first-write sh -c "grep -A1 'journal: transaction recorded' '$work/seize' | tail -n 1 | grep -q 'write bus/pci/devices/0000:00:14.0/driver_override'"
check release-points in_order "$work/release" main "snapshot of" \
	"write bus/pci/devices/0000:00:14.0/reset" "write bus/pci/drivers/xhci_hcd/bind" exit
# libkmod is opened at its first use: a seize onto a registered stub never needs it
check seize-without-libkmod sh -c "! grep -q 'libkmod' '$work/seize'"
check silent-without-trace sh -c "! grep -q 'trace:' '$work/plain'"
# A seize reads nothing again once it is done (nobody asks the snapshot after it);
# a release reads what it moved when its rules are evaluated against it.
pb -v -v release 0000:00:14.0 >"$work/out" 2>"$work/release-v"
check release-refreshes-for-its-rules grep -q 'engine: 1 snapshot, 1 refresh,' "$work/release-v"
pb -v -v seize --driver vfio-pci 0000:00:14.0 >"$work/out" 2>"$work/seize-v"
check seize-does-not-read-again grep -q 'engine: 1 snapshot, 0 refresh,' "$work/seize-v"
summary trace
