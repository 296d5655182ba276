# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian
# vm-machine: gpu-sriov
# Issue 21 on the real kernel, one reset for a whole slot: the GPU-shaped
# slot behind root port 00:08.0 (bochs-display 07:00.0, reset_method "bus"
# only, which fails on the shared bus; ich9-intel-hda 07:00.1, no reset
# method at all) is seized to vfio-pci whole. Then:
#  * a release of the display function alone stays refused, naming the
#    audio function;
#  * the dry run shows one VFIO hot reset covering both, first; explain's
#    reset fact says so;
#  * release --all-functions with strict reset returns both after that one
#    hot reset. The proof that the bus was reset: the audio function's MSI
#    message address (a writable config register) is set before; QEMU's
#    bus reset clears it (msi_reset()), and the kernel restores it only for
#    an enabled MSI, which vfio-pci has not. It is read right after the
#    reset step (PCIBIND_TEST_STOP_AFTER_STEP=1), before a driver binds.
# Today's main refuses the release ("bus 07 is shared with 07:00.1").
# Uses its own --state-dir and --policy-dir.

G=0000:07:00.0
A=0000:07:00.1
S=/tmp/pb62

if ! have_pcibind; then
	skip pcibind "pcibind not in the image"
	return 0
fi
own_state
mkdir -m 755 $S/policy
pbs() { pb --state-dir $S/state --policy-dir $S/policy "$@"; }
modprobe vfio-pci

expect_eq native-before "bochs-drm snd_hda_intel" "$(sysfs_driver $G) $(sysfs_driver $A)"
expect_eq display-bus-reset-only bus "$(cat /sys/bus/pci/devices/$G/reset_method 2>&1)"
check audio-no-reset test ! -e /sys/bus/pci/devices/$A/reset
pbs seize --driver vfio-pci --all-functions ${G#0000:}
expect_rc seize-slot 0
expect_eq slot-on-vfio "vfio-pci vfio-pci" "$(sysfs_driver $G) $(sysfs_driver $A)"

# The display function alone: refused, naming the audio function.
pbs release ${G#0000:}
expect_rc display-alone-refused 3
expect_match display-alone-names-audio "0000:07:00[.]1" "$PB_ERR"
expect_eq display-alone-unchanged "vfio-pci vfio-pci" "$(sysfs_driver $G) $(sysfs_driver $A)"

# The dry run: one hot reset, first, covering both.
pbs release --all-functions --dry-run ${G#0000:}
expect_rc dry-run 0
expect_match dry-run-one-hot-reset "^ 1  vfio-hot-reset 0000:07:00[.]0 0000:07:00[.]1 [(]bus behind 0000:00:08[.]0" "$PB_OUT"
expect_eq dry-run-one-reset-step 1 "$(printf '%s\n' "$PB_OUT" | grep -c 'reset')"
pbs explain ${A#0000:} release --all-functions
expect_match explain-bus-reset "Bus reset: +a bus reset of bus 07 covers 0000:07:00[.]0 and 0000:07:00[.]1, both in this change" "$PB_OUT"

# A writable register a bus reset clears: the audio function's MSI address.
setpci -s $A CAP_MSI+4.l=fee01000
expect_eq msi-address-set fee01000 "$(setpci -s $A CAP_MSI+4.l)"

# The release, stopped right after its first step (the hot reset).
PCIBIND_TEST_STOP_AFTER_STEP=1 "$PCIBIND" --state-dir $S/state --policy-dir $S/policy \
	release --all-functions ${G#0000:} >/tmp/62.out 2>/tmp/62.err &
P=$!
wait_for stopped-after-reset 60 grep -q "stopped after step 1" /tmp/62.err
expect_eq still-on-vfio-after-reset "vfio-pci vfio-pci" "$(sysfs_driver $G) $(sysfs_driver $A)"
expect_eq msi-address-cleared-by-reset 00000000 "$(setpci -s $A CAP_MSI+4.l)"
kill -CONT $P
wait $P
rc=$?
echo "INFO 62 release: exit $rc: $(tl_oneline "$(cat /tmp/62.err) $(cat /tmp/62.out)")"
expect_eq release-slot 0 "$rc"
expect_eq slot-native "bochs-drm snd_hda_intel" "$(sysfs_driver $G) $(sysfs_driver $A)"
check display-drm-back test -e /sys/bus/pci/devices/$G/drm
wait_for audio-sound-back 20 test -e /sys/bus/pci/devices/$A/sound
