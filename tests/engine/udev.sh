#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# 'pcibind udev' and --persistent on a fixture with the fake kernel: the
# hot-plug decision comes from the policy, only "add" seizes, "remove"
# retires the record, a slot whose functions the policy all names moves
# whole, a missing or bad variable is named, and --persistent writes and
# removes rules that the policy then reads.
. tests/engine/lib.sh
src=$BUILD/fixtures/laptop


cp -a "$src/sys" "$work/sys"
sh tests/engine/prep.sh "$work/sys" "$src/fixture.aliases"
policy_dir "$work/pol" 50-hot.conf <<'POL'
[hot nics]
match-class = ethernet
hotplug = yes
driver = pci-stub

[hot usb 1.1]
match-address = 00:1d.*
hotplug = yes
driver = pci-stub
strict-reset = no
POL

pb() {
	"$BUILD/pcibind-fake" --sysfs-root "$work/sys" --modules-dir "$src/modules" \
		--pci-ids tests/fixtures/pci.ids --state-dir "$work/state" --policy-dir "$work/pol" \
		--proc-root tests/fixtures/proc/none "$@"
}
event() { # event ACTION BDF [ARGS]
	a=$1 b=$2; shift 2
	env ACTION="$a" SUBSYSTEM=pci SEQNUM=1 DEVPATH="/devices/pci0000:00/$b" \
		"$BUILD/pcibind-fake" --sysfs-root "$work/sys" --modules-dir "$src/modules" \
		--pci-ids tests/fixtures/pci.ids --state-dir "$work/state" --policy-dir "$work/pol" \
		--proc-root tests/fixtures/proc/none "$@" udev
}
driver() { basename "$(readlink "$work/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }

pb udev >/dev/null 2>&1; check outside-udev-is-usage [ $? -eq 2 ]
event bind 0000:00:1f.6 >/dev/null 2>&1
check bind-ignored [ "$(driver 0000:00:1f.6)" = e1000e ]
event add 0000:00:17.0 >/dev/null 2>&1
check add-not-named [ "$(driver 0000:00:17.0)" = ahci ]
check add-not-named-no-lock [ ! -e "$work/state/lock" ]
# 00:1f.6 shares IOMMU group 12 with the PCH's audio and SMBus: vfio-pci
# would leave the group not viable (the SMBus stays with dom0), so udev's
# seize to it is refused and the NIC keeps e1000e; to pci-stub (the rule's
# stub) it goes.
sed 's/^driver = pci-stub/driver = vfio-pci/' "$work/pol/50-hot.conf" |
	policy_dir "$work/polv" 50-hot.conf
env ACTION=add SUBSYSTEM=pci SEQNUM=1 DEVPATH=/devices/pci0000:00/0000:00:1f.6 \
	"$BUILD/pcibind-fake" --sysfs-root "$work/sys" --modules-dir "$src/modules" \
	--pci-ids tests/fixtures/pci.ids --state-dir "$work/state" --policy-dir "$work/polv" \
	--proc-root tests/fixtures/proc/none udev >"$work/udev-vfio.log" 2>&1
check add-vfio-unviable-refused [ "$(driver 0000:00:1f.6)" = e1000e ]
check add-vfio-unviable-says-why grep -q 'its IOMMU group 12 also holds the SMBus controller' "$work/udev-vfio.log"
event add 0000:00:1f.6 >/dev/null 2>&1
check add-named [ "$(driver 0000:00:1f.6)" = pci-stub ]
check add-origin-udev sh -c "pb_status=\$(\"$BUILD/pcibind-fake\" --sysfs-root $work/sys --state-dir $work/state status); echo \"\$pb_status\" | grep -q 'origin udev'"
# One engine per run (issue 10): one policy load; lock, then look (issue 19):
# one snapshot to see whether the event is ours, one read again under the
# lock, and the journal opened once to look and once locked.
event add 0000:00:1d.1 -v -v >"$work/udev.log" 2>&1
check loads-once grep -q 'engine: 2 snapshot, [0-9]* refresh, 1 policy load, 1 guard load, 2 journal open' "$work/udev.log"
check slot-whole [ "$(driver 0000:00:1d.0)$(driver 0000:00:1d.1)$(driver 0000:00:1d.2)$(driver 0000:00:1d.7)" = pci-stubpci-stubpci-stubpci-stub ]
event add 0000:00:1d.2 >/dev/null 2>&1; check second-event-noop [ $? -eq 0 ]

# udev names what is missing from its environment (SEQNUM too).
env -u SEQNUM ACTION=add SUBSYSTEM=pci DEVPATH=/devices/pci0000:00/0000:00:1f.6 \
	"$BUILD/pcibind-fake" --sysfs-root "$work/sys" --state-dir "$work/state" udev 2>"$work/err"
