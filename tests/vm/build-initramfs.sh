#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build the small test initramfs for the debian and xen guests.
#
#   build-initramfs.sh --kind KIND --out FILE.cpio.gz [--overlay]
#                      [--scenario FILE]... [--extra FILE]...
#
# Contents: busybox-static (one symlink per applet, minus busybox itself and
# the applets kmod/pciutils replace), kmod as /sbin/modprobe & co., lspci, jq,
# pcibind and fixture-tool (if built) with their shared libraries, pci.ids,
# the kernel modules the tests need (with dependencies and a depmod index),
# our /init runner, the guest test library and the chosen scenarios.
# The module tree is cached in build/vm/modules-KVER-HASH; the rest is cheap
# (about a second) and is rebuilt every time, so the image always carries the
# current pcibind.
#
# --overlay makes only an archive to append to another initramfs (the cached
# dracut image): /vmtest with the test files, the tools in /vmtest/bin and
# their libraries in /vmtest/lib (LD_LIBRARY_PATH), and pci.ids. It never
# holds a directory entry that could replace a symlink of the image below
# (the kernel's unpacker removes an entry of another type, e.g. /lib -> usr/lib).
set -eu

. "$(dirname "$0")/lib/host.sh"

kind=debian
out=
overlay=0
scenarios=()
extras=()
while [ $# -gt 0 ]; do
	case $1 in
	--kind) kind=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--overlay) overlay=1; shift ;;
	--scenario) scenarios+=("$2"); shift 2 ;;
	--extra) extras+=("$2"); shift 2 ;;
	*) die "build-initramfs.sh: unknown argument '$1'" ;;
	esac
done
[ -n "$out" ] || die "build-initramfs.sh: --out is required"

KVER=$(vm_kver)

# Kernel modules to include, by module name: the test devices' drivers, the
# q35 chipset's own (ahci, lpc_ich, i2c_i801: every function bound as on a
# real machine), the stubs, Xen dom0's. modprobe --show-depends adds
# their dependencies. Missing ones (built in on another kernel) are skipped.
MODULES="e1000e e1000 xhci_pci ehci_pci uhci_hcd vfio-pci vfio_iommu_type1 pci-stub
	ahci lpc_ich i2c_i801
	xen-pciback xen-evtchn xenfs xen-gntdev xen-gntalloc xen-privcmd
	virtio_pci virtio_net virtio_console usbhid
	bochs snd_hda_intel snd_hda_codec_generic nvme dm_mod"

# --- the cached module tree ---------------------------------------------------
build_modules()
{
modkey=$(vm_hash "$KVER" "$MODULES" "/lib/modules/$KVER/modules.dep")
moddir=$VM_BUILD/modules-$KVER-$modkey
if [ ! -f "$moddir/.done" ]; then
	log "building module tree $moddir"
	rm -rf "$moddir"
	vm_copy_modules "$moddir" "$KVER" "$MODULES"
	touch "$moddir/.done"
fi
}

# --- staging ------------------------------------------------------------------
stage=$out.d
rm -rf "$stage"
mkdir -p "$stage/vmtest/scenarios" "$stage/usr/share/misc"

# Copy an executable and every shared library ldd names (same paths; in an
# overlay, into /vmtest/lib, except the dynamic loader the image has).
copy_bin()
{
	local src=$1 dst=$2 lib to
	[ "$overlay" = 1 ] && dst=/vmtest/bin/$(basename "$dst")
	mkdir -p "$stage/$(dirname "$dst")"
	cp -L "$src" "$stage/$dst"
	for lib in $(ldd "$src" 2>/dev/null | grep -oE '/[^ ]+' || true); do
		to=$lib
		if [ "$overlay" = 1 ]; then
			case $lib in */ld-linux*) continue ;; esac
			to=/vmtest/lib/$(basename "$lib")
		fi
		[ -e "$stage$to" ] && continue
		mkdir -p "$stage$(dirname "$to")"
		cp -L "$lib" "$stage$to"
	done
}

if [ "$overlay" = 0 ]; then
build_modules
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,run,tmp,root,mnt}

# busybox-static. Gotcha: "busybox --list" includes "busybox", and a link
# /bin/busybox -> busybox is a loop that makes the kernel fail to run /init.
bb=$(command -v busybox)
ldd "$bb" >/dev/null 2>&1 && die "$bb is dynamic: install busybox-static"
cp "$bb" "$stage/bin/busybox"
for a in $("$bb" --list); do
	case $a in
	busybox|modprobe|insmod|rmmod|lsmod|modinfo|depmod|lspci) continue ;;
	esac
	[ -e "$stage/bin/$a" ] || ln -s busybox "$stage/bin/$a"
done

# kmod (the busybox applets are not linked; scripts must still call
# /sbin/modprobe or the wrapper functions in testlib.sh, because busybox sh
# prefers its own applets over $PATH).
copy_bin "$(readlink -f "$(command -v kmod || echo /bin/kmod)")" /bin/kmod
for t in modprobe insmod rmmod lsmod modinfo depmod; do
	ln -s ../bin/kmod "$stage/sbin/$t"
done

# Modules (the tree is ~6 MB) and the runner.
cp -a "$moddir/lib/modules" "$stage/lib/"
cp "$VM_DIR/guest/init" "$stage/init"
cp "$VM_DIR/guest/uevent-helper" "$stage/sbin/uevent-helper"
chmod 0755 "$stage/init" "$stage/sbin/uevent-helper"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"
fi

