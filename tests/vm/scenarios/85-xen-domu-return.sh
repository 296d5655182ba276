# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: xen
# vm-append: vmtest.xl=1
# vm-needs: xen-toolstack
# vm-timeout: 1800
# Return after a VM, on a real Xen dom0 with its toolstack (xenstored,
# xen-init-dom0, xenconsoled, xl) and a PV domU (the same kernel, busybox,
# xen-pcifront, e1000e) that gets the e1000e (01:00.0) passed through and
# pings dom0's e1000 (00:04.0) over QEMU's internal hub.
#  1. `xl pci-assignable-add` quarantines the device (DOM_IO), and a
#     sysfs-only return (pciback unbind, remove_slot, e1000e bind) leaves it
#     without DMA: the DMA check must fail (so this scenario can fail).
#     pcibind seize + release then repairs it (de-quarantine).
#  2. After `xl pci-assignable-add` of a device pcibind seized, pcibind
#     release brings it back with working DMA.
#  3. pcibind seizes the NIC, the domU drives it (its pings succeed).
#  4. While the domU runs, release (and a seize to another stub) is refused
#     with exit 3 naming the domain, nothing changes, the domU keeps pinging;
#     show and status say who holds it.
#  5. After the domU is destroyed (Xen quarantines the device), pcibind
#     release brings the e1000e back, Xen says dom0 owns it, and DMA works.
# "DEMO " lines are the transcript `make demo-xen` prints (tests/vm/demo-xen.sh).

E=0000:01:00.0
PEER=0000:00:04.0
P=/sys/bus/pci/drivers/pciback
IP=$VMTEST_BIN/ip-full
CONS=/var/log/xen/console/guest-domu.log

if ! have_pcibind || [ ! -x /usr/sbin/xl ]; then
	skip xen-domu "pcibind or xl not in the image"
	return 0
fi

# Xen's view of the device's owner: "DomIO", "d0", "d1"... (debug key Q).
xen_owner()
{
	xl dmesg -c >/dev/null 2>&1
	xl debug-keys Q >/dev/null 2>&1
	sleep 0.5
	xl dmesg 2>/dev/null | grep -F "$1 - " | tail -n 1 | sed -n "s/.*$1 - \([^ :]*\).*/\1/p"
}
netdev_back() { [ -n "$(pci_netdevs $E)" ]; }
say() { echo "DEMO $*"; }
# pb, and show the command and what it printed in the transcript.
pbd()
{
	pb "$@"
	say
	say "# pcibind $*"
	printf '%s\n%s\n' "$PB_OUT" "$PB_ERR" | sed '/^$/d; s/^/DEMO /'
	[ "$PB_RC" = 0 ] || say "(exit $PB_RC)"
}

# ---- the toolstack, as xencommons starts it ---------------------------------------
mkdir -p /var /run/xen /run/xenstored /var/lib/xen /var/lib/xenstored /var/log/xen/console /dev/pts
[ -e /var/run ] || ln -s /run /var/run
mount -t devpts devpts /dev/pts 2>/dev/null
for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd; do modprobe "$m" 2>/dev/null; done
T0=$(cut -d' ' -f1 /proc/uptime)
/usr/sbin/xenstored --pid-file /run/xenstored.pid
wait_for xenstored-up 20 test -S /run/xenstored/socket
check xen-init-dom0 /usr/sbin/xen-init-dom0
/usr/sbin/xenconsoled --pid-file=/run/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console
expect_eq dom0-in-xenstore Domain-0 "$(xenstore-read /local/domain/0/name 2>&1)"
check xl-list xl list
echo "NOTE toolstack up in $(awk -v a="$T0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }') s"

expect_eq e1000e-at-start e1000e "$(sysfs_driver $E)"
wait_for netdevs-up 20 sh -c "ls /sys/bus/pci/devices/$E/net /sys/bus/pci/devices/$PEER/net"

# ---- 1. quarantine without a domU; the sysfs-only return fails ---------------------
xl pci-assignable-add $E >/tmp/85-xl.out 2>&1
expect_eq xl-assignable-add-rc 0 "$?"
expect_eq xl-assignable-on-pciback pciback "$(sysfs_driver $E)"
expect_eq xl-assignable-quarantined DomIO "$(xen_owner $E)"
echo $E >$P/unbind
echo $E >$P/remove_slot
echo > /sys/bus/pci/devices/$E/driver_override
echo $E >/sys/bus/pci/drivers/e1000e/bind
wait_for sysfs-only-rebound 20 netdev_back
expect_eq sysfs-only-still-domio DomIO "$(xen_owner $E)"
dma_fails sysfs-only-return-has-no-dma $E $PEER
# pcibind repairs it: the release de-quarantines before e1000e binds.
pb seize --driver pciback $E
expect_rc repair-seize-exit 0
pb -v release $E
expect_rc repair-release-exit 0
expect_match repair-says-dequarantined "from its quarantine \(DOM_IO\) back to dom0" "$PB_ERR"
expect_eq repair-owner-d0 d0 "$(xen_owner $E)"
wait_for repair-netdev 20 netdev_back
dma_check repair-dma-works $E $PEER

# ---- 2. xl pci-assignable-add of a pcibind-seized device, then pcibind release -------
pb seize --driver pciback $E
expect_rc a-seize-exit 0
xl pci-assignable-add $E >/tmp/85-xl.out 2>&1
expect_eq a-xl-assignable-add-rc 0 "$?"
expect_eq a-quarantined DomIO "$(xen_owner $E)"
pb release --dry-run $E
expect_rc a-dry-run-exit 0
printf '%s\n' "$PB_OUT" >/tmp/85-aplan
expect_match a-plan-deassign "xen-deassign DOMID_IO $E" "$PB_OUT"
pb release --dry-run --json $E
printf '%s\n' "$PB_OUT" >/tmp/85-aplan.json
check_plan_json a-plan-json-same /tmp/85-aplan /tmp/85-aplan.json
pb release $E
expect_rc a-release-exit 0
expect_eq a-native e1000e "$(sysfs_driver $E)"
expect_eq a-owner-d0 d0 "$(xen_owner $E)"
wait_for a-netdev 20 netdev_back
dma_check a-dma-works $E $PEER

