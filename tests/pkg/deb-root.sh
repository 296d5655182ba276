#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Print build/pkg/root: the .deb unpacked with dpkg -x, what the boot tests
# (tests/vm/build-dracut.sh, build-mkinitramfs.sh) install from. The .deb is
# rebuilt (tests/pkg/build-deb.sh, about a minute) only when a file that goes
# into it changed: the key is the hash of every file of the tree outside
# tests/ but *.md (the .deb has none), and of tests/pkg/build-deb.sh and
# lib.sh. One build at a time (build/pkg/.lock).
set -eu
# shellcheck source=tests/pkg/lib.sh
. "$(dirname "$0")/lib.sh"
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9
key=$(cd "$top" && {
	if git rev-parse --git-dir >/dev/null 2>&1; then
		git ls-files --cached --others --exclude-standard
	else
		find . -path ./build -prune -o -path ./.git -prune -o -type f -print | sed 's|^\./||'
	fi
} | grep -v -e '^tests/' -e '^build/' -e '\.md$' | cat - <(printf '%s\n' tests/pkg/build-deb.sh tests/pkg/lib.sh) |
	LC_ALL=C sort -u | while read -r f; do [ -f "$top/$f" ] && sha256sum "$top/$f"; done |
	sha256sum | cut -c1-16)
if [ -x "$out/root/usr/sbin/pcibind" ] && [ "$(cat "$out/root.key" 2>/dev/null)" = "$key" ]; then
	printf '%s\n' "$out/root"
	exit 0
fi
rm -f "$out/root.key"
echo "pkg: building the .deb (tests/pkg/build-deb.sh, about a minute)" >&2
"$top/tests/pkg/build-deb.sh" >/dev/null
printf '%s\n' "$key" >"$out/root.key"
printf '%s\n' "$out/root"
