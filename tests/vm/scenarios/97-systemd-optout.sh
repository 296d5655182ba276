# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: systemd
# vm-systemd-enable: pcibind-boot.service
# vm-append: rd.pcibind=0
# The kernel command line's opt-out on a real-root boot: pcibind-boot.service
# is enabled and runs (and succeeds), but rd.pcibind=0 makes pcibind boot
# leave every device alone and say so in the kernel log; the policy's
# "boot = yes" rule is not applied and the e1000e keeps its native driver.

E1000E=0000:01:00.0
U=pcibind-boot.service
dmesg >/tmp/boot.dmesg 2>&1
expect_eq unit-enabled enabled "$(systemctl is-enabled "$U" 2>&1)"
expect_eq unit-active active "$(systemctl is-active "$U" 2>&1)"
expect_eq unit-result success "$(systemctl show -P Result "$U")"
check disabled-logged grep -q 'pcibind: rd.pcibind=0: leaving every device alone' /tmp/boot.dmesg
journalctl -b -t pcibind -o cat >/tmp/journal-pcibind.txt 2>&1
check disabled-in-journal grep -q '^rd.pcibind=0: leaving every device alone' /tmp/journal-pcibind.txt
expect_eq e1000e-native e1000e "$(sysfs_driver $E1000E)"
expect_eq e1000e-no-override "(null)" "$(cat /sys/bus/pci/devices/$E1000E/driver_override)"
expect_eq e1000-native e1000 "$(sysfs_driver 0000:00:04.0)"
check_fails vfio-not-loaded grep -q '^vfio_pci ' /proc/modules
check_fails nothing-recorded test -e /run/pcibind/txn
check_fails no-seizing grep -q 'seized to' /tmp/boot.dmesg
