#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# pre-udev hook (sourced by dracut): seize what rd.pcibind.* / rd.qubes.* on
# the kernel command line ask for, before udev loads native drivers.
# pcibind logs every decision to the kernel log ("pcibind: ..." in dmesg)
# and never fails the boot; this hook never stops it either.
# shellcheck source=/dev/null # dracut-lib.sh is in the image, not here
type getcmdline >/dev/null 2>&1 || . /lib/dracut-lib.sh

# dracut's view of the command line: /etc/cmdline.d/*.conf, /etc/cmdline
# and /proc/cmdline, in the order getarg reads them (the last word wins).
_pcibind_cmdline=$(getcmdline 2>/dev/null) || _pcibind_cmdline=$(cat /proc/cmdline)
case " $_pcibind_cmdline" in
*" rd.pcibind"* | *" rd.qubes."* | *'"rd.pcibind'* | *'"rd.qubes.'*)
	printf '%s\n' "$_pcibind_cmdline" | /usr/sbin/pcibind boot --cmdline - ||
		warn "pcibind boot exited with status $?; the boot goes on"
	;;
esac
unset _pcibind_cmdline
