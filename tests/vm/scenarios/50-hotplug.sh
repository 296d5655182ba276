# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian
# PCIe hot-plug through the QEMU monitor: the host adds an e1000e to the
# empty root port hp1 (00:05.0, secondary bus 03) and removes it again.
# hotplug_add/hotplug_del (testlib.sh) print the request for the host and
# wait for the function to appear in or leave /sys/bus/pci/devices.
# To hot-plug in another scenario, add one such line: the host side needs
# no change.

HP=0000:03:00.0
check_fails hp0-absent-before test -e /sys/bus/pci/devices/$HP

hotplug_add hp0-appears "e1000e,bus=hp1,id=hp0" $HP
hp0_bound() { [ "$(sysfs_driver $HP)" = e1000e ]; }
wait_for hp0-bound-e1000e 20 hp0_bound
wait_for hp0-uevent-add 10 grep -q "^add /devices/pci0000:00/0000:00:05.0/$HP pci" /run/uevents.log
expect_match hp0-lspci 'Ethernet controller.*8086:10d3' "$(lspci -nn -s $HP)"
if have_pcibind; then
	expect_eq hp0-pcibind-list "$HP e1000e" \
		"$("$PCIBIND" --json list | jq -r --arg a $HP '.devices[] | select(.address == $a) | "\(.address) \(.driver)"')"
	expect_eq hp0-pcibind-show-parent 0000:00:05.0 "$("$PCIBIND" --json show $HP | jq -r .parent)"
else
	skip hp0-pcibind "pcibind not in the image"
fi

hotplug_del hp0-removed hp0 $HP
wait_for hp0-uevent-remove 10 grep -q "^remove /devices/pci0000:00/0000:00:05.0/$HP pci" /run/uevents.log
if have_pcibind; then
	expect_eq hp0-pcibind-list-after "" \
		"$("$PCIBIND" --json list | jq -r --arg a $HP '.devices[] | select(.address == $a) | .address')"
fi
