# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian
# make demo, inside the Debian guest: pcibind's main job on a real kernel,
# end to end, as a transcript ("DEMO " lines): list, the --dry-run plan, a
# seize of the e1000e to vfio-pci, status, explain, a release. Also checks
# that each step did what it said, so a broken demo fails loudly.

E=0000:01:00.0

demo() { # demo COMMAND...: show the command and its output
	echo "DEMO"
	echo "DEMO # $*"
	"$@" >/tmp/demo.out 2>&1
	rc=$?
	sed 's/^/DEMO /' /tmp/demo.out
	[ "$rc" = 0 ] || echo "DEMO (exit $rc)"
	return 0
}

if ! have_pcibind; then
	skip demo "pcibind not in the image"
	return 0
fi
export PATH="$(dirname "$PCIBIND"):$PATH"
echo "DEMO Linux $(uname -r), QEMU q35 guest; the e1000e at $E has netdev $(pci_netdevs $E)"
demo pcibind list
demo pcibind show $E
demo pcibind seize --driver vfio-pci $E --dry-run
demo pcibind seize --driver vfio-pci $E
expect_eq demo-seized vfio-pci "$(sysfs_driver $E)"
echo "DEMO (the netdev is gone: '$(pci_netdevs $E)')"
demo pcibind status
demo pcibind seize --driver vfio-pci 00:1d.0 --dry-run
demo pcibind release $E
expect_eq demo-released e1000e "$(sysfs_driver $E)"
echo "DEMO (the netdev is back: '$(pci_netdevs $E)')"
demo pcibind explain 00:1d.0 release
demo pcibind status
