#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Make the laptop-guards fixture: the laptop fixture plus what trips every
# safety guard, as a real kernel lays it out:
#   - nvme0n1p2 on 03:00.0 is mounted on / (dev/block/259:2)
#   - dm-0 "luks-home" (mounted on /home) and dm-1 "luks-swap" (swap) sit on
#     nvme0n1p3 and nvme0n1p4: the guard follows device-mapper slaves
#   - enp0s31f6 (00:1f.6) is a lower device of bridge br0, which carries the
#     default route (tests/fixtures/proc/laptop-guards/net/route)
#   - a boot keyboard (interface class 03/01/01) on the xHCI 00:14.0
# Its /proc is tests/fixtures/proc/laptop-guards. Usage: mkguards.sh SRC DST
set -eu
src=$1 dst=$2
rm -rf "$dst"
mkdir -p "$dst"
cp -a "$src/sys" "$dst/sys"
ln -s "$(cd "$src" && pwd)/modules" "$dst/modules"
s=$dst/sys
nvme=devices/pci0000:00/0000:00:1b.0/0000:03:00.0/nvme/nvme0/nvme0n1
mkdir -p "$s/dev/block" "$s/class/block" "$s/class/net" "$s/devices/virtual/block" \
	"$s/devices/virtual/net/br0"
for p in 2 3 4; do
	mkdir -p "$s/$nvme/nvme0n1p$p"
	ln -s "../../$nvme/nvme0n1p$p" "$s/class/block/nvme0n1p$p"
done
ln -s "../../$nvme/nvme0n1p2" "$s/dev/block/259:2"
for dm in 0:home:3 1:swap:4; do
	n=${dm%%:*} rest=${dm#*:} name=${rest%%:*} part=${rest#*:}
	d=$s/devices/virtual/block/dm-$n
	mkdir -p "$d/slaves" "$d/dm"
	echo "luks-$name" >"$d/dm/name"
	ln -s "../../../../$nvme/nvme0n1p$part" "$d/slaves/nvme0n1p$part"
	ln -s "../../devices/virtual/block/dm-$n" "$s/class/block/dm-$n"
	ln -s "../../devices/virtual/block/dm-$n" "$s/dev/block/253:$n"
done
ln -s ../../devices/pci0000:00/0000:00:1f.6/net/enp0s31f6 "$s/class/net/enp0s31f6"
ln -s ../../devices/virtual/net/br0 "$s/class/net/br0"
ln -s ../../../../devices/pci0000:00/0000:00:1f.6/net/enp0s31f6 \
	"$s/devices/virtual/net/br0/lower_enp0s31f6"
kbd=$s/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0
mkdir -p "$kbd"
echo 03 >"$kbd/bInterfaceClass"
echo 01 >"$kbd/bInterfaceSubClass"
echo 01 >"$kbd/bInterfaceProtocol"
