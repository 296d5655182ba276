#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# One gate for every path (issue 19), and remove events (issue 24), on the
# fake kernel:
# - the undo of a killed seize passes the gates of a release: a function a
#   running Xen domain holds, or whose VFIO group a process holds, is not
#   taken off its stub by `recover` nor by an unrelated command, which says
#   what is pending and why; once nobody holds it, the undo de-quarantines
#   it and resets it like a release;
# - lock, then look: a udev add that waited for the lock decides from what
#   the kernel says once it has it, not from what it read before;
# - hot-plug fails closed: an add that cannot get the lock pins
#   driver_override to the policy's stub; an add retires the record and the
#   pending transaction's part of an earlier device at its address;
# - a remove event for a function that is still there keeps its record.
. tests/engine/lib.sh
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/    /' "$2"; }
check() { # check NAME 'SHELL CONDITION'
	if eval "$2"; then ok "$1"; else bad "$1" "$work/err"; fi
}
has() { grep -q -- "$2" "$1"; }
driver() { basename "$(readlink "$work/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
override() { cat "$work/sys/bus/pci/devices/$1/driver_override"; }
fresh() { # fresh FIXTURE: a pristine copy with the fake kernel's files
	src=$BUILD/fixtures/$1
	rm -rf "$work/sys" "$work/state" "$work/log"
	cp -a "$src/sys" "$work/sys"
	sh tests/engine/prep.sh "$work/sys" "$src/fixture.aliases"
	mkdir -p "$work/sys/.fake/xen"
	x=$work/sys/.fake/xen
}
pb() { # pb ARGS: run, leaving $rc, $work/out and $work/err
	PCIBIND_FAKE_LOG=$work/log "$BUILD/pcibind-fake" --sysfs-root "$work/sys" \
		--modules-dir "$src/modules" --pci-ids tests/fixtures/pci.ids \
		--state-dir "$work/state" --policy-dir "${POL:-policy.d}" --proc-root "$PROC" "$@" \
		>"$work/out" 2>"$work/err"
	rc=$?
}
txn() { # txn BDF DRIVER MODULE: the transaction of a seize killed after its bind step
	id=$(jq -r '.vendor_id + ":" + .device_id' "$work/show.json")
	path=$(jq -r '.pci_path' "$work/show.json")
	printf 'op=seize\norigin=cli\nstarted=1\nstep=4\n[before]\nbdf=%s\nid=%s\npath=%s\ndriver=%s\nmodule=%s\n' \
		"$1" "$id" "$path" "$2" "$3" >"$work/state/txn"
	chmod 600 "$work/state/txn"
}
store() { mkdir -p "$x/store$(dirname "$1")" && printf '%s' "$2" >"$x/store$1"; }

# --- Xen: the undo of a seize to pciback while sys-net runs with the NIC ------------
fresh laptop
PROC=tests/fixtures/proc/xen-dom0
N=0000:02:00.0
pb --json show $N && cp "$work/out" "$work/show.json"
pb release $N
check xen-setup-native '[ "$rc" = 0 ] && [ "$(driver $N)" = iwlwifi ]'
pb seize --driver pciback $N
check xen-setup-seized '[ "$rc" = 0 ] && [ "$(driver $N)" = pciback ]'
txn $N iwlwifi iwlwifi
store /local/domain/3/name sys-net
store /local/domain/0/backend/pci/3/0/num_devs 1
store /local/domain/0/backend/pci/3/0/dev-0 $N
store /local/domain/0/backend/pci/3/0/state-0 3
echo $N >"$x/assigned"
echo $N >"$x/quarantined"
rm -f "$work/log"
pb recover
check xen-recover-refused '[ "$rc" = 3 ]'
check xen-recover-names-domain 'has "$work/err" "in use by domain 3 (sys-net)"'
check xen-recover-says-pending 'has "$work/err" "unfinished seize" && has "$work/err" "pcibind recover"'
check xen-recover-nothing-written '[ "$(driver $N)" = pciback ] && [ ! -e "$work/log" ]'
check xen-recover-txn-kept '[ -e "$work/state/txn" ]'
pb seize --driver pci-stub 0000:00:1f.6
check xen-unrelated-refused '[ "$rc" = 3 ] && has "$work/err" "domain 3 (sys-net)"'
check xen-unrelated-nothing-written '[ "$(driver $N)" = pciback ] && [ ! -e "$work/log" ] && [ "$(driver 0000:00:1f.6)" = e1000e ]'
# The domain is gone: the undo runs, out of DOM_IO and reset before iwlwifi binds.
rm -f "$x/assigned"
rm -rf "$x/store/local/domain/3" "$x/store/local/domain/0/backend/pci/3"
pb recover
check xen-recover-done '[ "$rc" = 0 ] && [ "$(driver $N)" = iwlwifi ] && [ ! -e "$work/state/txn" ]'
check xen-recover-dequarantined '[ ! -s "$x/quarantined" ] && has "$work/log" "xen-deassign DOMID_IO $N"'
check xen-recover-reset 'has "$work/log" "devices/$N/reset"'
b=$(grep -n 'iwlwifi/bind' "$work/log" | head -n 1 | cut -d: -f1)
d=$(grep -n 'xen-deassign' "$work/log" | head -n 1 | cut -d: -f1)
check xen-recover-dequarantine-before-bind '[ -n "$b" ] && [ -n "$d" ] && [ "$d" -lt "$b" ]'

# --- VFIO: pid 412 (qemu-system-x86) holds 06:00.0's group ---------------------------
fresh vfio
PROC=tests/fixtures/proc/vfio
V=0000:06:00.0
pb --json show $V && cp "$work/out" "$work/show.json"
mkdir -p "$work/state/devices" && chmod 700 "$work/state" "$work/state/devices"
txn $V virtio_pci virtio_pci
rm -f "$work/log"
pb seize --driver pci-stub 0000:07:00.0
check vfio-unrelated-refused '[ "$rc" = 3 ] && has "$work/err" "pid 412 (qemu-system-x86)"'
check vfio-unrelated-nothing-written '[ "$(driver $V)" = vfio-pci ] && [ ! -e "$work/log" ]'
pb recover
check vfio-recover-refused '[ "$rc" = 3 ] && has "$work/err" "pid 412" && [ -e "$work/state/txn" ]'
PROC=tests/fixtures/proc/none
pb recover
check vfio-recover-when-free '[ "$rc" = 0 ] && [ "$(driver $V)" = virtio_pci ] && [ ! -e "$work/state/txn" ]'

# --- lock, then look: two add events of one slot ------------------------------------
fresh laptop
PROC=tests/fixtures/proc/none
policy_dir "$work/pol" 50-hot.conf <<'POL'
[hot usb 1.1]
match-address = 00:1d.*
hotplug = yes
driver = pci-stub
strict-reset = no
POL
POL=$work/pol
event() { # event ACTION BDF [ARGS]: pcibind udev as the rule runs it
	a=$1 b=$2
	shift 2
	env ACTION="$a" SUBSYSTEM=pci SEQNUM=1 DEVPATH="/devices/pci0000:00/$b" \
		PCIBIND_FAKE_LOG=$work/log "$BUILD/pcibind-fake" --sysfs-root "$work/sys" \
		--modules-dir "$src/modules" --pci-ids tests/fixtures/pci.ids --state-dir "$work/state" \
		--policy-dir "$POL" --proc-root "$PROC" "$@" udev
}
slot() { echo "$(driver 0000:00:1d.0) $(driver 0000:00:1d.1) $(driver 0000:00:1d.2) $(driver 0000:00:1d.7)"; }
mkdir -p "$work/state" && chmod 700 "$work/state"
: >"$work/state/lock"
chmod 600 "$work/state/lock"
# B's event arrives while another pcibind holds the lock; while B waits, A
# (with a state directory of its own, so it does not wait) takes the slot.
flock -o "$work/state/lock" sh -c "
	{ env ACTION=add SUBSYSTEM=pci SEQNUM=2 DEVPATH=/devices/pci0000:00/0000:00:1d.2 \
		'$BUILD/pcibind-fake' --sysfs-root '$work/sys' --modules-dir '$src/modules' \
		--pci-ids tests/fixtures/pci.ids --state-dir '$work/state' --policy-dir '$POL' \
		--proc-root '$PROC' --lock-timeout 20000 udev >'$work/b.out' 2>'$work/b.err'; echo \$? >'$work/b.rc.tmp'; mv '$work/b.rc.tmp' '$work/b.rc'; } &
	sleep 1
	env ACTION=add SUBSYSTEM=pci SEQNUM=1 DEVPATH=/devices/pci0000:00/0000:00:1d.1 \
		'$BUILD/pcibind-fake' --sysfs-root '$work/sys' --modules-dir '$src/modules' \
		--pci-ids tests/fixtures/pci.ids --state-dir '$work/stateA' --policy-dir '$POL' \
		--proc-root '$PROC' udev >'$work/a.out' 2>'$work/a.err'
	mkdir -p '$work/state/devices' && chmod 700 '$work/state/devices'
	cp '$work/stateA/devices/'* '$work/state/devices/'
"
for _ in $(seq 200); do [ -e "$work/b.rc" ] && break; sleep 0.1; done
brc=$(cat "$work/b.rc" 2>/dev/null)
check lock-then-look-a-seized '[ "$(slot)" = "pci-stub pci-stub pci-stub pci-stub" ] || [ -n "$(cat "$work/b.err")" ]'
check lock-then-look-b-ok '[ "$brc" = 0 ] || { cat "$work/b.err"; false; }'
check lock-then-look-slot-stays '[ "$(slot)" = "pci-stub pci-stub pci-stub pci-stub" ]'
check lock-then-look-no-rollback '! has "$work/b.err" "back where it was"'
check lock-then-look-records '[ "$(ls "$work/state/devices" | wc -l)" = 4 ]'

# --- hot-plug fails closed: the lock is busy ------------------------------------------
fresh laptop
mkdir -p "$work/state" && chmod 700 "$work/state"
: >"$work/state/lock"
chmod 600 "$work/state/lock"
flock -o "$work/state/lock" sh -c "
	env ACTION=add SUBSYSTEM=pci SEQNUM=1 DEVPATH=/devices/pci0000:00/0000:00:1d.0 \
		'$BUILD/pcibind-fake' --sysfs-root '$work/sys' --modules-dir '$src/modules' \
		--pci-ids tests/fixtures/pci.ids --state-dir '$work/state' --policy-dir '$POL' \
		--proc-root '$PROC' --lock-timeout 200 udev >'$work/out' 2>'$work/err'
	echo \$? >'$work/rc'
"
check busy-fails '[ "$(cat "$work/rc")" = 1 ]'
check busy-pins-override '[ "$(override 0000:00:1d.0)" = pci-stub ]'
check busy-says-how 'has "$work/err" "pinned to pci-stub" && has "$work/err" "pcibind seize 0000:00:1d.0"'
check busy-nothing-else '[ "$(driver 0000:00:1d.0)" = uhci_hcd ] && [ "$(override 0000:00:1d.1)" = "(null)" -o -z "$(override 0000:00:1d.1)" ]'

# --- an add retires what the journal says of an earlier device there ----------------
fresh laptop
U=0000:00:14.0
pb --json show $U && cp "$work/out" "$work/show.json"
pb seize --driver pci-stub $U
check old-setup '[ "$rc" = 0 ] && [ -e "$work/state/devices/$U" ]'
# The card left without a remove event, and a new one came: unbound, no override.
rm -f "$work/sys/bus/pci/drivers/pci-stub/$U" "$work/sys/bus/pci/devices/$U/driver"
: >"$work/sys/bus/pci/devices/$U/driver_override"
event add $U >"$work/out" 2>"$work/err"
check old-record-retired '[ ! -e "$work/state/devices/$U" ] && has "$work/err" "retired the record of $U"'
# A replayed add of a seized function keeps its record.
pb seize --driver pci-stub $U
event add $U >"$work/out" 2>"$work/err"
check replayed-add-keeps '[ -e "$work/state/devices/$U" ] && [ "$(driver $U)" = pci-stub ]'
# A pending transaction that names an unplugged function does not hold every change up.
pb release $U
txn $U xhci_hcd xhci_pci
sed -i "s/^bdf=.*/bdf=0000:3a:00.0/" "$work/state/txn"
pb seize --driver pci-stub 0000:00:1f.6 --dry-run
pb seize --driver pci-stub 0000:00:1f.6
check gone-txn-retired '[ "$rc" = 0 ] && [ ! -e "$work/state/txn" ] && has "$work/err" "0000:3a:00.0 is gone"'

# --- surprise removal mid-change: the failure names it, nothing stays behind ---------
fresh laptop
PROC=tests/fixtures/proc/none
U=0000:00:14.0
PCIBIND_TEST_STOP_AFTER_STEP=1 "$BUILD/pcibind-fake" --sysfs-root "$work/sys" \
	--modules-dir "$src/modules" --pci-ids tests/fixtures/pci.ids --state-dir "$work/state" \
	--policy-dir policy.d --proc-root "$PROC" seize --driver pci-stub $U \
	>"$work/out" 2>"$work/err" &
kpid=$!
for _ in $(seq 100); do grep -q 'stopped after step 1' "$work/err" && break; sleep 0.05; done
rm -f "$work/sys/bus/pci/drivers/xhci_hcd/$U"
rm -rf "$work/sys/bus/pci/devices/$U" "$work/sys/devices/pci0000:00/$U"
kill -CONT $kpid
wait $kpid
rc=$?
check removed-fails '[ "$rc" = 4 ]'
check removed-named 'has "$work/err" "$U was removed (unplugged) during the change"'
check removed-nothing-to-put-back 'has "$work/err" "$U was removed during the change: nothing to put back"'
check removed-journal-clean '[ ! -e "$work/state/txn" ] && [ ! -e "$work/state/devices/$U" ]'

# --- remove events (issue 24) ----------------------------------------------------------
fresh laptop
pb seize --driver vfio-pci 0000:00:14.0
check remove-setup '[ "$rc" = 0 ] && [ -e "$work/state/devices/0000:00:14.0" ]'
event remove 0000:00:14.0 -v -v >"$work/out" 2>"$work/err"
check remove-present-keeps '[ -e "$work/state/devices/0000:00:14.0" ] && [ "$(driver 0000:00:14.0)" = vfio-pci ]'
check remove-present-says-why 'has "$work/err" "still there"'
pb status
check remove-present-status 'has "$work/out" "0000:00:14.0"'
# Really unplugged: the function's directory is gone.
rm -f "$work/sys/bus/pci/drivers/vfio-pci/0000:00:14.0"
rm -rf "$work/sys/bus/pci/devices/0000:00:14.0" "$work/sys/devices/pci0000:00/0000:00:14.0"
event remove 0000:00:14.0 >"$work/out" 2>"$work/err"
check remove-gone-retires '[ ! -e "$work/state/devices/0000:00:14.0" ]'

summary gate
