# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: dracut
# vm-append: rd.qubes.hide_all_usb
# Qubes' option, read by pcibind's dracut module: rd.qubes.hide_all_usb
# seizes network and USB controllers (Qubes' rule), here to vfio-pci since
# the kernel is not a Xen dom0; native drivers never probe them.

SEIZED="0000:01:00.0 0000:02:00.0 0000:00:04.0 0000:00:1d.0 0000:00:1d.1 0000:00:1d.2 0000:00:1d.7"
dmesg >/tmp/boot.dmesg 2>&1

check qubes-rules-logged grep -q 'pcibind: target vfio-pci (not Xen); Qubes rules: network and USB' /tmp/boot.dmesg
for bdf in $SEIZED; do
	expect_eq "pre-udev-$bdf-on-vfio" vfio-pci \
		"$(awk -v b="$bdf" '$1 == b { print $3 }' /run/vmtest/pre-udev.devices)"
	expect_eq "settled-$bdf-on-vfio" vfio-pci "$(sysfs_driver "$bdf")"
done
for mod in e1000e e1000 xhci_pci; do
	check_fails "native-$mod-never-loaded" grep -q "^$mod " /proc/modules
done
check_fails e1000e-never-probed grep -q 'e1000e 0000:01:00.0' /tmp/boot.dmesg
check implied-by-qubes grep -q 'pcibind: seizing 0000:01:00.0 (no driver, implied by rd.qubes=network)' /tmp/boot.dmesg
"$PCIBIND" status >/tmp/status.out 2>&1
expect_match status-origin-boot "0000:01:00.0 .*origin boot" "$(grep -F ' 0000:01:00.0 ' /tmp/status.out)"
send_file boot-qubes.dmesg /tmp/boot.dmesg
