# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian
# The policy engine on the real kernel: release of the 00:1d functions (no
# reset method) refused by default with the reason, allowed by a
# strict-reset = no rule; a rule that expects another vendor:device at the
# NIC's address refuses to seize it; and hot-plug: with the uevent handler
# running 'pcibind udev' (as udev/70-pcibind.rules does), a hot-added
# e1000e the policy names (hotplug = yes) ends on the stub although e1000e
# is loaded and took it first, and a hot-added device it does not name is
# left alone. Leaves every function on its native driver.

E=0000:01:00.0
U=0000:00:1d.0
HP1=0000:03:00.0
HP2=0000:04:00.0
ST=/run/pcibind-74
POL=/run/pcibind-74-policy

if ! have_pcibind; then
	skip policy "pcibind not in the image"
	return 0
fi
mkdir -p $POL
chmod 755 $POL
P="$PCIBIND --state-dir $ST --policy-dir $POL"

# --- release gated by reset, then allowed by a rule ---------------------------
$P seize --driver vfio-pci --all-functions $U >/dev/null 2>&1
expect_eq usb-slot-seized vfio-pci "$(sysfs_driver $U)"
pb --state-dir $ST --policy-dir $POL release --all-functions $U
expect_rc release-refused-by-default 3
expect_match release-reason 'cannot be reset.*no reset method' "$PB_ERR"
expect_eq usb-slot-still-seized vfio-pci "$(sysfs_driver $U)"
cat >$POL/50-usb.conf <<'POLICY'
[usb may come back]
match-address = 00:1d.*
strict-reset = no
POLICY
chmod 644 $POL/50-usb.conf
pb --state-dir $ST --policy-dir $POL explain --all-functions $U release
expect_match explain-names-rule 'strict-reset = no \(rule \[usb may come back\]' "$PB_OUT"
pb --state-dir $ST --policy-dir $POL release --all-functions $U
expect_rc release-allowed-by-rule 0
expect_eq uhci-back uhci_hcd "$(sysfs_driver $U)"
expect_eq ehci-back ehci-pci "$(sysfs_driver 0000:00:1d.7)"
rm -f $POL/50-usb.conf

# --- expect-id: the NIC's address with another identity -----------------------
cat >$POL/50-nic.conf <<'POLICY'
[sys-net nic]
match-address = 00_02.0-00_00.0
expect-id = 8086:15bb
POLICY
chmod 644 $POL/50-nic.conf
pb --state-dir $ST --policy-dir $POL seize --driver vfio-pci $E
expect_rc expect-id-refused 3
expect_match expect-id-reason '8086:10d3, but rule \[sys-net nic\].*expects 8086:15bb' "$PB_ERR"
expect_eq expect-id-untouched e1000e "$(sysfs_driver $E)"
pb --state-dir $ST --policy-dir $POL policy check
expect_match policy-check-warns 'expects 8086:15bb here' "$PB_OUT"
rm -f $POL/50-nic.conf

# --- hot-plug through the uevent handler ----------------------------------------
cat >$POL/50-hot.conf <<'POLICY'
[hot e1000e]
match-id = 8086:10d3
hotplug = yes
driver = vfio-pci
POLICY
chmod 644 $POL/50-hot.conf
echo "$PCIBIND $POL $ST" >/run/pcibind-udev
hotplug_add hp-named-appears "e1000e,bus=hp1,id=hp74a" $HP1
hp1_stub() { [ "$(sysfs_driver $HP1)" = vfio-pci ]; }
wait_for hp-named-seized 20 hp1_stub
expect_match hp-named-origin-udev "$HP1 .*origin udev" "$($P status 2>&1)"
expect_match hp-named-logged "hot-plugged, and the policy says hotplug = yes" \
	"$(cat /run/pcibind-udev.log 2>/dev/null)"
expect_eq hp-named-no-netdev "" "$(pci_netdevs $HP1)"
hotplug_add hp-other-appears "e1000,bus=hp2,id=hp74b" $HP2
hp2_bound() { [ "$(sysfs_driver $HP2)" = e1000 ]; }
wait_for hp-other-left-alone 20 hp2_bound
check_fails hp-other-no-record grep -q "$HP2" "$ST/devices/$HP2"
rm -f /run/pcibind-udev
pb --state-dir $ST --policy-dir $POL release $HP1
expect_rc hp-named-released 0
expect_eq hp-named-back e1000e "$(sysfs_driver $HP1)"
hotplug_del hp-named-removed hp74a $HP1
hotplug_del hp-other-removed hp74b $HP2
rm -rf $POL
