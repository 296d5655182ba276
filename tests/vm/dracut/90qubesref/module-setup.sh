#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# dracut module "qubes-pciback" of the test harness: a MODEL of Qubes OS's
# dracut module 90qubes-pciback, for the side-by-side boot test
# (tests/vm/qubes-side-by-side.sh). Written for pcibind from the documented
# behaviour of Qubes' module (shared/research/anchors.md 2.1 and
# pcibind-dracut(7)); it is not Qubes' code and holds none of it.
# build-dracut-qubes.sh installs it as modules.d/90qubes-pciback, so that it
# has the module name that pcibind-qubes' dracut.conf.d omits.
#
# Modelled: check() says yes in every image, like Qubes' module; the hook
# runs at the cmdline stage, priority 02; lspci, grep and awk are in the
# image; the pciback module is. Not modelled: usbguard (Qubes installs it
# and starts it when USB stays in dom0; it never changes a PCI binding).

check() {
	return 0
}

depends() {
	return 0
}

installkernel() {
	hostonly='' instmods xen-pciback
}

# shellcheck disable=SC2154 # $moddir is set by dracut
install() {
	inst_hook cmdline 02 "$moddir/qubesref-pciback.sh"
	inst_multiple lspci grep awk
}
