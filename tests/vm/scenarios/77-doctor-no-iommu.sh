# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian
# vm-noiommu
# pcibind doctor in a guest booted without intel_iommu=on (the Debian kernel
# does not enable VT-d by default): it reports the missing IOMMU with the fix
# and exits 7 (not ready); a seize to vfio-pci is refused with the same cause.

if ! have_pcibind; then
	skip pcibind "pcibind not in the image"
	return 0
fi
check_fails no-iommu-groups test -d /sys/kernel/iommu_groups/0
pb doctor
expect_rc doctor-fails 7
expect_match doctor-no-iommu "FAIL  iommu +no IOMMU" "$PB_OUT"
# TCG's -cpu max says AuthenticAMD and, without the device, there is no DMAR
# table to say VT-d: the fix names whichever the host looks like.
expect_match doctor-fix "fix: enable (VT-d|AMD-Vi).* (intel|amd)_iommu=on" "$PB_OUT"
expect_match doctor-cmdline "FAIL  kernel-cmdline" "$PB_OUT"
pb --json doctor
expect_eq doctor-json-result fail "$(printf '%s\n' "$PB_OUT" | jq -r .result)"
pb seize --driver vfio-pci 0000:01:00.0
expect_rc seize-vfio-refused 3
expect_match seize-says-iommu "no IOMMU group" "$PB_ERR"
