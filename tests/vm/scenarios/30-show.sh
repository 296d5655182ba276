# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian xen
# "pcibind --json show" reports what the real kernel offers: reset methods
# (e1000e "pm bus", xhci "bus", the 00:1d functions none: no reset file),
# the functions of slot 00:1d, module vs driver names and IOMMU groups.

if ! have_pcibind; then
	skip show "pcibind not in the image (build it with make)"
	return 0
fi

show() { "$PCIBIND" --json show "$1" 2>/tmp/show.err; }
# show_q DEVICE JQ-FILTER: one value, or "ERROR: ..." if show failed.
show_q()
{
	show "$1" >/tmp/show.json || { echo "ERROR: $(cat /tmp/show.err)"; return 0; }
	jq -r "$2" /tmp/show.json
}

expect_eq e1000e-reset-methods "pm bus" "$(show_q 0000:01:00.0 '.reset_methods | join(" ")')"
expect_eq e1000e-resettable true "$(show_q 0000:01:00.0 '.resettable')"
expect_eq xhci-reset-methods "bus" "$(show_q 0000:02:00.0 '.reset_methods | join(" ")')"
expect_eq xhci-resettable true "$(show_q 0000:02:00.0 '.resettable')"
expect_eq e1000-reset-methods "" "$(show_q 0000:00:04.0 '.reset_methods | join(" ")')"
expect_eq e1000-resettable false "$(show_q 0000:00:04.0 '.resettable')"
for f in 0 1 2 7; do
	expect_eq "1d.$f-reset-methods" "" "$(show_q "0000:00:1d.$f" '.reset_methods | join(" ")')"
	expect_eq "1d.$f-resettable" false "$(show_q "0000:00:1d.$f" '.resettable')"
done

# The slot's four functions, with their drivers, from any one of them.
want="0000:00:1d.0=uhci_hcd 0000:00:1d.1=uhci_hcd 0000:00:1d.2=uhci_hcd 0000:00:1d.7=ehci-pci"
for f in 0 7; do
	expect_eq "1d.$f-slot-functions" "$want" \
		"$(show_q "0000:00:1d.$f" '[.slot_functions[] | "\(.address)=\(.driver)"] | join(" ")')"
done
expect_eq e1000e-slot-functions "0000:01:00.0=e1000e" \
	"$(show_q 0000:01:00.0 '[.slot_functions[] | "\(.address)=\(.driver)"] | join(" ")')"

# Module and driver names differ for xhci and ehci.
expect_eq xhci-driver-module "xhci_hcd xhci_pci" "$(show_q 0000:02:00.0 '"\(.driver) \(.module)"')"
expect_eq ehci-driver-module "ehci-pci ehci_pci" "$(show_q 0000:00:1d.7 '"\(.driver) \(.module)"')"
expect_eq e1000e-driver-module "e1000e e1000e" "$(show_q 0000:01:00.0 '"\(.driver) \(.module)"')"
expect_eq e1000e-modalias "$(cat /sys/bus/pci/devices/0000:01:00.0/modalias)" \
	"$(show_q 0000:01:00.0 '.modalias')"
expect_match e1000e-modules-lookup '(^| )e1000e( |$)' "$(show_q 0000:01:00.0 '.modules | join(" ")')"

# IOMMU groups: with intel_iommu=on the 00:1d slot is one group of four;
# in a Xen dom0 Xen owns the IOMMU and there are no groups.
if is_xen; then
	expect_eq 1d.0-iommu-group null "$(show_q 0000:00:1d.0 '.iommu_group')"
else
	expect_eq 1d.0-iommu-group "$(basename "$(readlink /sys/bus/pci/devices/0000:00:1d.0/iommu_group)")" \
		"$(show_q 0000:00:1d.0 '.iommu_group')"
	expect_eq 1d.0-iommu-members "0000:00:1d.0 0000:00:1d.1 0000:00:1d.2 0000:00:1d.7" \
		"$(show_q 0000:00:1d.0 '[.iommu_group_members[] | if type == "object" then .address else . end] | sort | join(" ")')"
fi

# Text output and errors.
check show-text "$PCIBIND" show 0000:01:00.0
"$PCIBIND" show 0000:00:1f.6 >/dev/null 2>&1
expect_eq show-unknown-exit-2 2 "$?"
