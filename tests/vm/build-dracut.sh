#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build (or reuse) the dracut test image and print its path.
#
# The image is made by the real "dracut --no-hostonly" from dracut-core, with
# dracutbasedir pointing at a private copy of /usr/lib/dracut under build/vm/
# that also holds our test module (tests/vm/dracut/99pcibindtest). Nothing is
# written outside build/vm. The host's /etc/dracut.conf* are not read.
# A build takes about a minute, so the image is cached under a key made of
# the kernel version and module index, the dracut installation and our
# module; the scenarios are not in it (run-guest.sh appends them).
set -eu

. "$(dirname "$0")/lib/host.sh"

KVER=$(vm_kver)
command -v dracut >/dev/null || die "dracut not found: install dracut-core"
[ -d /usr/lib/dracut/modules.d ] || die "/usr/lib/dracut/modules.d missing: install dracut-core"

# pcibind's own dracut module (90pcibind) is in the image too, with the
# pcibind binary as /usr/sbin/pcibind: it does nothing unless rd.pcibind.*
# or rd.qubes.* is on the command line (scenarios 9*). Both come from the
# .deb, unpacked with dpkg -x (tests/pkg/deb-root.sh rebuilds it when the
# tree changed): the boot tests run what the package installs.
[ -x "$PCIBIND" ] || die "$PCIBIND is not built: the overlay carries it (make first)"
PKG_ROOT=$("$TOP_DIR/tests/pkg/deb-root.sh") || die "the .deb did not build (tests/pkg/build-deb.sh)"
PB_MODULE=$PKG_ROOT/usr/lib/dracut/modules.d/90pcibind
PB_BINARY=$PKG_ROOT/usr/sbin/pcibind
# The package's udev/70-pcibind.rules goes in too (@SBINDIR@ already
# replaced by /usr/sbin, where the image has pcibind): the real
# systemd-udevd runs it on hot-plug (scenario 95). Without a policy saying
# hotplug = yes it does nothing.
UDEV_RULE=$PKG_ROOT/usr/lib/udev/rules.d/70-pcibind.rules
if [ ! -x "$PB_BINARY" ] || [ ! -f "$PB_MODULE/module-setup.sh" ] || [ ! -f "$UDEV_RULE" ]; then
	die "the .deb in $PKG_ROOT lacks pcibind, 90pcibind or 70-pcibind.rules"
fi

# What the image depends on: kernel + modules, dracut's own files (names,
# sizes, mtimes), our modules' contents, the pcibind binary.
key=$(vm_hash "$KVER" "/lib/modules/$KVER/modules.dep" "/boot/vmlinuz-$KVER" \
	"$(find /usr/lib/dracut -printf '%P %s %T@\n' | LC_ALL=C sort)" \
	"$(cd "$VM_DIR/dracut" && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs sha256sum)" \
	"$(cd "$PB_MODULE" && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs sha256sum)" \
	"$(sha256sum <"$UDEV_RULE")" \
	"$(sha256sum <"$PB_BINARY")")
img=$VM_BUILD/dracut-$KVER-$key.img
# One build at a time: concurrent runs share dracut-base and dracut-tmp.
vm_image_reuse dracut "$img"

base=$VM_BUILD/dracut-base
tmp=$VM_BUILD/dracut-tmp
logf=$VM_BUILD/dracut-build.log
vm_dracut_base "$base" "$tmp"
cp -a "$PB_MODULE" "$base/modules.d/"
sed 's|@SBINDIR@|/usr/sbin|g' "$UDEV_RULE" >"$base/modules.d/99pcibindtest/70-pcibind.rules"
chmod 0755 "$base/modules.d/99pcibindtest/"*.sh "$base/modules.d/90pcibind/"*.sh

log "building the dracut image (about a minute; log: $logf)"
t0=$(vm_now)
vm_dracut "$base" "$tmp" "$logf" "$img" "$PB_BINARY" "pcibindtest pcibind"
# Keep only the current image.
vm_image_done "$img" "$tmp" "$t0" "dracut image" "$VM_BUILD"/dracut-*.img
