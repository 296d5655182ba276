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

# The optional part "gpu-sriov" (a scenario of this boot says "# vm-machine:
# gpu-sriov"): two more root ports after 00:07.0, so buses 01..06 stay.
if vm_machine_has gpu-sriov; then
	# 00:08.0 -> bus 07: a GPU-shaped slot, display + HD audio, one group.
	expect_eq gpu-port-bus 07 "$(cat /sys/bus/pci/devices/0000:00:08.0/secondary_bus_number 2>&1 | xargs printf %02x 2>&1)"
	expect_eq gpu-id 1234:1111 "$(sysfs_id 0000:07:00.0)"
	expect_eq gpu-class 0x038000 "$(cat /sys/bus/pci/devices/0000:07:00.0/class 2>&1)"
	expect_eq gpu-driver bochs-drm "$(sysfs_driver 0000:07:00.0)"
	expect_eq gpu-reset-method bus "$(cat /sys/bus/pci/devices/0000:07:00.0/reset_method 2>&1)"
	check gpu-card0 test -c /dev/dri/card0
	check gpu-card0-below-function test -e /sys/bus/pci/devices/0000:07:00.0/drm/card0/dev
	expect_eq hda-id 8086:293e "$(sysfs_id 0000:07:00.1)"
	expect_eq hda-driver snd_hda_intel "$(sysfs_driver 0000:07:00.1)"
	check_fails hda-no-reset test -e /sys/bus/pci/devices/0000:07:00.1/reset
	wait_for hda-pcm-nodes 10 sh -c 'ls /sys/bus/pci/devices/0000:07:00.1/sound/card*/pcmC*D0p && test -c /dev/snd/pcmC0D0p'
	g_gpu=$(basename "$(readlink /sys/bus/pci/devices/0000:07:00.0/iommu_group 2>/dev/null)" 2>/dev/null)
	g_hda=$(basename "$(readlink /sys/bus/pci/devices/0000:07:00.1/iommu_group 2>/dev/null)" 2>/dev/null)
	if [ -d /sys/kernel/iommu_groups/0 ]; then
		expect_eq gpu-slot-one-group "$g_gpu" "$g_hda"
		expect_eq gpu-group-of-two 2 "$(ls /sys/kernel/iommu_groups/$g_gpu/devices 2>/dev/null | wc -l)"
	fi
	# 00:09.0 -> bus 08: an NVMe PF with SR-IOV (2 VFs, none enabled) and a
	# namespace.
	expect_eq nvme-port-bus 08 "$(cat /sys/bus/pci/devices/0000:00:09.0/secondary_bus_number 2>&1 | xargs printf %02x 2>&1)"
	expect_eq nvme-id 1b36:0010 "$(sysfs_id 0000:08:00.0)"
	expect_eq nvme-driver nvme "$(sysfs_driver 0000:08:00.0)"
	expect_eq nvme-totalvfs 2 "$(cat /sys/bus/pci/devices/0000:08:00.0/sriov_totalvfs 2>&1)"
	expect_eq nvme-numvfs 0 "$(cat /sys/bus/pci/devices/0000:08:00.0/sriov_numvfs 2>&1)"
	# Native NVMe multipath (Debian's default): below the function are the
	# controller nvme0 and a hidden path device nvme0c0n1 (no node); the
	# disk nvme0n1 is below the virtual nvme-subsystem.
	check nvme-path-below-function test -d /sys/bus/pci/devices/0000:08:00.0/nvme/nvme0/nvme0c0n1
	check nvme-disk-node test -b /dev/nvme0n1
	expect_match nvme-disk-below-subsystem '/nvme-subsystem/nvme-subsys[0-9]+/nvme0n1$' \
		"$(readlink /sys/block/nvme0n1 2>&1)"
	check nvme-vf-bus-empty test ! -e /sys/bus/pci/devices/0000:08:00.1
else
	check_fails no-gpu-port test -e /sys/bus/pci/devices/0000:00:08.0
	check_fails no-nvme-port test -e /sys/bus/pci/devices/0000:00:09.0
fi
