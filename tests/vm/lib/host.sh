# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash disable=SC2034,SC2012 # sourced: variables used by the callers
# Host-side helpers shared by the tests/vm scripts (sourced, bash).
#
# Everything here reads the host (kernel version, packages, /proc/cpuinfo)
# and writes only below $VM_BUILD. Nothing touches the host's /sys.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOP_DIR=$(cd "$VM_DIR/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP_DIR/$BUILD ;; esac
VM_BUILD=$BUILD/vm
PCIBIND=${PCIBIND:-$BUILD/pcibind}
case $PCIBIND in /*) ;; *) PCIBIND=$TOP_DIR/$PCIBIND ;; esac
FIXTURE_TOOL=${FIXTURE_TOOL:-$BUILD/fixture-tool}
case $FIXTURE_TOOL in /*) ;; *) FIXTURE_TOOL=$TOP_DIR/$FIXTURE_TOOL ;; esac

log() { printf 'vm: %s\n' "$*" >&2; }
die() { printf 'vm: error: %s\n' "$*" >&2; exit 1; }

# The guest kernel version: $KVER, else the newest /lib/modules/* that has a
# matching /boot/vmlinuz-*. Never hard-coded.
vm_kver()
{
	local k best=
	if [ -n "${KVER:-}" ]; then
		printf '%s\n' "$KVER"
		return
	fi
	for k in $(ls /lib/modules 2>/dev/null | sort -V); do
		[ -r "/boot/vmlinuz-$k" ] && [ -f "/lib/modules/$k/modules.dep" ] && best=$k
	done
	[ -n "$best" ] || die "no kernel found (/boot/vmlinuz-* with /lib/modules/*): install linux-image-amd64"
	printf '%s\n' "$best"
}

# The Xen hypervisor image (gzipped as Debian ships it), newest first.
vm_xen_gz()
{
	local x
	x=$(ls /boot/xen-*.gz 2>/dev/null | sort -V | tail -n1)
	[ -n "$x" ] || die "no /boot/xen-*.gz: install xen-hypervisor-4.17-amd64"
	printf '%s\n' "$x"
}

# A short hash of files' contents and extra strings, for cache keys.
vm_hash()
{
	{
		for a in "$@"; do
			if [ -f "$a" ]; then sha256sum "$a"; else printf '%s\n' "$a"; fi
		done
	} | sha256sum | cut -c1-16
}

# Accelerator: KVM only if the CPU advertises vmx/svm and /dev/kvm is usable.
# A paravirtual KVM (kvm_pvm) has /dev/kvm but no vmx/svm and cannot boot an
# unmodified guest, so this cheap test keeps us on TCG there.
# Sets VM_ACCEL (qemu -accel args) and VM_KVM (1/0). VM_FORCE_ACCEL=tcg forces
# TCG; VM_FORCE_ACCEL=kvm forces KVM (for run-guest.sh's VM_PRINT_CMD=1 on a
# host without it: such a guest would not start).
vm_pick_accel()
{
	if [ "${VM_FORCE_ACCEL:-}" = tcg ]; then
		VM_KVM=0
	elif [ "${VM_FORCE_ACCEL:-}" = kvm ]; then
		VM_KVM=1
	elif [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
		VM_KVM=1
	else
		VM_KVM=0
	fi
	if [ "$VM_KVM" = 1 ]; then
		VM_ACCEL="-accel kvm"
	else
		VM_ACCEL="-accel tcg,thread=multi"
	fi
}

# The guest's CPU model (after vm_pick_accel): the host's under KVM; under TCG
# "max" for a Linux guest (linux) and "qemu64,+svm" for Xen (xen): the SMAP
# emulation of -cpu max crashes Xen's PV dom0.
vm_guest_cpu()
{
	if [ "$VM_KVM" = 1 ]; then
		echo host
	elif [ "$1" = xen ]; then
		echo qemu64,+svm
	else
		echo max
	fi
}

# The Xen hypervisor gunzipped, as QEMU's multiboot loader takes it (-kernel),
# cached in $VM_BUILD under a hash of the .gz.
vm_xen_kernel()
{
	local gz xen
	gz=$(vm_xen_gz) || exit 1
	xen=$VM_BUILD/xen-$(vm_hash "$gz")
	if [ ! -f "$xen" ]; then
		zcat "$gz" >"$xen.tmp" && mv "$xen.tmp" "$xen"
	fi
	printf '%s\n' "$xen"
}

# Copy the modules of the word list MODULES, with what modprobe --show-depends
# says they need, from /lib/modules/KVER into ROOT/lib/modules/KVER, with
# modules.order and the builtin lists, and index them there (depmod -b ROOT
# writes below ROOT only). Modules missing from KVER (built in) are skipped.
vm_copy_modules() # ROOT KVER MODULES
{
	local root=$1 kver=$2 modules=$3 m ko rel f
	mkdir -p "$root/lib/modules/$kver"
	for m in $modules; do
		# "insmod /lib/modules/.../x.ko" lines; "builtin x" lines need nothing.
		modprobe -S "$kver" --show-depends "$m" 2>/dev/null || true
	done | awk '$1 == "insmod" { print $2 }' | sort -u | while read -r ko; do
		rel=${ko#/lib/modules/"$kver"/}
		mkdir -p "$root/lib/modules/$kver/$(dirname "$rel")"
		cp "$ko" "$root/lib/modules/$kver/$rel"
	done
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[ -f "/lib/modules/$kver/$f" ] && cp "/lib/modules/$kver/$f" "$root/lib/modules/$kver/"
	done
	depmod -b "$root" "$kver"
}

# A cached image: one build at a time (the lock $VM_BUILD/NAME.lock, held
# until the script ends), and an IMG already built is printed and the script
# ends there.
vm_image_reuse() # NAME IMG
{
	mkdir -p "$VM_BUILD"
	exec 9>"$VM_BUILD/$1.lock"
	flock 9
	if [ -f "$2" ]; then
		printf '%s\n' "$2"
		exit 0
	fi
}

# The end of an image build: IMG.tmp becomes IMG, TMP goes, the time is
# logged (WHAT built in ...), the OLD images but IMG are removed, IMG printed.
vm_image_done() # IMG TMP T0 WHAT OLD...
{
	local img=$1 tmp=$2 t0=$3 what=$4 old
	shift 4
	mv "$img.tmp" "$img"
	rm -rf "$tmp"
	log "$what built in $(vm_elapsed "$t0") s: $img ($(du -h "$img" | cut -f1))"
	for old in "$@"; do
		[ "$old" = "$img" ] || rm -f "$old"
	done
	printf '%s\n' "$img"
}

# dracut's base for a test image: BASE a private copy of /usr/lib/dracut with
# the test module (99pcibindtest) in modules.d, TMP its scratch directory with
# an empty TMP/conf.d.
vm_dracut_base() # BASE TMP
{
	rm -rf "$1" "$2"
	mkdir -p "$2" "$2/conf.d"
	cp -a /usr/lib/dracut "$1"
	cp -a "$VM_DIR/dracut/99pcibindtest" "$1/modules.d/"
}

# The real dracut as every test image runs it: dracutbasedir=BASE, no host
# configuration (--conf /dev/null, TMP/conf.d), --no-hostonly (a generic
# image with all drivers: udev loads e1000e at coldplug, after our pre-udev
# hook), no microcode, gzip -1 (decompresses fast enough, builds fastest), the
# modules ADD, the kernel $KVER, the .deb's pcibind BINARY for 90pcibind; more
# dracut arguments after ADD. Into OUT.tmp, the output into LOG; if it fails,
# the log's tail and die.
vm_dracut() # BASE TMP LOG OUT BINARY ADD [DRACUT-ARG]...
{
	local base=$1 tmp=$2 logf=$3 out=$4 binary=$5 add=$6
	shift 6
	if ! dracutbasedir=$base PCIBIND_DRACUT_BINARY=$binary dracut --force --quiet \
		--conf /dev/null --confdir "$tmp/conf.d" --tmpdir "$tmp" \
		--no-hostonly --no-hostonly-cmdline --no-early-microcode \
		--add "$add" --compress "gzip -1" "$@" \
		--kver "$KVER" --kmoddir "/lib/modules/$KVER" \
		"$out.tmp" >"$logf" 2>&1; then
		tail -n 30 "$logf" >&2
		die "dracut failed (see $logf)"
	fi
}

# Monotonic-ish seconds with a fraction, for wall times.
vm_now() { date +%s.%N; }
vm_elapsed() { awk -v a="$1" -v b="$(vm_now)" 'BEGIN { printf "%.1f", b - a }'; }

# The machine's optional parts that SCENARIO... ask for with "# vm-machine:
# WORD..." (one boot's scenarios together), one per line: run-guest.sh adds
# the devices, build-initramfs.sh tells the guest (/vmtest/machine).
vm_machine_of()
{
	local s
	for s in "$@"; do
		sed -n 's/^# vm-machine://p' "$s"
	done | tr -s ' \t' '\n' | grep -x 'gpu-sriov' | sort -u || true
}
