#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# pcibind vfs on the nvme-sriov fixture with the fake kernel (which makes and
# removes VF directories on sriov_numvfs, and probes a VF only while its PF's
# sriov_drivers_autoprobe is 1): new VFs never meet the native driver before
# the policy places them; a match-physfn rule seizes VF0 to vfio-pci, VF1
# probes natively; a held VF makes a new count refused (exit 3) before any
# write, naming it; the kernel's refusals roll back; a killed run is undone
# by the next one (the count and autoprobe as they were); policy check.
. tests/engine/lib.sh
src=$BUILD/fixtures/nvme-sriov

cp -a "$src/sys" "$work/sys"
sh tests/engine/prep.sh "$work/sys" "$src/fixture.aliases"
mkdir -p "$work/policy" "$work/proc"
cp policy.d/*.conf "$work/policy/"

pb() {
	"$BUILD/pcibind-fake" --sysfs-root "$work/sys" --modules-dir "$src/modules" \
		--pci-ids tests/fixtures/pci.ids --state-dir "$work/state" \
		--policy-dir "$work/policy" --proc-root "$work/proc" "$@"
}
driver() { basename "$(readlink "$work/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
attr() { cat "$work/sys/bus/pci/devices/$1/$2"; }
PF=0000:01:00.0 VF0=0000:01:00.1 VF1=0000:01:00.2

# No rule: both probe natively, after autoprobe is back; autoprobe was off while they appeared.
pb vfs $PF 2 --dry-run >"$work/plan" 2>&1
check dry-run-ok [ $? -eq 0 ]
check dry-run-nothing-written [ "$(attr $PF sriov_numvfs)" = 0 ]
check dry-run-autoprobe-first sh -c "grep -n . '$work/plan' | grep 'sriov_drivers_autoprobe \"0\"' | grep -q '^[0-9]*: 1 '"
PCIBIND_FAKE_LOG=$work/log pb vfs $PF 2 >"$work/out" 2>&1
check native-ok [ $? -eq 0 ]
check native-two [ "$(attr $PF sriov_numvfs)" = 2 ]
check native-bound [ "$(driver $VF0) $(driver $VF1)" = "nvme nvme" ]
check native-autoprobe-back [ "$(attr $PF sriov_drivers_autoprobe)" = 1 ]
check native-order sh -c "grep -n . '$work/log' | tr '\n' ' ' | grep -q '1:write bus/pci/devices/$PF/sriov_drivers_autoprobe \"0\" 2:write bus/pci/devices/$PF/sriov_numvfs \"2\" 3:write bus/pci/devices/$PF/sriov_drivers_autoprobe \"1\"'"
pb vfs $PF 2 >"$work/out" 2>&1
check idempotent [ $? -eq 0 ]
check idempotent-says grep -q "has 2 VFs already, nothing to do" "$work/out"

# Back to 0 (nobody holds them), then a rule with match-physfn seizes VF0.
pb vfs $PF 0 >"$work/out" 2>&1
check zero-ok [ $? -eq 0 ]
check zero-gone [ ! -e "$work/sys/bus/pci/devices/$VF0" ] && [ "$(attr $PF sriov_numvfs)" = 0 ]
cat >"$work/policy/50-vf.conf" <<EOC
[vf0 to a VM]
match-physfn = $PF
match-address = $VF0
driver = vfio-pci
hotplug = yes
EOC
pb vfs $PF 2 --explain >"$work/out" 2>&1
check explain-vf0 grep -q "^$VF0: seized to vfio-pci: hotplug = yes (rule \[vf0 to a VM\]" "$work/out"
check explain-vf1 grep -q "^$VF1: probes natively" "$work/out"
PCIBIND_FAKE_LOG=$work/log2 pb vfs $PF 2 >"$work/out" 2>&1
check policy-ok [ $? -eq 0 ]
check policy-vf0-vfio [ "$(driver $VF0)" = vfio-pci ]
check policy-vf1-native [ "$(driver $VF1)" = nvme ]
check policy-vf0-never-nvme sh -c "! grep -q 'nvme/bind \"$VF0\"\\|drivers_probe \"$VF0\"' '$work/log2'"
check policy-recorded [ -e "$work/state/devices/$VF0" ]
check status-lists-vf0 sh -c "'$BUILD/pcibind-fake' --sysfs-root '$work/sys' --state-dir '$work/state' status | grep -q '$VF0'"

# A process holds VF0's group: a new count is refused, naming it, before any write.
grp=$(basename "$(readlink "$work/sys/bus/pci/devices/$VF0/iommu_group")")
mkdir -p "$work/proc/4242/fd"
echo qemu-system-x86 >"$work/proc/4242/comm"
ln -s "/dev/vfio/$grp" "$work/proc/4242/fd/19"
PCIBIND_FAKE_LOG=$work/log3 pb vfs $PF 0 >"$work/out" 2>&1
check held-refused [ $? -eq 3 ]
check held-names-it grep -q "$VF0 (vfio-pci, held by pid 4242 (qemu-system-x86) has /dev/vfio/$grp open)" "$work/out"
check held-nothing-written [ ! -s "$work/log3" ] && [ "$(attr $PF sriov_numvfs)" = 2 ]
pb vfs $PF 1 >"$work/out" 2>&1
check held-recount-refused [ $? -eq 3 ]
rm -rf "$work/proc/4242"
pb vfs $PF 0 >"$work/out" 2>&1
check released-zero [ $? -eq 0 ] && [ "$(attr $PF sriov_numvfs)" = 0 ]
check released-records-gone [ ! -e "$work/state/devices/$VF0" ]

# The kernel refuses (operation 2, the count: EIO): rolled back, autoprobe as before.
PCIBIND_FAKE_FAIL=2:EIO pb vfs $PF 2 >"$work/out" 2>&1
check kernel-refuses-rolls-back [ $? -eq 4 ]
check kernel-refuses-count [ "$(attr $PF sriov_numvfs)" = 0 ]
check kernel-refuses-autoprobe [ "$(attr $PF sriov_drivers_autoprobe)" = 1 ]

# Killed after the count (before VF0 is bound): the next run undoes it first.
PCIBIND_FAKE_FAIL=3:kill pb vfs $PF 2 >"$work/out" 2>&1
check killed [ "$(attr $PF sriov_numvfs)" = 2 ] && [ "$(attr $PF sriov_drivers_autoprobe)" = 0 ]
check killed-txn [ -e "$work/state/txn" ]
pb recover >"$work/out" 2>&1
check recovered [ $? -eq 0 ]
check recovered-count [ "$(attr $PF sriov_numvfs)" = 0 ]
check recovered-autoprobe [ "$(attr $PF sriov_drivers_autoprobe)" = 1 ]

# Refusals: no driver on the PF, more than sriov_totalvfs, not a PF.
pb vfs 0000:02:00.0 1 >"$work/out" 2>&1
check no-driver-refused [ $? -eq 3 ]
check no-driver-why grep -q "has no driver" "$work/out"
pb vfs $PF 3 >"$work/out" 2>&1
check too-many-refused [ $? -eq 3 ]
pb vfs 0000:00:02.0 1 >"$work/out" 2>&1
check not-pf-refused [ $? -eq 3 ]
pb vfs $PF x >"$work/out" 2>&1
check bad-count-usage [ $? -eq 2 ]

# policy check: vfs against sriov_totalvfs where the device exists.
cat >"$work/policy/60-vfs.conf" <<EOC
[too many]
match-address = $PF
vfs = 3
[not a pf]
match-address = 0000:00:02.0
vfs = 1
EOC
pb policy check >"$work/out" 2>&1
check policy-check-total grep -q "vfs = 3 .*sriov_totalvfs is 2" "$work/out"
check policy-check-not-pf grep -q "vfs = 1 .*not an SR-IOV physical function" "$work/out"

# vfs = N in the policy: on udev's bind event of the PF (its own driver is
# there), idempotent; not while the PF has no driver; at boot for a PF whose
# driver is bound already.
rm -f "$work/policy/60-vfs.conf" "$work/policy/50-vf.conf"
cat >"$work/policy/60-vfs.conf" <<EOC
[nvme vfs]
match-address = $PF
vfs = 2
EOC
event() { # event ACTION BDF
	env ACTION="$1" SUBSYSTEM=pci SEQNUM=1 DEVPATH="/devices/pci0000:00/0000:00:02.0/$2" \
		"$BUILD/pcibind-fake" --sysfs-root "$work/sys" --modules-dir "$src/modules" \
		--pci-ids tests/fixtures/pci.ids --state-dir "$work/state" \
		--policy-dir "$work/policy" --proc-root "$work/proc" udev
}
event add $PF >"$work/out" 2>&1
check policy-add-leaves [ $? -eq 0 ] && [ "$(attr $PF sriov_numvfs)" = 0 ]
event bind $PF >"$work/out" 2>&1
check policy-bind-applies [ $? -eq 0 ]
check policy-bind-two [ "$(attr $PF sriov_numvfs)" = 2 ] && [ -e "$work/sys/bus/pci/devices/$VF1" ]
check policy-bind-autoprobe-back [ "$(attr $PF sriov_drivers_autoprobe)" = 1 ]
PCIBIND_FAKE_LOG=$work/log4 event bind $PF >"$work/out" 2>&1
check policy-bind-idempotent [ $? -eq 0 ] && [ ! -s "$work/log4" ]
pb vfs $PF 0 >/dev/null 2>&1
env ACTION=bind SUBSYSTEM=pci SEQNUM=1 DEVPATH="/devices/pci0000:00/0000:00:03.0/0000:02:00.0" \
	"$BUILD/pcibind-fake" --sysfs-root "$work/sys" --modules-dir "$src/modules" \
	--pci-ids tests/fixtures/pci.ids --state-dir "$work/state" --policy-dir "$work/policy" \
	--proc-root "$work/proc" udev >"$work/out" 2>&1
check policy-unbound-pf-waits [ $? -eq 0 ] && [ "$(attr 0000:02:00.0 sriov_numvfs)" = 0 ]
echo "root=/dev/sda" >"$work/cmdline"
"$BUILD/pcibind-fake" --sysfs-root "$work/sys" --modules-dir "$src/modules" \
	--pci-ids tests/fixtures/pci.ids --state-dir "$work/state" --policy-dir "$work/policy" \
	--proc-root "$work/proc" boot --cmdline "$work/cmdline" --kmsg "$work/kmsg" >"$work/out" 2>&1
check policy-boot-ok [ $? -eq 0 ]
check policy-boot-two [ "$(attr $PF sriov_numvfs)" = 2 ]
check policy-boot-logged grep -q "$PF: 2 VFs (vfs = 2), was 0" "$work/kmsg"

summary vfs
