#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# VFIO on the vfio fixture with the fake kernel: a variant driver whose name
# is not its module's (mlx5_vfio_pci registers "mlx5-vfio-pci") is resolved
# by the executor after the load step, and the real run does what the dry
# run said; --group moves both NICs behind the conventional bridge and
# releases them; a function a process holds (fake /proc) never moves.
. tests/engine/lib.sh
src=$BUILD/fixtures/vfio


cp -a "$src/sys" "$work/sys"
sh tests/engine/prep.sh "$work/sys" "$src/fixture.aliases"
# The variant's driver is named unlike its module (as xe_vfio_pci's "xe-vfio-pci").
echo mlx5-vfio-pci >"$work/sys/.fake/modules/mlx5_vfio_pci"

pb() {
	"$BUILD/pcibind-fake" --sysfs-root "$work/sys" --modules-dir "$src/modules" \
		--pci-ids tests/fixtures/pci.ids --state-dir "$work/state" --policy-dir policy.d \
		--proc-root tests/fixtures/proc/vfio "$@"
}
driver() { basename "$(readlink "$work/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
override() { cat "$work/sys/bus/pci/devices/$1/driver_override"; }

V=0000:05:00.0
pb seize --dry-run $V >"$work/plan" 2>&1
check variant-dry-run-symbolic grep -q 'drivers/<driver of mlx5_vfio_pci>/bind' "$work/plan"
check variant-dry-run-says-why grep -q "^Driver for $V: variant" "$work/plan"
PCIBIND_FAKE_LOG=$work/log pb seize $V >"$work/out" 2>&1
check variant-seized [ $? -eq 0 ]
check variant-driver [ "$(driver $V)" = mlx5-vfio-pci ]
check variant-override [ "$(override $V)" = mlx5-vfio-pci ]
check variant-loaded-first sh -c "head -n 1 '$work/log' | grep -q 'load-module mlx5_vfio_pci'"
check variant-bound-by-name grep -q 'drivers/mlx5-vfio-pci/bind' "$work/log"
check variant-status grep -q "mlx5-vfio-pci" "$work/out"
pb seize --driver vfio-pci --dry-run 0000:01:00.0 >"$work/plan2" 2>&1
check forced-generic-no-variant sh -c "! grep -q 'load-module mlx5' '$work/plan2'"

# One NIC behind the bridge: refused, nothing written; --group: both.
pb seize --driver vfio-pci 0000:04:01.0 >"$work/out" 2>&1
check one-refused [ $? -eq 3 ]
check one-unchanged [ "$(driver 0000:04:01.0) $(driver 0000:04:02.0)" = "e1000 8139cp" ]
pb seize --driver vfio-pci --group 0000:04:01.0 >"$work/out" 2>&1
check group-seized [ $? -eq 0 ]
check group-both [ "$(driver 0000:04:01.0) $(driver 0000:04:02.0)" = "vfio-pci vfio-pci" ]
check group-bridge-stays [ -z "$(driver 0000:03:00.0)" ]
pb release --group -o no-strict-reset 0000:04:02.0 >"$work/out" 2>&1
check group-released [ $? -eq 0 ]
check group-back [ "$(driver 0000:04:01.0) $(driver 0000:04:02.0)" = "e1000 8139cp" ]

# Held open by pid 412 (qemu-system-x86): neither release nor another stub.
pb release 0000:06:00.0 >"$work/out" 2>&1
check held-release-refused [ $? -eq 3 ]
check held-names-pid grep -q 'pid 412 (qemu-system-x86)' "$work/out"
pb seize --driver pci-stub 0000:06:00.0 >"$work/out" 2>&1
check held-seize-refused [ $? -eq 3 ]
check held-still-vfio [ "$(driver 0000:06:00.0)" = vfio-pci ]

# A reset the kernel refuses at run time (ENOTTY = 25 on the reset write,
# operation 2 after the native module's load): strict, the release rolls
# back; with -o no-strict-reset the function returns without the reset.
R=0000:07:00.0
PCIBIND_FAKE_LOG=$work/log2 pb release --dry-run $R >"$work/plan3" 2>&1
check reset-planned grep -q "devices/$R/reset" "$work/plan3"
cp -a "$work/sys" "$work/sys-before"
PCIBIND_FAKE_FAIL=2:25 pb release $R >"$work/out" 2>&1
check reset-fails-strict-rolls-back [ $? -eq 4 ]
check reset-fails-strict-still-vfio [ "$(driver $R)" = vfio-pci ]
rm -rf "$work/sys" && cp -a "$work/sys-before" "$work/sys" # the module unloaded again
PCIBIND_FAKE_FAIL=2:25 pb release -o no-strict-reset $R >"$work/out" 2>&1
check reset-fails-no-strict-returns [ $? -eq 0 ]
check reset-fails-no-strict-native [ "$(driver $R)" = virtio_pci ]
check reset-fails-no-strict-warns grep -q "returned without a reset (no-strict-reset): $R" "$work/out"

summary vfio
