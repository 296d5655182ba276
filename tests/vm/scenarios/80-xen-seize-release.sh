# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: xen
# pcibind on a real Xen dom0 with xen-pciback: seize defaults to pciback,
# the device is listed once in pciback's slots (never a duplicate new_slot,
# even when the slot was already there), -o permissive lists it in
# permissive, release does remove_slot and returns it to e1000e; a second
# cycle works the same. vfio-pci is refused (a PV dom0 has no IOMMU groups)
# and leaves the device alone; pci-stub works; a blacklisted pci_stub makes
# the seize fail and roll back (exit 4). The xhci and the whole USB
# companion slot go to pciback and back (pciback sets drvdata, the case
# that corrupts memory when the slot is split or ordered wrongly).

E=0000:01:00.0
X=0000:02:00.0
P=/sys/bus/pci/drivers/pciback

if ! have_pcibind; then
	skip pcibind "pcibind not in the image"
	return 0
fi

in_slots() { grep -cix "$1" $P/slots; }
in_permissive() { grep -cix "$1" $P/permissive; }

pci_snapshot /tmp/80-before
SLOTS_BEFORE=$(cat $P/slots)
expect_eq e1000e-at-start e1000e "$(sysfs_driver $E)"
E_NET=$(pci_netdevs $E)
expect_match e1000e-netdev '^eth[0-9]+$' "$E_NET"
netdev_back() { [ -n "$(pci_netdevs $E)" ]; }

# ---- cycle 1: plain seize, then permissive on the seized device ----------
pb seize --dry-run $E
expect_rc c1-dry-run-exit 0
printf '%s\n' "$PB_OUT" >/tmp/80-plan
expect_match c1-plan-new-slot "write bus/pci/drivers/pciback/new_slot \"$E\"" "$PB_OUT"
uevent_watch_start /tmp/80-ev
pb seize $E
uevent_watch_stop /tmp/80-ev /tmp/80-plan
expect_rc c1-seize-exit 0
expect_eq c1-seize-says "$E: e1000e -> pciback" "$PB_OUT"
expect_eq c1-default-driver-pciback pciback "$(sysfs_driver $E)"
expect_eq c1-override pciback "$(pci_override $E)"
expect_eq c1-slot-listed-once 1 "$(in_slots $E)"
expect_eq c1-netdev-gone "" "$(pci_netdevs $E)"
check_plan_effects c1-seize /tmp/80-plan /tmp/80-ev
pb status --json
expect_eq c1-status "pciback pciback e1000e" \
	"$(printf '%s' "$PB_OUT" | jq -r --arg a $E '.seized[] | select(.address == $a) | "\(.stub_driver) \(.driver) \(.native_driver)"')"

pb seize -o permissive --dry-run $E
expect_eq c1-permissive-plan-one-step "1" "$(printf '%s\n' "$PB_OUT" | grep -c '  write ')"
expect_match c1-permissive-plan "write bus/pci/drivers/pciback/permissive \"$E\"" "$PB_OUT"
pb seize -o permissive $E
expect_rc c1-permissive-exit 0
expect_eq c1-permissive-listed 1 "$(in_permissive $E)"
expect_eq c1-permissive-slot-still-once 1 "$(in_slots $E)"

pb release --dry-run $E
printf '%s\n' "$PB_OUT" >/tmp/80-rplan
expect_match c1-release-plan-remove-slot "write bus/pci/drivers/pciback/remove_slot \"$E\"" "$PB_OUT"
expect_match c1-release-plan-reset "write bus/pci/devices/$E/reset \"1\"" "$PB_OUT"
uevent_watch_start /tmp/80-rev
pb release $E
uevent_watch_stop /tmp/80-rev /tmp/80-rplan
expect_rc c1-release-exit 0
expect_eq c1-release-says "$E: pciback -> e1000e" "$PB_OUT"
expect_eq c1-back-on-e1000e e1000e "$(sysfs_driver $E)"
expect_eq c1-override-cleared "(null)" "$(pci_override $E)"
expect_eq c1-not-in-slots 0 "$(in_slots $E)"
expect_eq c1-not-permissive 0 "$(in_permissive $E)"
wait_for c1-netdev-back 10 netdev_back
check_plan_effects c1-release /tmp/80-rplan /tmp/80-rev

# ---- cycle 2: seize -o permissive at once --------------------------------
pb seize -o permissive $E
expect_rc c2-seize-exit 0
expect_eq c2-on-pciback pciback "$(sysfs_driver $E)"
expect_eq c2-slot-listed-once 1 "$(in_slots $E)"
expect_eq c2-permissive-listed 1 "$(in_permissive $E)"
pb release $E
expect_rc c2-release-exit 0
expect_eq c2-back-on-e1000e e1000e "$(sysfs_driver $E)"
expect_eq c2-not-in-slots 0 "$(in_slots $E)"
wait_for c2-netdev-back 10 netdev_back

