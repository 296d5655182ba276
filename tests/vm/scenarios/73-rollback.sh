# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian
# Rollback on the real kernel, with failures the kernel itself produces:
#  * a stub module that modprobe.d blacklists (the load step fails): exit 4,
#    the e1000e untouched;
#  * an e1000e hot-plugged with a multicast MAC, whose e1000e probe fails
#    ("Invalid MAC Address", -EIO): seized to vfio-pci from no driver, its
#    release fails at the bind and is rolled back (exit 4), alone and
#    together with the good e1000e (01:00.0), which had already been bound
#    back to e1000e and must return to vfio-pci;
#  * two pcibinds started at once on two functions: the lock serializes
#    them, both succeed.
# Uses its own --state-dir, so the default journal stays as it was.

E=0000:01:00.0
B=0000:03:00.0
S=/tmp/pb73

if ! have_pcibind; then
	skip pcibind "pcibind not in the image"
	return 0
fi

pci_snapshot /tmp/73-before
own_state

# ---- a blacklisted stub module ----------------------------------------------
rmmod vfio_pci 2>/dev/null
if [ -d /sys/bus/pci/drivers/vfio-pci ]; then
	skip blacklist "vfio_pci could not be unloaded"
else
	mkdir -p /etc/modprobe.d
	echo "blacklist vfio_pci" >/etc/modprobe.d/73-pcibind-test.conf
	pbs seize --driver vfio-pci $E
	expect_rc blacklist-seize-exit 4
	expect_match blacklist-cause "blacklisted" "$PB_ERR"
	expect_match blacklist-put-back "nothing was changed|put back" "$PB_ERR"
	echo "INFO 73 blacklist: $(tl_oneline "$PB_ERR")"
	expect_eq blacklist-still-e1000e e1000e "$(sysfs_driver $E)"
	expect_eq blacklist-override-untouched "(null)" "$(pci_override $E)"
	check blacklist-netdev-still test -n "$(pci_netdevs $E)"
	pbs status --json
	expect_eq blacklist-no-record 0 "$(printf '%s' "$PB_OUT" | jq '.seized | length')"
	expect_eq blacklist-no-transaction null "$(printf '%s' "$PB_OUT" | jq -c '.transaction')"
	rm -f /etc/modprobe.d/73-pcibind-test.conf
fi

# ---- two pcibinds at once: the second waits for the first's lock -----------
# (busybox has no flock(1) to hold the lock from a shell.)
X=0000:02:00.0
"$PCIBIND" --state-dir $S seize --driver pci-stub $E >/tmp/73-a.out 2>&1 &
pa=$!
"$PCIBIND" --state-dir $S seize --driver pci-stub $X >/tmp/73-b.out 2>&1 &
pb_=$!
wait $pa; ra=$?
wait $pb_; rb=$?
expect_eq concurrent-seize-exits "0 0" "$ra $rb"
expect_eq concurrent-seize-drivers "pci-stub pci-stub" "$(sysfs_driver $E) $(sysfs_driver $X)"
"$PCIBIND" --state-dir $S release $E >/tmp/73-a.out 2>&1 &
pa=$!
"$PCIBIND" --state-dir $S release $X >/tmp/73-b.out 2>&1 &
pb_=$!
wait $pa; ra=$?
wait $pb_; rb=$?
expect_eq concurrent-release-exits "0 0" "$ra $rb"
expect_eq concurrent-release-drivers "e1000e xhci_hcd" "$(sysfs_driver $E) $(sysfs_driver $X)"
expect_eq concurrent-overrides-cleared "(null) (null)" "$(pci_override $E) $(pci_override $X)"
pbs status --json
expect_eq concurrent-journal-empty 0 "$(printf '%s' "$PB_OUT" | jq '.seized | length')"
[ "$ra $rb" = "0 0" ] || echo "INFO 73 concurrent: $(tl_oneline "$(cat /tmp/73-a.out /tmp/73-b.out)")"

# ---- a native driver whose probe fails ----------------------------------------
hotplug_add bad-nic-appears "e1000e,bus=hp1,id=hpbad,mac=01:00:5e:00:00:01" $B
bad_probe_failed() { dmesg | grep -q "$B.*Invalid MAC"; }
wait_for bad-nic-e1000e-probe-failed 20 bad_probe_failed
expect_eq bad-nic-no-driver none "$(sysfs_driver $B)"
echo "INFO 73 dmesg: $(tl_oneline "$(dmesg | grep "$B" | tail -n 3)")"

