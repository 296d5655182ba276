# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: (none: tests/vm/qubes-side-by-side.sh boots it on xendracut)
# The recorder of the Qubes side-by-side test: in a Xen dom0 booted with
# either the model of Qubes' 90qubes-pciback (vmtest.qubes=model) or
# pcibind-qubes (vmtest.qubes=pcibind), check that the image holds the one
# module the variant says, and send every PCI function's driver before udev
# and after udev settled to the host, which compares the two boots.

variant=$(sed -n 's/.*vmtest\.qubes=\([a-z]*\).*/\1/p' /proc/cmdline)
dmesg >/tmp/boot.dmesg 2>&1
hooks=/lib/dracut/hooks

check is-xen is_xen
expect_match variant-named '^(model|pcibind)$' "$variant"
check pre-udev-recorded test -s /run/vmtest/pre-udev.devices
qubes_hook=$(ls "$hooks"/cmdline/02-*pciback*.sh 2>/dev/null)
if [ "$variant" = model ]; then
	check qubes-module-in-image test -n "$qubes_hook"
	check_fails pcibind-not-in-image test -e /usr/sbin/pcibind
	check_fails pcibind-hook-not-in-image test -e "$hooks/pre-udev/05-pcibind-boot.sh"
	[ ! -f /run/qubesref/hidden ] || send_file qubesref.hidden /run/qubesref/hidden
else
	# pcibind-qubes' dracut.conf.d left the Qubes module out and added pcibind.
	check_fails qubes-module-omitted test -n "$qubes_hook"
	check pcibind-in-image test -x /usr/sbin/pcibind
	check pcibind-hook-in-image test -e "$hooks/pre-udev/05-pcibind-boot.sh"
	check pcibind-boot-summary grep -Eq 'pcibind: (warning: )?[0-9]+ functions? seized to pciback' /tmp/boot.dmesg
	ls /usr/lib/pcibind/policy.d >/tmp/policy.list 2>&1
	send_file policy.list /tmp/policy.list
fi

# "BDF CLASS DRIVER" for every function once udev settled.
for d in /sys/bus/pci/devices/*; do
	drv=none
	[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
	echo "${d##*/} $(cat "$d/class") $drv"
done >/tmp/final.devices
send_file final.devices /tmp/final.devices
send_file pre-udev.devices /run/vmtest/pre-udev.devices
send_file boot.dmesg /tmp/boot.dmesg
