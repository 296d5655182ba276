#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# boot --dry-run and udev --dry-run plan the same from the lazy snapshot as
# from the full one (PCIBIND_SNAPSHOT=full), on every fixture tree (the
# hand-written specs, the recorded machines) and a bench/gen-spec.sh machine:
# Qubes' and pcibind's command lines, one rd.pcibind.seize= per function,
# a policy that seizes network and USB at boot, and a hot-plug event for
# every function under a policy that says hotplug = yes for every class.
. tests/engine/lib.sh
pass=0 fail=0 runs=0

mkdir -p "$work/pol-none"
cp policy.d/10-defaults.conf "$work/pol-none/"
chmod 644 "$work/pol-none"/*.conf
printf '[boot nics and usb]\nmatch-class = network\nmatch-class = usb\nboot = yes\n' |
	policy_dir "$work/pol-boot" 50-boot.conf
{
	printf '[everything hot]\n'
	for c in $("$BUILD/pcibind" list --help | sed -n 's/^Class names: //p'); do
		printf 'match-class = %s\n' "$c"
	done
	printf 'hotplug = yes\nstrict-reset = no\n'
} | policy_dir "$work/pol-hot" 50-hot.conf

sh bench/gen-spec.sh 128 >"$work/gen.spec"
"$BUILD/fixture-tool" spec "$work/gen.spec" "$work/gen.tree" "$work/gen.aliases" >/dev/null
"$BUILD/fixture-tool" materialize "$work/gen.tree" "$work/gen-sys"

# same NAME POLICY ARGS...: the output and exit of a lazy and a full run agree
same() {
	name=$1 pol=$2; shift 2
	runs=$((runs + 1))
	"$BUILD/pcibind" --sysfs-root "$sys" --modules-dir "$mods" --pci-ids tests/fixtures/pci.ids \
		--state-dir "$work/state" --policy-dir "$work/$pol" --proc-root tests/fixtures/proc/none \
		"$@" >"$work/lazy" 2>&1
	echo "exit $?" >>"$work/lazy"
	PCIBIND_SNAPSHOT=full "$BUILD/pcibind" --sysfs-root "$sys" --modules-dir "$mods" \
		--pci-ids tests/fixtures/pci.ids --state-dir "$work/state" --policy-dir "$work/$pol" \
		--proc-root tests/fixtures/proc/none "$@" >"$work/full" 2>&1
	echo "exit $?" >>"$work/full"
	# boot's last line says how long it took
	sed -i 's/, [0-9]* ms$/, N ms/' "$work/lazy" "$work/full"
	if cmp -s "$work/lazy" "$work/full"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $fx: $name: lazy and full snapshots differ"
		diff "$work/full" "$work/lazy" | head -20
	fi
}
boot() { # boot NAME POLICY CMDLINE
	printf '%s\n' "$3" >"$work/cmdline"
	same "boot $1" "$2" boot --dry-run --cmdline "$work/cmdline" --kmsg /dev/stdout
}

for sys in "$BUILD"/fixtures/*/sys "$work/gen-sys"; do
	fx=${sys%/sys}
	fx=${fx##*/}
	if [ "$sys" = "$work/gen-sys" ]; then
		fx=gen-spec-128
		mods=$BUILD/fixtures/laptop/modules
	else
		mods=$BUILD/fixtures/$fx/modules
	fi
	before=$pass
	boot qubes pol-none "rd.qubes.hide_all_usb"
	boot qubes-net pol-none "rd.qubes.hide_pci=00:1f.6 rd.qubes.dom0_usb=00:14.0"
	boot seize pol-none "rd.pcibind.seize=network,usb rd.pcibind.keep=00:1d.7"
	boot vfio pol-none "rd.pcibind.seize=network,usb rd.pcibind.driver=vfio-pci"
	boot policy pol-boot "quiet"
	for b in $(ls "$sys/bus/pci/devices"); do
		boot "seize=$b" pol-none "rd.pcibind.seize=$b"
		devpath=$(readlink "$sys/bus/pci/devices/$b" | sed 's|^\(\.\./\)*|/|')
		ACTION=add SUBSYSTEM=pci SEQNUM=1 DEVPATH=$devpath same "udev $b" pol-hot udev --dry-run
	done
	echo "ok $fx: $((pass - before)) boot and udev runs, lazy = full"
done
echo "lazy-cli: $runs comparisons, $pass same, $fail differ"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
