#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# dracut module "pcibind": seize PCI devices for passthrough (Xen pciback,
# vfio-pci, pci-stub) before udev loads their native drivers, as the kernel
# command line asks (rd.pcibind.seize=, rd.pcibind.keep=, rd.pcibind.driver=,
# rd.pcibind=0, and Qubes' rd.qubes.hide_all_usb, rd.qubes.hide_pci=,
# rd.qubes.dom0_usb=). See pcibind-dracut(7).
#
# The configuration lives on the kernel command line, not in the image, so
# the module goes into every image (generic or host-only) and does nothing
# until an option asks: changing what is seized needs no new initramfs.
# Leave it out with omit_dracutmodules+=" pcibind ".
#
# PCIBIND_DRACUT_BINARY (environment) names the binary to install instead of
# the pcibind on $PATH (the test harness installs its fresh build).

# shellcheck disable=SC2034,SC2154 # dracut sets and reads these
_pcibind_bin() {
	if [ -n "${PCIBIND_DRACUT_BINARY:-}" ]; then
		printf '%s\n' "$PCIBIND_DRACUT_BINARY"
	else
		find_binary pcibind
	fi
}

# 0: in every image; 1 without a pcibind binary to install.
check() {
	local bin
	bin=$(_pcibind_bin) || return 1
	[ -n "$bin" ] && [ -x "$bin" ] || return 1
	return 0
}

depends() {
	return 0
}

# The stubs, in every image: which one a boot needs is decided on the
# command line (pciback on Xen, else vfio-pci), not by the build host.
installkernel() {
	hostonly='' instmods xen-pciback vfio-pci pci-stub
}

install() {
	local bin dir f
	bin=$(_pcibind_bin)
	inst_binary "$bin" /usr/sbin/pcibind
	# pcibind opens libkmod with dlopen() when a release needs it: not in ldd's list.
	inst_libdir_file 'libkmod.so.2*'
	# libpci's names (pcibind reports devices by name when it can).
	inst_multiple -o /usr/share/misc/pci.ids /usr/share/hwdata/pci.ids \
		/usr/share/misc/pci.ids.gz /usr/share/hwdata/pci.ids.gz
	# The policy of this machine, in host-only images only: a generic image
	# must not carry one machine's rules to another.
	if [[ $hostonly ]]; then
		for dir in /usr/lib/pcibind/policy.d /etc/pcibind/policy.d; do
			[ -d "$dir" ] || continue
			inst_dir "$dir"
			for f in "$dir"/*.conf; do
				[ -f "$f" ] && inst_simple "$f"
			done
		done
	fi
	# Coldplug loads no native module for a function pinned to a stub.
	inst_simple "$moddir/79-pcibind.rules" "${udevrulesdir:-/lib/udev/rules.d}/79-pcibind.rules"
	# pre-udev: after the command line is parsed, before udevd starts and
	# before coldplug loads any native driver.
	inst_hook pre-udev 05 "$moddir/pcibind-boot.sh"
}
