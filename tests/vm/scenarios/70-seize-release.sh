# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian
# pcibind seize/release on the real kernel: the e1000e (01:00.0) to vfio-pci
# and to pci-stub and back, the --dry-run plan compared with what the real
# run does (uevents, driver_override, modules), status, and the xhci
# controller (02:00.0), whose module xhci_pci registers the driver xhci_hcd
# (Qubes issue 5713), also released with no journal record after its module
# was unloaded. Leaves every function on its native driver.

E=0000:01:00.0
X=0000:02:00.0

if ! have_pcibind; then
	skip pcibind "pcibind not in the image"
	return 0
fi

pci_snapshot /tmp/70-before
E_NET=$(pci_netdevs $E)
expect_match e1000e-has-netdev '^eth[0-9]+$' "$E_NET"
E_GROUP=$(basename "$(readlink /sys/bus/pci/devices/$E/iommu_group)")
expect_match e1000e-iommu-group '^[0-9]+$' "$E_GROUP"

# seize STUB: dry-run (text and JSON), the real run watched, then checks.
seize_release()
{
	stub=$1
	tag=e1000e-$stub

	pb seize --driver "$stub" --dry-run $E
	expect_rc "$tag-dry-run-exit" 0
	printf '%s\n' "$PB_OUT" >/tmp/70-plan
	pb seize --driver "$stub" --dry-run --json $E
	printf '%s\n' "$PB_OUT" >/tmp/70-plan.json
	check_plan_json "$tag-dry-run-json-same" /tmp/70-plan /tmp/70-plan.json
	expect_eq "$tag-dry-run-changed-nothing" e1000e "$(sysfs_driver $E)"

	uevent_watch_start /tmp/70-ev
	t0=$(cut -d' ' -f1 /proc/uptime)
	pb seize --driver "$stub" $E
	t1=$(cut -d' ' -f1 /proc/uptime)
	uevent_watch_stop /tmp/70-ev /tmp/70-plan
	expect_rc "$tag-seize-exit" 0
	echo "INFO $tag seize took $(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }') s"
	expect_eq "$tag-seize-says" "$E: e1000e -> $stub" "$PB_OUT"
	expect_eq "$tag-driver" "$stub" "$(sysfs_driver $E)"
	expect_eq "$tag-override" "$stub" "$(pci_override $E)"
	expect_eq "$tag-netdev-gone" "" "$(pci_netdevs $E)"
	check_plan_effects "$tag-seize" /tmp/70-plan /tmp/70-ev
	pci_snapshot /tmp/70-mid
	expect_eq "$tag-others-untouched" "$(grep -v "^$E " /tmp/70-before)" "$(grep -v "^$E " /tmp/70-mid)"
	if [ "$stub" = vfio-pci ]; then
		check "$tag-dev-vfio-group" test -c "/dev/vfio/$E_GROUP"
	else
		check_fails "$tag-no-vfio-group" test -e "/dev/vfio/$E_GROUP"
	fi
	expect_match "$tag-lspci" "Kernel driver in use: $stub" "$(lspci -k -s $E)"

	pb status
	expect_rc "$tag-status-exit" 0
	expect_match "$tag-status-text" "$E .*native e1000e" "$PB_OUT"
	pb status --json
	expect_eq "$tag-status-json" "$stub $stub e1000e e1000e false" \
		"$(printf '%s' "$PB_OUT" | jq -r --arg a $E '.seized[] | select(.address == $a) | "\(.stub_driver) \(.driver) \(.native_driver) \(.native_module) \(.stranded)"')"
	pb seize --driver "$stub" --dry-run $E
	expect_match "$tag-seize-again-nothing-to-do" '^Plan: seize, 0 steps' "$PB_OUT"

	pb release --dry-run $E
	expect_rc "$tag-release-dry-run-exit" 0
	printf '%s\n' "$PB_OUT" >/tmp/70-rplan
	expect_match "$tag-release-plan-resets" "write bus/pci/devices/$E/reset \"1\"" "$PB_OUT"
	pb release --dry-run --json $E
	printf '%s\n' "$PB_OUT" >/tmp/70-rplan.json
	check_plan_json "$tag-release-dry-run-json-same" /tmp/70-rplan /tmp/70-rplan.json

	uevent_watch_start /tmp/70-rev
	t0=$(cut -d' ' -f1 /proc/uptime)
	pb release $E
	t1=$(cut -d' ' -f1 /proc/uptime)
	uevent_watch_stop /tmp/70-rev /tmp/70-rplan
	expect_rc "$tag-release-exit" 0
	echo "INFO $tag release took $(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }') s"
	expect_eq "$tag-release-says" "$E: $stub -> e1000e" "$PB_OUT"
	expect_eq "$tag-back-on-e1000e" e1000e "$(sysfs_driver $E)"
	expect_eq "$tag-override-cleared" "(null)" "$(pci_override $E)"
	netdev_back() { [ -n "$(pci_netdevs $E)" ]; }
	wait_for "$tag-netdev-back" 10 netdev_back
	check_plan_effects "$tag-release" /tmp/70-rplan /tmp/70-rev
	pb status --json
	expect_eq "$tag-status-empty" "" \
		"$(printf '%s' "$PB_OUT" | jq -r --arg a $E '.seized[] | select(.address == $a) | .address')"
	pci_snapshot /tmp/70-after
	expect_eq "$tag-all-as-before" "$(cat /tmp/70-before)" "$(cat /tmp/70-after)"
}

