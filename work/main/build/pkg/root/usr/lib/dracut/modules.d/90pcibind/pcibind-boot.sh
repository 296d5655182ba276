#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# pre-udev hook (sourced by dracut): seize what rd.pcibind.* / rd.qubes.* on
# the kernel command line and the policy in the image (boot = yes) ask for,
# before udev loads native drivers.
# pcibind logs every decision to the kernel log ("pcibind: ..." in dmesg)
# and never fails the boot; this hook never stops it either.
# shellcheck source=/dev/null # dracut-lib.sh is in the image, not here
type getcmdline >/dev/null 2>&1 || . /lib/dracut-lib.sh

# dracut's view of the command line: /etc/cmdline.d/*.conf, /etc/cmdline
# and /proc/cmdline, in the order getarg reads them (the last word wins).
_pcibind_cmdline=$(getcmdline 2>/dev/null) || _pcibind_cmdline=$(cat /proc/cmdline)
_pcibind_run=
case " $_pcibind_cmdline" in
*" rd.pcibind"* | *" rd.qubes."* | *'"rd.pcibind'* | *'"rd.qubes.'*)
	_pcibind_run=1
	;;
esac
# A policy in the image (host-only images, or pcibind-qubes' dracut.conf.d)
# may give functions "boot = yes" without any option on the command line.
for _pcibind_f in /usr/lib/pcibind/policy.d/*.conf /etc/pcibind/policy.d/*.conf; do
	[ -f "$_pcibind_f" ] && _pcibind_run=1
done
if [ -n "$_pcibind_run" ]; then
	printf '%s\n' "$_pcibind_cmdline" | /usr/sbin/pcibind boot --cmdline - ||
		warn "pcibind boot exited with status $?; the boot goes on"
fi
unset _pcibind_cmdline _pcibind_run _pcibind_f
