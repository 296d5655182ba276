#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build the .deb with dpkg-buildpackage -us -uc -b from a scratch copy of the
# tree (the build leaves nothing in the source tree), unpack it with dpkg -x
# into build/pkg/root, and print the .deb's path. Logs: build/pkg/deb-build.log.
set -eu
# shellcheck source=tests/pkg/lib.sh
. "$(dirname "$0")/lib.sh"
ver=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
src=$out/src/pcibind-$ver
log=$out/deb-build.log
deb=$out/pcibind_${ver}_$arch.deb

mkdir -p "$out"
rm -rf "$out/src" "$out/root"
mkdir -p "$src"
copy_tree "$src"
# Without BUILD: the package's own make (and its clean) must work in the
# scratch copy, never on the caller's build directory (an absolute BUILD
# from the VM harness made debian/rules clean remove it).
if ! (cd "$src" && env -u BUILD -u PCIBIND dpkg-buildpackage -us -uc -b -j2) >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	echo "build-deb: dpkg-buildpackage failed (log: $log)" >&2
	exit 1
fi
mv -f "$out/src/pcibind_${ver}_$arch.deb" "$deb"
mv -f "$out/src/pcibind_${ver}_$arch.buildinfo" "$out/src/pcibind_${ver}_$arch.changes" "$out/"
for f in "$out"/src/pcibind-dbgsym_*.deb; do [ -e "$f" ] && mv -f "$f" "$out/"; done
rm -rf "$out/src"
dpkg -x "$deb" "$out/root"
printf '%s\n' "$deb"
