# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: xen
# vm-append: xen-pciback.hide=(0000:00:04.0)
# A device that pciback seized at boot (xen-pciback.hide= on the dom0
# command line, pciback loaded before the native drivers, as in Qubes): it
# has no journal record, no reset method (the legacy e1000 on the root bus)
# and its native module is not loaded. A plain release is refused (no
# reset); with -o no-strict-reset pcibind finds e1000 through libkmod from
# the modalias, loads it, binds the driver, and removes the slot.
# This scenario boots on its own (the "# vm-append:" line above).

H=0000:00:04.0
P=/sys/bus/pci/drivers/pciback

if ! have_pcibind; then
	skip pcibind "pcibind not in the image"
	return 0
fi

check cmdline-has-hide grep -q 'xen-pciback.hide=(0000:00:04.0)' /proc/cmdline
expect_eq hidden-on-pciback pciback "$(sysfs_driver $H)"
expect_eq hidden-in-slots 1 "$(grep -cix $H $P/slots)"
expect_eq hidden-no-override "(null)" "$(pci_override $H)"
check_fails hidden-no-reset-file test -e /sys/bus/pci/devices/$H/reset
pb status --json
expect_eq hidden-no-journal-record "" \
	"$(printf '%s' "$PB_OUT" | jq -r --arg a $H '.seized[]? | select(.address == $a) | .address')"
pb --json list
expect_eq hidden-list-stub "pciback true" \
	"$(printf '%s' "$PB_OUT" | jq -r --arg a $H '.devices[] | select(.address == $a) | "\(.driver) \(.stub)"')"

# The coldplug loaded e1000 for its modalias anyway: unload it, so the
# release has to load it (what a real boot, without udev's coldplug of a
# device that is already bound, leaves).
rmmod e1000 2>/dev/null
check e1000-not-loaded sh -c '! grep -q "^e1000 " /proc/modules'

pb release $H
expect_rc release-refused-exit 3
expect_match release-refused-reason "cannot be reset" "$PB_ERR"
expect_match release-refused-hint "no-strict-reset" "$PB_ERR"
expect_eq refused-still-pciback pciback "$(sysfs_driver $H)"

pb release -o no-strict-reset --dry-run $H
expect_rc dry-run-exit 0
printf '%s\n' "$PB_OUT" >/tmp/81-plan
sed 's/^/INFO 81 dry-run: /' /tmp/81-plan
expect_match dry-run-names-e1000 "e1000" "$PB_OUT"
expect_match dry-run-remove-slot "write bus/pci/drivers/pciback/remove_slot \"$H\"" "$PB_OUT"
check dry-run-loaded-nothing sh -c '! grep -q "^e1000 " /proc/modules'

pb release -o no-strict-reset --dry-run --json $H
printf '%s\n' "$PB_OUT" >/tmp/81-plan.json

pb release -o no-strict-reset $H
expect_rc release-exit 0
echo "INFO 81 release: $(tl_oneline "$PB_OUT $PB_ERR")"
expect_eq release-says "$H: pciback -> e1000" "$PB_OUT"
expect_eq back-on-e1000 e1000 "$(sysfs_driver $H)"
check e1000-loaded grep -q '^e1000 ' /proc/modules
expect_eq not-in-slots 0 "$(grep -cix $H $P/slots)"
expect_eq override-clear "(null)" "$(pci_override $H)"
has_netdev() { [ -n "$(pci_netdevs $H)" ]; }
wait_for netdev-appears 10 has_netdev
pb status --json
expect_eq journal-empty 0 "$(printf '%s' "$PB_OUT" | jq '.seized | length')"

# And it can be seized again and released (now with a record).
pb seize $H
expect_rc reseize-exit 0
expect_eq reseize-on-pciback pciback "$(sysfs_driver $H)"
expect_eq reseize-slot-once 1 "$(grep -cix $H $P/slots)"
pb release -o no-strict-reset $H
expect_rc rerelease-exit 0
expect_eq rerelease-on-e1000 e1000 "$(sysfs_driver $H)"
expect_eq rerelease-not-in-slots 0 "$(grep -cix $H $P/slots)"
