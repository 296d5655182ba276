# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: dracut
# vm-append: rd.pcibind.seize=network,usb rd.pcibind=0
# rd.pcibind=0 turns pcibind's dracut module off, whatever else the command
# line says: it says so in the kernel log and every device stays with its
# native driver.

dmesg >/tmp/boot.dmesg 2>&1
check disabled-logged grep -q 'pcibind: rd.pcibind=0: leaving every device alone' /tmp/boot.dmesg
expect_eq e1000e-native e1000e "$(sysfs_driver 0000:01:00.0)"
expect_eq e1000-native e1000 "$(sysfs_driver 0000:00:04.0)"
expect_eq xhci-native xhci_hcd "$(sysfs_driver 0000:02:00.0)"
expect_eq ehci-native ehci-pci "$(sysfs_driver 0000:00:1d.7)"
expect_eq uhci-native uhci_hcd "$(sysfs_driver 0000:00:1d.0)"
check_fails vfio-not-loaded grep -q '^vfio_pci ' /proc/modules
check_fails nothing-recorded test -e /run/pcibind/txn
check_fails no-seizing grep -q 'pcibind: seizing' /tmp/boot.dmesg
