#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check-pkg: make install/uninstall, the .deb and the RPMs.
#  - make install takes its directories from pkg-config (a fake one with
#    unusual answers) and falls back to the usual paths without it; the file
#    list is tests/pkg/expected-install.txt; make uninstall leaves no file,
#    except a configuration file changed after install.
#  - the .deb (dpkg-buildpackage in a scratch copy, build/pkg/): its files
#    and modes match tests/pkg/expected-deb.txt, the /etc policy is a
#    conffile, Depends comes from dpkg-shlibdeps, the unit is not enabled,
#    update-initramfs is triggered, lintian reports no error (its output:
#    build/pkg/lintian.txt).
#  - the RPMs (rpmbuild -bb): files match expected-rpm*.txt, %post says to
#    rebuild the initramfs; pcibind-qubes' policy, on the Xen dom0 fixture
#    with the fake kernel and no kernel option, sends the NIC to pciback and
#    leaves USB alone, as Qubes' 90qubes-pciback does.
# Prints "ok NAME" / "FAIL NAME: why" and a count; exit 1 on any failure.
set -u
# shellcheck source=tests/pkg/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$top" || exit 1
export LC_ALL=C
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok $1"; }
no() { fail=$((fail + 1)); echo "FAIL $1: $2"; }
check() { # check NAME CMD...
	local n=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$n"; else no "$n" "$*"; fi
}
# same NAME EXPECTED-FILE ACTUAL-FILE: equal, else the diff.
same() {
	if diff -u "$2" "$3" >"$out/diff.txt" 2>&1; then ok "$1"; else
		no "$1" "differs from $2:"; sed 's/^/    /' "$out/diff.txt" | head -n 40; fi
}
mkdir -p "$out"
t0=$(date +%s)

# ---- make install / uninstall ------------------------------------------------
d=$out/destdir
rm -rf "$d"
make -s install DESTDIR="$d" PKG_CONFIG="$top/tests/pkg/fake-pkg-config" >/dev/null 2>"$out/install.err"
check install-exit test -s "$d/usr/sbin/pcibind"
(cd "$d" && find . ! -type d -printf '%M /%P\n' | sort) >"$out/install.txt"
same install-files-from-pkg-config tests/pkg/expected-install.txt "$out/install.txt"
check install-rule-sbindir grep -q 'RUN+="/usr/sbin/pcibind ' "$d/pc/udev/rules.d/70-pcibind.rules"
check install-unit-sbindir grep -qx 'ExecStart=/usr/sbin/pcibind boot' "$d/pc/systemd/system/pcibind-boot.service"
check_fails() { local n=$1; shift; if "$@" >/dev/null 2>&1; then no "$n" "$* succeeded"; else ok "$n"; fi; }
check_fails install-no-placeholder grep -rq '@SBINDIR@' "$d"
echo "# local change" >>"$d/etc/pcibind/policy.d/50-local.conf"
make -s uninstall DESTDIR="$d" PKG_CONFIG="$top/tests/pkg/fake-pkg-config" >/dev/null
expect_left=$(printf '%s\n' "./etc/pcibind/policy.d/50-local.conf")
if [ "$(cd "$d" && find . ! -type d)" = "$expect_left" ]; then ok uninstall-removes-all-but-changed-conf
else no uninstall-removes-all-but-changed-conf "left: $(cd "$d" && find . ! -type d | tr '\n' ' ')"; fi
check_fails uninstall-removes-module-dir test -e "$d/pc/dracut/modules.d/90pcibind"
check_fails uninstall-removes-vendor-dir test -e "$d/usr/lib/pcibind"
rm -rf "$d"
make -s install DESTDIR="$d" PKG_CONFIG=false >/dev/null 2>&1
check fallback-udevdir test -f "$d/lib/udev/rules.d/70-pcibind.rules"
check fallback-unitdir test -f "$d/lib/systemd/system/pcibind-boot.service"
check fallback-dracutdir test -f "$d/usr/lib/dracut/modules.d/90pcibind/module-setup.sh"
make -s uninstall DESTDIR="$d" PKG_CONFIG=false >/dev/null 2>&1
if [ -z "$(cd "$d" && find . ! -type d)" ]; then ok fallback-uninstall-empty
else no fallback-uninstall-empty "left: $(cd "$d" && find . ! -type d | tr '\n' ' ')"; fi
rm -rf "$d"