seize_release vfio-pci
seize_release pci-stub

# Release of a function that is already on its native driver does nothing.
pb release $E
expect_rc e1000e-release-native-exit 0
expect_eq e1000e-release-native-still e1000e "$(sysfs_driver $E)"

# ---- xhci: module xhci_pci, driver xhci_hcd --------------------------------
usb_roots_of() { ls -d /sys/bus/pci/devices/$1/usb[0-9]* 2>/dev/null | wc -l; }
X_ROOTS=$(usb_roots_of $X)
expect_eq xhci-driver xhci_hcd "$(sysfs_driver $X)"
check xhci-has-root-hubs test "$X_ROOTS" -gt 0
pb seize --driver vfio-pci --dry-run $X
printf '%s\n' "$PB_OUT" >/tmp/70-xplan
uevent_watch_start /tmp/70-xev
pb seize --driver vfio-pci $X
uevent_watch_stop /tmp/70-xev /tmp/70-xplan
expect_rc xhci-seize-exit 0
expect_eq xhci-on-vfio vfio-pci "$(sysfs_driver $X)"
expect_eq xhci-root-hubs-gone 0 "$(usb_roots_of $X)"
check_plan_effects xhci-seize /tmp/70-xplan /tmp/70-xev
pb status --json
expect_eq xhci-status-native "xhci_hcd xhci_pci" \
	"$(printf '%s' "$PB_OUT" | jq -r --arg a $X '.seized[] | select(.address == $a) | "\(.native_driver) \(.native_module)"')"
pb release --dry-run $X
expect_match xhci-release-plan-binds-xhci_hcd "write bus/pci/drivers/xhci_hcd/bind \"$X\"" "$PB_OUT"
expect_match xhci-release-plan-override-xhci_hcd "driver_override \"xhci_hcd\"" "$PB_OUT"
pb release $X
expect_rc xhci-release-exit 0
expect_eq xhci-back-on-xhci_hcd xhci_hcd "$(sysfs_driver $X)"
expect_eq xhci-override-cleared "(null)" "$(pci_override $X)"
xhci_roots_back() { [ "$(usb_roots_of $X)" = "$X_ROOTS" ]; }
wait_for xhci-root-hubs-back 10 xhci_roots_back

# No journal record (seized by hand, as a boot-time hook would) and the
# module unloaded: release must find xhci_pci through libkmod, load it, and
# bind the driver it registers, xhci_hcd.
echo vfio-pci >/sys/bus/pci/devices/$X/driver_override
echo $X >/sys/bus/pci/drivers/xhci_hcd/unbind
echo $X >/sys/bus/pci/drivers_probe
expect_eq xhci-hand-seized vfio-pci "$(sysfs_driver $X)"
rmmod xhci_pci 2>/dev/null
check_fails xhci_pci-unloaded test -d /sys/module/xhci_pci
pb status --json
expect_eq xhci-no-record "" \
	"$(printf '%s' "$PB_OUT" | jq -r --arg a $X '.seized[] | select(.address == $a) | .address')"
pb release --dry-run $X
expect_match xhci-norecord-dry-run-module "xhci_pci" "$PB_OUT"
check_fails xhci-dry-run-loaded-nothing test -d /sys/module/xhci_pci
pb release $X
expect_rc xhci-norecord-release-exit 0
expect_eq xhci-norecord-back-on-xhci_hcd xhci_hcd "$(sysfs_driver $X)"
check xhci_pci-loaded-again test -d /sys/module/xhci_pci
expect_eq xhci-norecord-override-cleared "(null)" "$(pci_override $X)"
wait_for xhci-norecord-root-hubs-back 10 xhci_roots_back

# Whatever happened above: put both back by hand if pcibind did not.
for d in $E $X; do
	echo >/sys/bus/pci/devices/$d/driver_override 2>/dev/null
done
[ "$(sysfs_driver $E)" = e1000e ] || { echo $E >/sys/bus/pci/devices/$E/driver/unbind; echo $E >/sys/bus/pci/drivers/e1000e/bind; } 2>/dev/null
[ "$(sysfs_driver $X)" = xhci_hcd ] || { modprobe xhci_pci; echo $X >/sys/bus/pci/devices/$X/driver/unbind; echo $X >/sys/bus/pci/drivers/xhci_hcd/bind; } 2>/dev/null
pci_snapshot /tmp/70-end
expect_eq all-as-at-start "$(cat /tmp/70-before)" "$(cat /tmp/70-end)"
