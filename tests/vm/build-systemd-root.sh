#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build (or reuse) the root of the systemd guest and print its path.
#
#   build-systemd-root.sh [--scenario FILE]...
#
# The guest boots the Debian kernel with this archive as its only file system
# and the host's systemd as PID 1 (/init -> /usr/lib/systemd/systemd). There
# is no /etc/initrd-release, so systemd runs a real-root boot: sysinit.target
# with journald, systemd-modules-load, udevd and udev's coldplug
# (systemd-udev-trigger), then multi-user.target. Assembled from the host's
# files with the host's layout (merged /usr): systemd, udevadm, systemctl,
# journalctl, kmod, busybox-static for the shell tools, udev's rules, the
# unit files of that boot path (with their .wants links) and the kernel
# modules the guest's devices need. pcibind comes from the .deb
# (tests/pkg/deb-root.sh: dpkg -x into build/pkg/root): its binary, udev
# rule, policy and pcibind-boot.service, as the package installs them, not
# enabled. A scenario line "# vm-systemd-enable: UNIT..." enables units with
# the real "systemctl --root=... enable", which follows their [Install]
# section. The test files (systemd/) add a policy with a "boot = yes" rule for
# the e1000e, a modules-load.d file that loads e1000e at boot, the runner
# (vmtest.service, after udev settled; it powers off) and an ordering probe
# (vmtest-netpre.service, After=network-pre.target) and
# /usr/lib/vmtest/preinit (rdinit= of a boot that needs a driver bound
# before systemd starts, vmtest.preload=MOD). The scenarios come in
# the /vmtest overlay appended by run-guest.sh. Cached on the kernel, the
# host's systemd/udev/kmod/busybox, the package's files and ours.
set -eu

. "$(dirname "$0")/lib/host.sh"

scenarios=()
while [ $# -gt 0 ]; do
	case $1 in
	--scenario) scenarios+=("$2"); shift 2 ;;
	--extra) shift 2 ;;
	*) die "build-systemd-root.sh: unknown argument '$1'" ;;
	esac
done

KVER=$(vm_kver)
SYSTEMD=/usr/lib/systemd/systemd
[ -x "$SYSTEMD" ] || die "$SYSTEMD not found: install systemd"
command -v udevadm >/dev/null || die "udevadm not found: install udev"
PKG_ROOT=$("$TOP_DIR/tests/pkg/deb-root.sh") || die "the .deb did not build (tests/pkg/build-deb.sh)"
[ -f "$PKG_ROOT/usr/lib/systemd/system/pcibind-boot.service" ] ||
	die "the .deb has no /usr/lib/systemd/system/pcibind-boot.service"

enable=()
for s in ${scenarios[@]+"${scenarios[@]}"}; do
	# shellcheck disable=SC2207 # a word list
	enable+=($(sed -n 's/^# vm-systemd-enable://p' "$s"))
done
# One order for the cache key.
enable_list=$(printf '%s\n' ${enable[@]+"${enable[@]}"} | LC_ALL=C sort -u | tr '\n' ' ')

# Kernel modules: the devices' native drivers (udev's coldplug loads them),
# the stubs, the q35 chipset's; modprobe --show-depends adds dependencies.
MODULES="e1000e e1000 xhci_pci ehci_pci uhci_hcd vfio-pci vfio_iommu_type1 pci-stub
	ahci lpc_ich i2c_i801 usbhid"

# Units of the real root's boot path up to multi-user.target, and shutdown.
UNITS="default.target multi-user.target basic.target sysinit.target
	local-fs.target local-fs-pre.target swap.target sockets.target timers.target
	paths.target slices.target network-pre.target network.target
	shutdown.target umount.target final.target poweroff.target systemd-poweroff.service
	emergency.target rescue.target
	systemd-journald.service systemd-journald.socket systemd-journald-dev-log.socket
	systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket
	systemd-udev-trigger.service systemd-udev-settle.service
	systemd-modules-load.service"

key=$(vm_hash "$KVER" "/lib/modules/$KVER/modules.dep" "$0" "$VM_DIR/lib/host.sh" "$MODULES" "$UNITS" "$enable_list" \
	"$(dpkg-query -W systemd udev kmod busybox-static libc6 2>/dev/null)" \
	"$(cd "$PKG_ROOT" && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs sha256sum)" \
	"$(cd "$VM_DIR/systemd" && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs sha256sum)")
img=$VM_BUILD/systemd-root-$KVER-$key.img
mkdir -p "$VM_BUILD"
exec 9>"$VM_BUILD/systemd-root.lock"
flock 9
if [ -f "$img" ]; then
	printf '%s\n' "$img"
	exit 0
fi

t0=$(vm_now)
stage=$VM_BUILD/systemd-root.d
rm -rf "$stage"
mkdir -p "$stage"/usr/{bin,sbin,lib,lib64} "$stage"/{etc,proc,sys,dev,run,tmp,root,var/log,var/tmp}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$stage/$d"; done
ln -s ../run "$stage/var/run"

# An executable and the shared libraries ldd names, at their host paths (the
# stage has the host's merged-/usr links, so /lib/... lands in /usr/lib/...).
copy_bin()
{
	local src=$1 dst=${2:-$1} lib
	mkdir -p "$stage/$(dirname "$dst")"
	[ "$src" -ef "$stage$dst" ] || cp -L "$src" "$stage$dst"
	for lib in $(ldd "$src" 2>/dev/null | grep -oE '/[^ ]+' || true); do
		[ -e "$stage$lib" ] && continue
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
}

