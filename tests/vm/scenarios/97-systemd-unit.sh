# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: systemd
# vm-systemd-enable: pcibind-boot.service
# pcibind-boot.service from the .deb, enabled with "systemctl enable", on a
# real-root boot with systemd as PID 1 and no pcibind in any initramfs: the
# policy's "boot = yes" rule moves the e1000e to vfio-pci. The unit ran once
# and succeeded, its kernel log lines are in the journal, status says origin
# boot, and systemd's own timestamps show it finished before
# systemd-modules-load (which loads e1000e here), udev's coldplug,
# sysinit.target and network-pre.target; a service ordered only
# After=network-pre.target found the e1000e on vfio-pci already. The e1000e
# module was loaded and coldplug gave every other device its native driver,
# yet e1000e never probed 01:00.0.

E1000E=0000:01:00.0
U=pcibind-boot.service
dmesg >/tmp/boot.dmesg 2>&1
# The unit runs before journald: what it and PID 1 said reached the journal
# through the kernel log (journald files kmsg lines "NAME: ..." under NAME).
journalctl -b -t pcibind -o cat >/tmp/journal-pcibind.txt 2>&1
journalctl -b -t systemd -o cat >/tmp/journal-systemd.txt 2>&1
prop() { systemctl show -P "$2" "$1" 2>/dev/null; }

expect_eq pid1-is-systemd systemd "$(cat /proc/1/comm)"
check_fails not-an-initrd test -e /etc/initrd-release
expect_eq unit-enabled enabled "$(systemctl is-enabled "$U" 2>&1)"
check unit-wanted-by-sysinit test -L "/etc/systemd/system/sysinit.target.wants/$U"
expect_eq unit-active active "$(systemctl is-active "$U" 2>&1)"
expect_eq unit-result success "$(prop "$U" Result)"
expect_eq unit-exit-status 0 "$(prop "$U" ExecMainStatus)"
expect_eq unit-ran-usr-sbin-pcibind "/usr/sbin/pcibind" "$(prop "$U" ExecStart | sed -n 's/.*path=\([^ ;]*\).*/\1/p')"
expect_eq unit-start-timeout 5min "$(prop "$U" TimeoutStartUSec)"
check journal-unit-started grep -q "^Starting $U" /tmp/journal-systemd.txt
check journal-unit-finished grep -q "^Finished $U" /tmp/journal-systemd.txt
check journal-pcibind-summary grep -q '^1 function seized to vfio-pci in 1 slot, ' /tmp/journal-pcibind.txt
check summary-logged grep -q 'pcibind: 1 function seized to vfio-pci in 1 slot, 0 already there, 0 kept, 0 slots left alone after an error, 0 bad items' /tmp/boot.dmesg

expect_eq e1000e-on-vfio vfio-pci "$(sysfs_driver $E1000E)"
expect_eq e1000e-override-pinned vfio-pci "$(cat /sys/bus/pci/devices/$E1000E/driver_override)"
"$PCIBIND" status >/tmp/status.out 2>&1
expect_match status-origin-boot "$E1000E .*on vfio-pci.*origin boot" "$(grep -F " $E1000E " /tmp/status.out)"

# udev's coldplug ran after it and gave the others their native drivers;
# e1000e was loaded (modules-load.d) but never probed the seized function.
expect_eq trigger-ran success "$(prop systemd-udev-trigger.service Result)"
expect_eq e1000-native e1000 "$(sysfs_driver 0000:00:04.0)"
expect_eq xhci-native xhci_hcd "$(sysfs_driver 0000:02:00.0)"
check e1000e-module-loaded grep -q '^e1000e ' /proc/modules
expect_eq modules-load-ran success "$(prop systemd-modules-load.service Result)"
check_fails e1000e-never-probed grep -q "e1000e $E1000E" /tmp/boot.dmesg

# Ordering, from systemd's monotonic timestamps (microseconds).
done_at=$(prop "$U" ExecMainExitTimestampMonotonic)
expect_match unit-exit-timestamp '^[1-9][0-9]*$' "$done_at"
before()
{
	local what=$1 unit=$2 p=$3 t
	t=$(prop "$unit" "$p")
	if [ -z "$t" ] || [ "$t" = 0 ]; then
		fail "before-$what" "$unit has no $p"
	elif [ "${done_at:-0}" -gt 0 ] && [ "$done_at" -lt "$t" ]; then
		pass "before-$what"
	else
		fail "before-$what" "$U exited at $done_at us, $unit $p $t us"
	fi
}
before modules-load systemd-modules-load.service ExecMainStartTimestampMonotonic
before udev-trigger systemd-udev-trigger.service ExecMainStartTimestampMonotonic
before sysinit sysinit.target ActiveEnterTimestampMonotonic
before network-pre network-pre.target ActiveEnterTimestampMonotonic
before netpre-probe vmtest-netpre.service ExecMainStartTimestampMonotonic
expect_eq netpre-probe-saw-vfio vfio-pci "$(cat /run/vmtest/netpre.driver 2>&1)"
send_file systemd-unit.journal /tmp/journal-pcibind.txt
send_file systemd-unit.dmesg /tmp/boot.dmesg
