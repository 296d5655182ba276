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