# systemd, journald, udevd, the shutdown helper, their tools.
for f in "$SYSTEMD" /usr/lib/systemd/systemd-journald /usr/lib/systemd/systemd-shutdown \
	/usr/lib/systemd/systemd-modules-load; do
	copy_bin "$f"
done
for t in udevadm systemctl journalctl; do
	copy_bin "$(readlink -f "$(command -v "$t")")" "/usr/bin/$t"
done
ln -s ../../bin/udevadm "$stage/usr/lib/systemd/systemd-udevd"
ln -s ../lib/systemd/systemd "$stage/usr/sbin/init"
ln -s usr/lib/systemd/systemd "$stage/init"
# udev's rules and helpers (without the 10 MB hwdb).
(cd /usr/lib/udev && find . -path ./hwdb.d -prune -o -name hwdb.bin -prune -o -print |
	cpio -pdm --quiet "$stage/usr/lib/udev")

# kmod (udevd and pcibind use libkmod, the scenarios the tools).
copy_bin "$(readlink -f "$(command -v kmod || echo /bin/kmod)")" /usr/bin/kmod
for t in modprobe insmod rmmod lsmod modinfo depmod; do
	ln -sf ../bin/kmod "$stage/usr/sbin/$t"
done

# busybox-static for /bin/sh and the shell tools, without the applets
# systemd or kmod provide (init, poweroff, ...) and never over a real tool.
bb=$(command -v busybox)
ldd "$bb" >/dev/null 2>&1 && die "$bb is dynamic: install busybox-static"
cp "$bb" "$stage/usr/bin/busybox"
for a in $("$bb" --list); do
	case $a in
	busybox|init|linuxrc|halt|poweroff|reboot|modprobe|insmod|rmmod|lsmod|modinfo|depmod|lspci) continue ;;
	esac
	[ -e "$stage/usr/bin/$a" ] || [ -e "$stage/usr/sbin/$a" ] || ln -s busybox "$stage/usr/bin/$a"
done

# Kernel modules with a depmod index of their own (/lib is /usr/lib here).
vm_copy_modules "$stage/usr" "$KVER" "$MODULES"

# Unit files and the static .wants links among them.
sysdir=/usr/lib/systemd/system
mkdir -p "$stage$sysdir"
for u in $UNITS; do
	[ -e "$sysdir/$u" ] || die "$sysdir/$u not found"
	cp -P "$sysdir/$u" "$stage$sysdir/"
done
[ -L "$stage$sysdir/default.target" ] && ln -sf multi-user.target "$stage$sysdir/default.target"
# shellcheck disable=SC2086 # a word list, on one line
units_line=" $(printf '%s ' $UNITS)"
for w in "$sysdir"/*.wants; do
	for l in "$w"/*; do
		case $units_line in *" $(basename "$l") "*) ;; *) continue ;; esac
		mkdir -p "$stage$w"
		cp -P "$l" "$stage$w/"
	done
done

# /etc: a fixed machine-id (an empty one would be a first boot, and systemd
# would apply presets to every unit, enabling pcibind-boot.service), users.
echo 5a6b8f0e2c1d4e7f9a3b6c8d0e2f4a6b >"$stage/etc/machine-id"
cp /usr/lib/os-release "$stage/etc/os-release"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"
printf 'root:x:0:\n' >"$stage/etc/group"

# pcibind as the .deb installs it (binary, udev rule, unit, policy).
(cd "$PKG_ROOT" && tar --exclude=./usr/share/doc --exclude=./usr/share/man -cf - .) |
	tar -C "$stage" --keep-directory-symlink -xf -
copy_bin "$stage/usr/sbin/pcibind" /usr/sbin/pcibind

# The test's units, policy, modules-load file, and the rdinit= of a boot
# that wants a driver bound before systemd (vmtest.preload=).
cp "$VM_DIR/systemd/vmtest.service" "$VM_DIR/systemd/vmtest-netpre.service" "$stage$sysdir/"
mkdir -p "$stage/usr/lib/vmtest"
cp "$VM_DIR/systemd/vmtest-preinit" "$stage/usr/lib/vmtest/preinit"
chmod 0755 "$stage/usr/lib/vmtest/preinit"
mkdir -p "$stage/etc/pcibind/policy.d" "$stage/etc/modules-load.d"
cp "$VM_DIR/systemd/60-vmtest-boot.conf" "$stage/etc/pcibind/policy.d/"
cp "$VM_DIR/systemd/vmtest-modules.conf" "$stage/etc/modules-load.d/"
# The real systemctl, offline: it follows the units' [Install] sections.
systemctl --root="$stage" --quiet enable vmtest.service vmtest-netpre.service
for u in ${enable[@]+"${enable[@]}"}; do
	systemctl --root="$stage" --quiet enable "$u"
done

(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 >"$img.tmp"
mv "$img.tmp" "$img"
rm -rf "$stage"
log "systemd root built in $(vm_elapsed "$t0") s: $img ($(du -h "$img" | cut -f1); enabled: ${enable_list:-none})"
# Keep the images of the last day (one per set of enabled units).
find "$VM_BUILD" -maxdepth 1 -name 'systemd-root-*.img' -mmin +1440 -delete
printf '%s\n' "$img"