pbs seize --driver vfio-pci $B
expect_rc bad-nic-seize-exit 0
expect_eq bad-nic-seize-says "$B: none -> vfio-pci" "$PB_OUT"
expect_eq bad-nic-on-vfio vfio-pci "$(sysfs_driver $B)"

pbs release --dry-run $B
expect_match bad-nic-release-plan-e1000e "write bus/pci/drivers/e1000e/bind \"$B\"" "$PB_OUT"
pbs release $B
expect_rc bad-nic-release-rolled-back 4
echo "INFO 73 bad release: $(tl_oneline "$PB_ERR")"
expect_match bad-nic-release-names-bind "e1000e/bind" "$PB_ERR"
expect_match bad-nic-release-cause "probe failed|Input/output error" "$PB_ERR"
expect_eq bad-nic-back-on-vfio vfio-pci "$(sysfs_driver $B)"
expect_eq bad-nic-override-as-before vfio-pci "$(pci_override $B)"
pbs status --json
expect_eq bad-nic-still-recorded "vfio-pci false" \
	"$(printf '%s' "$PB_OUT" | jq -r --arg a $B '.seized[] | select(.address == $a) | "\(.stub_driver) \(.stranded)"')"
expect_eq bad-nic-no-transaction null "$(printf '%s' "$PB_OUT" | jq -c '.transaction')"

# Two functions: the good one is bound back to e1000e first, then the bad
# one fails; both must end on vfio-pci again.
pbs seize --driver vfio-pci $E
expect_rc pair-seize-good-exit 0
pbs release --dry-run $E $B
printf '%s\n' "$PB_OUT" >/tmp/73-plan
expect_eq pair-plan-binds-good-first "bind $E e1000e;bind $B e1000e;" \
	"$(plan_events /tmp/73-plan | grep '^bind' | tr '\n' ';')"
uevent_watch_start /tmp/73-ev
pbs release $E $B
uevent_watch_stop /tmp/73-ev /tmp/73-plan
expect_rc pair-release-rolled-back 4
echo "INFO 73 pair release: $(tl_oneline "$PB_ERR")"
expect_match pair-good-was-bound-to-e1000e "bind $E e1000e" "$(seen_events /tmp/73-ev)"
expect_eq pair-good-back-on-vfio vfio-pci "$(sysfs_driver $E)"
expect_eq pair-good-override-as-before vfio-pci "$(pci_override $E)"
expect_eq pair-good-no-netdev "" "$(pci_netdevs $E)"
expect_eq pair-bad-back-on-vfio vfio-pci "$(sysfs_driver $B)"
expect_eq pair-bad-override-as-before vfio-pci "$(pci_override $B)"
pbs status --json
expect_eq pair-records-kept "$E vfio-pci e1000e;$B vfio-pci none;" \
	"$(printf '%s' "$PB_OUT" | jq -r '.seized[] | "\(.address) \(.stub_driver) \(.native_driver // "none")"' | sort | tr '\n' ';')"

pbs release $E
expect_rc good-release-exit 0
expect_eq good-back-on-e1000e e1000e "$(sysfs_driver $E)"
expect_eq good-override-cleared "(null)" "$(pci_override $E)"
good_netdev() { [ -n "$(pci_netdevs $E)" ]; }
wait_for good-netdev-back 10 good_netdev

# Unplug the bad NIC (still on vfio-pci) and drop this scenario's journal.
hotplug_del bad-nic-removed hpbad $B
rm -rf $S
[ "$(sysfs_driver $E)" = e1000e ] || {
	echo >/sys/bus/pci/devices/$E/driver_override
	echo $E >/sys/bus/pci/devices/$E/driver/unbind
	echo $E >/sys/bus/pci/drivers/e1000e/bind
} 2>/dev/null
pci_snapshot /tmp/73-end
# vfio_pci may be unloaded now, which the snapshot does not show.
expect_eq all-as-at-start "$(cat /tmp/73-before)" "$(cat /tmp/73-end)"
