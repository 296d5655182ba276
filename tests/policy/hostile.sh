#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fail closed: policy files nobody should trust make mutating commands
# refuse (exit 3) with the file named, and read commands warn and go on.
# Also hostile names: path traversal in DEVICE and driver names.
set -u
BUILD=${BUILD:-build}
PCIBIND=${PCIBIND:-$BUILD/pcibind}
fx=$BUILD/fixtures/laptop
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0

pb() {
	"$PCIBIND" --sysfs-root "$fx/sys" --modules-dir "$fx/modules" --pci-ids tests/fixtures/pci.ids \
		--proc-root tests/fixtures/proc/none --state-dir "$work/state" "$@"
}

# expect NAME WANT-EXIT WANT-STDERR-SUBSTRING CMD...
expect() {
	name=$1 want=$2 text=$3
	shift 3
	"$@" >"$work/out" 2>"$work/err"
	st=$?
	if [ "$st" -eq "$want" ] && { [ -z "$text" ] || grep -qF -- "$text" "$work/err"; }; then
		pass=$((pass + 1)); echo "ok $name"
	else
		fail=$((fail + 1)); echo "FAIL $name: exit $st (want $want), stderr:"; sed 's/^/  /' "$work/err"
	fi
}

good='[r]
match-class = network
boot = yes'

mk() { # mk DIR FILE MODE CONTENT
	mkdir -p "$work/$1"; chmod 755 "$work/$1"
	printf '%s\n' "$4" >"$work/$1/$2"; chmod "$3" "$work/$1/$2"
}

mk open 50-x.conf 666 "$good"
expect world-writable 3 "writable by group or others (mode 0666): not trusted" \
	pb --policy-dir "$work/open" seize 00:1f.6 --dry-run
expect world-writable-read 0 "warning: policy:" pb --policy-dir "$work/open" explain 00:1f.6

mk gdir 50-x.conf 644 "$good"; chmod 775 "$work/gdir"
expect group-writable-dir 3 "directory not owned by root or writable by group or others" \
	pb --policy-dir "$work/gdir" seize 00:1f.6 --dry-run

mk link real.txt 644 "$good"; ln -s real.txt "$work/link/50-x.conf"
expect symlink 3 "a symbolic link: not trusted" pb --policy-dir "$work/link" seize 00:1f.6 --dry-run

mk bin 50-x.conf 644 ""; printf '[r]\nboot = yes\n\000\001\002' >"$work/bin/50-x.conf"
expect binary 3 "holds a NUL byte" pb --policy-dir "$work/bin" seize 00:1f.6 --dry-run

mk big 50-x.conf 644 ""; head -c 1100000 /dev/zero | tr '\0' '#' >"$work/big/50-x.conf"
expect huge 3 "larger than 1048576 bytes" pb --policy-dir "$work/big" seize 00:1f.6 --dry-run

mk long 50-x.conf 644 "[r]
match-class = $(head -c 300 /dev/zero | tr '\0' 'x')"
expect long-line 3 "50-x.conf:2: line longer than" pb --policy-dir "$work/long" seize 00:1f.6 --dry-run

# A file in a later directory replaces the one of the same name, not adds to it.
mk vendor 50-x.conf 644 '[r]
match-address = 00:1f.6
protect = yes'
mk admin 50-x.conf 644 '[r]
match-address = 00:1f.6
boot = yes'
expect admin-replaces-vendor 0 "" pb --policy-dir "$work/vendor" --policy-dir "$work/admin" seize \
	00:1f.6 --dry-run
expect vendor-alone-protects 3 "is protected (protect = yes" pb --policy-dir "$work/vendor" seize \
	00:1f.6 --dry-run

# Hostile names never form a path.
mk empty 10-none.conf 644 "# nothing"
expect traversal-device 2 "does not name one PCI function" \
	pb --policy-dir "$work/empty" seize '../../../etc' --dry-run
expect traversal-driver 2 "not a stub" pb --policy-dir "$work/empty" seize --driver ../x 00:1f.6
ln -s /tmp "$work/state-link"
expect state-dir-symlink 1 "cannot open the state directory" \
	"$PCIBIND" --sysfs-root "$fx/sys" --policy-dir "$work/empty" --proc-root tests/fixtures/proc/none \
	--state-dir "$work/state-link" seize --driver pci-stub 00:1f.6

# A driver folder that is a symlink out of the sysfs root (to a decoy beside
# it): nothing is written through it, and the command fails.
esc=$work/esc
mkdir -p "$esc"
cp -a "$fx/sys" "$esc/sys"
mv "$esc/sys/bus/pci/drivers/e1000e" "$esc/decoy"
ln -s ../../../../decoy "$esc/sys/bus/pci/drivers/e1000e"
expect symlink-escape 1 "leads out of the sysfs root" \
	"$PCIBIND" --sysfs-root "$esc/sys" --modules-dir "$fx/modules" --pci-ids tests/fixtures/pci.ids \
	--proc-root tests/fixtures/proc/none --policy-dir "$work/empty" --state-dir "$work/state-esc" \
	seize --driver vfio-pci 00:1f.6
if [ -s "$esc/decoy/unbind" ]; then
	fail=$((fail + 1)); echo "FAIL symlink-escape-decoy: the decoy's unbind holds $(cat "$esc/decoy/unbind")"
else
	pass=$((pass + 1)); echo "ok symlink-escape-decoy"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
