# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: systemd
# vm-append: rd.pcibind.seize=network rd.pcibind.driver=vfio-pci
# pcibind-boot.service installed from the .deb and not enabled (the
# package's default): nothing pulls it in, it never runs, and neither the
# policy's "boot = yes" rule nor the command line's rd.pcibind.seize= is
# applied by anything else in the real root (the package's udev rule, which
# udev runs on every coldplug "add", acts only on "hotplug = yes" rules):
# every NIC keeps its native driver.

E1000E=0000:01:00.0
U=pcibind-boot.service
dmesg >/tmp/boot.dmesg 2>&1
journalctl -b -t systemd -o cat >/tmp/journal-systemd.txt 2>&1
expect_eq pid1-is-systemd systemd "$(cat /proc/1/comm)"
check unit-installed test -f "/usr/lib/systemd/system/$U"
expect_eq unit-disabled disabled "$(systemctl is-enabled "$U" 2>&1)"
expect_eq unit-inactive inactive "$(systemctl is-active "$U" 2>&1)"
expect_eq unit-never-started 0 "$(systemctl show -P ExecMainStartTimestampMonotonic "$U")"
check journal-has-pid1-lines grep -q '^Reached target sysinit.target' /tmp/journal-systemd.txt
check_fails journal-no-unit-lines grep -q "$U" /tmp/journal-systemd.txt
expect_eq trigger-ran success "$(systemctl show -P Result systemd-udev-trigger.service)"
expect_eq e1000e-native e1000e "$(sysfs_driver $E1000E)"
expect_eq e1000-native e1000 "$(sysfs_driver 0000:00:04.0)"
expect_eq e1000-bridge-native e1000 "$(sysfs_driver 0000:06:01.0)"
check_fails vfio-not-loaded grep -q '^vfio_pci ' /proc/modules
check_fails no-seizing grep -q 'seized to' /tmp/boot.dmesg
