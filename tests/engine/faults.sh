#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The engine's fault campaign on a fixture, with the fake kernel
# (build/pcibind-fake): for every scenario, fail each operation in turn with
# each plausible errno (and once silently: success without effect), then
# kill -9 at each operation and run 'pcibind recover'. After each, the tree
# must be exactly as before (driver links, overrides, slots, permissive),
# the transaction gone and the records unchanged. Also checks that a clean
# run makes exactly the writes --dry-run printed.
# Usage: faults.sh [FIXTURE]   (BUILD, default build)
. tests/engine/lib.sh
fixture=${1:-laptop}
fake=$BUILD/pcibind-fake
tool=$BUILD/fixture-tool
src=$BUILD/fixtures/$fixture
# tmpfs when there is one: the campaign copies the fixture hundreds of times.

pass=0 fail=0 points=0 restored=0 stranded=0 kills=0 recovered=0
errnos="EBUSY ENODEV EINVAL EIO ENOENT EAGAIN silent"

pb() { # pb DIR ARGS...: the fake pcibind on the copy in DIR
	d=$1; shift
	"$fake" --sysfs-root "$d/sys" --modules-dir "$src/modules" \
		--pci-ids tests/fixtures/pci.ids --state-dir "$d/state" --probe-timeout 50 \
		--policy-dir policy.d --proc-root tests/fixtures/proc/none "$@"
}

# The tree as fixture-tool records it, minus what a rollback keeps by design:
# modules it loaded (and the drivers they registered) stay loaded.
snapshot() { # snapshot DIR OUT
	"$tool" record "$1/sys" "$2.raw" >/dev/null 2>&1 || { echo "record failed" >"$2"; return; }
	awk -v drivers="$(ls "$base/sys/bus/pci/drivers" 2>/dev/null | tr '\n' ' ')" '
		BEGIN { n = split(drivers, d, " "); for (i = 1; i <= n; i++) keep[d[i]] = 1 }
		$2 ~ /^module\// { next }
		$2 ~ /^bus\/pci\/drivers\// { split($2, p, "/"); if (!(p[4] in keep)) next }
		# pciback keeps slots in insertion order; the order means nothing to it.
		$2 ~ /^bus\/pci\/drivers\/pciback\/(slots|permissive)$/ {
			n = split($4, e, "\\\\n")
			for (i = 2; i <= n; i++) { v = e[i]; for (j = i - 1; j >= 1 && e[j] > v; j--) e[j + 1] = e[j]; e[j + 1] = v }
			s = ""; for (i = 1; i <= n; i++) if (e[i] != "") s = s e[i] "\\n"
			print $1, $2, $3, s; next
		}
		{ print }' "$2.raw" >"$2"
}

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

same_as_base() { # same_as_base DIR WHAT: tree, transaction and records as in $base
	snapshot "$1" "$work/now.tree"
	if ! cmp -s "$work/base.tree" "$work/now.tree"; then
		bad "$2: tree differs from before"; diff "$work/base.tree" "$work/now.tree" | head -8
		return 1
	fi
	if [ -e "$1/state/txn" ]; then bad "$2: transaction left behind"; return 1; fi
	if ! diff -r "$base/state/devices" "$1/state/devices" >/dev/null 2>&1; then
		bad "$2: journal records changed"; return 1
	fi
	return 0
}

