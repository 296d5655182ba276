#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# pre-udev hook 04 (sourced by dracut): the start marker of the hook at
# pre-udev 05, 90pcibind's "pcibind boot" (qubes-side-by-side.sh). Writes
# "vmtest-time: start HOOK" to the kernel log when there is one;
# vmtest-time-end.sh at pre-udev 06 writes the end. As vmtest-time-cmdline.sh.
if getargbool 0 rd.vmtest; then
	for _vmtest_time_f in /lib/dracut/hooks/pre-udev/05-*.sh; do
		[ -e "$_vmtest_time_f" ] && _vmtest_time_hook="${_vmtest_time_hook:+$_vmtest_time_hook,}${_vmtest_time_f##*/}"
	done
	unset _vmtest_time_f
	[ -z "${_vmtest_time_hook:-}" ] || echo "vmtest-time: start $_vmtest_time_hook" >/dev/kmsg
fi
