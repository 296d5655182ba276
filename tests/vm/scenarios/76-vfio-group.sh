# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian
# VFIO done right on the real kernel (issue 13), with the two e1000 behind
# the conventional PCI bridge (06:01.0, 06:02.0: one IOMMU group):
# seizing one to vfio-pci is refused naming both; --group moves both and the
# kernel says the group is viable (vfio-hold: VFIO_GROUP_GET_STATUS); while
# vfio-hold holds the group open, release is refused naming its pid; after it
# exits, release returns both. Reset truth (issue 12): 06:01.0 kept "bus" in
# reset_method, which now fails (ENOTTY): its release alone is refused,
# naming 06:02.0; both in the change come back after one VFIO hot reset
# behind the bridge (issue 21); with -o no-strict-reset each returns alone
# without the reset. The e1000e returned from
# vfio-pci passes traffic (DMA check). doctor passes with intel_iommu=on.

A=0000:06:01.0
B=0000:06:02.0
E=0000:01:00.0
PEER=0000:00:04.0

if ! have_pcibind; then
	skip pcibind "pcibind not in the image"
	return 0
fi
G=$(basename "$(readlink /sys/bus/pci/devices/$A/iommu_group)")
expect_match group-number '^[0-9]+$' "$G"

# The kernel itself would bind one alone; pcibind refuses, naming both.
pb seize --driver vfio-pci $A
expect_rc seize-one-refused 3
expect_match seize-one-names-sibling "0000:06:02.0 \\(e1000, stays: not viable\\)" "$PB_ERR"
expect_match seize-one-names-itself "0000:06:01.0 \\(e1000, moves\\)" "$PB_ERR"
expect_match seize-one-says-group "add --group|Add --group" "$PB_ERR"
expect_eq seize-one-changed-nothing "e1000 e1000" "$(sysfs_driver $A) $(sysfs_driver $B)"

# --group: both, in one change; the bridge stays without a driver.
pb seize --group --driver vfio-pci $A
expect_rc seize-group 0
expect_eq group-both-vfio "vfio-pci vfio-pci" "$(sysfs_driver $A) $(sysfs_driver $B)"
expect_eq group-bridge-untouched none "$(sysfs_driver 0000:05:00.0)"
check group-dev-node test -c /dev/vfio/$G
out=$(vfio-hold "$G" 2>&1)
expect_match group-viable "^viable pid" "$out"

# A VM stand-in holds the group open: release is refused naming its pid.
vfio-hold "$G" 120 >/tmp/76-hold.out 2>&1 &
HOLD=$!
wait_for hold-started 10 grep -q viable /tmp/76-hold.out
pb status
expect_match status-in-use "in use by pid $HOLD \\(vfio-hold\\)" "$PB_OUT"
pb show $A
expect_match show-in-use "in use by pid $HOLD \\(vfio-hold\\)" "$PB_OUT"
pb release --group -o no-strict-reset $A
expect_rc release-held-refused 3
expect_match release-held-names-pid "pid $HOLD \\(vfio-hold\\)" "$PB_ERR"
expect_eq release-held-changed-nothing "vfio-pci vfio-pci" "$(sysfs_driver $A) $(sysfs_driver $B)"
pb seize --driver pci-stub $B
expect_rc seize-other-stub-held-refused 3
kill $HOLD 2>/dev/null
wait $HOLD 2>/dev/null

# Reset truth: 06:01.0's "bus" reset fails now that 06:02.0 shares the bus.
expect_eq nic1-reset-method bus "$(cat /sys/bus/pci/devices/$A/reset_method 2>&1)"
check_fails kernel-reset-fails sh -c "echo 1 >/sys/bus/pci/devices/$A/reset"
# Alone it is refused: a bus reset would reset 06:02.0 too (issue 21).
pb release $A
expect_rc release-unresettable-refused 3
expect_match release-says-enotty "ENOTTY" "$PB_ERR"
expect_match release-names-sibling "would also reset 0000:06:02[.]0 [(]vfio-pci[)], which is not in this change" "$PB_ERR"
expect_eq release-refused-changed-nothing "vfio-pci vfio-pci" "$(sysfs_driver $A) $(sysfs_driver $B)"
# Both in the change: one VFIO hot reset behind the bridge covers them.
pb release --group --dry-run $A
expect_match release-group-one-hot-reset "^ 1  vfio-hot-reset 0000:06:01[.]0 0000:06:02[.]0 [(]bus behind 0000:05:00[.]0" "$PB_OUT"
pb release --group $A
expect_rc release-group-hot-reset 0
expect_eq released-both "e1000 e1000" "$(sysfs_driver $A) $(sysfs_driver $B)"
wait_for released-netdevs 20 sh -c "ls /sys/bus/pci/devices/$A/net /sys/bus/pci/devices/$B/net"
# -o no-strict-reset: one at a time, each without its reset.
pb seize --group --driver vfio-pci $A
expect_rc reseize-group 0
pb release -o no-strict-reset $A
expect_rc release-no-strict-reset 0
pb release -o no-strict-reset $B
expect_rc release-no-strict-reset-other 0
expect_eq released-both-no-strict "e1000 e1000" "$(sysfs_driver $A) $(sysfs_driver $B)"
wait_for released-netdevs-no-strict 20 sh -c "ls /sys/bus/pci/devices/$A/net /sys/bus/pci/devices/$B/net"

# The e1000e to vfio-pci and back: it passes traffic, not only has a netdev.
pb seize --driver vfio-pci $E
expect_rc e1000e-seize 0
expect_eq e1000e-on-vfio vfio-pci "$(sysfs_driver $E)"
pb release $E
expect_rc e1000e-release 0
wait_for e1000e-netdev 20 sh -c "ls /sys/bus/pci/devices/$E/net /sys/bus/pci/devices/$PEER/net"
dma_check e1000e-dma-after-vfio "$E" "$PEER"

# doctor: ready with intel_iommu=on.
pb doctor
expect_rc doctor-passes 0
expect_match doctor-iommu "PASS  iommu " "$PB_OUT"
expect_match doctor-cmdline "PASS  kernel-cmdline +intel_iommu=on" "$PB_OUT"
