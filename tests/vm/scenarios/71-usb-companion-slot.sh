# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian
# The ICH9 USB slot 00:1d (EHCI .7 with its UHCI companions .0/.1/.2), where
# moving part of the slot to vfio-pci corrupts kernel memory on Linux 6.1
# (qemu-lab.md, gotcha 6): pcibind must refuse to split it (even with
# no-strict-reset), move it whole with --all-functions in the safe order
# (EHCI unbound first and bound first), refuse to release it without
# no-strict-reset (no function has a reset method), and bring it back to
# ehci-pci/uhci_hcd with working root hubs. A kernel oops fails the boot.

U0=0000:00:1d.0
U1=0000:00:1d.1
U2=0000:00:1d.2
EH=0000:00:1d.7
SLOT="$U0 $U1 $U2 $EH"

if ! have_pcibind; then
	skip pcibind "pcibind not in the image"
	return 0
fi

slot_drivers() { for d in $SLOT; do printf '%s ' "$(sysfs_driver $d)"; done; }
slot_overrides() { for d in $SLOT; do printf '%s ' "$(pci_override $d)"; done; }
slot_roots() { ls -d /sys/bus/pci/devices/0000:00:1d.*/usb[0-9]* 2>/dev/null | wc -l; }

NATIVE="uhci_hcd uhci_hcd uhci_hcd ehci-pci "
pci_snapshot /tmp/71-before
expect_eq slot-native-at-start "$NATIVE" "$(slot_drivers)"
ROOTS=$(slot_roots)
expect_eq slot-four-root-hubs 4 "$ROOTS"
GROUP=$(basename "$(readlink /sys/bus/pci/devices/$EH/iommu_group)")
for d in $SLOT; do
	check_fails "no-reset-file-${d##*:}" test -e /sys/bus/pci/devices/$d/reset
done

# ---- refusals: never split the slot -----------------------------------------
pb seize --driver vfio-pci $U0
expect_rc split-refused-exit 3
expect_match split-refused-names-siblings "$U1.*$U2.*$EH" "$PB_ERR"
expect_match split-refused-says-all-functions "all-functions" "$PB_ERR"
pb seize --driver vfio-pci -o no-strict-reset $U0
expect_rc split-refused-even-no-strict-reset 3
pb seize --driver vfio-pci $EH
expect_rc split-ehci-refused 3
pb seize --driver pci-stub $U1 --dry-run
expect_rc split-dry-run-refused-too 3
expect_eq split-refusals-changed-nothing "$NATIVE" "$(slot_drivers)"

# ---- the whole slot to vfio-pci ---------------------------------------------
pb seize --driver vfio-pci --all-functions --dry-run $U0
expect_rc slot-dry-run-exit 0
printf '%s\n' "$PB_OUT" >/tmp/71-plan
expect_eq slot-plan-unbinds-ehci-first "unbind $EH" "$(plan_events /tmp/71-plan | head -n 1)"
expect_eq slot-plan-binds-ehci-first "bind $EH vfio-pci" "$(plan_events /tmp/71-plan | grep '^bind' | head -n 1)"
uevent_watch_start /tmp/71-ev
t0=$(cut -d' ' -f1 /proc/uptime)
pb seize --driver vfio-pci --all-functions $U0
t1=$(cut -d' ' -f1 /proc/uptime)
uevent_watch_stop /tmp/71-ev /tmp/71-plan
expect_rc slot-seize-exit 0
echo "INFO 71: slot seize took $(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }') s"
expect_eq slot-all-on-vfio "vfio-pci vfio-pci vfio-pci vfio-pci " "$(slot_drivers)"
expect_eq slot-overrides-vfio "vfio-pci vfio-pci vfio-pci vfio-pci " "$(slot_overrides)"
check slot-dev-vfio-group test -c "/dev/vfio/$GROUP"
expect_eq slot-root-hubs-gone 0 "$(slot_roots)"
check_plan_effects slot-seize /tmp/71-plan /tmp/71-ev
pb status --json
expect_eq slot-status-four 4 "$(printf '%s' "$PB_OUT" | jq '[.seized[] | select(.address | startswith("0000:00:1d."))] | length')"

# ---- release: refused without no-strict-reset (no reset method) ------------
pb release $U0
expect_rc slot-release-alone-refused 3
pb release --all-functions $U0
expect_rc slot-release-refused-exit 3
expect_match slot-release-refused-reason "cannot be reset" "$PB_ERR"
expect_match slot-release-refused-hint "no-strict-reset" "$PB_ERR"
expect_eq slot-release-refusal-changed-nothing "vfio-pci vfio-pci vfio-pci vfio-pci " "$(slot_drivers)"

pb release --all-functions -o no-strict-reset --dry-run $U0
expect_rc slot-release-dry-run-exit 0
printf '%s\n' "$PB_OUT" >/tmp/71-rplan
expect_eq slot-release-plan-binds-ehci-first "bind $EH ehci-pci" "$(plan_events /tmp/71-rplan | grep '^bind' | head -n 1)"
uevent_watch_start /tmp/71-rev
t0=$(cut -d' ' -f1 /proc/uptime)
pb release --all-functions -o no-strict-reset $U0
t1=$(cut -d' ' -f1 /proc/uptime)
uevent_watch_stop /tmp/71-rev /tmp/71-rplan
expect_rc slot-release-exit 0
echo "INFO 71: slot release took $(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }') s"
expect_eq slot-back-native "$NATIVE" "$(slot_drivers)"
expect_eq slot-overrides-cleared "(null) (null) (null) (null) " "$(slot_overrides)"
check_plan_effects slot-release /tmp/71-rplan /tmp/71-rev
roots_back() { [ "$(slot_roots)" = "$ROOTS" ]; }
wait_for slot-root-hubs-back 15 roots_back
# The EHCI root hub is usb 2.0, the UHCI ones 1.1: USB is really up.
expect_eq slot-ehci-root-hub-speed 480 "$(cat /sys/bus/pci/devices/$EH/usb*/speed 2>&1)"
pb status --json
expect_eq slot-status-empty 0 "$(printf '%s' "$PB_OUT" | jq '[.seized[] | select(.address | startswith("0000:00:1d."))] | length')"

# ---- once more through pci-stub (sets no drvdata) ---------------------------
pb seize --driver pci-stub --all-functions $EH
expect_rc slot-pci-stub-seize-exit 0
expect_eq slot-pci-stub-all "pci-stub pci-stub pci-stub pci-stub " "$(slot_drivers)"
pb release --all-functions -o no-strict-reset $EH
expect_rc slot-pci-stub-release-exit 0
expect_eq slot-pci-stub-back "$NATIVE" "$(slot_drivers)"
wait_for slot-pci-stub-root-hubs-back 15 roots_back

# Leave it as found, even after a failure above (EHCI first, safe order).
if [ "$(slot_drivers)" != "$NATIVE" ]; then
	for d in $SLOT; do echo >/sys/bus/pci/devices/$d/driver_override; done
	for d in $EH $U0 $U1 $U2; do
		[ -e /sys/bus/pci/devices/$d/driver ] && echo $d >/sys/bus/pci/devices/$d/driver/unbind
	done
	echo $EH >/sys/bus/pci/drivers/ehci-pci/bind
	for d in $U0 $U1 $U2; do echo $d >/sys/bus/pci/drivers/uhci_hcd/bind; done
fi 2>/dev/null
pci_snapshot /tmp/71-end
expect_eq all-as-at-start "$(cat /tmp/71-before)" "$(cat /tmp/71-end)"
