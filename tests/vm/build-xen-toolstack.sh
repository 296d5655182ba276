#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Add Xen's toolstack and a PV domU to a dom0 initramfs staging directory.
#
#   build-xen-toolstack.sh [--libs-only] STAGE
#
# For every xen guest, --libs-only: Xen's libraries, as on a real dom0, so
# that pcibind's dlopen() of libxenctrl/libxenstore is what runs there.
# For scenarios with "# vm-needs: xen-toolstack", everything below
# (build-initramfs.sh calls this). The packages of xen-userland.txt are fetched with apt-get download
# (after apt-get update if the lists are stale) and unpacked with dpkg -x
# into build/vm/xen-userland-HASH, cached; nothing is installed on the host.
# STAGE gets:
#   /usr/lib/xen-XV/bin/{xl,xenstored,xenconsoled,xen-init-dom0,...} and
#   /usr/sbin links, Xen's libraries in /usr/lib/x86_64-linux-gnu (where
#   pcibind's dlopen() finds libxenctrl.so.XV and libxenstore.so.4), the host
#   libraries they link (and libgcc_s.so.1: xl aborts at exit without it),
#   /etc/xen;
#   /vmtest/domu/vmlinuz (the same Debian kernel) and /vmtest/domu/initrd.gz
#   (busybox, xen-pcifront, e1000e and domu/init).
set -eu

. "$(dirname "$0")/lib/host.sh"

libs_only=0
if [ "${1:-}" = --libs-only ]; then
	libs_only=1
	shift
fi
stage=${1:?usage: build-xen-toolstack.sh [--libs-only] STAGE}
KVER=$(vm_kver)
xen_gz=$(vm_xen_gz)
XV=$(basename "$xen_gz" | sed -n 's/^xen-\([0-9]*\.[0-9]*\).*/\1/p')
[ -n "$XV" ] || die "cannot tell the Xen version of $xen_gz"
hvpkg=$(dpkg -S "$xen_gz" 2>/dev/null | cut -d: -f1 | head -n 1)
hvver=$(dpkg-query -W -f='${Version}' "$hvpkg" 2>/dev/null || true)

mapfile -t pkgs < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' -e "s/@XV@/$XV/g" \
	"$VM_DIR/xen-userland.txt")
key=$(vm_hash "$VM_DIR/xen-userland.txt" "$XV" "$hvver")
ud=$VM_BUILD/xen-userland-$key
if [ ! -f "$ud/.done" ]; then
	log "fetching Xen $XV's toolstack ($hvver) into $ud"
	rm -rf "$ud"
	mkdir -p "$ud/debs" "$ud/root"
	# The toolstack must speak the hypervisor's domctl version: same source version.
	want=()
	for p in "${pkgs[@]}"; do
		case $p in
		*xen*) [ -n "$hvver" ] && want+=("$p=$hvver") || want+=("$p") ;;
		*) want+=("$p") ;;
		esac
	done
	fetch() { (cd "$ud/debs" && apt-get download -q "$@" >/dev/null 2>"$ud/apt.log"); }
	if ! fetch "${want[@]}"; then
		apt-get update -q >/dev/null 2>&1 || true
		fetch "${want[@]}" || fetch "${pkgs[@]}" ||
			die "apt-get download of Xen's toolstack failed: $(tail -n 3 "$ud/apt.log")"
	fi
	for d in "$ud"/debs/*.deb; do
		dpkg -x "$d" "$ud/root"
	done
	touch "$ud/.done"
fi
root=$ud/root
xbin=usr/lib/xen-$XV/bin
[ -x "$root/$xbin/xl" ] || die "no $xbin/xl in $ud"

if [ "$libs_only" = 1 ]; then
	mkdir -p "$stage/usr/lib/x86_64-linux-gnu"
	cp -a "$root"/usr/lib/x86_64-linux-gnu/. "$stage/usr/lib/x86_64-linux-gnu/"
	exit 0
fi

# The toolstack's programs, their libraries (Xen's from the packages, the
# rest from the host), and the configuration.
mkdir -p "$stage/$xbin" "$stage/usr/sbin" "$stage/usr/bin" "$stage/usr/lib/x86_64-linux-gnu" \
	"$stage/etc"
progs="xl xenstored xenconsoled xen-init-dom0 libxl-save-helper"
for p in $progs; do
	cp -a "$root/$xbin/$p" "$stage/$xbin/"
	ln -sf "../lib/xen-$XV/bin/$p" "$stage/usr/sbin/$p"
done
for p in xenstore-read xenstore-ls xenstore-list xenstore-write; do
	[ -e "$root/usr/bin/$p" ] && cp -a "$root/usr/bin/$p" "$stage/usr/bin/"
done
[ -e "$root/usr/bin/xenstore" ] && cp -a "$root/usr/bin/xenstore" "$stage/usr/bin/"
cp -a "$root"/usr/lib/x86_64-linux-gnu/. "$stage/usr/lib/x86_64-linux-gnu/"
cp -a "$root/etc/xen" "$stage/etc/"
for p in $progs; do
	LD_LIBRARY_PATH=$root/usr/lib/x86_64-linux-gnu ldd "$root/$xbin/$p" 2>/dev/null |
		grep -oE '/[^ ]+' || true
done | sort -u | while read -r lib; do
	case $lib in "$root"/*) continue ;; esac
	[ -e "$stage$lib" ] && continue
	mkdir -p "$stage$(dirname "$lib")"
	cp -L "$lib" "$stage$lib"
done
gcc_s=$(ls /lib/x86_64-linux-gnu/libgcc_s.so.1 /usr/lib/x86_64-linux-gnu/libgcc_s.so.1 2>/dev/null | head -n 1)
[ -n "$gcc_s" ] || die "no libgcc_s.so.1 on the host"
mkdir -p "$stage/lib/x86_64-linux-gnu"
cp -L "$gcc_s" "$stage/lib/x86_64-linux-gnu/libgcc_s.so.1"

# The domU: the same kernel, and a tiny busybox initramfs.
mkdir -p "$stage/vmtest/domu"
cp "/boot/vmlinuz-$KVER" "$stage/vmtest/domu/vmlinuz"
ds=$stage.domu
rm -rf "$ds"
mkdir -p "$ds/bin" "$ds/lib/modules" "$ds/proc" "$ds/sys" "$ds/dev"
cp "$(command -v busybox)" "$ds/bin/busybox"
for a in sh mount insmod ls grep head sleep cat ip ping sed basename readlink; do
	ln -s busybox "$ds/bin/$a"
done
i=0
for m in xen-pcifront e1000e; do
	modprobe -S "$KVER" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
	i=$((i + 1))
	cp "$ko" "$ds/lib/modules/$(printf '%02d' "$i")-$(basename "$ko")"
done
cp "$VM_DIR/domu/init" "$ds/init"
chmod 0755 "$ds/init"
(cd "$ds" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 >"$stage/vmtest/domu/initrd.gz"
rm -rf "$ds"
