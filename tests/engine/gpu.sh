#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# One reset for a whole slot, on the gpu fixture with the fake kernel: a
# GPU-shaped slot (display with only a bus reset + HD audio with none) on
# vfio-pci returns whole after one VFIO hot reset (the fake kernel clears
# the command register, as a bus reset does); one function alone stays
# refused naming the other; a failed hot reset rolls back; on pciback the
# bridge's reset_subordinate does it, and without one the release is
# refused saying why; a device left on the bus keeps the refusal, named.
. tests/engine/lib.sh
src=$BUILD/fixtures/gpu

cp -a "$src/sys" "$work/sys"
sh tests/engine/prep.sh "$work/sys" "$src/fixture.aliases"

pb() {
	"$BUILD/pcibind-fake" --sysfs-root "$work/sys" --modules-dir "$src/modules" \
		--pci-ids tests/fixtures/pci.ids --state-dir "$work/state" --policy-dir policy.d \
		--proc-root tests/fixtures/proc/vfio "$@"
}
driver() { basename "$(readlink "$work/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
# The command register (config bytes 4-5), as setpci COMMAND reads it.
command_reg() { od -An -tx1 -j4 -N2 "$work/sys/bus/pci/devices/$1/config" | tr -d ' \n'; }
set_command() { printf '\007\001' | dd of="$work/sys/bus/pci/devices/$1/config" bs=1 seek=4 conv=notrunc 2>/dev/null; }

G=0000:02:00.0 A=0000:02:00.1

# The display function alone: refused, naming the audio function; nothing written.
pb release $G >"$work/out" 2>&1
check alone-refused [ $? -eq 3 ]
check alone-names-audio grep -q "$A" "$work/out"
check alone-unchanged [ "$(driver $G) $(driver $A)" = "vfio-pci vfio-pci" ]

# The dry run shows one hot reset step covering both, before any unbind.
pb release --all-functions --dry-run $G >"$work/plan" 2>&1
check slot-dry-run-ok [ $? -eq 0 ]
check slot-one-reset [ "$(grep -c 'vfio-hot-reset' "$work/plan")" -eq 1 ]
check slot-reset-covers-both grep -q "vfio-hot-reset $G $A (bus behind 0000:00:03.0, VFIO groups 2)" "$work/plan"
check slot-reset-first sh -c "grep -E '^ *1  ' '$work/plan' | grep -q vfio-hot-reset"
check slot-no-function-reset sh -c "! grep -q 'devices/$G/reset\"\\|/reset \"' '$work/plan'"
pb --json release --all-functions --dry-run $G >"$work/plan.json" 2>&1
check slot-json-covers grep -q "\"covers\": \"$G $A\"" "$work/plan.json"

# explain's reset fact says so.
pb explain $A release --all-functions >"$work/explain" 2>&1
check explain-bus-reset grep -q "Bus reset: *a bus reset of bus 02 covers $G and $A, both in this change" "$work/explain"
check explain-allowed grep -q "Verdict, release: allowed: a bus reset of bus 02" "$work/explain"

# The real run: one reset (the command register is cleared), then both return.
set_command $G
set_command $A
PCIBIND_FAKE_LOG=$work/log pb release --all-functions $G >"$work/out" 2>&1
check slot-released [ $? -eq 0 ]
check slot-native [ "$(driver $G) $(driver $A)" = "bochs-drm snd_hda_intel" ]
check slot-reset-once [ "$(grep -c vfio-hot-reset "$work/log")" -eq 1 ]
check slot-reset-before-unbind sh -c "head -n 1 '$work/log' | grep -q 'vfio-hot-reset $G $A'"
check slot-command-cleared [ "$(command_reg $G)$(command_reg $A)" = 00000000 ]

# A hot reset the kernel refuses (operation 1: EINVAL) fails the step and rolls back.
cp -a "$src/sys" "$work/sys2"
rm -rf "$work/sys" && mv "$work/sys2" "$work/sys"
sh tests/engine/prep.sh "$work/sys" "$src/fixture.aliases"
rm -rf "$work/state"
PCIBIND_FAKE_FAIL=1:EINVAL pb release --all-functions $G >"$work/out" 2>&1
check failed-reset-rolls-back [ $? -eq 4 ]
check failed-reset-still-vfio [ "$(driver $G) $(driver $A)" = "vfio-pci vfio-pci" ]
check failed-reset-says-step grep -q "vfio-hot-reset $G $A" "$work/out"
# with no-strict-reset it returns without
PCIBIND_FAKE_FAIL=1:EINVAL pb release --all-functions -o no-strict-reset $G >"$work/out" 2>&1
check failed-reset-no-strict [ $? -eq 0 ]
check failed-reset-no-strict-native [ "$(driver $G) $(driver $A)" = "bochs-drm snd_hda_intel" ]

# pciback behind a bridge with reset_subordinate: one write to it.
P=0000:03:00.0
PCIBIND_FAKE_LOG=$work/log2 pb release --all-functions $P >"$work/out" 2>&1
check pciback-released [ $? -eq 0 ]
check pciback-native [ "$(driver $P) $(driver 0000:03:00.1)" = "bochs-drm snd_hda_intel" ]
check pciback-bridge-reset sh -c "head -n 1 '$work/log2' | grep -q 'devices/0000:00:04.0/reset_subordinate \"1\"'"

# pciback without it (Linux before 6.13): refused, saying why.
pb release --all-functions 0000:04:00.0 >"$work/out" 2>&1
check pciback-old-refused [ $? -eq 3 ]
check pciback-old-why grep -q "has no reset_subordinate" "$work/out"
check pciback-old-unchanged [ "$(driver 0000:04:00.0)" = pciback ]

# A device on the same bus left out of the change keeps the refusal, named.
pb release --all-functions 0000:05:00.0 >"$work/out" 2>&1
check shared-refused [ $? -eq 3 ]
check shared-names-it grep -q "would also reset 0000:05:01.0 (e1000), which is not in this change" "$work/out"
check shared-unchanged [ "$(driver 0000:05:00.0)" = vfio-pci ]

summary gpu
