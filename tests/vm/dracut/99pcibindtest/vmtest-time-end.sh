#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# cmdline hook 03 and pre-udev hook 06 (sourced by dracut): the end marker
# of the hooks vmtest-time-cmdline.sh (01) or vmtest-time-pre-udev.sh (04)
# started timing: "vmtest-time: end HOOK" in the kernel log, first thing.
if [ -n "${_vmtest_time_hook:-}" ]; then
	echo "vmtest-time: end $_vmtest_time_hook" >/dev/kmsg
	unset _vmtest_time_hook
fi
