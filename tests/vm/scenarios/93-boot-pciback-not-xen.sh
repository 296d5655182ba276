# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: dracut
# vm-append: rd.pcibind.seize=network,usb rd.pcibind.driver=pciback
# pciback asked for on a kernel that is not a Xen dom0 (Qubes issue 7390):
# pcibind warns in the kernel log, leaves every device alone and the boot
# completes (this scenario runs at initqueue/settled, so it did).

dmesg >/tmp/boot.dmesg 2>&1
check warning-logged grep -q 'pcibind: warning: rd.pcibind.driver=pciback, but this kernel does not run as a Xen dom0' /tmp/boot.dmesg
expect_eq e1000e-native e1000e "$(sysfs_driver 0000:01:00.0)"
expect_eq xhci-native xhci_hcd "$(sysfs_driver 0000:02:00.0)"
expect_eq ehci-native ehci-pci "$(sysfs_driver 0000:00:1d.7)"
check_fails pciback-not-loaded grep -q '^xen_pciback ' /proc/modules
check_fails no-seizing grep -q 'pcibind: seizing' /tmp/boot.dmesg
check boot-reached-settled test -s /run/vmtest/settled
