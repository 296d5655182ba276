#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# pre-udev hook (sourced by dracut): record what is bound before udev runs.
# Writes to /run/vmtest/: pre-udev.devices ("BDF VENDOR:DEVICE DRIVER"
# lines), pre-udev.modules (loaded modules), pre-udev.udevd (how many udevd
# processes run: should be 0) and pre-udev.uptime; says so on the console
# (lines written to /dev/kmsg are hidden at the default loglevel).
if getargbool 0 rd.vmtest; then
	mkdir -p /run/vmtest
	for _d in /sys/bus/pci/devices/*; do
		_drv=none
		[ -e "$_d/driver" ] && _drv=$(basename "$(readlink "$_d/driver")")
		echo "$(basename "$_d") $(cut -c3- "$_d/vendor"):$(cut -c3- "$_d/device") $_drv"
	done >/run/vmtest/pre-udev.devices
	cut -d' ' -f1 /proc/modules >/run/vmtest/pre-udev.modules
	cut -d' ' -f1 /proc/uptime >/run/vmtest/pre-udev.uptime
	cat /proc/[0-9]*/comm 2>/dev/null | grep -c udevd >/run/vmtest/pre-udev.udevd
	echo "vmtest: pre-udev hook ran, $(wc -l </run/vmtest/pre-udev.devices) PCI functions recorded" >/dev/console
fi
