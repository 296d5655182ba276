# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: initramfs
# vm-append: rd.pcibind.seize=network rd.pcibind.driver=vfio-pci
# The initramfs-tools image (real mkinitramfs, pcibind's hook and init-top
# script from the .deb) seizes both NICs to vfio-pci before udev: its
# init-top script runs before init-top/udev (ORDER in the image), the
# e1000e and the e1000 are on vfio-pci when the recorder that runs between
# the two looks, no udevd runs yet, their native drivers are in the image
# but never loaded nor probed them, pcibind's kernel log lines are there,
# and status says origin boot. Then "pcibind release 01:00.0" in the same
# initramfs brings the e1000e back (libkmod loads the module).

SEIZED="0000:01:00.0 0000:00:04.0 0000:06:01.0 0000:06:02.0"
dmesg >/tmp/boot.dmesg 2>&1
order=/scripts/init-top/ORDER
line_of() { grep -n "^/scripts/init-top/$1 " "$order" | cut -d: -f1 | head -n1; }
expect_match order-pcibind-present '^[0-9]+$' "$(line_of pcibind)"
expect_match order-udev-present '^[0-9]+$' "$(line_of udev)"
check order-pcibind-before-udev test "$(line_of pcibind)" -lt "$(line_of udev)"
check image-has-pcibind test -x /usr/sbin/pcibind
check image-has-vendor-policy test -f /usr/lib/pcibind/policy.d/10-defaults.conf
check image-has-conffile-policy test -f /etc/pcibind/policy.d/50-local.conf
check image-has-79-rule test -f /usr/lib/udev/rules.d/79-pcibind.rules
for m in e1000e vfio-pci xen-pciback pci-stub; do
	check "image-has-$m-module" sh -c "find /usr/lib/modules/$KVER -name '$m.ko*' | grep -q ."
done

check pcibind-ran grep -q 'pcibind: .*seized to vfio-pci' /tmp/boot.dmesg
check summary-logged grep -q 'pcibind: 4 functions seized to vfio-pci in 4 slots, 0 already there, 0 kept, 0 slots left alone after an error, 0 bad items' /tmp/boot.dmesg
for bdf in $SEIZED; do
	expect_eq "pre-udev-$bdf-on-vfio" vfio-pci \
		"$(awk -v b="$bdf" '$1 == b { print $3 }' /run/vmtest/pre-udev.devices)"
	expect_eq "settled-$bdf-on-vfio" vfio-pci "$(sysfs_driver "$bdf")"
	expect_eq "override-$bdf-pinned" vfio-pci "$(cat "/sys/bus/pci/devices/$bdf/driver_override")"
done
expect_eq pre-udev-no-udevd 0 "$(cat /run/vmtest/pre-udev.udevd)"
# udev ran its coldplug afterwards: the USB controllers, not named, got
# their native drivers from it.
expect_eq xhci-native-after-udev xhci_hcd "$(sysfs_driver 0000:02:00.0)"
for mod in e1000e e1000; do
	check_fails "native-$mod-never-loaded" grep -q "^$mod " /proc/modules
done
check_fails e1000e-never-probed grep -q 'e1000e 0000:01:00.0' /tmp/boot.dmesg
check_fails e1000-never-probed grep -q 'e1000 0000:00:04.0' /tmp/boot.dmesg

"$PCIBIND" status >/tmp/status.out 2>&1
for bdf in $SEIZED; do
	expect_match "status-$bdf-origin-boot" "$bdf .*on vfio-pci.*origin boot" \
		"$(grep -F " $bdf " /tmp/status.out)"
done
"$PCIBIND" release 0000:01:00.0 >/tmp/release.out 2>&1
expect_eq release-exit 0 "$?"
expect_eq release-back-on-e1000e e1000e "$(sysfs_driver 0000:01:00.0)"
check release-loaded-e1000e grep -q '^e1000e ' /proc/modules
expect_eq others-still-seized vfio-pci "$(sysfs_driver 0000:00:04.0)"
send_file initramfs-seize.dmesg /tmp/boot.dmesg
