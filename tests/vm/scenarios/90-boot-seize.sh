# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: dracut
# vm-append: rd.pcibind.seize=network,usb,zz:zz
# pcibind's dracut module (90pcibind, pre-udev) seizes every network and USB
# controller before udev: the e1000e, the e1000, the two e1000 behind the
# conventional PCI bridge (one IOMMU group: still viable, the other has no
# driver yet), the xhci and the four functions of the 00:1d companion slot
# end on vfio-pci, their native
# drivers never probe them (e1000e not even loaded), the garbage item zz:zz
# is reported in the kernel log and ignored, and "pcibind status" says
# origin boot. Then, in the same initramfs, "pcibind release 01:00.0" brings
# the NIC back to e1000e, whose module was never loaded (the libkmod path).

SEIZED="0000:01:00.0 0000:02:00.0 0000:00:04.0 0000:06:01.0 0000:06:02.0 0000:00:1d.0 0000:00:1d.1 0000:00:1d.2 0000:00:1d.7"
dmesg >/tmp/boot.dmesg 2>&1

check pcibind-hook-ran grep -q 'pcibind: .*seized to vfio-pci' /tmp/boot.dmesg
for bdf in $SEIZED; do
	# The vmtest pre-udev hook (10) runs after pcibind's (05), before udevd.
	expect_eq "pre-udev-$bdf-on-vfio" vfio-pci \
		"$(awk -v b="$bdf" '$1 == b { print $3 }' /run/vmtest/pre-udev.devices)"
	expect_eq "settled-$bdf-on-vfio" vfio-pci "$(sysfs_driver "$bdf")"
	expect_eq "override-$bdf-pinned" vfio-pci "$(cat "/sys/bus/pci/devices/$bdf/driver_override")"
done
expect_eq pre-udev-no-udevd 0 "$(cat /run/vmtest/pre-udev.udevd)"
for mod in e1000e e1000 xhci_pci; do
	check_fails "native-$mod-never-loaded" grep -q "^$mod " /proc/modules
done
check_fails e1000e-never-probed grep -q 'e1000e 0000:01:00.0' /tmp/boot.dmesg
check_fails xhci-never-probed grep -q 'xhci_hcd 0000:02:00.0' /tmp/boot.dmesg
check_fails uhci-never-probed grep -Eq '(uhci_hcd|ehci-pci) 0000:00:1d' /tmp/boot.dmesg
check garbage-item-reported grep -q "pcibind: warning: rd.pcibind.seize: 'zz:zz' ignored" /tmp/boot.dmesg
check whole-slot-logged grep -q 'pcibind: seizing 0000:00:1d.0 .*every function of the slot' /tmp/boot.dmesg
check summary-logged grep -q 'pcibind: 9 functions seized to vfio-pci in 6 slots, 0 already there, 0 kept, 0 slots left alone after an error, 1 bad item' /tmp/boot.dmesg

"$PCIBIND" status >/tmp/status.out 2>&1
for bdf in $SEIZED; do
	expect_match "status-$bdf-origin-boot" "$bdf .*on vfio-pci.*origin boot" \
		"$(grep -F " $bdf " /tmp/status.out)"
done

# Release in the same initramfs: e1000e was never loaded, libkmod finds it.
"$PCIBIND" release 0000:01:00.0 >/tmp/release.out 2>&1
expect_eq release-exit 0 "$?"
expect_eq release-back-on-e1000e e1000e "$(sysfs_driver 0000:01:00.0)"
check release-loaded-e1000e grep -q '^e1000e ' /proc/modules
expect_eq release-override-cleared "(null)" "$(cat /sys/bus/pci/devices/0000:01:00.0/driver_override)"
check release-netdev-back test -d /sys/bus/pci/devices/0000:01:00.0/net
"$PCIBIND" status >/tmp/status2.out 2>&1
check_fails release-not-in-status grep -q ' 0000:01:00.0 ' /tmp/status2.out
expect_eq others-still-seized vfio-pci "$(sysfs_driver 0000:02:00.0)"
send_file boot-seize.dmesg /tmp/boot.dmesg