# ---- 3. pcibind seizes it, the domU drives it -------------------------------------------
say "Xen $(xl info 2>/dev/null | sed -n 's/^xen_version *: //p') dom0, Linux $(uname -r); the e1000e at $E, dom0's e1000 at $PEER on QEMU's internal hub"
pbd seize $E
expect_rc d-seize-exit 0
expect_eq d-on-pciback pciback "$(sysfs_driver $E)"
PEER_NET=$(netdev_of $PEER)
$IP netns add peer
$IP link set "$PEER_NET" netns peer
$IP -n peer addr add 10.99.0.2/24 dev "$PEER_NET"
$IP -n peer link set "$PEER_NET" up
cat >/tmp/domu.cfg <<CFG
name = "domu"
type = "pv"
kernel = "/vmtest/domu/vmlinuz"
ramdisk = "/vmtest/domu/initrd.gz"
extra = "console=hvc0 loglevel=4 panic=-1"
memory = 128
vcpus = 1
pci = [ '$E' ]
on_crash = "destroy"
CFG
T1=$(cut -d' ' -f1 /proc/uptime)
xl create /tmp/domu.cfg >/tmp/85-create.out 2>&1
expect_eq d-xl-create-rc 0 "$?"
DOMID=$(xl domid domu 2>/dev/null)
expect_match d-domid '^[0-9]+$' "$DOMID"
say
say "# xl create domu.cfg   (PV, pci = [ '$E' ]): domain $DOMID"
wait_for d-domu-pings 400 grep -q 'DOMU ROUND [0-9]* RECEIVED 3' "$CONS"
grep -E 'DOMU (NIC|ROUND)' "$CONS" | head -n 2 | sed 's/^/DEMO   domU console: /'
say "  Xen: $E is owned by $(xen_owner $E)"
echo "NOTE domU up and pinging $(awk -v a="$T1" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }') s after xl create"
expect_match d-domu-nic-e1000e 'DOMU NIC [a-z0-9]+ e1000e' "$(cat $CONS 2>&1)"
expect_eq d-owner-guest "d$DOMID" "$(xen_owner $E)"

# ---- 4. while it runs: refused, naming the domain; nothing changes -------------------------
pci_snapshot /tmp/85-before
pbd release $E
expect_rc r-release-refused 3
expect_match r-names-domain "in use by domain $DOMID \(domu\)" "$PB_ERR"
pb release --dry-run $E
expect_rc r-dry-run-refused 3
pb seize --driver pci-stub $E
expect_rc r-seize-other-stub-refused 3
expect_match r-seize-names-domain "in use by domain $DOMID \(domu\)" "$PB_ERR"
pci_snapshot /tmp/85-after
check r-nothing-changed cmp -s /tmp/85-before /tmp/85-after
expect_eq r-still-pciback pciback "$(sysfs_driver $E)"
pb show $E
expect_match r-show-says "in use by domain $DOMID \(domu\)" "$PB_OUT"
pbd status
expect_match r-status-says "$E  on pciback, in use by domain $DOMID \(domu\)" "$PB_OUT"
LAST=$(grep -c 'DOMU ROUND' "$CONS")
domu_pinged_again() { [ "$(grep 'RECEIVED 3' "$CONS" | wc -l)" -gt "$LAST" ]; }
wait_for r-domu-still-pings 30 domu_pinged_again
say "  the domU keeps pinging: $(grep 'DOMU ROUND' "$CONS" | tail -n 1)"

# ---- 5. the domU stops; pcibind release brings the e1000e back --------------------------
T2=$(cut -d' ' -f1 /proc/uptime)
xl destroy domu >/tmp/85-destroy.out 2>&1
expect_eq s-xl-destroy-rc 0 "$?"
say
say "# xl destroy domu"
say "  Xen: $E is owned by $(xen_owner $E) (quarantined), still on $(sysfs_driver $E)"
check_fails s-domu-gone xl domid domu
echo "NOTE xl destroy took $(awk -v a="$T2" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }') s"
expect_eq s-still-pciback pciback "$(sysfs_driver $E)"
expect_eq s-quarantined DomIO "$(xen_owner $E)"
$IP -n peer link set "$PEER_NET" netns 1
$IP netns del peer
pb show $E
expect_match s-show-free "no Xen guest holds it" "$PB_OUT"
pbd release --dry-run $E
expect_match s-plan-deassign "xen-deassign DOMID_IO $E" "$PB_OUT"
pbd -v release $E
expect_rc s-release-exit 0
expect_match s-release-dequarantined "from its quarantine \(DOM_IO\) back to dom0" "$PB_ERR"
expect_eq s-native e1000e "$(sysfs_driver $E)"
expect_eq s-owner-d0 d0 "$(xen_owner $E)"
wait_for s-netdev 20 netdev_back
say "  Xen: $E is owned by $(xen_owner $E); driver $(sysfs_driver $E), netdev $(pci_netdevs $E)"
dma_check s-dma-works-after-domu $E $PEER
send_file domu-console.log "$CONS"
say
say "DMA check (ping from the e1000e to the e1000 over the hub, each in its own netns): $(dma_ping $E $PEER | awk '{ print $1 "/3 answered, tx_packets " $2 " -> " $3 }')"
