#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fail closed: policy files and directories nobody should trust make
# mutating commands refuse (exit 6, a policy error) with the file named, and read commands
# warn and go on. Also hostile names (path traversal in DEVICE and driver
# names), hostile journal records and transactions, and a sysfs tree whose
# symlink leads out of it. Prints how many cases ran.
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

# expect_out NAME WANT-EXIT WANT-STDOUT-SUBSTRING CMD...
expect_out() {
	name=$1 want=$2 text=$3
	shift 3
	"$@" >"$work/out" 2>"$work/err"
	st=$?
	if [ "$st" -eq "$want" ] && grep -qF -- "$text" "$work/out"; then
		pass=$((pass + 1)); echo "ok $name"
	else
		fail=$((fail + 1)); echo "FAIL $name: exit $st (want $want), stdout and stderr:"
		sed 's/^/  /' "$work/out" "$work/err"
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
expect world-writable 6 "writable by group or others (mode 0666): not trusted" \
	pb --policy-dir "$work/open" seize 00:1f.6 --dry-run
expect world-writable-read 0 "warning: policy:" pb --policy-dir "$work/open" explain 00:1f.6

mk gdir 50-x.conf 644 "$good"; chmod 775 "$work/gdir"
expect group-writable-dir 6 "gdir is writable by group or others (mode 0775)" \
	pb --policy-dir "$work/gdir" seize 00:1f.6 --dry-run

mk link real.txt 644 "$good"; ln -s real.txt "$work/link/50-x.conf"
expect symlink 6 "a symbolic link: not trusted" pb --policy-dir "$work/link" seize 00:1f.6 --dry-run

mk bin 50-x.conf 644 ""; printf '[r]\nboot = yes\n\000\001\002' >"$work/bin/50-x.conf"
expect binary 6 "holds a NUL byte" pb --policy-dir "$work/bin" seize 00:1f.6 --dry-run

mk big 50-x.conf 644 ""; head -c 1100000 /dev/zero | tr '\0' '#' >"$work/big/50-x.conf"
expect huge 6 "larger than 1048576 bytes" pb --policy-dir "$work/big" seize 00:1f.6 --dry-run

mk long 50-x.conf 644 "[r]
match-class = $(head -c 300 /dev/zero | tr '\0' 'x')"
expect long-line 6 "50-x.conf:2: line longer than" pb --policy-dir "$work/long" seize 00:1f.6 --dry-run

# Files inih would read as other rules than they show (issue 19.5): CR-only
# line ends, CRLF mixed with LF, a key after the section's ']'. CRLF
# throughout is read as it is.
mk cr 50-x.conf 644 ""; printf '[r]\rmatch-address = 00:1f.6\rprotect = yes\r' >"$work/cr/50-x.conf"
expect cr-only-line-ends 6 "50-x.conf:1: a carriage return that does not end a line" \
	pb --policy-dir "$work/cr" seize --driver vfio-pci 00:14.0 --dry-run
mk mixed 50-x.conf 644 ""; printf '[r]\r\nmatch-address = 00:1f.6\nprotect = yes\n' >"$work/mixed/50-x.conf"
expect mixed-line-ends 6 "50-x.conf:2: mixed line ends (CRLF on line 1, LF on line 2)" \
	pb --policy-dir "$work/mixed" seize --driver vfio-pci 00:14.0 --dry-run
mk after 50-x.conf 644 "[r] match-address = 00:1f.6
protect = yes"
expect text-after-section 6 "50-x.conf:1: text after the section's ']' ('match-address = 00:1f.6')" \
	pb --policy-dir "$work/after" seize --driver vfio-pci 00:14.0 --dry-run
mk crlf 50-x.conf 644 ""; printf '[r]\r\nmatch-address = 00:1f.6\r\nprotect = yes\r\n' >"$work/crlf/50-x.conf"
expect crlf-protects 3 "is protected (protect = yes" pb --policy-dir "$work/crlf" seize 00:1f.6 --dry-run
expect crlf-rest-free 0 "" pb --policy-dir "$work/crlf" seize --driver vfio-pci 00:14.0 --dry-run

# A configured directory that is missing, or that others could swap, is an
# error: the protect rule the admin meant must not silently vanish.
expect missing-policy-dir 6 "the policy directory does not exist" \
	pb --policy-dir "$work/no-such-dir" seize 00:1f.6 --dry-run
mk ww/inner 50-x.conf 644 "$good"; chmod 777 "$work/ww"
expect world-writable-parent 6 "/ww is writable by group or others (mode 0777)" \
	pb --policy-dir "$work/ww/inner" seize 00:1f.6 --dry-run
mk sticky/inner 50-x.conf 644 "$good"; chmod 1777 "$work/sticky"
expect sticky-parent-ok 0 "" pb --policy-dir "$work/sticky/inner" seize 00:1f.6 --dry-run
if [ "$(id -u)" = 0 ]; then
	mk theirs 50-x.conf 644 "$good"; ln -s theirs "$work/theirs-link"; chown -h 65534 "$work/theirs-link"
	expect symlinked-dir-other-owner 6 "theirs-link is owned by uid 65534" \
		pb --policy-dir "$work/theirs-link" seize 00:1f.6 --dry-run
fi

# A rule whose only match key is misspelt is not a rule for every function.
mk misspelt 50-x.conf 644 '[r]
match-adress = 00:1f.6
protect = yes'
expect misspelt-match-key 6 "unknown match key 'match-adress'" \
	pb --policy-dir "$work/misspelt" seize 00:1f.6 --dry-run
# pcibind.conf(5)'s own form: a domain-less address with expect-id and force.
mk domainless 50-x.conf 644 '[nic]
match-address = 00:1f.6
expect-id = 8086:15bb
force = yes'
expect domainless-force 0 "" pb --policy-dir "$work/domainless" seize 00:1f.6 --dry-run

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
expect traversal-device 2 "is not the address of one PCI function" \
	pb --policy-dir "$work/empty" seize '../../../etc' --dry-run
expect traversal-driver 2 "not a stub" pb --policy-dir "$work/empty" seize --driver ../x 00:1f.6
ln -s /tmp "$work/state-link"
expect state-dir-symlink 1 "cannot open the state directory" \
	"$PCIBIND" --sysfs-root "$fx/sys" --policy-dir "$work/empty" --proc-root tests/fixtures/proc/none \
	--state-dir "$work/state-link" seize --driver pci-stub 00:1f.6

# Journal records are checked against the device before anyone believes them.
rec() { # rec FILE BDF ID
	printf 'bdf=%s\nid=%s\ndriver=ahci\nmodule=ahci\nstub=vfio-pci\norigin=cli\nsince=1700000000\n' \
		"$2" "$3" >"$work/jstate/devices/$1"
	chmod 600 "$work/jstate/devices/$1"
}
mkdir -p "$work/jstate/devices"; chmod 700 "$work/jstate" "$work/jstate/devices"
rec 0000:00:17.0 0000:00:17.0 dead:beef
rec 0000:05:00.0 0000:05:00.0 8086:a353
rec 0000:00:1f.0 0000:00:1f.3 8086:a348
printf 'garbage\n' >"$work/jstate/devices/0000:00:14.0"; chmod 600 "$work/jstate/devices/0000:00:14.0"
printf 'bdf=0000:00:1d.0\ndriver=ahci\n' >"$work/jstate/devices/0000:00:1d.0"
chmod 600 "$work/jstate/devices/0000:00:1d.0"
ln -s /etc/hostname "$work/jstate/devices/0000:00:02.0"
js() { pb --policy-dir "$work/empty" --state-dir "$work/jstate" "$@"; }
expect_out record-mismatch 0 "NOT THIS DEVICE: the record $work/jstate/devices/0000:00:17.0 is not about this device: it was recorded for a dead:beef, and the function there is a 8086:a353" js status
expect_out record-gone 0 "GONE: the record $work/jstate/devices/0000:05:00.0 is about a function that is gone" js status
expect_out record-other-bdf 0 "devices/0000:00:1f.0: it names another function (bdf=0000:00:1f.3)" js status
expect_out record-junk 0 "devices/0000:00:14.0: it is not a pcibind record (bad line 'garbage')" js status
expect_out record-no-id 0 "devices/0000:00:1d.0: it is not a pcibind record (no id)" js status
expect_out record-symlink 0 "devices/0000:00:02.0: it is a symbolic link" js status
expect_out record-json-state 0 '"state": "mismatch"' js --json status
expect_out record-off-stub 0 "on ahci (recorded: vfio-pci)" js status
printf 'op=seize\norigin=cli\nstarted=1\nstep=1\n[before]\nbdf=0000:00:1f.6\nid=8086:15bb\n' >"$work/jstate/txn"
chmod 600 "$work/jstate/txn"
expect_out txn-pending 0 "unfinished seize of 0000:00:1f.6 (was on no driver) (origin cli, 1 steps done, $work/jstate/txn): run pcibind recover" js status
printf 'junk\n' >"$work/jstate/txn"
expect_out txn-unreadable 0 "unreadable transaction $work/jstate/txn: it is not a pcibind transaction" js status

# ... and seize, release and recover act on none of them.
rm -f "$work/jstate/txn"
expect seize-record-mismatch 3 "devices/0000:00:17.0 is not about this device: it was recorded for a dead:beef" \
	js seize --driver vfio-pci 00:17.0 --dry-run
expect release-record-mismatch 3 "devices/0000:00:17.0 is not about this device" js release 00:17.0 --dry-run
expect seize-record-junk 3 "devices/0000:00:14.0 cannot be used: it is not a pcibind record" \
	js seize --driver vfio-pci 00:14.0 --dry-run
# recover writes: on a copy of the fixture
rsys=$work/rsys
cp -a "$fx/sys" "$rsys"
jr() { "$PCIBIND" --sysfs-root "$rsys" --modules-dir "$fx/modules" --pci-ids tests/fixtures/pci.ids \
	--proc-root tests/fixtures/proc/none --policy-dir "$work/empty" --state-dir "$work/jstate" "$@"; }
expect recover-clears-stale 0 "cleared the record $work/jstate/devices/0000:00:17.0: it was recorded for a dead:beef" jr recover
if [ -e "$work/jstate/devices/0000:00:17.0" ] || [ -e "$work/jstate/devices/0000:00:02.0" ] ||
	[ -e "$work/jstate/devices/0000:05:00.0" ]; then
	fail=$((fail + 1)); echo "FAIL recover-cleared: $(ls "$work/jstate/devices")"
else
	pass=$((pass + 1)); echo "ok recover-cleared"
fi
# A hand-written transaction must not take the SATA controller off ahci.
mkdir -p "$work/jstate2/devices"; chmod 700 "$work/jstate2" "$work/jstate2/devices"
printf 'op=seize\norigin=cli\nstarted=1\nstep=2\n[before]\nbdf=0000:00:17.0\nid=8086:15bb\ndriver=e1000e\nmodule=e1000e\n' \
	>"$work/jstate2/txn"
chmod 600 "$work/jstate2/txn"
expect recover-txn-mismatch 3 "txn is not about the device at 0000:00:17.0: it was recorded for a 8086:15bb" \
	jr --state-dir "$work/jstate2" recover
if [ "$(basename "$(readlink "$rsys/bus/pci/devices/0000:00:17.0/driver")")" = ahci ] &&
	[ -e "$work/jstate2/txn" ]; then
	pass=$((pass + 1)); echo "ok recover-txn-untouched"
else
	fail=$((fail + 1)); echo "FAIL recover-txn-untouched"
fi

# Only a full address names a record (issue 19.6): "00:14.0" is shown and
# cleared under its own name, never as 0000:00:14.0. A record a newer pcibind
# wrote is kept, and nothing acts on its function.
mkdir -p "$work/jnames/devices"; chmod 700 "$work/jnames" "$work/jnames/devices"
printf 'bdf=0000:00:14.0\nid=8086:a36d\ndriver=xhci_hcd\nstub=vfio-pci\norigin=cli\nsince=1\n' \
	>"$work/jnames/devices/00:14.0"
printf '# pcibind device record v2\nbdf=0000:00:1f.6\nid=8086:15bb\ndriver=e1000e\nstub=vfio-pci\nshiny=1\n' \
	>"$work/jnames/devices/0000:00:1f.6"
chmod 600 "$work/jnames/devices/"*
jn() { pb --policy-dir "$work/empty" --state-dir "$work/jnames" "$@"; }
expect_out record-own-name 0 "-  00:14.0  UNUSABLE RECORD $work/jnames/devices/00:14.0: its name is not a record's" \
	jn status
if grep -q '0000:00:14.0  UNUSABLE' "$work/out"; then
	fail=$((fail + 1)); echo "FAIL record-not-canonicalised: $(cat "$work/out")"
else
	pass=$((pass + 1)); echo "ok record-not-canonicalised"
fi
expect_out record-newer-status 0 "RECORD OF A NEWER PCIBIND $work/jnames/devices/0000:00:1f.6: a newer pcibind wrote it (device record v2" \
	jn status
expect record-newer-seize 3 "the record $work/jnames/devices/0000:00:1f.6: a newer pcibind wrote it" \
	jn seize --driver vfio-pci 00:1f.6 --dry-run
expect record-newer-release 3 "a newer pcibind wrote it" jn release 00:1f.6 --dry-run
expect recover-clears-own-name 0 "cleared the record $work/jnames/devices/00:14.0: its name is not a record's" \
	jr --state-dir "$work/jnames" recover
if [ ! -e "$work/jnames/devices/00:14.0" ] && [ -e "$work/jnames/devices/0000:00:1f.6" ]; then
	pass=$((pass + 1)); echo "ok recover-keeps-newer"
else
	fail=$((fail + 1)); echo "FAIL recover-keeps-newer: $(ls "$work/jnames/devices")"
fi

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

# Text pcibind did not write reaches the terminal escaped (issue 19.4), and
# --json stays UTF-8: a journal line with terminal escapes and a 0xff byte,
# and on the vfio fixture pid 666, whose name is such bytes, holding the
# group of a function a record names (tests/fixtures/proc/vfio/666).
plain() { # plain NAME CMD...: no control byte but newlines, and UTF-8, on stdout and stderr
	name=$1
	shift
	"$@" >"$work/out" 2>"$work/err"
	if LC_ALL=C grep -q '[[:cntrl:]]' "$work/out" "$work/err" ||
		! iconv -f UTF-8 -t UTF-8 "$work/out" >/dev/null 2>&1 ||
		! iconv -f UTF-8 -t UTF-8 "$work/err" >/dev/null 2>&1; then
		fail=$((fail + 1)); echo "FAIL $name: raw control bytes, or bytes that are not UTF-8:"
		cat -v "$work/out" "$work/err" | sed 's/^/  /'
	else
		pass=$((pass + 1)); echo "ok $name"
	fi
}
utf8_json() { # utf8_json NAME CMD...: stdout is JSON in strict UTF-8
	name=$1
	shift
	"$@" >"$work/out" 2>"$work/err"
	if python3 -c 'import json, sys
json.loads(sys.stdin.buffer.read().decode("utf-8", "strict"))' <"$work/out" 2>"$work/json-error"; then
		pass=$((pass + 1)); echo "ok $name"
	else
		fail=$((fail + 1)); echo "FAIL $name: $(tail -n 1 "$work/json-error")"
	fi
}
mkdir -p "$work/jtext/devices"; chmod 700 "$work/jtext" "$work/jtext/devices"
printf 'bdf=0000:00:14.0\n\033]0;x\007\377=1\n' >"$work/jtext/devices/0000:00:14.0"
chmod 600 "$work/jtext/devices/0000:00:14.0"
expect_out journal-text-escaped 0 "it is not a pcibind record (bad line '\\e]0;x\\x07\\xff')" \
	pb --policy-dir "$work/empty" --state-dir "$work/jtext" status
plain journal-text-status pb --policy-dir "$work/empty" --state-dir "$work/jtext" status
utf8_json journal-text-status-json pb --policy-dir "$work/empty" --state-dir "$work/jtext" --json status
plain journal-text-refusal pb --policy-dir "$work/empty" --state-dir "$work/jtext" seize --driver vfio-pci \
	00:14.0 --dry-run
vx=$BUILD/fixtures/vfio
mkdir -p "$work/vstate/devices"; chmod 700 "$work/vstate" "$work/vstate/devices"
printf 'bdf=0000:0a:00.0\nid=1af4:1041\ndriver=virtio-pci\nmodule=virtio_pci\nstub=vfio-pci\norigin=cli\nsince=1700000000\n' \
	>"$work/vstate/devices/0000:0a:00.0"
chmod 600 "$work/vstate/devices/0000:0a:00.0"
vs() {
	"$PCIBIND" --sysfs-root "$vx/sys" --modules-dir "$vx/modules" --pci-ids tests/fixtures/hostile/pci.ids \
		--proc-root tests/fixtures/proc/vfio --policy-dir "$work/empty" --state-dir "$work/vstate" "$@"
}
expect_out status-in-use-escaped 0 'in use by pid 666 (\e]0;x\x07\e[2J\xff)' vs status
plain status-in-use-plain vs status
utf8_json status-in-use-json vs --json status
plain show-in-use-plain vs show 0a:00.0
utf8_json show-in-use-json vs --json show 0a:00.0
plain list-names-plain vs list
plain explain-in-use-plain vs explain 0a:00.0
plain refusal-in-use-plain vs release 0a:00.0 --dry-run
expect refusal-in-use-escaped 3 'in use by pid 666 (\e]0;x\x07\e[2J\xff)' vs release 0a:00.0 --dry-run
plain doctor-in-use-plain vs doctor
utf8_json doctor-in-use-json vs --json doctor

echo "hostile input: $((pass + fail)) cases, $pass passed, $fail failed"
[ "$fail" -eq 0 ]