copy_bin "$(command -v lspci)" /usr/bin/lspci
copy_bin "$(command -v setpci)" /usr/bin/setpci
copy_bin "$(command -v jq)" /usr/bin/jq
# iproute2's ip as ip-full: busybox ip has no netns (testlib's dma_check).
copy_bin "$(readlink -f "$(command -v ip)")" /usr/bin/ip-full
# dmsetup: a device-mapper target on the NVMe namespace (issue 20's holders).
copy_bin "$(command -v dmsetup)" /usr/sbin/dmsetup
cp /usr/share/misc/pci.ids "$stage/usr/share/misc/pci.ids"
[ -x "$PCIBIND" ] && copy_bin "$PCIBIND" /usr/bin/pcibind
[ -x "$FIXTURE_TOOL" ] && copy_bin "$FIXTURE_TOOL" /usr/bin/fixture-tool
# vfio-hold: opens /dev/vfio/GROUP, reports VFIO_GROUP_FLAGS_VIABLE, holds it.
mkdir -p "$VM_BUILD"
${CC:-cc} -O2 -Wall -Wextra -Werror -o "$VM_BUILD/vfio-hold" "$VM_DIR/guest/vfio-hold.c"
copy_bin "$VM_BUILD/vfio-hold" /usr/bin/vfio-hold
# rebind-floor: make bench-vm's floor, pcibind's writes from a bare C program.
${CC:-cc} -O2 -Wall -Wextra -Werror -o "$VM_BUILD/rebind-floor" "$VM_DIR/guest/rebind-floor.c"
copy_bin "$VM_BUILD/rebind-floor" /usr/bin/rebind-floor

# The test library and runner, the scenarios.
cp "$VM_DIR/guest/testlib.sh" "$VM_DIR/guest/run-scenarios.sh" "$stage/vmtest/"
if [ -f "$TOP_DIR/tests/cli/oracle.sh" ]; then
	cp "$TOP_DIR/tests/cli/oracle.sh" "$stage/vmtest/oracle.sh"
fi
for s in ${scenarios[@]+"${scenarios[@]}"}; do
	cp "$s" "$stage/vmtest/scenarios/"
done
for e in ${extras[@]+"${extras[@]}"}; do
	cp "$e" "$stage/vmtest/"
done
# A Xen dom0 has Xen's libraries (pcibind dlopen()s libxenctrl and
# libxenstore there); the toolstack and a PV domU come for the scenarios that
# say they need them.
if [ "$overlay" = 0 ] && [ "$kind" = xen ]; then
	if [ ${#scenarios[@]} -gt 0 ] && grep -qx '# vm-needs: xen-toolstack' "${scenarios[@]}"; then
		"$VM_DIR/build-xen-toolstack.sh" "$stage"
	else
		"$VM_DIR/build-xen-toolstack.sh" --libs-only "$stage"
	fi
fi
printf '%s\n' "$kind" >"$stage/vmtest/kind"
printf '%s\n' "$KVER" >"$stage/vmtest/kver"
# The machine's optional parts (run-guest.sh adds them for these scenarios).
vm_machine_of ${scenarios[@]+"${scenarios[@]}"} >"$stage/vmtest/machine"

# A scenario with "# vm-needs: qemu" runs a real QEMU inside the guest (a
# paused VM that holds a VFIO device): the binary with the libraries ldd
# lists, its firmware and modules, about 50 MB. They go into an archive of
# their own, cached in build/vm/guest-qemu-HASH.cpio.gz and appended (the
# kernel unpacks concatenated archives), so only those boots pay for them.
qemu_cpio=
if [ ${#scenarios[@]} -gt 0 ] && grep -qx '# vm-needs: qemu' "${scenarios[@]}"; then
	[ "$overlay" = 0 ] || die "# vm-needs: qemu: only the debian and xen kinds carry QEMU"
	qbin=$(command -v qemu-system-x86_64) || die "no qemu-system-x86_64: install qemu-system-x86"
	qemu_cpio=$VM_BUILD/guest-qemu-$(vm_hash "$qbin" "$(ldd "$qbin" | grep -oE "/[^ ]+")" \
		"$(ls -lR /usr/share/qemu /usr/share/seabios /usr/lib/x86_64-linux-gnu/qemu)").cpio.gz
	if [ ! -f "$qemu_cpio" ]; then
		log "building $qemu_cpio"
		qstage=$qemu_cpio.d
		rm -rf "$qstage"
		mkdir -p "$qstage/usr/bin" "$qstage/usr/share" "$qstage/usr/lib/x86_64-linux-gnu"
		cp -L "$qbin" "$qstage/usr/bin/qemu-system-x86_64"
		for lib in $(ldd "$qbin" | grep -oE '/[^ ]+'); do
			mkdir -p "$qstage$(dirname "$lib")"
			cp -L "$lib" "$qstage$lib"
		done
		# x86 firmware only: leave out other architectures' blobs.
		cp -a /usr/share/qemu /usr/share/seabios "$qstage/usr/share/"
		(cd "$qstage/usr/share/qemu" && rm -f openbios-* skiboot.lid slof.bin \
			hppa-firmware.img s390-* opensbi-* palcode-* ./*.dtb npcm7xx_bootrom.bin \
			trace-events-all)
		cp -a /usr/lib/x86_64-linux-gnu/qemu "$qstage/usr/lib/x86_64-linux-gnu/"
		(cd "$qstage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
			| gzip -1 >"$qemu_cpio.tmp"
		mv "$qemu_cpio.tmp" "$qemu_cpio"
		rm -rf "$qstage"
	fi
fi

# Pack. newc, owned by root, gzip -1 (size matters less than time).
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
	| gzip -1 >"$out.tmp"
[ -z "$qemu_cpio" ] || cat "$qemu_cpio" >>"$out.tmp"
mv "$out.tmp" "$out"
rm -rf "$stage"
