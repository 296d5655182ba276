#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build the RPMs of pcibind.spec with rpmbuild -bb (Debian's rpm package)
# from a tarball of a scratch copy of the tree, all under build/pkg/rpm,
# unpack them into build/pkg/rpmroot/NAME, and print their paths.
# --nodeps: the BuildRequires are Fedora names that Debian's empty rpm
# database cannot answer; the Debian packages behind them are installed
# (tools/packages-build.txt). No debuginfo package: Debian's rpm has no
# find-debuginfo.
set -eu
# shellcheck source=tests/pkg/lib.sh
. "$(dirname "$0")/lib.sh"
rpmtop=$out/rpm
log=$out/rpm-build.log

rm -rf "$rpmtop" "$out/rpmroot"
mkdir -p "$rpmtop/SOURCES" "$rpmtop/tmp"
copy_tree "$rpmtop/tmp/pcibind-$version"
tar -C "$rpmtop/tmp" -czf "$rpmtop/SOURCES/pcibind-$version.tar.gz" "pcibind-$version"
rm -rf "$rpmtop/tmp"; mkdir -p "$rpmtop/tmp"
if ! HOME=$rpmtop env -u BUILD -u PCIBIND rpmbuild -bb --nodeps --define "_topdir $rpmtop" \
	--define 'debug_package %{nil}' --define '_smp_mflags -j2' \
	--define "_tmppath $rpmtop/tmp" \
	"$top/pcibind.spec" >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	echo "build-rpm: rpmbuild failed (log: $log)" >&2
	exit 1
fi
for rpm in "$rpmtop"/RPMS/*/*.rpm; do
	name=$(rpm -qp --qf '%{NAME}' "$rpm" 2>/dev/null)
	mkdir -p "$out/rpmroot/$name"
	(cd "$out/rpmroot/$name" && rpm2cpio "$rpm" | cpio -idm --quiet)
	printf '%s\n' "$rpm"
done
