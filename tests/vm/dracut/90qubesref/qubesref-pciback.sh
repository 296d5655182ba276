#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# cmdline hook 02 (sourced by dracut) of the test module "qubes-pciback": a
# MODEL of what Qubes OS's 90qubes-pciback hook does, written for pcibind's
# side-by-side test from the description of its behaviour (see
# module-setup.sh); not Qubes' code. It hands PCI functions to Xen's
# pciback before udev can load their native drivers:
#   * always every network controller (class 02xx), and every USB
#     controller (0c03xx) too with rd.qubes.hide_all_usb (dracut boolean);
#     usbcore.authorized_default=0 changes no PCI binding (Qubes starts
#     usbguard then, which this model leaves out);
#   * selected with "lspci -mm -n" and awk on the class field, as Qubes does;
#   * rd.qubes.hide_pci=LIST adds functions, rd.qubes.dom0_usb=LIST exempts
#     functions; only the last occurrence of each option counts (getarg);
#     LIST items are separated by commas and are a BDF (00:1d.0), a full
#     address (0000:00:1d.0) or a PCI path ([SSSS_]BB_DD.F[-BB_DD.F...]: the
#     first hop on the root bus, each later bus counted from the previous
#     bridge's secondary_bus_number);
#   * a hide_pci with characters outside [0-9a-f_.:,-] is warned about and
#     still used; then the whole list fails the check and the boot dies; a
#     bad dom0_usb is warned about and ignored;
#   * per function, in list order: unbind from its driver if bound, write
#     pciback's new_slot, write pciback's bind; the first failing write stops
#     the loop, and the boot dies on Xen (only a warning on bare metal).
# The model also writes what it handed over to /run/qubesref/hidden (one
# address a line) and one "qubesref:" line to the kernel log, for the test.
type getarg >/dev/null 2>&1 || . /lib/dracut-lib.sh

# qref_resolve ITEM: print the full address ITEM names, nothing if it names none.
qref_resolve() {
	local item=$1 seg=0000 hops hop bridge bus sec i
	case $item in
	[0-9a-f][0-9a-f][0-9a-f][0-9a-f]_*_*.*)
		seg=${item%%_*}
		item=${item#*_}
		;;
	*_*.*) ;;
	*:*:*.*) printf '%s\n' "$item"; return 0 ;;
	*:*.*) printf '0000:%s\n' "$item"; return 0 ;;
	*) echo "qubesref: not a PCI device: $item" >&2; return 1 ;;
	esac
	IFS=- read -r -a hops <<<"$item"
	# hops[0] is on the root bus; every later hop's bus is relative.
	bridge=${hops[0]//_/:}
	for ((i = 1; i < ${#hops[@]}; i++)); do
		hop=${hops[$i]}
		sec=$(cat "/sys/bus/pci/devices/$seg:$bridge/secondary_bus_number") || return 1
		bus=$(printf '%02x' $((0x${hop%%_*} + sec)))
		bridge=$bus:${hop#*_}
	done
	printf '%s:%s\n' "$seg" "$bridge"
}

qref_classes='02'
if getargbool 0 rd.qubes.hide_all_usb; then
	qref_classes='02|0c03'
elif ! getargbool 1 usbcore.authorized_default; then
	info 'qubesref: usbcore.authorized_default=0: USB stays in dom0 (usbguard is not modelled)'
else
	warn 'qubesref: USB in dom0 is not restricted (rd.qubes.hide_all_usb or usbcore.authorized_default=0)'
fi

qref_list=$(set -o pipefail
	lspci -mm -n | awk -v re="^\"($qref_classes)" '$2 ~ re { print $1 }') ||
	die 'qubesref: lspci failed: cannot list the PCI devices to hide'

qref_extra=$(getarg rd.qubes.hide_pci)
case $qref_extra in
*[!0-9a-f_.:,-]*) warn 'qubesref: rd.qubes.hide_pci has characters that are not valid' ;;
esac
qref_list="$qref_list ${qref_extra//,/ }"
if printf '%s' "$qref_list" | tr -d '0-9a-f_.:\n -' | grep -q .; then
	die 'qubesref: the list of PCI devices to hide is not valid'
fi

modprobe xen-pciback 2>/dev/null || :

qref_keep=$(getarg rd.qubes.dom0_usb)
case $qref_keep in
*[!0-9a-f_.:,-]*)
	warn 'qubesref: rd.qubes.dom0_usb is not valid; ignored'
	qref_keep=
	;;
esac
qref_keep=${qref_keep//,/ }

mkdir -p /run/qubesref
: >/run/qubesref/hidden
# One subshell with errexit: the first failing write ends the loop.
(
	set -e
	for qref_item in $qref_list; do
		qref_bdf=$(qref_resolve "$qref_item") || qref_bdf=
		[ -n "$qref_bdf" ] || die "qubesref: cannot find the device '$qref_item'"
		qref_kept=0
		for qref_k in $qref_keep; do
			[ "$(qref_resolve "$qref_k")" = "$qref_bdf" ] && qref_kept=1
		done
		[ "$qref_kept" = 0 ] || continue
		qref_dev=/sys/bus/pci/devices/$qref_bdf
		if [ -e "$qref_dev/driver" ]; then
			echo -n "$qref_bdf" >"$qref_dev/driver/unbind"
		fi
		echo -n "$qref_bdf" >/sys/bus/pci/drivers/pciback/new_slot
		echo -n "$qref_bdf" >/sys/bus/pci/drivers/pciback/bind
		echo "$qref_bdf" >>/run/qubesref/hidden
	done
) || {
	if [ "$(cat /sys/hypervisor/type 2>/dev/null)" = xen ]; then
		die 'qubesref: a PCI device could not be handed to pciback'
	fi
	warn 'qubesref: a PCI device could not be handed to pciback (not Xen: the boot goes on)'
}
echo "qubesref: handed to pciback: $(tr '\n' ' ' </run/qubesref/hidden)" >/dev/kmsg
unset qref_classes qref_list qref_extra qref_keep qref_item qref_bdf qref_kept qref_k qref_dev
