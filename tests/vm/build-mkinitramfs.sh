#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build (or reuse) the initramfs-tools test image and print its path.
#
# The image is made by the real mkinitramfs (initramfs-tools) with a private
# configuration directory (-d build/vm/mkinitramfs-conf: MODULES=list plus
# the guest's NIC and USB drivers, gzip -1) and TMPDIR under build/vm: the host's
# /etc/initramfs-tools and /boot are never read or written. pcibind comes
# from the .deb (tests/pkg/deb-root.sh: dpkg -x into build/pkg/root): its
# hook and init-top script are the package's files, copied into the private
# configuration's hooks/ and scripts/ (mkinitramfs runs the hooks of
# /usr/share/initramfs-tools and of the configuration directory), and the
# hook takes the binary and the policy from that root
# (PCIBIND_INITRAMFS_ROOT). The test scripts (tests/vm/initramfs/) add the
# NIC and USB drivers (a hook), record the drivers before udev (init-top)
# and run the /vmtest overlay's scenarios (init-premount). Cached on the kernel, initramfs-tools and our inputs.
set -eu

. "$(dirname "$0")/lib/host.sh"

KVER=$(vm_kver)
command -v mkinitramfs >/dev/null || die "mkinitramfs not found: install initramfs-tools-core"
PKG_ROOT=$("$TOP_DIR/tests/pkg/deb-root.sh") || die "the .deb did not build (tests/pkg/build-deb.sh)"
hook=$PKG_ROOT/usr/share/initramfs-tools/hooks/pcibind
script=$PKG_ROOT/usr/share/initramfs-tools/scripts/init-top/pcibind
if [ ! -x "$hook" ] || [ ! -x "$script" ]; then
	die "the .deb has no initramfs-tools hook or script"
fi

key=$(vm_hash "$KVER" "/lib/modules/$KVER/modules.dep" "/boot/vmlinuz-$KVER" \
	"$(find /usr/share/initramfs-tools /usr/sbin/mkinitramfs -printf '%P %s %T@\n' | LC_ALL=C sort)" \
	"$(cd "$PKG_ROOT" && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs sha256sum)" \
	"$(cd "$VM_DIR/initramfs" && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs sha256sum)")
img=$VM_BUILD/mkinitramfs-$KVER-$key.img
vm_image_reuse mkinitramfs "$img"

conf=$VM_BUILD/mkinitramfs-conf
tmp=$VM_BUILD/mkinitramfs-tmp
logf=$VM_BUILD/mkinitramfs-build.log
rm -rf "$conf" "$tmp"
mkdir -p "$tmp" "$conf/conf.d" "$conf/hooks" "$conf/scripts/init-top" "$conf/scripts/init-premount"
cat >"$conf/initramfs.conf" <<'CONF'
MODULES=list
BUSYBOX=y
KEYMAP=n
COMPRESS=gzip
COMPRESSLEVEL=1
DEVICE=
NFSROOT=auto
RUNSIZE=10%
FSTYPE=auto
CONF
: >"$conf/modules"
cp "$hook" "$conf/hooks/pcibind"
cp "$script" "$conf/scripts/init-top/pcibind"
cp "$VM_DIR/initramfs/vmtest-hook" "$conf/hooks/"
cp "$VM_DIR/initramfs/pcibind_vmrecord" "$conf/scripts/init-top/"
cp "$VM_DIR/initramfs/vmtest" "$conf/scripts/init-premount/"
chmod 0755 "$conf/hooks/"* "$conf/scripts/"*/*

log "building the initramfs-tools image (log: $logf)"
t0=$(vm_now)
if ! TMPDIR=$tmp PCIBIND_INITRAMFS_ROOT=$PKG_ROOT mkinitramfs -v -d "$conf" -o "$img.tmp" "$KVER" \
	>"$logf" 2>&1; then
	tail -n 30 "$logf" >&2
	die "mkinitramfs failed (see $logf)"
fi
vm_image_done "$img" "$tmp" "$t0" "initramfs-tools image" "$VM_BUILD"/mkinitramfs-*.img
