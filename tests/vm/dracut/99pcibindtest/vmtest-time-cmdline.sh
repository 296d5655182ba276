#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# cmdline hook 01 (sourced by dracut): the start marker of the hook at
# cmdline 02, Qubes' 90qubes-pciback or its model (qubes-side-by-side.sh).
# Writes "vmtest-time: start HOOK" to the kernel log when there is one;
# vmtest-time-end.sh at cmdline 03 writes the end. The host takes the
# difference of the two lines' kernel timestamps. What the marker reads is
# read before its line is written: the interval holds the hook alone (and
# dracut's step from one hook file to the next).
if getargbool 0 rd.vmtest; then
	for _vmtest_time_f in /lib/dracut/hooks/cmdline/02-*.sh; do
		[ -e "$_vmtest_time_f" ] && _vmtest_time_hook="${_vmtest_time_hook:+$_vmtest_time_hook,}${_vmtest_time_f##*/}"
	done
	unset _vmtest_time_f
	[ -z "${_vmtest_time_hook:-}" ] || echo "vmtest-time: start $_vmtest_time_hook" >/dev/kmsg
fi
