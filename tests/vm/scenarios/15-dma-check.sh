#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian xen
# The DMA check itself: the e1000e and the e1000 on QEMU's internal hub
# ping each other from their own network namespaces, and a NIC that cannot
# do DMA (bound, netdev up, but bus mastering off in its command register)
# is reported as such: the negative control for every dma_check.
. /vmtest/testlib.sh
tl_begin 15-dma-check

NIC=0000:01:00.0
PEER=0000:00:04.0
wait_for netdevs-up 20 sh -c "ls /sys/bus/pci/devices/$NIC/net /sys/bus/pci/devices/$PEER/net"
dma_check e1000e-to-e1000 "$NIC" "$PEER"
dma_check e1000-to-e1000e "$PEER" "$NIC"
# Bus Master Enable is bit 2 of COMMAND (offset 4); the probe sets it again.
check bus-master-off setpci -s "${NIC#0000:}" COMMAND=0:4
dma_fails no-bus-master-no-dma "$NIC" "$PEER"
echo "$NIC" >"/sys/bus/pci/devices/$NIC/driver/unbind"
echo "$NIC" >/sys/bus/pci/drivers/e1000e/bind
wait_for rebound 20 sh -c "ls /sys/bus/pci/devices/$NIC/net"
dma_check after-rebind "$NIC" "$PEER"
tl_end
