#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# initqueue/settled hook (sourced by dracut): udev has settled, so coldplug
# is done. Run the scenarios once and power off; never returns when it ran.
if getargbool 0 rd.vmtest && [ ! -e /run/vmtest/settled ]; then
	mkdir -p /run/vmtest
	cut -d' ' -f1 /proc/uptime >/run/vmtest/settled
	echo "vmtest: initqueue settled" >/dev/console
	if [ -f /vmtest/run-scenarios.sh ]; then
		VMTEST_KIND=dracut sh /vmtest/run-scenarios.sh
	else
		echo "vmtest: no /vmtest overlay, nothing to run" >/dev/console
	fi
	sync
	poweroff -f
fi
