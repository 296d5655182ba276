# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian
# vm-machine: gpu-sriov
# vm-needs: qemu
# Issue 21 on the real kernel, the VF lifecycle: the NVMe PF at 08:00.0
# (nvme, sriov_totalvfs 2). `pcibind vfs PF 2` with a policy rule that
# names VF0 by match-physfn:
#  * the two VFs appear with no driver (checked at once, the change stopped
#    right after the count with PCIBIND_TEST_STOP_AFTER_STEP), and nvme
#    never saw VF0 (no "nvme nvmeN: pci function 0000:08:00.1" in dmesg);
#  * VF0 ends on vfio-pci, VF1 probes natively (nvme's line for 08:00.2;
#    QEMU's secondary controllers are offline, so nvme then drops it);
#  * a paused QEMU holds VF0: `vfs PF 0` is refused (exit 3), naming VF0
#    and QEMU, and both VFs stay; after QEMU exits, `vfs PF 0` removes both;
#  * `vfs = 2` in the policy takes effect at the PF's bind: nvme unbound and
#    bound again, then `pcibind udev` with that bind event, as
#    70-pcibind.rules runs it; a second run changes nothing.
# Today's main has no vfs command and no match-physfn.
# Uses its own --state-dir and --policy-dir.

PF=0000:08:00.0
VF0=0000:08:00.1
VF1=0000:08:00.2
S=/tmp/pb63
D=/sys/bus/pci/devices/$PF

if ! have_pcibind; then
	skip pcibind "pcibind not in the image"
	return 0
fi
own_state
mkdir -m 755 $S/policy
cat >$S/policy/50-vf.conf <<EOC
[vf0 to a VM]
match-physfn = $PF
match-address = $VF0
driver = vfio-pci
hotplug = yes
EOC
chmod 644 $S/policy/50-vf.conf
pbs() { pb --state-dir $S/state --policy-dir $S/policy "$@"; }
modprobe vfio-pci
# dmesg from here on (the line number where this scenario starts)
N0=$(dmesg | wc -l)
new_dmesg() { dmesg | tail -n +$((N0 + 1)); }

expect_eq pf-on-nvme nvme "$(sysfs_driver $PF)"
expect_eq pf-no-vfs 0 "$(cat $D/sriov_numvfs)"
expect_eq pf-autoprobe-on 1 "$(cat $D/sriov_drivers_autoprobe)"

pbs vfs ${PF#0000:} 2 --dry-run
expect_rc dry-run 0
expect_match dry-run-vf0 "$VF0: seized to vfio-pci: hotplug = yes [(]rule \\[vf0 to a VM\\]" "$PB_OUT"
expect_match dry-run-vf1 "$VF1: probes natively" "$PB_OUT"
expect_eq dry-run-wrote-nothing 0 "$(cat $D/sriov_numvfs)"

# The change, stopped right after the count (step 2: autoprobe off, then the count).
PCIBIND_TEST_STOP_AFTER_STEP=2 "$PCIBIND" --state-dir $S/state --policy-dir $S/policy \
	vfs ${PF#0000:} 2 >/tmp/63.out 2>/tmp/63.err &
P=$!
wait_for stopped-after-count 60 grep -q "stopped after step 2" /tmp/63.err
expect_eq vfs-appeared 2 "$(cat $D/sriov_numvfs)"
expect_eq vfs-appear-unbound "none none" "$(sysfs_driver $VF0) $(sysfs_driver $VF1)"
expect_eq nvme-saw-no-vf-yet 0 "$(new_dmesg | grep -c 'nvme[0-9]*: pci function 0000:08:00[.][12]')"
kill -CONT $P
wait $P
rc=$?
echo "INFO 63 vfs 2: exit $rc: $(tl_oneline "$(cat /tmp/63.err) $(cat /tmp/63.out)")"
expect_eq vfs-done 0 "$rc"
expect_eq vf0-on-vfio vfio-pci "$(sysfs_driver $VF0)"
expect_eq autoprobe-back 1 "$(cat $D/sriov_drivers_autoprobe)"
wait_for vf1-probed-natively 20 sh -c "dmesg | tail -n +$((N0 + 1)) | grep -q 'nvme[0-9]*: pci function $VF1'"
expect_eq vf0-never-nvme 0 "$(new_dmesg | grep -c "nvme[0-9]*: pci function $VF0")"
echo "INFO 63 VF1 now on $(sysfs_driver $VF1)"

# A paused QEMU holds VF0: a new count is refused, naming VF0 and QEMU.
G=$(basename "$(readlink /sys/bus/pci/devices/$VF0/iommu_group)")
qemu-system-x86_64 -M q35 -accel tcg -S -nodefaults -display none -m 64 -monitor none \
	-device vfio-pci,host=$VF0 >/tmp/63-qemu.log 2>&1 &
Q=$!
holds_group() { ls -l "/proc/$Q/fd/" 2>/dev/null | grep -q " -> /dev/vfio/$G\$"; }
wait_for qemu-holds-vf0 30 holds_group
pbs vfs ${PF#0000:} 0
echo "INFO 63 vfs 0 while held: exit $PB_RC: $(tl_oneline "$PB_ERR")"
expect_rc held-refused 3
expect_match held-names-vf0-and-qemu "$VF0 [(]vfio-pci, held by pid $Q [(]qemu-system-x86[)] has /dev/vfio/[0-9]+ open[)]" "$PB_ERR"
expect_eq held-vfs-stay "2 vfio-pci" "$(cat $D/sriov_numvfs) $(sysfs_driver $VF0)"
kill $Q
wait $Q 2>/dev/null
pbs vfs ${PF#0000:} 0
expect_rc removed-after-qemu 0
expect_eq vfs-removed 0 "$(cat $D/sriov_numvfs)"
check vf0-gone test ! -e /sys/bus/pci/devices/$VF0
check vf1-gone test ! -e /sys/bus/pci/devices/$VF1

# vfs = 2 in the policy, at the PF's bind (what 70-pcibind.rules runs).
cat >$S/policy/60-vfs.conf <<EOC
[nvme vfs]
match-address = $PF
vfs = 2
EOC
chmod 644 $S/policy/60-vfs.conf
echo $PF >/sys/bus/pci/drivers/nvme/unbind
echo $PF >/sys/bus/pci/drivers/nvme/bind
expect_eq pf-bound-again nvme "$(sysfs_driver $PF)"
DP=$(readlink -f $D)
bind_event() {
	env ACTION=bind SUBSYSTEM=pci SEQNUM=6301 DEVPATH="${DP#/sys}" DRIVER=nvme \
		"$PCIBIND" --state-dir $S/state --policy-dir $S/policy udev >/tmp/63-udev.out 2>&1
}
bind_event
rc=$?
echo "INFO 63 udev bind: exit $rc: $(tl_oneline "$(cat /tmp/63-udev.out)")"
expect_eq policy-bind-ok 0 "$rc"
expect_eq policy-vfs-two 2 "$(cat $D/sriov_numvfs)"
expect_eq policy-vf0-vfio vfio-pci "$(sysfs_driver $VF0)"
expect_eq policy-autoprobe-back 1 "$(cat $D/sriov_drivers_autoprobe)"
bind_event
expect_eq policy-idempotent "0 2" "$? $(cat $D/sriov_numvfs)"
pbs vfs ${PF#0000:} 0
expect_rc cleanup 0