# ---- cycle 3: the slot is listed already (written by hand) ----------------
echo $E >$P/new_slot
expect_eq c3-slot-pre-listed 1 "$(in_slots $E)"
pb seize --dry-run $E
check_fails c3-plan-no-new-slot sh -c "printf '%s' '$PB_OUT' | grep -q new_slot"
pb seize $E
expect_rc c3-seize-exit 0
expect_eq c3-slot-still-once 1 "$(in_slots $E)"
pb release $E
expect_rc c3-release-exit 0
expect_eq c3-not-in-slots 0 "$(in_slots $E)"
expect_eq c3-back-on-e1000e e1000e "$(sysfs_driver $E)"
wait_for c3-netdev-back 10 netdev_back

# ---- vfio-pci in a PV dom0: refused, nothing touched -----------------------
pb seize --driver vfio-pci $E
expect_rc vfio-refused-exit 3
expect_match vfio-refused-reason "IOMMU" "$PB_ERR"
expect_eq vfio-still-e1000e e1000e "$(sysfs_driver $E)"
expect_eq vfio-override-untouched "(null)" "$(pci_override $E)"
expect_eq vfio-slots-untouched 0 "$(in_slots $E)"

# ---- rollback: pci_stub blacklisted ---------------------------------------
rmmod pci_stub 2>/dev/null
if [ -d /sys/bus/pci/drivers/pci-stub ]; then
	skip blacklist "pci_stub is loaded and cannot be unloaded"
else
	mkdir -p /etc/modprobe.d
	echo "blacklist pci_stub" >/etc/modprobe.d/80-pcibind-test.conf
	pb seize --driver pci-stub $E
	expect_rc blacklist-rolled-back 4
	expect_match blacklist-cause "blacklisted" "$PB_ERR"
	expect_eq blacklist-still-e1000e e1000e "$(sysfs_driver $E)"
	expect_eq blacklist-override-untouched "(null)" "$(pci_override $E)"
	check blacklist-netdev-still netdev_back
	rm -f /etc/modprobe.d/80-pcibind-test.conf
fi

# ---- pci-stub works in dom0 -------------------------------------------------
pb seize --driver pci-stub $E
expect_rc pci-stub-seize-exit 0
expect_eq pci-stub-driver pci-stub "$(sysfs_driver $E)"
expect_eq pci-stub-not-in-slots 0 "$(in_slots $E)"
pb release $E
expect_rc pci-stub-release-exit 0
expect_eq pci-stub-back-on-e1000e e1000e "$(sysfs_driver $E)"
wait_for pci-stub-netdev-back 10 netdev_back

# ---- xhci (module xhci_pci, driver xhci_hcd) to pciback and back ----------
pb seize $X
expect_rc xhci-seize-exit 0
expect_eq xhci-on-pciback pciback "$(sysfs_driver $X)"
pb release $X
expect_rc xhci-release-exit 0
expect_eq xhci-back-on-xhci_hcd xhci_hcd "$(sysfs_driver $X)"
expect_eq xhci-not-in-slots 0 "$(in_slots $X)"

# ---- the USB companion slot to pciback and back -----------------------------
SLOT="0000:00:1d.0 0000:00:1d.1 0000:00:1d.2 0000:00:1d.7"
slot_drivers() { for d in $SLOT; do printf '%s ' "$(sysfs_driver $d)"; done; }
slot_roots() { ls -d /sys/bus/pci/devices/0000:00:1d.*/usb[0-9]* 2>/dev/null | wc -l; }
NATIVE="uhci_hcd uhci_hcd uhci_hcd ehci-pci "
ROOTS=$(slot_roots)
expect_eq slot-native "$NATIVE" "$(slot_drivers)"
pb seize 0000:00:1d.1
expect_rc slot-split-refused 3
pb seize --all-functions 0000:00:1d.1
expect_rc slot-seize-exit 0
expect_eq slot-all-pciback "pciback pciback pciback pciback " "$(slot_drivers)"
expect_eq slot-four-in-slots 4 "$(grep -c '^0000:00:1d\.' $P/slots)"
pb release --all-functions 0000:00:1d.1
expect_rc slot-release-refused 3
pb release --all-functions -o no-strict-reset 0000:00:1d.1
expect_rc slot-release-exit 0
expect_eq slot-back-native "$NATIVE" "$(slot_drivers)"
expect_eq slot-none-in-slots 0 "$(grep -c '^0000:00:1d\.' $P/slots)"
roots_back() { [ "$(slot_roots)" = "$ROOTS" ]; }
wait_for slot-root-hubs-back 15 roots_back

pb status --json
expect_eq journal-empty-at-end 0 "$(printf '%s' "$PB_OUT" | jq '.seized | length')"
expect_eq slots-as-at-start "$SLOTS_BEFORE" "$(cat $P/slots)"
pci_snapshot /tmp/80-end
expect_eq all-as-at-start "$(cat /tmp/80-before)" "$(cat /tmp/80-end)"
