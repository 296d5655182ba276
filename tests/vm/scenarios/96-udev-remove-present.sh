# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: dracut
# Issue 24 under the real systemd-udevd of the dracut image and the .deb's
# 70-pcibind.rules (as 95-udev-hotplug): an e1000e hot-plugged into hp1
# (03:00.0) is seized to vfio-pci by the rule (policy: hotplug = yes). A
# remove event for it while it is still there (`udevadm trigger -c
# remove`, as a person or a replayed event sends it) must keep its record:
# status still shows it seized, on vfio-pci, native e1000e, origin udev.
# A real unplug (device_del) then retires the record. Leaves the guest as
# it found it: policy gone, card unplugged, journal empty.

HP1=0000:03:00.0
POLDIR=/etc/pcibind/policy.d

if ! have_pcibind; then
	skip udev-remove "pcibind not in the image"
	return 0
fi

created_etc=0
[ -d /etc/pcibind ] || created_etc=1
mkdir -p $POLDIR
chmod 755 /etc/pcibind $POLDIR
cat >$POLDIR/50-hot96.conf <<'POLICY'
[hot e1000e]
match-id = 8086:10d3
hotplug = yes
driver = vfio-pci
POLICY
chmod 644 $POLDIR/50-hot96.conf

# status_of BDF: "DRIVER NATIVE ORIGIN STUB" of its record ("" if none).
status_of()
{
	pb status --json
	printf '%s' "$PB_OUT" | jq -r --arg a "$1" \
		'.seized[] | select(.address == $a) | "\(.driver) \(.native_driver) \(.origin) \(.stub_driver)"'
}

hotplug_add card-appears "e1000e,bus=hp1,id=hp96" $HP1
card_stub() { [ "$(sysfs_driver $HP1)" = vfio-pci ]; }
wait_for card-seized-by-rule 30 card_stub
check queue-settles-after-add udevadm settle --timeout=30
expect_eq record-after-add "vfio-pci e1000e udev vfio-pci" "$(status_of $HP1)"
check record-file-after-add test -e /run/pcibind/devices/$HP1

# A remove event for the card that is still there.
check trigger-remove udevadm trigger -c remove /sys/bus/pci/devices/$HP1
check queue-settles-after-remove-event udevadm settle --timeout=30
check card-still-there test -e /sys/bus/pci/devices/$HP1
expect_eq card-still-on-vfio vfio-pci "$(sysfs_driver $HP1)"
expect_eq record-kept "vfio-pci e1000e udev vfio-pci" "$(status_of $HP1)"
check record-file-kept test -e /run/pcibind/devices/$HP1
pb status
expect_match status-text-seized "$HP1 .*vfio-pci.*native e1000e.*origin udev" "$PB_OUT"
# udevd ran the rule for that event (else "kept" proves nothing).
journalctl -q -o cat -u systemd-udevd >/tmp/96-udevd.log 2>&1
echo "INFO 96 udevd: $(tl_oneline "$(grep -i "$HP1" /tmp/96-udevd.log | tail -n 4)")"

# A real unplug: the record goes.
hotplug_del card-unplugged hp96 $HP1
check queue-settles-after-unplug udevadm settle --timeout=30
expect_eq record-retired "" "$(status_of $HP1)"
check_fails record-file-retired test -e /run/pcibind/devices/$HP1
pb status --json
expect_eq journal-empty "0 null" \
	"$(printf '%s' "$PB_OUT" | jq -c '"\(.seized | length) \(.transaction)"' | tr -d '"')"

rm -f $POLDIR/50-hot96.conf
rmdir $POLDIR 2>/dev/null
[ "$created_etc" = 1 ] && rmdir /etc/pcibind 2>/dev/null
true
