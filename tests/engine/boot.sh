#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# 'pcibind boot' on fixtures with the fake kernel: what the command line and
# the policy choose ends on the stub with origin boot, keep wins, rd.pcibind=0
# and a pciback target on a non-Xen kernel leave everything alone, bad items
# are reported one by one (escaped), and boot always exits 0.
. tests/engine/lib.sh
# fresh FIXTURE: a new copy in $w
fresh() {
	w=$work/$1.$$.$(date +%N)
	mkdir -p "$w/pol"
	cp -a "$BUILD/fixtures/$1/sys" "$w/sys"
	sh tests/engine/prep.sh "$w/sys" "$BUILD/fixtures/$1/fixture.aliases"
	cp policy.d/10-defaults.conf "$w/pol/"
	chmod 644 "$w/pol"/*
	fx=$1
}
boot() { # boot CMDLINE [ARGS]
	printf '%s\n' "$1" >"$w/cmdline"; shift
	"$BUILD/pcibind-fake" --sysfs-root "$w/sys" --modules-dir "$BUILD/fixtures/$fx/modules" \
		--pci-ids tests/fixtures/pci.ids --state-dir "$w/state" --policy-dir "$w/pol" \
		--proc-root tests/fixtures/proc/none boot --cmdline "$w/cmdline" --kmsg "$w/kmsg" "$@" \
		>"$w/out" 2>&1
}
drv() { basename "$(readlink "$w/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
logged() { grep -q -- "$1" "$w/kmsg"; }

# laptop: a Xen dom0 fixture, so the default stub is pciback.
fresh laptop
boot "quiet rd.pcibind.seize=network,usb,zz:zz root=/dev/x"; check exit-0 [ $? -eq 0 ]
check nic-seized [ "$(drv 0000:00:1f.6)" = pciback ]
check xhci-seized [ "$(drv 0000:00:14.0)" = pciback ]
check usb-slot-whole [ "$(drv 0000:00:1d.0)$(drv 0000:00:1d.7)" = pcibackpciback ]
check bad-item-reported logged "zz:zz"
check other-alone [ "$(drv 0000:00:17.0)" = ahci ]
check origin-boot sh -c "grep -q '^origin=boot' $w/state/devices/0000:00:1f.6"
check digest-recorded [ -s "$w/state/boot-policy" ]
# Three slots, one engine: the snapshot, policy and journal are each read once.
fresh laptop
printf 'rd.pcibind.seize=network,usb\n' >"$w/cmdline"
"$BUILD/pcibind-fake" -v -v --sysfs-root "$w/sys" --modules-dir "$BUILD/fixtures/$fx/modules" \
	--pci-ids tests/fixtures/pci.ids --state-dir "$w/state" --policy-dir "$w/pol" \
	--proc-root tests/fixtures/proc/none boot --cmdline "$w/cmdline" --kmsg "$w/kmsg" >/dev/null 2>&1
check loads-once-slots [ "$(grep -c 'slot of' "$w/kmsg")" -ge 3 ]
check loads-once logged 'engine: 1 snapshot, [0-9]* refresh, 1 policy load, 1 guard load, 1 journal open'

# Nothing is mounted at pre-udev: a class never takes the root disk's controller.
fresh laptop
boot "rd.pcibind.seize=storage"; check storage-exit-0 [ $? -eq 0 ]
check storage-sata-kept [ "$(drv 0000:00:17.0)" = ahci ]
check storage-nvme-kept [ "$(drv 0000:03:00.0)" = nvme ]
check storage-said logged "not for 0000:00:17.0, a storage controller"
fresh laptop
boot "rd.pcibind.seize=00:*,0000:*"; check bus-wide-exit-0 [ $? -eq 0 ]
check bus-wide-refused logged "would match every function on a bus"
check bus-wide-alone [ "$(drv 0000:00:1f.6)$(drv 0000:00:17.0)" = e1000eahci ]

fresh laptop
boot "rd.qubes.hide_all_usb rd.qubes.dom0_usb=00:14.0"; check qubes-exit-0 [ $? -eq 0 ]
check qubes-network [ "$(drv 0000:00:1f.6)" = pciback ]
check qubes-dom0-usb-kept [ "$(drv 0000:00:14.0)" = xhci_hcd ]
check qubes-usb-slot [ "$(drv 0000:00:1d.2)" = pciback ]

fresh laptop
boot "rd.pcibind.seize=network,usb rd.pcibind=0"; check disabled-exit-0 [ $? -eq 0 ]
check disabled-alone [ "$(drv 0000:00:1f.6)" = e1000e ]
check disabled-logged logged "rd.pcibind=0"

fresh laptop
boot "rd.pcibind.seize=network rd.pcibind.keep=00:1f.6"
check keep-wins [ "$(drv 0000:00:1f.6)" = e1000e ]

fresh laptop
printf '[nic]\nmatch-address = 00:1f.6\nboot = yes\ndriver = pci-stub\n' >"$w/pol/50-nic.conf"
chmod 644 "$w/pol/50-nic.conf"
boot "quiet"; check policy-exit-0 [ $? -eq 0 ]
check policy-boot-yes [ "$(drv 0000:00:1f.6)" = pci-stub ]

fresh laptop
boot "rd.pcibind.seize=network --dry-run-is-not-an-option" --dry-run
check dry-run-changes-nothing [ "$(drv 0000:00:1f.6)" = e1000e ]

# The command line is text from outside (issue 19.4): an item with terminal
# escapes and a 0xff byte reaches the kernel log escaped, with its key.
fresh laptop
boot "$(printf 'rd.pcibind.seize=network,\033]0;x\007\033[2J\377')"; check hostile-exit-0 [ $? -eq 0 ]
check hostile-item-escaped logged '\\e]0;x\\x07\\e\[2J\\xff'
check hostile-log-plain sh -c "! LC_ALL=C grep -q '[[:cntrl:]]' '$w/kmsg' && iconv -f UTF-8 -t UTF-8 '$w/kmsg' >/dev/null"
check hostile-nic-seized [ "$(drv 0000:00:1f.6)" = pciback ]

# qemu-q35: recorded from a non-Xen kernel; pciback must leave it alone.
fresh qemu-q35
boot "rd.pcibind.seize=network rd.pcibind.driver=pciback"; check nonxen-exit-0 [ $? -eq 0 ]
check nonxen-alone [ "$(drv 0000:01:00.0)" = e1000e ]
check nonxen-warned logged "not run as a Xen dom0"

# A policy rule 'driver = pciback' on the same kernel: the same reason, the
# function left alone (it bound pciback while logging vfio-pci before), and
# 'policy check' warns of it. Every log line names the stub really used: a
# rule's pci-stub where the boot's target is vfio-pci.
fresh qemu-q35
cat >"$w/pol/60-nic.conf" <<EOT
[nic to pciback]
match-address = 0000:01:00.0
driver = pciback
boot = yes
EOT
boot ""; check rule-pciback-exit-0 [ $? -eq 0 ]
check rule-pciback-alone [ "$(drv 0000:01:00.0)" = e1000e ]
check rule-pciback-warned logged "0000:01:00.0 (dom0:01_00.0): rule \[nic to pciback\] $w/pol/60-nic.conf:3 says driver = pciback, but this kernel does not run as a Xen dom0 (hypervisor/type is not xen), so there is no pciback: left alone"
check rule-pciback-no-seize sh -c "! grep -q 'seizing' $w/kmsg"
"$BUILD/pcibind-fake" --sysfs-root "$w/sys" --policy-dir "$w/pol" --proc-root tests/fixtures/proc/none \
	policy check >"$w/out" 2>&1
check rule-pciback-policy-check grep -q "$w/pol/60-nic.conf:3: warning: \[nic to pciback\] says driver = pciback, but this kernel does not run as a Xen dom0" "$w/out"
# hot-plug: the same rule with hotplug = yes, the same reason, left alone
echo 'hotplug = yes' >>"$w/pol/60-nic.conf"
env ACTION=add SUBSYSTEM=pci SEQNUM=1 DEVPATH=/devices/pci0000:00/0000:00:1c.0/0000:01:00.0 \
	"$BUILD/pcibind-fake" --sysfs-root "$w/sys" --modules-dir "$BUILD/fixtures/$fx/modules" \
	--pci-ids tests/fixtures/pci.ids --state-dir "$w/state" --policy-dir "$w/pol" \
	--proc-root tests/fixtures/proc/none udev >"$w/out" 2>&1
check udev-pciback-exit-0 [ $? -eq 0 ]
check udev-pciback-alone [ "$(drv 0000:01:00.0)" = e1000e ]
check udev-pciback-warned grep -q "0000:01:00.0: rule \[nic to pciback\] $w/pol/60-nic.conf:3 says driver = pciback, but this kernel does not run as a Xen dom0" "$w/out"
sed -i '/^hotplug = yes$/d' "$w/pol/60-nic.conf"
sed -i 's/driver = pciback/driver = pci_stub/' "$w/pol/60-nic.conf"
: >"$w/kmsg"
boot ""; check rule-stub-exit-0 [ $? -eq 0 ]
check rule-stub-bound [ "$(drv 0000:01:00.0)" = pci-stub ]
check rule-stub-logged logged "seizing 0000:01:00.0 (e1000e, .*) -> pci-stub (the policy's stub)"
check rule-stub-summary logged "1 function seized to their stubs"
check rule-stub-no-vfio sh -c "! grep -q -- '-> vfio-pci' $w/kmsg"

summary
