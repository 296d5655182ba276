#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# check-vm: boot every guest kind (debian, xen, dracut, ...) once, each running
# all scenarios that declare it, and sum up. Prints the per-check lines of
# run-guest.sh, one "== guest: ..." line with each guest's wall time, and
# ends with exactly one line "N passed, M failed". Exit status 1 if anything
# failed. VM_KINDS="debian xen" limits the kinds.
set -eu

. "$(dirname "$0")/lib/host.sh"

[ -x "$PCIBIND" ] || log "warning: $PCIBIND is not built; pcibind checks will be skipped"
t0=$(vm_now)
total_p=0
total_f=0
total_s=0
# One boot: run-guest.sh ARGS..., named NAME; adds its counts to the totals.
boot()
{
	local name=$1 rc=0 p f s counts
	shift
	"$VM_DIR/run-guest.sh" --name "$name" "$@" || rc=$?
	counts=$VM_BUILD/runs/$name/counts
	if [ -f "$counts" ]; then
		read -r p f s <"$counts"
	else
		# run-guest.sh died before judging (e.g. the image did not build).
		p=0 f=1 s=0
		echo "FAIL $name:harness: run-guest.sh exited with status $rc before reporting"
	fi
	[ "$rc" = 0 ] || [ "$f" -gt 0 ] || f=1
	total_p=$((total_p + p))
	total_f=$((total_f + f))
	total_s=$((total_s + s))
}

# has_plain KIND: some scenario of KIND needs no command line of its own.
has_plain()
{
	local sc
	for sc in "$VM_DIR"/scenarios/*.sh; do
		grep -q '^# vm-append:' "$sc" && continue
		grep -q '^# vm-noiommu' "$sc" && continue
		sed -n 's/^# vm-kinds://p' "$sc" | grep -qw -- "$1" && return 0
	done
	return 1
}

# xendracut: the Xen dom0 booting the dracut image (pcibind's dracut module);
# initramfs: an image of the real mkinitramfs with the .deb's hook;
# systemd: systemd as PID 1 booting the .deb's pcibind-boot.service;
# qubes: Qubes' module (a model) and pcibind-qubes side by side on the Xen
# dom0 (qubes-side-by-side.sh, 6 boots).
for kind in ${VM_KINDS:-debian xen dracut xendracut initramfs systemd qubes}; do
	if [ "$kind" = qubes ]; then
		rc=0
		"$VM_DIR/qubes-side-by-side.sh" || rc=$?
		counts=$VM_BUILD/runs/qubes-side-by-side.counts
		p=0 f=1 s=0
		[ -f "$counts" ] && read -r p f s <"$counts"
		[ "$rc" = 0 ] || [ "$f" -gt 0 ] || f=1
		total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
		continue
	fi
	if has_plain "$kind"; then
		boot "$kind" --kind "$kind"
	fi
	# Scenarios with a "# vm-append:" kernel command line boot on their own.
	for sc in "$VM_DIR"/scenarios/*.sh; do
		grep -q '^# vm-append:\|^# vm-noiommu' "$sc" || continue
		sed -n 's/^# vm-kinds://p' "$sc" | grep -qw -- "$kind" || continue
		boot "$kind-$(basename "$sc" .sh)" --kind "$kind" --scenario "$sc"
	done
done
echo "== check-vm: all guests in $(vm_elapsed "$t0") s ($total_s skipped)"
echo "$total_p passed, $total_f failed"
[ "$total_f" = 0 ]
