#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Xen on the fake kernel (tests/fake/fake-kernel.c, .fake/xen/): the laptop
# fixture (hypervisor/type xen, 02:00.0 on pciback) with a /proc that says
# dom0. A release plans and runs xen-deassign DOMID_IO after pciback lets go
# and before the native driver binds, with the errno map (0/ENODEV/EOPNOTSUPP
# fine, ESRCH warns, others roll back); a function a live domain holds is
# refused (exit 3) naming the domain (renumbered dev-N, stale domain, stub
# domain); nobody able to tell fails closed; without dom0 nothing of it shows.
. tests/engine/lib.sh
src=$BUILD/fixtures/laptop
ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/    /' "$2"; }
check() { # check NAME 'SHELL CONDITION'
	if eval "$2"; then ok "$1"; else bad "$1" "$work/err"; fi
}
has() { grep -q -- "$2" "$1"; }

fresh() { # a pristine fixture; the fake Xen's files from the arguments' setup
	rm -rf "$work/sys" "$work/state" "$work/log"
	cp -a "$src/sys" "$work/sys"
	sh tests/engine/prep.sh "$work/sys" "$src/fixture.aliases"
	mkdir -p "$work/sys/.fake/xen"
	x=$work/sys/.fake/xen
}
PROC=tests/fixtures/proc/xen-dom0
pb() {
	PCIBIND_FAKE_LOG=$work/log "$BUILD/pcibind-fake" --sysfs-root "$work/sys" \
		--modules-dir "$src/modules" --pci-ids tests/fixtures/pci.ids \
		--state-dir "$work/state" --policy-dir policy.d --proc-root "$PROC" "$@" \
		>"$work/out" 2>"$work/err"
	rc=$?
}
driver() { basename "$(readlink "$work/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
store() { # store PATH VALUE: a xenstore node with a value
	mkdir -p "$x/store$(dirname "$1")"
	printf '%s' "$2" >"$x/store$1"
}
backend() { # backend DOMID N DEV STATE: dev-N of DOMID's pciback backend, in STATE
	store "/local/domain/0/backend/pci/$1/0/dev-$2" "$3"
	store "/local/domain/0/backend/pci/$1/0/state-$2" "$4"
}
domain() { # domain ID NAME [TARGET]
	store "/local/domain/$1/name" "$2"
	[ -z "${3:-}" ] || store "/local/domain/$1/target" "$3"
}
line() { grep -n -- "$2" "$1" | head -n 1 | cut -d: -f1; }

# --- the plan -------------------------------------------------------------------
fresh
pb release 02:00.0 --dry-run
check plan-rc0 '[ "$rc" = 0 ]'
check plan-has-deassign 'has "$work/out" "xen-deassign DOMID_IO 0000:02:00.0"'
unl=$(line "$work/out" 'remove_slot') bnd=$(line "$work/out" '/bind "0000:02:00.0"')
dq=$(line "$work/out" 'xen-deassign')
check plan-order-after-pciback '[ -n "$dq" ] && [ -n "$unl" ] && [ "$dq" -gt "$unl" ]'
check plan-order-before-bind '[ -n "$bnd" ] && [ "$dq" -lt "$bnd" ]'
pb --json release 02:00.0 --dry-run
check plan-json-op 'has "$work/out" "\"op\": \"xen-deassign\""'
pb seize 02:00.0 --driver pci-stub --dry-run
check plan-seize-other-stub 'has "$work/out" "xen-deassign DOMID_IO 0000:02:00.0"'
pb seize 00:1f.6 --driver pciback --dry-run
check plan-seize-pciback-none '[ "$rc" = 0 ] && ! has "$work/out" xen-deassign'

# Not a dom0 (no xen/capabilities): no step, not a word about Xen.
fresh
PROC=tests/fixtures/proc/none
pb release 02:00.0 --dry-run
check not-dom0-no-step '[ "$rc" = 0 ] && ! has "$work/out" xen-deassign'
check not-dom0-silent '! grep -qi xen "$work/err"'
check not-dom0-no-store-read '[ ! -e "$x/store-dumps" ]'
PROC=tests/fixtures/proc/xen-dom0

# --- de-quarantine: the errno map ---------------------------------------------------
fresh
echo 0000:02:00.0 >"$x/quarantined"
pb release 02:00.0
check dq-done-rc0 '[ "$rc" = 0 ]'
check dq-done-native '[ "$(driver 0000:02:00.0)" = iwlwifi ]'
check dq-done-out-of-domio '[ ! -s "$x/quarantined" ]'
check dq-done-logged 'has "$work/log" "xen-deassign DOMID_IO 0000:02:00.0"'
b=$(line "$work/log" 'iwlwifi/bind') d=$(line "$work/log" 'xen-deassign')
check dq-done-before-bind '[ -n "$b" ] && [ -n "$d" ] && [ "$d" -lt "$b" ]'

for e in ENODEV EOPNOTSUPP; do
	fresh
	echo "$e" >"$x/deassign-errno"
	pb release 02:00.0
	check "dq-$e-fine" '[ "$rc" = 0 ] && [ "$(driver 0000:02:00.0)" = iwlwifi ]'
	# quiet but for where the function came from (pcibind did not seize it here)
	check "dq-$e-quiet" '! grep -v "was not seized by pcibind" "$work/err"'
done

fresh
echo ESRCH >"$x/deassign-errno"
pb release 02:00.0
check dq-ESRCH-returns '[ "$rc" = 0 ] && [ "$(driver 0000:02:00.0)" = iwlwifi ]'
check dq-ESRCH-warns 'has "$work/err" "older than 4.13"'

for e in EACCES EINVAL EIO; do
	fresh
	echo "$e" >"$x/deassign-errno"
	pb release 02:00.0
	check "dq-$e-rolls-back" '[ "$rc" = 4 ] && [ "$(driver 0000:02:00.0)" = pciback ]'
	check "dq-$e-says-why" 'has "$work/err" "xen-deassign DOMID_IO 0000:02:00.0"'
	check "dq-$e-cause" 'has "$work/err" "quarantine (DOM_IO)"'
done

# A de-assign that answers 0 but leaves it in DOM_IO fails its check.
fresh
echo 0000:02:00.0 >"$x/quarantined"
: >"$x/deassign-noop"
pb release 02:00.0
check dq-check-catches-no-effect '[ "$rc" = 4 ] && has "$work/err" "asked again"'

# --- in use ------------------------------------------------------------------
fresh
store /local/domain/0/backend/pci/3/0/num_devs 2
backend 3 0 0000:00:14.0 3
backend 3 1 0000:02:00.0 3
domain 0 Domain-0
domain 3 sys-net
echo 0000:02:00.0 >"$x/assigned"
pb release 02:00.0
check inuse-refused '[ "$rc" = 3 ]'
check inuse-names-domain 'has "$work/err" "in use by domain 3 (sys-net)"'
check inuse-nothing-changed '[ "$(driver 0000:02:00.0)" = pciback ] && [ ! -e "$work/log" ]'
pb release 02:00.0 --dry-run
check inuse-dry-run-refused '[ "$rc" = 3 ] && has "$work/err" "domain 3 (sys-net)"'
pb seize 02:00.0 --driver pci-stub
check inuse-seize-other-stub-refused '[ "$rc" = 3 ] && [ "$(driver 0000:02:00.0)" = pciback ]'

# Renumbered: after a detach, libxl shifts dev-N down; what is left still counts.
fresh
echo 0000:02:00.0 >"$x/assigned"
store /local/domain/0/backend/pci/5/0/num_devs 1
backend 5 0 0000:02:00.0 1
domain 5 sys-usb
pb release 02:00.0
check renumbered-refused '[ "$rc" = 3 ] && has "$work/err" "domain 5 (sys-usb)"'

# Without an IOMMU Xen tracks no owner (EOPNOTSUPP): xenstore alone decides.
no_iommu() { # no_iommu NAME DOMID N STATE DOMAIN-ID DOMAIN-NAME CONDITION
	fresh
	echo EOPNOTSUPP >"$x/test-assign-errno"
	backend "$2" "$3" 0000:02:00.0 "$4"
	domain "$5" "$6"
	pb release 02:00.0
	check "$1" "$7"
}
no_iommu no-iommu-store-refuses 5 3 3 5 sys-usb \
	'[ "$rc" = 3 ] && has "$work/err" "domain 5 (sys-usb)"'
# Detached (state 6 Closed) is not in use.
no_iommu closed-not-in-use 5 0 6 5 sys-usb \
	'[ "$rc" = 0 ] && [ "$(driver 0000:02:00.0)" = iwlwifi ]'
# Stale: the backend of a domain that no longer exists.
no_iommu stale-domain-allowed 7 0 3 0 Domain-0 \
	'[ "$rc" = 0 ] && [ "$(driver 0000:02:00.0)" = iwlwifi ]'

# Stub domain: the backend is the device model's; the guest is its target.
fresh
echo 0000:02:00.0 >"$x/assigned"
backend 4 0 0000:02:00.0 3
domain 3 sys-net
domain 4 sys-net-dm 3
pb release 02:00.0
check stubdom-refused '[ "$rc" = 3 ]'
check stubdom-names-target 'has "$work/err" "domain 3 (sys-net, through stub domain 4)"'

# The hypervisor says a guest owns it, xenstore has no name.
fresh
echo 0000:02:00.0 >"$x/assigned"
pb release 02:00.0
check hv-assigned-refused '[ "$rc" = 3 ] && has "$work/err" "a domain other than dom0"'

# The hypervisor's "dom0 or DOM_IO owns it" is the truth: xenstore is not even read.
fresh
backend 3 0 0000:02:00.0 1
domain 3 sys-net
pb release 02:00.0
check hv-free-wins '[ "$rc" = 0 ] && [ ! -e "$x/store-dumps" ]'

# Nobody can tell (no libxenctrl, no xenstore): fail closed.
fresh
echo ELIBACC >"$x/test-assign-errno"
pb release 02:00.0
check unknown-fails-closed '[ "$rc" = 3 ] && has "$work/err" "cannot determine whether 0000:02:00.0"'
check unknown-names-packages 'has "$work/err" "libxenmisc4.17" && has "$work/err" "libxenstore4"'
check unknown-nothing-changed '[ "$(driver 0000:02:00.0)" = pciback ]'
# ... but a readable xenstore that lists nothing is an answer.
mkdir -p "$x/store/local/domain/0"
pb release 02:00.0
check store-only-answers '[ "$rc" = 0 ] && [ "$(driver 0000:02:00.0)" = iwlwifi ]'

# --- status and show say who holds it -----------------------------------------------
fresh
echo 0000:02:00.0 >"$x/assigned"
backend 3 0 0000:02:00.0 3
domain 3 sys-net
pb show 02:00.0
check show-in-use '[ "$rc" = 0 ] && has "$work/out" "in use by domain 3 (sys-net)"'
pb status
check status-in-use 'has "$work/out" "in use by domain 3 (sys-net)"'
pb explain 02:00.0 release
check explain-in-use 'has "$work/out" "Xen guest:       in use by domain 3 (sys-net)"'
check explain-verdict-refused 'has "$work/out" "Verdict, release: refused: 0000:02:00.0 is in use by domain 3 (sys-net)"'
PROC=tests/fixtures/proc/none
pb show 02:00.0
check show-not-dom0-silent '[ "$rc" = 0 ] && ! grep -qi "domain 3" "$work/out"'
PROC=tests/fixtures/proc/xen-dom0

# --- a function xl pci-assignable-add put on pciback: libxl's record is its origin ---
fresh
domain 0 Domain-0
store /libxl/pci/0000-02-00-0/driver_path /sys/bus/pci/drivers/iwlwifi
pb status
check status-libxl-origin 'has "$work/out" "0000:02:00.0  on pciback  driver_override none  origin libxl (xenstore /libxl/pci/0000-02-00-0/driver_path)"'
rm -r "$x/store/libxl"
pb status
check status-not-recorded 'has "$work/out" "0000:02:00.0  on pciback  driver_override none  origin not recorded"'

# The real pcibind on a fixture that says dom0 never asks this machine's Xen:
# it cannot tell who holds the function, so it refuses (not "no IOMMU, fine").
fresh
"$BUILD/pcibind" --sysfs-root "$work/sys" --modules-dir "$src/modules" \
	--pci-ids tests/fixtures/pci.ids --state-dir "$work/state" --policy-dir policy.d \
	--proc-root tests/fixtures/proc/xen-dom0 release 02:00.0 >"$work/out" 2>"$work/err"
rc=$?
check real-binary-fixture-dom0-refuses '[ "$rc" = 3 ] && has "$work/err" "cannot determine whether 0000:02:00.0"'

# --- this machine (not Xen): the real pcibind says nothing about Xen ----------------------
# Read-only: list, show, status and a --dry-run release on the host's own sysfs.
if [ "$(cat /sys/hypervisor/type 2>/dev/null)" != xen ]; then
	host() { "$BUILD/pcibind" --state-dir "$work/hoststate" --policy-dir policy.d "$@" \
		>"$work/out" 2>"$work/err"; rc=$?; }
	first=$("$BUILD/pcibind" --json list 2>/dev/null | sed -n 's/.*"address": "\([^"]*\)".*/\1/p' | head -n 1)
	: >"$work/all"
	for args in "list" "show $first" "status" "release $first --dry-run" "seize $first --dry-run"; do
		# shellcheck disable=SC2086 # ARGS are words
		host $args
		cat "$work/out" "$work/err" >>"$work/all"
	done
	check host-has-a-device '[ -n "$first" ]'
	check host-no-xen-word '! grep -qiE "xen|quarantine|DOM_IO|domain [0-9]" "$work/all"'
else
	echo "skip host-no-xen-word (this machine is a Xen host)"
fi

summary xen
