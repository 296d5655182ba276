#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# release on the fake kernel: back to no driver (--to none, and a function
# seized from no driver whose native driver nobody knows), and the no-op
# lines that need no -v.
. tests/engine/lib.sh
src=$BUILD/fixtures/laptop

pb() { # pb [--modules-dir DIR] ARGS...
	mods=$src/modules
	if [ "$1" = --modules-dir ]; then mods=$2; shift 2; fi
	"$BUILD/pcibind-fake" --sysfs-root "$work/sys" --modules-dir "$mods" \
		--pci-ids tests/fixtures/pci.ids --state-dir "$work/state" --policy-dir policy.d \
		--proc-root tests/fixtures/proc/none --probe-timeout 50 "$@"
}
driver() { basename "$(readlink "$work/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
override() { cat "$work/sys/bus/pci/devices/$1/driver_override"; }

cp -a "$src/sys" "$work/sys"
sh tests/engine/prep.sh "$work/sys" "$src/fixture.aliases"

# A function seized from no driver, whose native driver nobody knows (no
# module index): release returns it to no driver, as its record says.
pb seize --driver pci-stub 00:12.0 >/dev/null 2>&1
check seized-from-none [ "$(driver 0000:00:12.0)" = pci-stub ]
check record-none grep -q '^driver=$' "$work/state/devices/0000:00:12.0"
pb --modules-dir /nonexistent release -o no-strict-reset 00:12.0 >"$work/out" 2>&1
check released-to-none-exit [ $? -eq 0 ]
check released-to-none [ -z "$(driver 0000:00:12.0)" ]
check override-cleared [ "$(override 0000:00:12.0)" = "(null)" ]
check record-gone [ ! -e "$work/state/devices/0000:00:12.0" ]

# --to none: whatever its native driver, unbind, clear, let the kernel probe.
# (00:14.0 is alone in its IOMMU group, so vfio-pci may take it alone.)
pb seize --driver vfio-pci 00:14.0 >/dev/null 2>&1
check xhci-seized [ "$(driver 0000:00:14.0)" = vfio-pci ]
pb release --to none --dry-run 00:14.0 >"$work/plan" 2>&1
check to-none-probes grep -q 'write bus/pci/drivers_probe "0000:00:14.0"' "$work/plan"
check to-none-loads-nothing sh -c "! grep -q load-module $work/plan"
pb release --to none 00:14.0 >/dev/null 2>&1
check to-none-exit [ $? -eq 0 ]
check to-none-probed-by-kernel [ "$(driver 0000:00:14.0)" = xhci_hcd ]
check to-none-override-cleared [ "$(override 0000:00:14.0)" = "(null)" ]
pb release --to elsewhere 00:14.0 >/dev/null 2>&1
check to-bad-is-usage [ $? -eq 2 ]
pb seize --to none 00:1f.6 >/dev/null 2>&1
check to-on-seize-is-usage [ $? -eq 2 ]

# No-ops say so in one line, without -v, and exit 0.
pb release 00:1f.6 >"$work/out" 2>&1
check release-not-on-stub-exit [ $? -eq 0 ]
check release-not-on-stub-said grep -qx '0000:00:1f.6: not on a stub (e1000e), nothing to release' "$work/out"
pb seize --driver pciback 02:00.0 >/dev/null 2>&1
pb seize --driver pciback 02:00.0 >"$work/out" 2>&1
check seize-noop-said grep -qx '0000:02:00.0: already on pciback, nothing to do' "$work/out"

# A function pcibind did not seize (driverctl put the card reader on
# vfio-pci): status names its origin, release returns it to its native
# driver from the module index and says driverctl will put it back.
mkdir -p "$work/driverctl"
echo vfio-pci >"$work/driverctl/pci-0000:04:00.0"
pb --driverctl-dir "$work/driverctl" status >"$work/out" 2>&1
check status-names-driverctl grep -q "0000:04:00.0  on vfio-pci  driver_override vfio-pci  origin driverctl ($work/driverctl/pci-0000:04:00.0)" "$work/out"
check status-recorded-once [ "$(grep -c '0000:02:00.0' "$work/out")" -eq 1 ]
pb release 04:00.0 --driverctl-dir "$work/driverctl" >"$work/out" 2>&1
check foreign-release-exit [ $? -eq 0 ]
check foreign-release-native [ "$(driver 0000:04:00.0)" = rtsx_pci ]
check foreign-release-override-cleared [ "$(override 0000:04:00.0)" = "(null)" ]
check foreign-release-says-driverctl grep -q "driverctl's saved override $work/driverctl/pci-0000:04:00.0 puts it back on vfio-pci.*driverctl unset-override 0000:04:00.0" "$work/out"

summary
