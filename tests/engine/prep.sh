#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Give a materialized fixture what the fake kernel needs (tests/fake/fake-kernel.c):
#   .fake/modules/M  the PCI drivers module M registers (one per line)
#   .fake/ids/D      vendor:device pairs driver D matches without an override
# from the tree itself: loaded drivers and their module links, the devices
# bound to each driver, the stub modules, and the fixture's aliases for
# modules not loaded yet (a module registers a driver of its own name).
# Usage: prep.sh SYSDIR [ALIASES]
set -eu
sys=$1
aliases=${2:-}
fake=$sys/.fake
rm -rf "$fake"
mkdir -p "$fake/modules" "$fake/ids"

add() { grep -qx "$2" "$1" 2>/dev/null || echo "$2" >>"$1"; }

add "$fake/modules/vfio_pci" vfio-pci
add "$fake/modules/pci_stub" pci-stub
add "$fake/modules/xen_pciback" pciback

for drv in "$sys"/bus/pci/drivers/*; do
	[ -d "$drv" ] || continue
	d=${drv##*/}
	if [ -L "$drv/module" ]; then
		m=$(readlink "$drv/module")
		add "$fake/modules/${m##*/}" "$d"
	fi
	for dev in "$drv"/[0-9a-f]*:*; do
		[ -L "$dev" ] || continue
		v=$(cat "$dev/vendor")
		id=$(cat "$dev/device")
		add "$fake/ids/$d" "${v#0x}:${id#0x}"
	done
done

if [ -n "$aliases" ] && [ -f "$aliases" ]; then
	awk '$1 == "alias" { print $3 }' "$aliases" | sort -u | while read -r m; do
		[ -f "$fake/modules/$m" ] || echo "$m" >"$fake/modules/$m"
	done
fi
