# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian
# vm-machine: gpu-sriov
# Issue 20 on the real kernel, the GPU-shaped slot (07:00.0 bochs-display
# on bochs-drm, 07:00.1 HD audio on snd_hda_intel, one IOMMU group): one
# process holds /dev/dri/card0 (as a display server does), another a PCM
# node of the slot's sound card (as PipeWire does). `pcibind seize
# --driver vfio-pci --all-functions 07:00.0` must refuse (exit 3) before
# any write, naming both holders (pid and command), and leave both
# functions on their drivers with their holders alive. After the holders
# exit, the same command moves the slot, and a release brings it back
# (-o no-strict-reset: the slot's bus reset is issue 21's).

G=0000:07:00.0
A=0000:07:00.1

if ! have_pcibind; then
	skip pcibind "pcibind not in the image"
	return 0
fi
modprobe vfio-pci

# The slot's own nodes: the DRM card below 07:00.0, a PCM node below 07:00.1.
card=$(ls /sys/bus/pci/devices/$G/drm 2>/dev/null | grep '^card' | head -n 1)
pcm=$(ls /sys/bus/pci/devices/$A/sound/card*/ 2>/dev/null | grep '^pcmC.*p$' | head -n 1)
expect_match slot-has-card '^card[0-9]+$' "$card"
expect_match slot-has-pcm '^pcmC[0-9]+D[0-9]+p$' "$pcm"
wait_for card-node 10 test -c "/dev/dri/$card"
wait_for pcm-node 10 test -c "/dev/snd/$pcm"

# holds PID NODE: PID has NODE open (the shell opened it before sleep ran).
holds() { ls -l "/proc/$1/fd/" 2>/dev/null | grep -q " -> $2\$"; }
sleep 120 3<>"/dev/dri/$card" &
P1=$!
sleep 120 3<>"/dev/snd/$pcm" &
P2=$!
wait_for card-held 10 holds $P1 "/dev/dri/$card"
wait_for pcm-held 10 holds $P2 "/dev/snd/$pcm"
c1=$(cat /proc/$P1/comm)
c2=$(cat /proc/$P2/comm)

pci_snapshot /tmp/64-before
# Run it with a watchdog: snd_hda_intel's unbind waits in the kernel until
# every file of the card is closed (snd_card_free), so a pcibind that
# unbinds it from under the PCM holder blocks until that holder exits.
"$PCIBIND" seize --driver vfio-pci --all-functions ${G#0000:} >/tmp/tl-pb.out 2>/tmp/tl-pb.err &
S=$!
# (a zombie, state Z, has exited)
done_running() { ! grep -q '^State:.*[RSD]' "/proc/$1/status" 2>/dev/null; }
blocked=0
if ! tl_poll 30 done_running $S; then
	blocked=1
	kill $P1 $P2 2>/dev/null
fi
wait $S
PB_RC=$?
PB_OUT=$(cat /tmp/tl-pb.out)
PB_ERR=$(cat /tmp/tl-pb.err)
echo "INFO 64 held seize: exit $PB_RC, blocked $blocked: $(tl_oneline "$PB_ERR")"
expect_eq held-seize-did-not-block 0 "$blocked"
expect_rc held-seize-refused 3
expect_match held-names-display-holder "pid $P1 \\($c1\\)" "$PB_ERR"
expect_match held-names-audio-holder "pid $P2 \\($c2\\)" "$PB_ERR"
expect_match held-names-card-node "$card" "$PB_ERR"
expect_match held-names-pcm-node "$pcm" "$PB_ERR"
expect_eq held-drivers-unchanged "bochs-drm snd_hda_intel" "$(sysfs_driver $G) $(sysfs_driver $A)"
expect_eq held-overrides-untouched "(null) (null)" "$(pci_override $G) $(pci_override $A)"
pci_snapshot /tmp/64-after
check held-nothing-moved cmp /tmp/64-before /tmp/64-after
check held-holders-alive kill -0 $P1 $P2
pb status --json
expect_eq held-no-record 0 "$(printf '%s' "$PB_OUT" | jq '.seized | length')"
if [ "$PB_RC" = 0 ] || [ "$(sysfs_driver $G)" = vfio-pci ]; then
	# main before issue 20: it moved the slot from under them; put it back.
	pb release --all-functions -o no-strict-reset ${G#0000:}
fi
kill $P1 $P2 2>/dev/null
wait $P1 $P2 2>/dev/null

# Nobody holds it now: the slot moves, and comes back.
wait_for card-node-again 10 sh -c 'ls /dev/dri/card*'
pb seize --driver vfio-pci --all-functions ${G#0000:}
expect_rc free-seize 0
expect_eq free-both-vfio "vfio-pci vfio-pci" "$(sysfs_driver $G) $(sysfs_driver $A)"
pb release --all-functions -o no-strict-reset ${G#0000:}
expect_rc free-release 0
expect_eq free-back-native "bochs-drm snd_hda_intel" "$(sysfs_driver $G) $(sysfs_driver $A)"
wait_for free-card-back 10 sh -c "ls /sys/bus/pci/devices/$G/drm | grep -q '^card'"
pb status --json
expect_eq free-journal-empty "0 null" \
	"$(printf '%s' "$PB_OUT" | jq -c '"\(.seized | length) \(.transaction)"' | tr -d '"')"
