# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: xendracut
# vm-append: rd.pcibind.seize=network,usb
# A Xen dom0 booted with the dracut image: pcibind's module picks pciback
# by itself (hypervisor/type is xen) and seizes every network and USB
# controller before udev; they are listed in pciback's slots and their
# native drivers never probe them. (No harness kind boots Xen with the
# dracut image yet: tests/vm/run-xen-dracut.sh runs this one by hand.)

SEIZED="0000:01:00.0 0000:02:00.0 0000:00:04.0 0000:00:1d.0 0000:00:1d.1 0000:00:1d.2 0000:00:1d.7"
dmesg >/tmp/boot.dmesg 2>&1

check is-xen is_xen
check target-pciback-logged grep -q 'pcibind: target pciback (Xen dom0)' /tmp/boot.dmesg
for bdf in $SEIZED; do
	expect_eq "pre-udev-$bdf-on-pciback" pciback \
		"$(awk -v b="$bdf" '$1 == b { print $3 }' /run/vmtest/pre-udev.devices)"
	expect_eq "settled-$bdf-on-pciback" pciback "$(sysfs_driver "$bdf")"
	check "slots-list-$bdf" grep -qi "${bdf#0000:}" /sys/bus/pci/drivers/pciback/slots
done
for mod in e1000e e1000 xhci_pci; do
	check_fails "native-$mod-never-loaded" grep -q "^$mod " /proc/modules
done
check_fails e1000e-never-probed grep -q 'e1000e 0000:01:00.0' /tmp/boot.dmesg
"$PCIBIND" status >/tmp/status.out 2>&1
expect_match status-origin-boot "0000:01:00.0 .*on pciback.*origin boot" \
	"$(grep -F ' 0000:01:00.0 ' /tmp/status.out)"
send_file boot-xen.dmesg /tmp/boot.dmesg
