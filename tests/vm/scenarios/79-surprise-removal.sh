# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian
# Issue 19, surprise removal mid-change, on the real kernel: an e1000e
# hot-plugged into hp1 (03:00.0) is being seized to vfio-pci; pcibind is
# stopped by the test hook (PCIBIND_TEST_STOP_AFTER_STEP) right after its
# unbind step, the card is unplugged (device_del, pciehp removes it), then
# pcibind continues (SIGCONT). The command must fail naming the removal
# (not report success, not strand anything: exit 1 or 4, never 0 or 5),
# leave no transaction and no record of 03:00.0 behind, and the card
# plugged in again into the same slot starts clean: on e1000e, no
# driver_override, not in status, and seizable (and releasable) at once.
# Uses its own --state-dir.

HP=0000:03:00.0
S=/tmp/pb79

if ! have_pcibind; then
	skip pcibind "pcibind not in the image"
	return 0
fi

own_state
modprobe vfio-pci
stopped() { grep -q '^State:.*T' "/proc/$1/status" 2>/dev/null; }
hp_native() { [ "$(sysfs_driver $HP)" = e1000e ]; }

hotplug_add card-appears "e1000e,bus=hp1,id=hp79" $HP
wait_for card-on-e1000e 20 hp_native

# The step after which the card has no driver: the plan's unbind.
pbs seize --driver vfio-pci $HP --dry-run
k=$(printf '%s\n' "$PB_OUT" | grep -E '^ *[0-9]+  ' | grep -n "/unbind \"$HP\"" | cut -d: -f1)
echo "INFO 79 plan: $(tl_oneline "$PB_OUT")"
if [ -n "$k" ]; then
	pass plan-has-unbind
else
	fail plan-has-unbind "no unbind step in: $PB_OUT"
	k=1
fi

PCIBIND_TEST_STOP_AFTER_STEP=$k "$PCIBIND" --state-dir $S seize --driver vfio-pci $HP \
	>/tmp/79.out 2>/tmp/79.err &
pid=$!
wait_for stopped-after-unbind 30 stopped $pid
expect_eq unbound-while-stopped none "$(sysfs_driver $HP)"

# Unplug it under the stopped pcibind.
hotplug_del card-removed hp79 $HP
kill -CONT $pid
wait $pid
rc=$?
err=$(cat /tmp/79.err)
echo "INFO 79 seize after removal: exit $rc: $(tl_oneline "$err")"
case $rc in
1 | 4) pass fails-not-stranded ;;
*) fail fails-not-stranded "exit $rc (want 1 or 4): $err" ;;
esac
# One line names the card and says it went away (not a guess between a
# driver that does not match and a device that may be gone).
gone='(removed|unplugged|no longer present|disappeared)'
expect_match names-the-removal "03:00[.]0.*$gone|$gone.*03:00[.]0" "$err"
check_fails no-stranded-word sh -c "grep -qi strand /tmp/79.err"

pbs status --json
expect_eq journal-no-txn null "$(printf '%s' "$PB_OUT" | jq -c .transaction)"
check_fails journal-no-txn-file test -e $S/txn
expect_eq journal-no-record 0 "$(printf '%s' "$PB_OUT" | jq '.seized | length')"
check_fails no-record-file test -e $S/devices/$HP
pbs recover
expect_rc recover-nothing-to-do 0

# The same card again: a new device, clean.
hotplug_add card-back "e1000e,bus=hp1,id=hp79b" $HP
wait_for card-back-on-e1000e 20 hp_native
expect_eq card-back-override-clear "(null)" "$(pci_override $HP)"
pbs status --json
expect_eq card-back-not-seized "" \
	"$(printf '%s' "$PB_OUT" | jq -r --arg a $HP '.seized[] | select(.address == $a) | .address')"
pbs seize --driver vfio-pci $HP
expect_rc card-back-seizable 0
expect_eq card-back-on-vfio vfio-pci "$(sysfs_driver $HP)"
pbs release $HP
expect_rc card-back-releasable 0
expect_eq card-back-native-again e1000e "$(sysfs_driver $HP)"
pbs status --json
expect_eq journal-empty-at-end "0 null" \
	"$(printf '%s' "$PB_OUT" | jq -c '"\(.seized | length) \(.transaction)"' | tr -d '"')"
hotplug_del card-back-removed hp79b $HP
rm -rf $S
