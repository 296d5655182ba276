#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Who holds a device, on the holders fixture with the fake kernel: every real
# run that a holder refuses exits 3 and writes nothing (the fake kernel's log
# stays empty, the tree is as it was); once the holder is gone the same
# command moves the function; /proc is read once per command however many
# functions it weighs; the desktop's refusal lists every reason and never
# offers force for a bridge or what the machine runs on.
. tests/engine/lib.sh
src=$BUILD/fixtures/holders

cp -a "$src/sys" "$work/sys"
sh tests/engine/prep.sh "$work/sys" "$src/fixture.aliases"
cp -a tests/fixtures/proc/holders "$work/proc"

pb() {
	"$BUILD/pcibind-fake" --sysfs-root "$work/sys" --modules-dir "$src/modules" \
		--pci-ids tests/fixtures/pci.ids --state-dir "$work/state" --policy-dir policy.d \
		--proc-root "$work/proc" "$@"
}
driver() { basename "$(readlink "$work/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
tree() { (cd "$work/sys" && find . -path ./.fake -prune -o -print | sort | xargs ls -ld --time-style=+ 2>/dev/null | md5sum); }

# refused NAME WANT-TEXT ARGS...: exit 3, no write, the tree unchanged, WANT-TEXT said
refused() {
	name=$1 want=$2
	shift 2
	before=$(tree)
	rm -f "$work/log"
	PCIBIND_FAKE_LOG=$work/log pb "$@" >"$work/out" 2>&1
	rc=$?
	check "$name-exit-3" [ "$rc" -eq 3 ]
	check "$name-wrote-nothing" [ ! -s "$work/log" ]
	check "$name-tree-unchanged" [ "$before" = "$(tree)" ]
	check "$name-names-holder" grep -qF "$want" "$work/out"
}

G0=0000:02:00.0 G1=0000:02:00.1
refused gpu-slot 'pid 1001 (Xorg) has /dev/dri/card0 open' \
	seize --driver vfio-pci --all-functions $G0
check gpu-slot-names-audio-holder grep -qF 'pid 1002 (pipewire) has /dev/snd/pcmC0D0p open' "$work/out"
check gpu-slot-no-override sh -c "! grep -q 'force' '$work/out'"
refused nvme-dm 'dm-0 is built on its block device nvme0n1' seize --driver vfio-pci 0000:03:00.0
refused nvme-raw 'pid 1004 (qemu-raw) has /dev/nvme1n1 open' seize --driver pci-stub 0000:04:00.0
refused pf-vfio 'vfio-pci does not bind a PF with SR-IOV enabled' seize --driver vfio-pci 0000:05:00.0
check pf-vfio-names-vfs grep -qF '0000:05:00.1 (vfio-pci), 0000:05:00.2 (no driver)' "$work/out"
check pf-vfio-names-qemu grep -qF 'held through its VF 0000:05:00.1: pid 1003 (qemu-system-x86)' "$work/out"
refused vf-release 'pid 1003 (qemu-system-x86), which holds /dev/vfio/9 open' release 0000:05:00.1
check gpu-still-bound [ "$(driver $G0) $(driver $G1)" = "bochs-drm snd_hda_intel" ]

# /proc is read once for a command that weighs both functions of the slot.
pb -v -v seize --driver vfio-pci --all-functions --dry-run $G0 >"$work/out" 2>&1
check proc-read-once grep -q ', 1 /proc read for holders' "$work/out"
# ... and not at all when nothing has a device node (a stub-bound VF).
pb -v -v seize --driver pci-stub --dry-run 0000:05:00.2 >"$work/out" 2>&1
check proc-not-read-without-nodes grep -q ', 0 /proc read for holders' "$work/out"

# An unreadable process holds it, unless the command line says otherwise.
mkdir -p "$work/proc/2001" && echo sshd >"$work/proc/2001/comm" && echo x >"$work/proc/2001/fd"
refused unreadable 'cannot tell whether pid 2001 (sshd) holds 0000:00:07.0' \
	seize --driver vfio-pci 0000:00:07.0
PCIBIND_FAKE_LOG=$work/log pb seize --driver vfio-pci --ignore-unreadable-holders 0000:00:07.0 \
	>"$work/out" 2>&1
check unreadable-ignored-moves [ "$(driver 0000:00:07.0)" = vfio-pci ]
check unreadable-ignored-warns grep -qF 'going on without it (--ignore-unreadable-holders)' "$work/out"
rm -rf "$work/proc/2001"

# The holders exit: the slot moves.
rm "$work/proc/1001/fd/12" "$work/proc/1001/maps" "$work/proc/1002/fd/31"
pb seize --driver vfio-pci --all-functions $G0 >"$work/out" 2>&1
check gpu-moves-once-free [ $? -eq 0 ]
check gpu-both-vfio [ "$(driver $G0) $(driver $G1)" = "vfio-pci vfio-pci" ]
rm "$work/proc/1004/fd/7"
pb seize --driver pci-stub 0000:04:00.0 >"$work/out" 2>&1
check nvme-raw-moves-once-closed [ "$(driver 0000:04:00.0)" = pci-stub ]

# The desktop: one dry run, every reason, no force for the chipset.
dsrc=$BUILD/fixtures/desktop
"$BUILD/pcibind-fake" --sysfs-root "$dsrc/sys" --modules-dir "$dsrc/modules" \
	--pci-ids tests/fixtures/pci.ids --state-dir "$work/dstate" --policy-dir policy.d \
	--proc-root tests/fixtures/proc/desktop seize --driver vfio-pci 00:1f.6 --dry-run \
	>"$work/out" 2>&1
check desktop-refused [ $? -eq 3 ]
check desktop-route grep -qF 'its interface eno1 carries a route' "$work/out"
check desktop-group-in-words grep -qF 'On this board 0000:00:1f.6 cannot go to vfio-pci; pci-stub can take it alone' "$work/out"
check desktop-every-reason grep -qF '2 reasons above' "$work/out"
check desktop-no-force-for-chipset sh -c "! grep -E 'force' '$work/out' | grep -qvE 'eno1 carries a route'"
for dev in 00:1f.0 00:1f.3 00:1f.4 00:1f.5; do
	for args in "--driver vfio-pci" "--driver vfio-pci --group" "--driver vfio-pci --all-functions" \
		"--driver vfio-pci --group --all-functions" "--driver pci-stub"; do
		# shellcheck disable=SC2086
		"$BUILD/pcibind-fake" --sysfs-root "$dsrc/sys" --modules-dir "$dsrc/modules" \
			--pci-ids tests/fixtures/pci.ids --state-dir "$work/dstate" \
			--policy-dir policy.d --proc-root tests/fixtures/proc/desktop \
			explain $dev seize $args >"$work/out" 2>&1
		if grep -q 'force = yes' "$work/out" && ! grep -q 'route' "$work/out"; then
			bad "desktop-no-force-$dev-$args"
			grep 'force = yes' "$work/out" | head -2
		fi
	done
done
ok desktop-no-force-anywhere

summary holders
