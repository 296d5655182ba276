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
mkdir -p "$VM_BUILD"
exec 9>"$VM_BUILD/dracut.lock"
flock 9
if [ -f "$img" ]; then
	printf '%s\n' "$img"
	exit 0
fi

base=$VM_BUILD/dracut-base
tmp=$VM_BUILD/dracut-tmp
logf=$VM_BUILD/dracut-build.log
rm -rf "$base" "$tmp"
mkdir -p "$tmp" "$tmp/conf.d"
cp -a /usr/lib/dracut "$base"
cp -a "$VM_DIR/dracut/99pcibindtest" "$base/modules.d/"
cp -a "$PB_MODULE" "$base/modules.d/"
sed 's|@SBINDIR@|/usr/sbin|g' "$UDEV_RULE" >"$base/modules.d/99pcibindtest/70-pcibind.rules"
chmod 0755 "$base/modules.d/99pcibindtest/"*.sh "$base/modules.d/90pcibind/"*.sh

log "building the dracut image (about a minute; log: $logf)"
t0=$(vm_now)
# --no-hostonly: a generic image with all drivers (udev loads e1000e at
# coldplug, after our pre-udev hook). gzip -1 decompresses fast enough and
# builds fastest.
if ! dracutbasedir=$base PCIBIND_DRACUT_BINARY=$PB_BINARY dracut --force --quiet \
	--conf /dev/null --confdir "$tmp/conf.d" --tmpdir "$tmp" \
	--no-hostonly --no-hostonly-cmdline --no-early-microcode \
	--add "pcibindtest pcibind" --compress "gzip -1" \
	--kver "$KVER" --kmoddir "/lib/modules/$KVER" \
	"$img.tmp" >"$logf" 2>&1; then
	tail -n 30 "$logf" >&2
	die "dracut failed (see $logf)"
fi
mv "$img.tmp" "$img"
rm -rf "$tmp"
log "dracut image built in $(vm_elapsed "$t0") s: $img ($(du -h "$img" | cut -f1))"
# Keep only the current image.
for old in "$VM_BUILD"/dracut-*.img; do
	[ "$old" = "$img" ] || rm -f "$old"
done
printf '%s\n' "$img"
