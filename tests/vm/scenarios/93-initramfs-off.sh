# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: initramfs
# vm-append: rd.pcibind.seize=network rd.pcibind.driver=vfio-pci rd.pcibind=0
# rd.pcibind=0 in the initramfs-tools image: pcibind's init-top script runs,
# says so in the kernel log and leaves every device alone; udev's coldplug
# then binds the NICs' native drivers, as without pcibind.

dmesg >/tmp/boot.dmesg 2>&1
check pcibind-said-off grep -q 'pcibind: rd.pcibind=0: leaving every device alone' /tmp/boot.dmesg
check_fails nothing-seized grep -q 'pcibind: .*seized to' /tmp/boot.dmesg
for bdf in 0000:01:00.0 0000:00:04.0; do
	expect_eq "pre-udev-$bdf-unbound" none \
		"$(awk -v b="$bdf" '$1 == b { print $3 }' /run/vmtest/pre-udev.devices)"
	expect_eq "override-$bdf-empty" "(null)" "$(cat "/sys/bus/pci/devices/$bdf/driver_override")"
done
expect_eq e1000e-native e1000e "$(sysfs_driver 0000:01:00.0)"
expect_eq e1000-native e1000 "$(sysfs_driver 0000:00:04.0)"
check e1000e-probed grep -q 'e1000e 0000:01:00.0' /tmp/boot.dmesg
"$PCIBIND" status >/tmp/status.out 2>&1
check_fails status-empty grep -q 'origin boot' /tmp/status.out
