# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian xen dracut
# The QEMU topology is what the other scenarios rely on (lspci only): the
# devices sit at their addresses with their native drivers, and the reset
# files are as the kernel makes them.

expect_eq e1000e-id 8086:10d3 "$(sysfs_id 0000:01:00.0)"
expect_eq xhci-id 1b36:000d "$(sysfs_id 0000:02:00.0)"
expect_eq e1000-id 8086:100e "$(sysfs_id 0000:00:04.0)"

# Native drivers (driver names, not module names: xhci_pci registers xhci_hcd).
expect_eq e1000e-driver e1000e "$(sysfs_driver 0000:01:00.0)"
expect_eq xhci-driver xhci_hcd "$(sysfs_driver 0000:02:00.0)"
expect_eq e1000-driver e1000 "$(sysfs_driver 0000:00:04.0)"
expect_eq uhci1-driver uhci_hcd "$(sysfs_driver 0000:00:1d.0)"
expect_eq uhci2-driver uhci_hcd "$(sysfs_driver 0000:00:1d.1)"
expect_eq uhci3-driver uhci_hcd "$(sysfs_driver 0000:00:1d.2)"
expect_eq ehci-driver ehci-pci "$(sysfs_driver 0000:00:1d.7)"

# lspci sees the same: kernel driver in use.
expect_match lspci-e1000e 'Kernel driver in use: e1000e' "$(lspci -k -s 01:00.0)"
expect_match lspci-names 'USB controller.*UHCI' "$(lspci -s 00:1d.0)"

# Reset methods as the kernel reports them.
expect_eq e1000e-reset-method "pm bus" "$(cat /sys/bus/pci/devices/0000:01:00.0/reset_method 2>&1)"
expect_eq xhci-reset-method "bus" "$(cat /sys/bus/pci/devices/0000:02:00.0/reset_method 2>&1)"
check_fails e1000-no-reset test -e /sys/bus/pci/devices/0000:00:04.0/reset
for f in 0 1 2 7; do
	check_fails "1d.$f-no-reset" test -e "/sys/bus/pci/devices/0000:00:1d.$f/reset"
done

# Free hot-plug ports are there (pcieport bound).
check hp-port-1 test -d /sys/bus/pci/devices/0000:00:05.0
check hp-port-2 test -d /sys/bus/pci/devices/0000:00:06.0

# A conventional PCI bridge behind a root port (00:07.0 -> 05:00.0 -> bus 06)
# with two e1000: bridge and both NICs share one IOMMU group (the bridge
# takes their DMA requester IDs), the root port has its own.
expect_eq pbr-id 1b36:000e "$(sysfs_id 0000:05:00.0)"
expect_eq pbr-nic1-driver e1000 "$(sysfs_driver 0000:06:01.0)"
expect_eq pbr-nic2-driver e1000 "$(sysfs_driver 0000:06:02.0)"
g_pbr=$(basename "$(readlink /sys/bus/pci/devices/0000:05:00.0/iommu_group 2>/dev/null)" 2>/dev/null)
g_n1=$(basename "$(readlink /sys/bus/pci/devices/0000:06:01.0/iommu_group 2>/dev/null)" 2>/dev/null)
g_n2=$(basename "$(readlink /sys/bus/pci/devices/0000:06:02.0/iommu_group 2>/dev/null)" 2>/dev/null)
g_rp=$(basename "$(readlink /sys/bus/pci/devices/0000:00:07.0/iommu_group 2>/dev/null)" 2>/dev/null)
if [ -d /sys/kernel/iommu_groups/0 ]; then
	expect_eq pbr-one-group "$g_pbr $g_pbr" "$g_n1 $g_n2"
	check pbr-port-own-group test "$g_rp" != "$g_pbr"
fi
# Reset truth (issue 12): the first NIC was alone on bus 06 when the kernel
# probed it, so it keeps "bus"; the second saw the first and got nothing.
expect_eq pbr-nic1-reset-method "bus" "$(cat /sys/bus/pci/devices/0000:06:01.0/reset_method 2>&1)"
check_fails pbr-nic2-no-reset test -e /sys/bus/pci/devices/0000:06:02.0/reset
