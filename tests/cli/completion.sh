#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# completion.sh: completion/pcibind.bash in a real interactive bash on a pty
# (tests/cli/complete-pty.py types the line and TAB): every device in each
# form pcibind takes (0000:00:1d.0, 00:1d.0, dom0:00_1d.0, 00_1d.0) with
# bash's own splitting at ':', --sysfs-root DIR and --sysfs-root=DIR before
# or after the command, every long option of every command as the C option
# tables declare it, every class name, and release offering only what is
# on a stub.
set -u
BUILD=${BUILD:-build}
export BUILD
cases=$(mktemp)
trap 'rm -f "$cases"' EXIT

# long options from an option table: { "name", ... }
opts_of() { grep -o '{ "[a-z-]*", [a-z_]*_argument' "$1" | sed 's/{ "\([a-z-]*\)".*/--\1/' | sort -u | paste -sd, -; }
global=$(sed -n '/^const struct option cmd_global_options/,/^};/p' src/cli/cmd-common.c |
	grep -o '{ "[a-z-]*"' | sed 's/{ "/--/; s/"//' | paste -sd, -)
classes=$(build/pcibind list --help | sed -n 's/^Class names: //p' | tr ' ' ,)
[ -n "$classes" ] && [ -n "$global" ] || { echo "completion: cannot read the class names or the global options"; exit 1; }

cat >"$cases" <<EOT
# devices, every form, with bash splitting at ':'
want 0000:00:14.0 pcibind --sysfs-root @ROOT@ show 0000:00:14
want 1d.0,1d.1,1d.2,1d.7 pcibind --sysfs-root @ROOT@ show 0000:00:1
want dom0:00_1d.0,dom0:00_1d.7 pcibind --sysfs-root @ROOT@ show do
want 00_1d.0,00_1d.7 pcibind --sysfs-root @ROOT@ seize dom0:00_1
want 1d.0,1d.7,14.0 pcibind --sysfs-root @ROOT@ show 00:1
want 00_1d.0,00_14.0 pcibind --sysfs-root @ROOT@ show 00_1
# --sysfs-root=DIR, and after the command
want 1d.0,1d.7 pcibind --sysfs-root=@ROOT@ show 00:1
want 1d.0,1d.7 pcibind show --sysfs-root @ROOT@ 00:1
want 1d.0,1d.7 pcibind list --sysfs-root=@ROOT@ 00:1
absent 1d.0 pcibind --sysfs-root /nonexistent show 00:1
# release: only what is on a stub (02:00.0 pciback, 04:00.0 vfio-pci)
want 02:00.0,04:00.0 pcibind --sysfs-root @ROOT@ release 0000:0
absent 00:1d.0,1d.0,00:1f.6 pcibind --sysfs-root @ROOT@ release 0000:00:1
want dom0:02_00.0,dom0:04_00.0 pcibind --sysfs-root @ROOT@ reattach dom
# class names
want ${classes} pcibind list --sysfs-root @ROOT@ 
want usb pcibind list us
# option values
want vfio-pci,pciback,pci-stub pcibind seize --driver 
want native,none pcibind release --to 
want permissive,no-strict-reset pcibind seize -o 
# every long option of every command (seize and release share a table: --to
# is release's, --driver seize's), and the global ones after the command
want $(opts_of src/cli/cmd-list.c) pcibind list --
want $(opts_of src/cli/cmd-show.c) pcibind show --
want $(opts_of src/cli/cmd-seize.c | sed 's/,--to//') pcibind seize --
want $(opts_of src/cli/cmd-seize.c | sed 's/--driver,//') pcibind release --
want $(opts_of src/cli/cmd-explain.c) pcibind explain --
want $(opts_of src/cli/cmd-boot.c) pcibind boot --
want --json,--help pcibind status --
want --json,--help pcibind doctor --
want --json,--help pcibind policy --
want --dry-run,--help pcibind udev --
want ${global} pcibind --
want ${global} pcibind show --
EOT
python3 tests/cli/complete-pty.py "$cases"
