# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian
# Issue 20's desktop-style refusal on the real q35 chipset: the SATA
# controller 00:1f.2 shares its slot and IOMMU group with the LPC/ISA
# bridge 00:1f.0 and the SMBus 00:1f.3, functions the machine cannot do
# without. One `seize --driver vfio-pci --dry-run 00:1f.2` must give every
# blocker at once (the slot's other functions, and that 00:1f.0 is a
# bridge that cannot move), exit 3, and no line may offer `force` for the
# bridge or the SMBus. The same holds for the real run: refused, nothing
# moved.

F=0000:00:1f.2

if ! have_pcibind; then
	skip pcibind "pcibind not in the image"
	return 0
fi

pb seize --driver vfio-pci --dry-run ${F#0000:}
all="$PB_OUT
$PB_ERR"
echo "INFO 67 dry run: exit $PB_RC: $(tl_oneline "$all")"
expect_rc dry-run-refused 3
# the multi-function slot: its other functions, by address
expect_match names-lpc-sibling "00:1f[.]0" "$all"
expect_match names-smbus-sibling "00:1f[.]3" "$all"
# ...and, in the same run, that the LPC function is a bridge that cannot go
expect_match names-bridge-blocker "00:1f[.]0.*(bridge|LPC|ISA)|(bridge|LPC|ISA).*00:1f[.]0" "$all"
expect_match names-slot-blocker "all-functions|multi-function|whole slot" "$all"
# no advice ends at force-seizing a function the machine needs
forced=$(printf '%s\n' "$all" | grep -iE 'force' | grep -iE 'bridge|LPC|ISA|SMBus|1f[.]0|1f[.]3' || true)
expect_eq no-force-for-bridge "" "$forced"
forced_any=$(printf '%s\n' "$all" | grep -iE 'force *= *yes' || true)
expect_eq no-force-offered "" "$forced_any"

# The same with the flags the first refusal used to ask for, one by one:
# still one list, still no force.
pb seize --driver vfio-pci --all-functions --group --dry-run ${F#0000:}
all="$PB_OUT
$PB_ERR"
echo "INFO 67 dry run, whole slot: exit $PB_RC: $(tl_oneline "$all")"
expect_rc whole-slot-refused 3
expect_match whole-slot-names-bridge "(bridge|LPC|ISA)" "$all"
expect_eq whole-slot-no-force "" "$(printf '%s\n' "$all" | grep -iE 'force' || true)"

pci_snapshot /tmp/67-before
pb seize --driver vfio-pci ${F#0000:}
expect_rc real-run-refused 3
pci_snapshot /tmp/67-after
check real-run-nothing-moved cmp /tmp/67-before /tmp/67-after