# ---- the .deb -------------------------------------------------------------------
if root=$(tests/pkg/deb-root.sh); then ok deb-builds; else no deb-builds "see $out/deb-build.log"; fi
deb=
for f in "$out"/pcibind_"$version"*_*.deb; do [ -f "$f" ] && deb=$f && break; done
if [ -n "$deb" ]; then
	dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $1, $6 }' | sort >"$out/deb.txt"
	same deb-files tests/pkg/expected-deb.txt "$out/deb.txt"
	ctl=$out/deb-control
	rm -rf "$ctl"; dpkg-deb -e "$deb" "$ctl"
	expect=/etc/pcibind/policy.d/50-local.conf
	if [ "$(cat "$ctl/conffiles")" = "$expect" ]; then ok deb-conffile
	else no deb-conffile "conffiles: $(cat "$ctl/conffiles")"; fi
	depends=$(dpkg-deb -f "$deb" Depends)
	for lib in libc6 libkmod2 libpci3 libudev1 libinih1 libjson-c5; do
		case ", $depends" in *", $lib "*|*", $lib,"*) ok "deb-depends-$lib" ;;
		*) no "deb-depends-$lib" "Depends: $depends" ;; esac
	done
	check deb-purge-cleans-unit grep -q 'deb-systemd-helper purge .*pcibind-boot.service' "$ctl/postrm"
	check_fails deb-unit-not-enabled grep -Eq 'deb-systemd-helper enable|deb-systemd-invoke .*start' <(sed '/was-enabled/,/fi/d' "$ctl/postinst")
	check deb-initramfs-trigger grep -q 'update-initramfs' "$ctl/triggers"
	check deb-unit-sbindir grep -qx 'ExecStart=/usr/sbin/pcibind boot' "$root/usr/lib/systemd/system/pcibind-boot.service"
	check deb-unit-verifies systemd-analyze verify --man=no --root="$root" /usr/lib/systemd/system/pcibind-boot.service
	check deb-rule-sbindir grep -q 'RUN+="/usr/sbin/pcibind ' "$root/usr/lib/udev/rules.d/70-pcibind.rules"
	# The initramfs-tools hook writes dracut's 79-pcibind.rules line; they agree.
	want=$(grep -v '^#' "$root/usr/lib/dracut/modules.d/90pcibind/79-pcibind.rules")
	got=$(sed -n "/<<'RULE'/,/^RULE/p" "$root/usr/share/initramfs-tools/hooks/pcibind" | sed '1d;$d')
	if [ -n "$want" ] && [ "$want" = "$got" ]; then ok deb-79-rules-agree
	else no deb-79-rules-agree "dracut: $want / initramfs-tools: $got"; fi
	for s in usr/share/initramfs-tools/hooks/pcibind usr/share/initramfs-tools/scripts/init-top/pcibind; do
		check "deb-sh-syntax-$(basename "$(dirname "$s")")" sh -n "$root/$s"
		n=deb-no-prereqs-$(basename "$(dirname "$s")")
		if [ -z "$("$root/$s" prereqs)" ]; then ok "$n"; else no "$n" "prereqs: $("$root/$s" prereqs)"; fi
	done
	lintian --pedantic --info "$deb" >"$out/lintian.txt" 2>&1
	lrc=$?
	if [ "$lrc" = 0 ] && ! grep -q '^E: ' "$out/lintian.txt"; then ok deb-lintian-no-errors; else
		no deb-lintian-no-errors "lintian (exit $lrc):"; grep '^E: ' "$out/lintian.txt" | sed 's/^/    /'; fi
	grep '^[WI]: ' "$out/lintian.txt" | sed 's/^/    lintian: /'
fi

# ---- the RPMs -------------------------------------------------------------------
if tests/pkg/build-rpm.sh >"$out/rpms.txt"; then ok rpm-builds; else no rpm-builds "see $out/rpm-build.log"; fi
for name in pcibind pcibind-qubes; do
	rpm=$(grep "/$name-$version-[^/]*\.rpm\$" "$out/rpms.txt" | head -n1)
	if [ -z "$rpm" ]; then no "rpm-$name-built" "no $name RPM"; continue; fi
	rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpm" 2>/dev/null |
		grep -v -e '^d' -e ' /usr/lib/\.build-id' | sort >"$out/$name-rpm.txt"
	same "rpm-$name-files" "tests/pkg/expected-rpm-$name.txt" "$out/$name-rpm.txt"
	rpm -qp --scripts "$rpm" >"$out/$name-rpm-scripts.txt" 2>/dev/null
	check "rpm-$name-post-says-initramfs" grep -q 'rebuild the initramfs' "$out/$name-rpm-scripts.txt"
