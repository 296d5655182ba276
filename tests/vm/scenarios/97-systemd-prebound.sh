# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: systemd
# vm-systemd-enable: pcibind-boot.service
# vm-append: rdinit=/usr/lib/vmtest/preinit vmtest.preload=e1000e
# A device whose native driver already holds it when the real root starts,
# as an initramfs without pcibind but with network drivers leaves it: the
# preinit loads e1000e, which probes the e1000e, before systemd runs.
# pcibind-boot.service unbinds it and moves it to vfio-pci itself (a seize,
# not "already there"), with origin boot, before the coldplug; the unit
# succeeds and the device ends on vfio-pci, pinned.

E1000E=0000:01:00.0
U=pcibind-boot.service
dmesg >/tmp/boot.dmesg 2>&1
expect_eq pid1-is-systemd systemd "$(cat /proc/1/comm)"
check e1000e-probed-before-systemd grep -q "e1000e $E1000E eth0: Intel(R) PRO/1000 Network Connection" /tmp/boot.dmesg
check e1000e-unbound-by-pcibind grep -q "e1000e $E1000E eth0: removed PHC" /tmp/boot.dmesg
expect_eq unit-active active "$(systemctl is-active "$U" 2>&1)"
expect_eq unit-result success "$(systemctl show -P Result "$U")"
check seizing-from-e1000e grep -q "pcibind: seizing $E1000E (e1000e, " /tmp/boot.dmesg
check summary-logged grep -q 'pcibind: 1 function seized to vfio-pci in 1 slot, 0 already there, 0 kept, 0 slots left alone after an error, 0 bad items' /tmp/boot.dmesg
expect_eq e1000e-on-vfio vfio-pci "$(sysfs_driver $E1000E)"
expect_eq e1000e-override-pinned vfio-pci "$(cat /sys/bus/pci/devices/$E1000E/driver_override)"
"$PCIBIND" status >/tmp/status.out 2>&1
expect_match status-origin-boot "$E1000E .*on vfio-pci.*origin boot" "$(grep -F " $E1000E " /tmp/status.out)"
expect_eq e1000-native e1000 "$(sysfs_driver 0000:00:04.0)"
t_unit=$(systemctl show -P ExecMainExitTimestampMonotonic "$U")
t_trig=$(systemctl show -P ExecMainStartTimestampMonotonic systemd-udev-trigger.service)
check before-udev-trigger test "${t_unit:-0}" -gt 0 -a "${t_unit:-0}" -lt "${t_trig:-0}"
send_file systemd-prebound.dmesg /tmp/boot.dmesg
