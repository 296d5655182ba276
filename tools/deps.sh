#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Install the Debian packages named in the given lists (one per line, '#'
# comments) that are missing. As root it runs apt-get; otherwise it prints
# the apt-get line to run and fails.
set -eu

missing=""
for list in "$@"; do
	[ -f "$list" ] || continue
	for pkg in $(sed 's/#.*//' "$list"); do
		status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
		case "$status" in
		*" installed") ;;
		*) case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac ;;
		esac
	done
done
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "pcibind: missing Debian packages:$missing" >&2
	echo "pcibind: run as root: apt-get update && INITRD=No $cmd" >&2
	exit 1
fi
echo "pcibind: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# INITRD=No: linux-image-amd64 (for the QEMU guests) must not make a host initramfs.
export INITRD=No
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
