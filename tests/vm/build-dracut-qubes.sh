#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# build-dracut-qubes.sh model|pcibind: build (or reuse) a dracut image of
# the Qubes side-by-side test (qubes-side-by-side.sh) and print its path.
#
#   model    a stock Qubes dom0's image: the test module (99pcibindtest) and
#            the model of Qubes' 90qubes-pciback (dracut/90qubesref,
#            installed as modules.d/90qubes-pciback); no pcibind.
#            QUBES_PCIBACK_DIR=DIR puts DIR (the REAL Qubes module, by hand
#            only, never committed) there instead of the model.
#   pcibind  the image of a Qubes dom0 with pcibind-qubes installed: the
#            same modules.d (the Qubes module included, as on Qubes) plus the
#            .deb's 90pcibind, and the dracut.conf.d file of pcibind-qubes
#            (make install-qubes) read by dracut as its configuration: it
#            leaves the Qubes module out, adds pcibind and names the vendor
#            policy in install_items.
#
# The build host has no pcibind installed, so the files install_items
# names are taken from the packages' trees (10-defaults.conf from the .deb,
# 50-qubes-dom0.conf from make install-qubes) and given to dracut with
# --include at the same paths; a last configuration file empties
# install_items so that dracut never looks for them on the host. The items
# are listed in build/vm/qubes-pcibind.items (the test checks the image
# carries exactly these).
# Same options as build-dracut.sh otherwise (--no-hostonly, gzip -1, no host
# configuration); cached on the same kind of key; builds take dracut.lock.
set -eu

. "$(dirname "$0")/lib/host.sh"

variant=${1:-}
case $variant in model|pcibind) ;; *) die "usage: build-dracut-qubes.sh model|pcibind" ;; esac
KVER=$(vm_kver)
command -v dracut >/dev/null || die "dracut not found: install dracut-core"

qubes_dir=${QUBES_PCIBACK_DIR:-$VM_DIR/dracut/90qubesref}
[ -f "$qubes_dir/module-setup.sh" ] || die "$qubes_dir has no module-setup.sh"
PKG_ROOT=$("$TOP_DIR/tests/pkg/deb-root.sh") || die "the .deb did not build (tests/pkg/build-deb.sh)"
PB_MODULE=$PKG_ROOT/usr/lib/dracut/modules.d/90pcibind
PB_BINARY=$PKG_ROOT/usr/sbin/pcibind
if [ ! -x "$PB_BINARY" ] || [ ! -f "$PB_MODULE/module-setup.sh" ]; then
	die "the .deb in $PKG_ROOT lacks pcibind or 90pcibind"
fi

mkdir -p "$VM_BUILD"
exec 9>"$VM_BUILD/dracut.lock"
flock 9

# pcibind-qubes as its RPM installs it (%install runs make install-qubes).
qroot=$VM_BUILD/qubes-pkg-root
rm -rf "$qroot"
make -s -C "$TOP_DIR" install-qubes DESTDIR="$qroot" >/dev/null
qconf=$(find "$qroot" -name '50-pcibind-qubes.conf' -path '*dracut.conf.d*' | head -n1)
[ -f "$qconf" ] || die "make install-qubes installed no dracut.conf.d/50-pcibind-qubes.conf"
items=$VM_BUILD/qubes-pcibind.items
includes=()
inc_hash=
if [ "$variant" = pcibind ]; then
	# shellcheck disable=SC1090,SC2086 # the package's dracut.conf.d file; a word list
	( install_items=; . "$qconf"; printf '%s\n' $install_items ) >"$items"
	while read -r it; do
		[ -n "$it" ] || continue
		src=
		for r in "$qroot" "$PKG_ROOT"; do
			[ -f "$r$it" ] && { src=$r$it; break; }
		done
		[ -n "$src" ] || die "install_items of $qconf names $it, which no package installs"
		includes+=(--include "$src" "$it")
		inc_hash="$inc_hash $it $(sha256sum <"$src")"
	done <"$items"
fi

key=$(vm_hash "$variant" "$KVER" "/lib/modules/$KVER/modules.dep" "/boot/vmlinuz-$KVER" \
	"$(find /usr/lib/dracut -printf '%P %s %T@\n' | LC_ALL=C sort)" \
	"$(cd "$VM_DIR/dracut/99pcibindtest" && find . -type f | LC_ALL=C sort | xargs sha256sum)" \
	"$(cd "$qubes_dir" && find . -type f | LC_ALL=C sort | xargs sha256sum)" \
	"$(cd "$PB_MODULE" && find . -type f | LC_ALL=C sort | xargs sha256sum)" \
	"$(sha256sum <"$PB_BINARY")" "$(sha256sum <"$qconf")" "$inc_hash")
img=$VM_BUILD/dracut-qubes-$variant-$KVER-$key.img
if [ -f "$img" ]; then
	printf '%s\n' "$img"
	exit 0
fi

base=$VM_BUILD/dracut-qubes-base
tmp=$VM_BUILD/dracut-qubes-tmp
logf=$VM_BUILD/dracut-qubes-$variant-build.log
vm_dracut_base "$base" "$tmp"
cp -a "$qubes_dir" "$base/modules.d/90qubes-pciback"
chmod 0755 "$base/modules.d/99pcibindtest/"*.sh "$base/modules.d/90qubes-pciback/"*.sh
add="pcibindtest"
if [ "$variant" = pcibind ]; then
	cp -a "$PB_MODULE" "$base/modules.d/"
	chmod 0755 "$base/modules.d/90pcibind/"*.sh
	cp "$qconf" "$tmp/conf.d/"
	printf '%s\n' "# tests/vm: the items come with --include (no pcibind on the build host)" \
		'unset install_items' >"$tmp/conf.d/99-vmtest-items.conf"
else
	add="pcibindtest qubes-pciback"
fi

log "building the dracut image $variant (log: $logf)"
t0=$(vm_now)
vm_dracut "$base" "$tmp" "$logf" "$img" "$PB_BINARY" "$add" ${includes[@]+"${includes[@]}"}
vm_image_done "$img" "$tmp" "$t0" "dracut image $variant" "$VM_BUILD"/dracut-qubes-"$variant"-*.img