done
rroot=$out/rpmroot/pcibind
check rpm-conffile sh -c "rpm -qp --configfiles $(grep '/pcibind-[0-9].*x86_64.rpm$' "$out/rpms.txt" | head -n1) | grep -qx /etc/pcibind/policy.d/50-local.conf"
check rpm-unit-sbindir grep -qx 'ExecStart=/usr/sbin/pcibind boot' "$rroot/usr/lib/systemd/system/pcibind-boot.service"
check rpm-requires-libkmod sh -c "rpm -qp --requires $(grep '/pcibind-[0-9].*x86_64.rpm$' "$out/rpms.txt" | head -n1) | grep -q '^libkmod.so.2'"
# pcibind-qubes' dracut.conf.d: leaves Qubes' module out, adds pcibind's and
# installs policy files the packages ship.
qroot=$out/rpmroot/pcibind-qubes
qconf=$qroot/usr/lib/dracut/dracut.conf.d/50-pcibind-qubes.conf
# shellcheck disable=SC1090
vars=$(bash -c '. "$1"; printf "%s|%s|%s" "$omit_dracutmodules" "$add_dracutmodules" "$install_items"' _ "$qconf")
case " ${vars%%|*} " in *" qubes-pciback "*) ok qubes-omits-90qubes-pciback ;; *) no qubes-omits-90qubes-pciback "$vars" ;; esac
rest=${vars#*|}
case " ${rest%%|*} " in *" pcibind "*) ok qubes-adds-90pcibind ;; *) no qubes-adds-90pcibind "$vars" ;; esac
for f in ${rest#*|}; do
	if [ -f "$rroot$f" ] || [ -f "$qroot$f" ]; then ok "qubes-installs-${f##*/}"; else no "qubes-installs-${f##*/}" "no package ships $f"; fi
done

# pcibind-qubes' policy on the Xen dom0 laptop fixture, fake kernel, no option.
qboot() { # qboot NAME CMDLINE POLICY-FILES...
	local n=$1 cmd=$2 w=$out/qubes/$1; shift 2
	rm -rf "$w"; mkdir -p "$w/pol"
	cp -a "$BUILD_DIR/fixtures/laptop/sys" "$w/sys"
	sh tests/engine/prep.sh "$w/sys" "$BUILD_DIR/fixtures/laptop/fixture.aliases"
	cp "$@" "$w/pol/"; chmod 644 "$w/pol"/*
	printf '%s\n' "$cmd" >"$w/cmdline"
	"$BUILD_DIR/pcibind-fake" --sysfs-root "$w/sys" --modules-dir "$BUILD_DIR/fixtures/laptop/modules" \
		--pci-ids tests/fixtures/pci.ids --state-dir "$w/state" --policy-dir "$w/pol" \
		--proc-root tests/fixtures/proc/none boot --cmdline "$w/cmdline" --kmsg "$w/kmsg" >"$w/out" 2>&1
	QW=$w
}
qdrv() { basename "$(readlink "$QW/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
BUILD_DIR=$top/${BUILD:-build}
pol=$rroot/usr/lib/pcibind/policy.d/10-defaults.conf
qpol=$qroot/usr/lib/pcibind/policy.d/50-qubes-dom0.conf
if [ -x "$BUILD_DIR/pcibind-fake" ] && [ -f "$qpol" ]; then
	qboot plain "root=/dev/x quiet" "$pol"
	check qubes-without-package-nic-stays [ "$(qdrv 0000:00:1f.6)" = e1000e ]
	qboot qubes "root=/dev/x quiet" "$pol" "$qpol"
	check qubes-no-option-nic-to-pciback [ "$(qdrv 0000:00:1f.6)" = pciback ]
	check qubes-no-option-wifi-stays-pciback [ "$(qdrv 0000:02:00.0)" = pciback ]
	check qubes-no-option-usb-stays [ "$(qdrv 0000:00:14.0)$(qdrv 0000:00:1d.0)" = xhci_hcduhci_hcd ]
	check qubes-origin-boot grep -q '^origin=boot' "$QW/state/devices/0000:00:1f.6"
	qboot qubes-usb "rd.qubes.hide_all_usb" "$pol" "$qpol"
	check qubes-hide-all-usb-nic [ "$(qdrv 0000:00:1f.6)" = pciback ]
	check qubes-hide-all-usb-usb [ "$(qdrv 0000:00:1d.0)$(qdrv 0000:00:1d.7)" = pcibackpciback ]
	qboot qubes-off "rd.pcibind=0" "$pol" "$qpol"
	check qubes-off-nic-stays [ "$(qdrv 0000:00:1f.6)" = e1000e ]
else
	no qubes-policy-boot "needs $BUILD_DIR/pcibind-fake (make $BUILD_DIR/pcibind-fake fixtures) and $qpol"
fi

echo "check-pkg: $pass passed, $fail failed, $(($(date +%s) - t0)) s"
[ "$fail" = 0 ]
