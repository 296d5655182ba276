#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian xen
# The DMA check itself: the e1000e and the e1000 on QEMU's internal hub
# ping each other from their own network namespaces, and a NIC that cannot
# do DMA (unbound: no netdev) is reported as such.
. /vmtest/testlib.sh
tl_begin 15-dma-check

NIC=0000:01:00.0
PEER=0000:00:04.0
wait_for netdevs-up 20 sh -c "ls /sys/bus/pci/devices/$NIC/net /sys/bus/pci/devices/$PEER/net"
dma_check e1000e-to-e1000 "$NIC" "$PEER"
dma_check e1000-to-e1000e "$PEER" "$NIC"
echo "$NIC" >"/sys/bus/pci/devices/$NIC/driver/unbind"
dma_fails unbound-nic-fails "$NIC" "$PEER"
echo "$NIC" >/sys/bus/pci/drivers/e1000e/bind
wait_for rebound 20 sh -c "ls /sys/bus/pci/devices/$NIC/net"
dma_check after-rebind "$NIC" "$PEER"
tl_end
