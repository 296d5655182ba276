#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# qubes-pciback.sh SYSROOT PCI_IDS: the peer of 'pcibind boot' in the
# benchmarks. It does what Qubes' dracut hook 90qubes-pciback did with
# rd.qubes.hide_all_usb: lspci -mm -n piped into grep and awk picks every
# network (class 02) and USB (0c03) function, then for each one: unbind from
# its driver if bound, write pciback's new_slot, write pciback's bind.
# Differences, all for the benchmark: lspci reads the fixture tree
# (-A linux-sysfs -O sysfs.path=...) and prints domains (-D, the tree has
# several); every path is under SYSROOT, a copy of the tree made for it, where
# the "writes" land in plain files (never the real /sys); no modprobe.
set -u
S=$1
IDS=$2
lspci_() { lspci -A linux-sysfs -O "sysfs.path=$S/bus/pci" -i "$IDS" -D "$@"; }

HIDE_PCI="$(lspci_ -mm -n | grep '^[^ ]* "02' | awk '{print $1}')"
HIDE_PCI="$HIDE_PCI $(lspci_ -mm -n | grep '^[^ ]* "0c03' | awk '{print $1}')"

for BDF in $HIDE_PCI; do
	if [ -e "$S/bus/pci/devices/$BDF/driver" ]; then
		echo -n "$BDF" > "$S/bus/pci/devices/$BDF/driver/unbind"
	fi
	echo -n "$BDF" > "$S/bus/pci/drivers/pciback/new_slot"
	echo -n "$BDF" > "$S/bus/pci/drivers/pciback/bind"
done