scenario() { # scenario NAME "SETUP ARGS" "ARGS" [EXIT-ON-FAULT]
	name=$1 setup=$2 args=$3 want=${4:-4}
	base=$work/base-$name
	rm -rf "$base"; mkdir -p "$base"
	cp -a "$src/sys" "$base/sys"
	sh tests/engine/prep.sh "$base/sys" "$src/fixture.aliases"
	# SETUP: pcibind commands separated by ';'
	rest=$setup
	while [ -n "$rest" ]; do
		one=${rest%%;*}
		case $rest in *\;*) rest=${rest#*;} ;; *) rest= ;; esac
		# shellcheck disable=SC2086
		pb "$base" $one >/dev/null 2>&1 || { bad "$name: setup '$one' failed"; return; }
	done
	mkdir -p "$base/state/devices"
	snapshot "$base" "$work/base.tree"

	# A clean run, logged: it must do exactly what --dry-run said.
	run=$work/run; rm -rf "$run"; cp -a "$base" "$run"
	# shellcheck disable=SC2086
	pb "$run" $args --dry-run 2>/dev/null | sed -n 's/^ *[0-9]*  \(.*\)  # .*/\1/p' >"$work/plan"
	# A native module not loaded yet: its driver's name is known once it is
	# (the fake kernel's table says which); the plan names it "<driver of M>".
	for m in $(sed -n 's/.*<driver of \([^>]*\)>.*/\1/p' "$work/plan" | sort -u); do
		d=$(head -n 1 "$base/sys/.fake/modules/$m")
		sed -i "s/<driver of $m>/$d/g" "$work/plan"
	done
	# shellcheck disable=SC2086
	PCIBIND_FAKE_LOG=$work/log pb "$run" $args >/dev/null 2>"$work/err"; st=$?
	rm -f "$work/log.tmp"
	[ -f "$work/log" ] && mv "$work/log" "$work/log.tmp"
	if [ $st -ne 0 ]; then bad "$name: clean run exited $st: $(cat "$work/err")"; return; fi
	if cmp -s "$work/plan" "$work/log.tmp"; then ok; else
		bad "$name: the writes differ from the --dry-run plan"; diff "$work/plan" "$work/log.tmp"
	fi
	nops=$(wc -l <"$work/log.tmp")
	[ "$nops" -gt 0 ] || { bad "$name: the clean run did nothing"; return; }

	k=1
	while [ "$k" -le "$nops" ]; do
		op=$(sed -n "${k}p" "$work/log.tmp")
		for e in $errnos; do
			# A reset leaves nothing to read back: a silent one cannot be seen.
			case "$e:$op" in silent:*/reset\ *) continue ;; esac
			points=$((points + 1))
			rm -rf "$run"; cp -a "$base" "$run"
			# shellcheck disable=SC2086
			PCIBIND_FAKE_FAIL=$k:$e pb "$run" $args >/dev/null 2>"$work/err"; st=$?
			if [ $st -eq 5 ]; then stranded=$((stranded + 1)); fi
			# A module load fails before the transaction: nothing changed, exit 1.
			case "$st:$op" in 1:load-module\ *) st=$want ;; esac
			if [ $st -ne "$want" ]; then
				bad "$name: op $k $e: exit $st, not $want"; sed 's/^/  /' "$work/err"
				continue
			fi
			if same_as_base "$run" "$name: op $k $e"; then restored=$((restored + 1)); ok; fi
		done
		kills=$((kills + 1))
		rm -rf "$run"; cp -a "$base" "$run"
		# shellcheck disable=SC2086
		PCIBIND_FAKE_FAIL=$k:kill pb "$run" $args >/dev/null 2>&1; st=$?
		if [ $st -ne 137 ]; then bad "$name: kill at op $k: exit $st"; k=$((k + 1)); continue; fi
		case "$op" in
		load-module\ *) ;; # before the transaction: nothing to recover
		*) [ -e "$run/state/txn" ] || bad "$name: kill at op $k left no transaction" ;;
		esac
		if ! pb "$run" recover >/dev/null 2>"$work/err"; then
			bad "$name: recover after kill at op $k failed: $(cat "$work/err")"
		elif same_as_base "$run" "$name: kill at op $k"; then
			recovered=$((recovered + 1)); ok
		fi
		k=$((k + 1))
	done
	echo "ok $name: $nops operations"
}

make -s "$fake" "$tool" >/dev/null || exit 1
# 00:1f.6 shares IOMMU group 12 with 1f.3 and the SMBus 1f.4: --group never takes
# the SMBus, so the group is viable only once it is on pci-stub; then vfio-pci
# takes the rest of the group.
smbus="seize --driver pci-stub -o no-strict-reset 00:1f.4"
scenario seize-vfio "$smbus" "seize --driver vfio-pci --group -o no-strict-reset 00:1f.6"
scenario seize-pciback-permissive "" "seize --driver pciback -o permissive 00:1f.6"
scenario seize-usb-slot "" "seize --driver pciback --all-functions 00:1d.0"
scenario release "$smbus;seize --driver vfio-pci --group -o no-strict-reset 00:1f.6" \
	"release 00:1f.6"
scenario release-usb-slot "seize --driver pciback --all-functions 00:1d.0" \
	"release --all-functions -o no-strict-reset 00:1d.7"
scenario release-unloaded-native "" "release 02:00.0"
scenario move-stub "$smbus;seize --driver vfio-pci --group -o no-strict-reset 00:1f.6" \
	"seize --driver pci-stub 00:1f.6"
# boot never fails the boot (exit 0), but a slot it could not move is as before.
printf 'rd.pcibind.seize=00:1d.0,00:1d.1,00:1d.2,00:1d.7 rd.pcibind.driver=pci-stub\n' >"$work/cmdline-usb"
printf 'rd.pcibind.seize=00:1f.6\n' >"$work/cmdline-nic"
scenario boot-usb-slot "" "boot --cmdline $work/cmdline-usb --kmsg /dev/null" 0
scenario boot-nic "" "boot --cmdline $work/cmdline-nic --kmsg /dev/null" 0

echo "faults: $points fault points, $restored restored, $stranded stranded"
echo "kills: $kills kill points, $recovered recovered"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
