#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Record fixture trees from real kernels: boot the debian and the xen guest,
# run "fixture-tool record /sys" in each, and write
#   tests/fixtures/recorded/qemu-q35.tree   + .aliases   (Debian kernel, q35)
#   tests/fixtures/recorded/xen-dom0.tree   + .aliases   (same, as Xen dom0)
# The guests are those of check-vm (tests/vm/run-guest.sh), in their state
# after boot: every function on its native driver, pciback loaded in dom0.
set -eu

. "$(dirname "$0")/lib/host.sh"

[ -x "$FIXTURE_TOOL" ] || die "$FIXTURE_TOOL not built (make $FIXTURE_TOOL)"
KVER=$(vm_kver)
dest=$TOP_DIR/tests/fixtures/recorded
mkdir -p "$dest" "$VM_BUILD"

# The host's full alias index, for the .aliases files.
cp "/lib/modules/$KVER/modules.alias" "$VM_BUILD/modules.alias"
extra=(--extra "$VM_BUILD/modules.alias")
if [ -f "/lib/modules/$KVER/modules.builtin.modinfo" ]; then
	cp "/lib/modules/$KVER/modules.builtin.modinfo" "$VM_BUILD/modules.builtin.modinfo"
	extra+=(--extra "$VM_BUILD/modules.builtin.modinfo")
fi

rc=0
for pair in debian:qemu-q35 xen:xen-dom0; do
	kind=${pair%%:*}
	out=${pair#*:}
	if "$VM_DIR/run-guest.sh" --kind "$kind" --name "record-$kind" \
		--scenario "$VM_DIR/record/record-guest.sh" "${extra[@]}"; then
		files=$VM_BUILD/runs/record-$kind/files
		cp "$files/rec.tree" "$dest/$out.tree"
		cp "$files/rec.aliases" "$dest/$out.aliases"
		log "recorded $dest/$out.tree ($(wc -l <"$dest/$out.tree") lines) and $out.aliases ($(wc -l <"$dest/$out.aliases") lines)"
	else
		log "recording in the $kind guest failed"
		rc=1
	fi
done
exit $rc
