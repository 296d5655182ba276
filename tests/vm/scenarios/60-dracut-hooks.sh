# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: dracut
# The dracut test module's hooks ran in the right order: pre-udev saw the
# e1000e with no driver and e1000e not loaded (udev not started yet); by
# initqueue/settled (where this runs) udev has loaded e1000e and bound it.

check pre-udev-ran test -s /run/vmtest/pre-udev.devices
expect_eq pre-udev-e1000e-unbound "0000:01:00.0 8086:10d3 none" \
	"$(grep '^0000:01:00.0 ' /run/vmtest/pre-udev.devices)"
check_fails pre-udev-e1000e-not-loaded grep -qx e1000e /run/vmtest/pre-udev.modules
check settled-reached test -s /run/vmtest/settled
check settled-after-pre-udev awk -v a="$(cat /run/vmtest/pre-udev.uptime)" \
	-v b="$(cat /run/vmtest/settled)" 'BEGIN { exit !(a < b) }'
expect_eq settled-e1000e-bound e1000e "$(sysfs_driver 0000:01:00.0)"
check settled-e1000e-loaded grep -q '^e1000e ' /proc/modules
expect_eq pre-udev-no-udevd 0 "$(cat /run/vmtest/pre-udev.udevd)"
check settled-udevd-running sh -c 'cat /proc/[0-9]*/comm | grep -q udevd'
