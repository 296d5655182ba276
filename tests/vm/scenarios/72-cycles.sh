# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian
# 50 seize/release cycles of the e1000e (01:00.0), alternating vfio-pci and
# pci-stub, on the real kernel: after every release e1000e must be bound
# with a netdev, after every seize the stub. One PASS/FAIL per property
# (the first failing cycle is named), and the time taken.

E=0000:01:00.0
N=${VMTEST_CYCLES:-50}

if ! have_pcibind; then
	skip pcibind "pcibind not in the image"
	return 0
fi

pci_snapshot /tmp/72-before
expect_eq e1000e-at-start e1000e "$(sysfs_driver $E)"

seize_bad=
release_bad=
netdev_bad=
i=1
t0=$(cut -d' ' -f1 /proc/uptime)
while [ $i -le "$N" ]; do
	if [ $((i % 2)) = 1 ]; then stub=vfio-pci; else stub=pci-stub; fi
	pb seize --driver $stub $E
	if [ -z "$seize_bad" ] && { [ "$PB_RC" != 0 ] || [ "$(sysfs_driver $E)" != $stub ] ||
		[ "$(pci_override $E)" != $stub ] || [ -n "$(pci_netdevs $E)" ]; }; then
		seize_bad="cycle $i ($stub): exit $PB_RC, driver $(sysfs_driver $E), override $(pci_override $E), net '$(pci_netdevs $E)': $PB_ERR"
	fi
	pb release $E
	if [ -z "$release_bad" ] && { [ "$PB_RC" != 0 ] || [ "$(sysfs_driver $E)" != e1000e ] ||
		[ "$(pci_override $E)" != "(null)" ]; }; then
		release_bad="cycle $i ($stub): exit $PB_RC, driver $(sysfs_driver $E), override $(pci_override $E): $PB_ERR"
	fi
	if [ -z "$netdev_bad" ] && ! expr "$(pci_netdevs $E)" : 'eth[0-9]' >/dev/null; then
		netdev_bad="cycle $i ($stub): no netdev after release ('$(pci_netdevs $E)')"
	fi
	i=$((i + 1))
done
t1=$(cut -d' ' -f1 /proc/uptime)
secs=$(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }')
echo "INFO 72-cycles: $N seize/release cycles of $E in $secs s ($(echo "$t0 $t1 $N" | awk '{ printf "%.2f", ($2 - $1) / $3 }') s per cycle)"

if [ -z "$seize_bad" ]; then pass cycles-seize-ok; else fail cycles-seize-ok "$seize_bad"; fi
if [ -z "$release_bad" ]; then pass cycles-release-ok; else fail cycles-release-ok "$release_bad"; fi
if [ -z "$netdev_bad" ]; then pass cycles-netdev-each-time; else fail cycles-netdev-each-time "$netdev_bad"; fi
pb status --json
expect_eq cycles-journal-empty 0 "$(printf '%s' "$PB_OUT" | jq '.seized | length')"
expect_eq cycles-no-transaction null "$(printf '%s' "$PB_OUT" | jq -c '.transaction')"
# The netdev still works as a netdev: it can be brought up.
NET=$(pci_netdevs $E)
check cycles-link-up ip link set "$NET" up
check cycles-link-down ip link set "$NET" down
# The kernel complained about nothing on the way (WARN splats show as
# "WARNING:" or "------------[ cut here ]").
check_fails cycles-no-kernel-warning sh -c 'dmesg | grep -E "WARNING:|cut here|BUG"'

pci_snapshot /tmp/72-end
expect_eq all-as-at-start "$(cat /tmp/72-before)" "$(cat /tmp/72-end)"
