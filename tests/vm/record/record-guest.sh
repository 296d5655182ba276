# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: record
# Record this guest's PCI sysfs with fixture-tool and send the .tree and
# .aliases files to the host (run by tests/vm/record-fixtures.sh).
# The alias list is matched against the full module index of the host's
# kernel when the host shipped it (/vmtest/modules.alias), so the recorded
# aliases are what a real installation resolves, not just the few modules
# in this initramfs.

if [ ! -x "$FIXTURE_TOOL" ]; then
	fail fixture-tool "fixture-tool not in the image (make build/fixture-tool)"
	return 0
fi
mdir=/lib/modules/$KVER
[ -f /vmtest/modules.alias ] && mdir=/vmtest
check record "$FIXTURE_TOOL" record /sys /tmp/rec.tree --modules-dir "$mdir"
check tree-header grep -qx '# pcibind sysfs fixture v1' /tmp/rec.tree
check tree-has-e1000e grep -q '^d devices/pci0000:00/0000:00:02.0/0000:01:00.0 ' /tmp/rec.tree
check aliases-nonempty test -s /tmp/rec.aliases
send_file rec.tree /tmp/rec.tree
send_file rec.aliases /tmp/rec.aliases