check missing-seqnum [ $? -eq 2 ] && grep -q 'SEQNUM is not set' "$work/err"
check missing-seqnum-named grep -q 'SEQNUM is not set' "$work/err"
env ACTION=add SUBSYSTEM=pci SEQNUM=x1 DEVPATH=/devices/pci0000:00/0000:00:1f.6 \
	"$BUILD/pcibind-fake" --sysfs-root "$work/sys" --state-dir "$work/state" udev 2>"$work/err"
check bad-seqnum-named grep -q "SEQNUM='x1' is not a number" "$work/err"

# Unplugged: udev's remove retires the record; plugged in again, it starts clean.
mv "$work/sys/bus/pci/devices/0000:00:1f.6" "$work/unplugged"
pb status >"$work/status" 2>&1
check gone-said grep -q 'GONE: the record .*0000:00:1f.6 is about a function that is gone' "$work/status"
event remove 0000:00:1f.6 >/dev/null 2>&1; check remove-exit-0 [ $? -eq 0 ]
check remove-retires [ ! -e "$work/state/devices/0000:00:1f.6" ]
mv "$work/unplugged" "$work/sys/bus/pci/devices/0000:00:1f.6"
pb status >"$work/status" 2>&1
# no record of it any more (the fake kernel keeps the function on its stub:
# status lists it among those pcibind did not seize)
check readded-clean sh -c "! grep -q '0000:00:1f.6  on .*  native ' $work/status"
check readded-unrecorded grep -q '0000:00:1f.6  on pci-stub  driver_override pci-stub  origin not recorded' "$work/status"
# A remove event that never came: the next change retires the record.
printf 'bdf=0000:00:09.0\nid=8086:10d3\ndriver=e1000e\nstub=vfio-pci\norigin=cli\nsince=1\n' \
	>"$work/state/devices/0000:00:09.0"
chmod 600 "$work/state/devices/0000:00:09.0"
pb -v release 00:1f.6 >"$work/out" 2>&1; check next-command-exit-0 [ $? -eq 0 ]
check next-command-retires [ ! -e "$work/state/devices/0000:00:09.0" ]
check next-command-says grep -q 'retired the record .*0000:00:09.0: no function is at' "$work/out"

# --persistent
pb seize --driver pciback --persistent 00:14.0 >/dev/null 2>&1
f=$work/pol/90-persistent.conf
check persistent-written grep -q '^\[persistent 0000:00:14.0\]' "$f"
check persistent-identity grep -q '^expect-id = 8086:a36d' "$f"
pb policy check >/dev/null 2>&1; check persistent-rule-valid [ $? -eq 0 ]
pb explain 00:14.0 | grep -q 'boot          yes.*persistent 0000:00:14.0'
check persistent-rule-applies [ $? -eq 0 ]
pb release --persistent 00:14.0 >/dev/null 2>&1
check persistent-removed sh -c "! grep -q 'persistent 0000:00:14.0' $f"
check released-native [ "$(driver 0000:00:14.0)" = xhci_hcd ]

# A plain release of a function with such a rule warns that boot and
# hot-plug will seize it again, naming the file; a later release --persistent
# (nothing left to release) still removes the rule, and says so.
pb seize --driver pciback --persistent 00:14.0 >/dev/null 2>&1
PCIBIND_INITRAMFS_TOOL=update-initramfs pb release 00:14.0 >"$work/out" 2>&1
check plain-release-exit [ $? -eq 0 ]
check plain-release-warns grep -q "warning: 0000:00:14.0: the rule \[persistent 0000:00:14.0\] at $f:[0-9]* seizes it again at the next boot or hot-plug; 'pcibind release --persistent 0000:00:14.0' removes the rule" "$work/out"
check plain-release-keeps-rule grep -q '^\[persistent 0000:00:14.0\]' "$f"
PCIBIND_INITRAMFS_TOOL=update-initramfs pb release --persistent 00:14.0 >"$work/out" 2>&1
check unpersist-exit [ $? -eq 0 ]
check unpersist-removed sh -c "! grep -q 'persistent 0000:00:14.0' $f"
check unpersist-says grep -q "removed the rule \[persistent 0000:00:14.0\] from $f.*(update-initramfs -u)" "$work/out"
pb release --persistent 00:14.0 >"$work/out" 2>&1
check unpersist-twice-quiet sh -c "! grep -q 'removed the rule' $work/out"
PCIBIND_INITRAMFS_TOOL=dracut pb seize --driver pciback --persistent 00:14.0 >"$work/out" 2>&1
check persist-advice-dracut grep -q 'rebuild it (dracut -f)' "$work/out"

summary
