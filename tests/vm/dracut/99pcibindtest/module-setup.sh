#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# dracut module "pcibindtest": instrumentation for the tests/vm dracut guest.
# Only included on request (--add pcibindtest), never by host-only detection.
#   pre-udev hook        records every PCI function's driver before udev runs
#   initqueue/settled    runs the scenarios (/vmtest, from an overlay archive
#                        appended to the image) and powers off
#   initqueue/finished   holds the initqueue until the settled hook ran (with
#                        no real root= the queue would otherwise end first)
#   cmdline 01/03,       kernel-log markers "vmtest-time: start|end HOOK"
#   pre-udev 04/06       around the hook at cmdline 02 (Qubes' module or its
#                        model) and at pre-udev 05 (90pcibind), for the boot
#                        times of qubes-side-by-side.sh
#   70-pcibind.rules     udev/70-pcibind.rules, installed as "make install"
#                        does (build-dracut.sh puts it here with @SBINDIR@
#                        replaced by /usr/sbin, where 90pcibind puts pcibind)
# The hooks are inert unless the kernel command line has rd.vmtest=1; the
# rule runs 'pcibind udev', which does nothing without a policy (none here).

check() {
	return 255
}

depends() {
	return 0
}

# The NIC drivers and the stubs (a generic image has storage and USB host
# drivers, but NIC drivers only with the network modules).
installkernel() {
	hostonly='' instmods e1000e e1000 xhci_pci ehci_pci uhci_hcd pci-stub vfio-pci
}

# shellcheck disable=SC2154 # $moddir is set by dracut
install() {
	inst_hook pre-udev 10 "$moddir/vmtest-pre-udev.sh"
	inst_hook cmdline 01 "$moddir/vmtest-time-cmdline.sh"
	inst_hook cmdline 03 "$moddir/vmtest-time-end.sh"
	inst_hook pre-udev 04 "$moddir/vmtest-time-pre-udev.sh"
	inst_hook pre-udev 06 "$moddir/vmtest-time-end.sh"
	inst_hook initqueue/settled 99 "$moddir/vmtest-settled.sh"
	inst_hook initqueue/finished 99 "$moddir/vmtest-finished.sh"
	# pcibind's hot-plug rule, run by the image's systemd-udevd (scenario 95).
	if [ -f "$moddir/70-pcibind.rules" ]; then
		inst_simple "$moddir/70-pcibind.rules" "${udevrulesdir:-/lib/udev/rules.d}/70-pcibind.rules"
	fi
	# What the scenarios and tests/cli/oracle.sh use (jq, lspci, pcibind
	# come with the overlay).
	inst_multiple cat cut grep sed awk tr sort basename readlink sleep uname stty \
		wc head tail mkdir touch sync diff mktemp env base64 sha256sum
	# dmesg: the 9* scenarios read what pcibind boot wrote to the kernel log.
	inst_multiple -o dmesg
}
