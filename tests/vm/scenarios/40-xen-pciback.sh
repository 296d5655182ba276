# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: xen
# A real Xen dom0: the hypervisor is there, xen-pciback (loaded by /init)
# has its driver directory with the pciback-only attributes, and pcibind
# lists every function.

expect_eq hypervisor-type xen "$(cat /sys/hypervisor/type 2>&1)"
check pciback-loaded grep -q '^xen_pciback ' /proc/modules
check pciback-driver-dir test -d /sys/bus/pci/drivers/pciback
for a in new_slot remove_slot slots permissive bind unbind new_id remove_id; do
	check "pciback-has-$a" test -e "/sys/bus/pci/drivers/pciback/$a"
done
expect_eq pciback-slots-empty "" "$(cat /sys/bus/pci/drivers/pciback/slots 2>&1)"
check pciback-module-link test -e /sys/module/xen_pciback/drivers/pci:pciback
check xen-no-iommu-groups sh -c '[ -z "$(ls /sys/kernel/iommu_groups 2>/dev/null)" ]'

if have_pcibind; then
	"$PCIBIND" --json list >/tmp/xen.json 2>/tmp/xen.err
	expect_eq pcibind-list-exit 0 "$?"
	expect_eq pcibind-list-all "$(ls /sys/bus/pci/devices | sort | tr '\n' ' ')" \
		"$(jq -r '.devices[].address' /tmp/xen.json | sort | tr '\n' ' ')"
	expect_eq pcibind-list-no-stub 0 "$(jq '[.devices[] | select(.stub)] | length' /tmp/xen.json)"
else
	skip pcibind-list "pcibind not in the image"
fi
