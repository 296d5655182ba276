# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: dracut
# udev/70-pcibind.rules itself, run by the real systemd-udevd of the dracut
# image (build-dracut.sh installs it with @SBINDIR@ = /usr/sbin): with a
# policy in the default directory that names the e1000e (hotplug = yes,
# driver = vfio-pci), a hot-added e1000e ends on vfio-pci with a record of
# origin udev, although e1000e is loaded and takes it first; a hot-added
# e1000 the policy does not name stays on e1000 with no record. The queue
# settles, and the bind/unbind events pcibind causes run no second
# 'pcibind udev' (udevd's debug log shows one run per device, on "add").
# Leaves the guest as it found it: policy gone, devices released and
# unplugged, udevd back at log level err.

HP1=0000:03:00.0
HP2=0000:04:00.0
# dracut's udevrulesdir: /usr/lib/udev/rules.d (merged /usr) or /lib/udev/rules.d.
RULE=/usr/lib/udev/rules.d/70-pcibind.rules
[ -f $RULE ] || RULE=/lib/udev/rules.d/70-pcibind.rules
POLDIR=/etc/pcibind/policy.d
MON=/tmp/95-udev-monitor.log
JRN=/tmp/95-udevd-debug.log

if ! have_pcibind; then
	skip udev-rule "pcibind not in the image"
	return 0
fi

# --- the rule and the tools are in the image ----------------------------------
check udevadm-present command -v udevadm
check rule-installed test -f "$RULE"
expect_match rule-runs-image-pcibind \
	'^ACTION=="add[|]remove", SUBSYSTEM=="pci", RUN\+="/usr/sbin/pcibind --lock-timeout 1000 --probe-timeout 3000 udev"$' \
	"$(grep -v '^#' "$RULE")"
check image-pcibind-runs /usr/sbin/pcibind --version
check_fails no-policy-yet sh -c "ls /usr/lib/pcibind/policy.d/*.conf $POLDIR/*.conf"
check_fails no-record-yet test -e /run/pcibind/devices/$HP1
# udevd's own view: "add" of a PCI device runs pcibind, bind/unbind do not
# (udevadm test lists RUN programs without running them).
udevadm_runs() { udevadm test --action="$1" /sys/bus/pci/devices/0000:00:04.0 2>&1 | grep -c "run: '/usr/sbin/pcibind"; }
expect_eq udevadm-test-add-runs-pcibind 1 "$(udevadm_runs add)"
expect_eq udevadm-test-bind-runs-nothing 0 "$(udevadm_runs bind)"
expect_eq udevadm-test-unbind-runs-nothing 0 "$(udevadm_runs unbind)"

# --- watch udevd: its debug log and the events it has processed ---------------
check udevd-debug-on udevadm control --log-level=debug
jcursor=$(journalctl --show-cursor -n 0 -q 2>/dev/null | sed -n 's/^-- cursor: //p')
udevadm monitor --udev --property --subsystem-match=pci >$MON 2>&1 &
monpid=$!
tl_poll 5 grep -q '^UDEV.*the event' $MON

# --- the policy: the e1000e may be seized on hot-plug --------------------------
created_etc=0
[ -d /etc/pcibind ] || created_etc=1
mkdir -p $POLDIR
chmod 755 /etc/pcibind $POLDIR
cat >$POLDIR/50-hot.conf <<'POLICY'
[hot e1000e]
match-id = 8086:10d3
hotplug = yes
driver = vfio-pci
POLICY
chmod 644 $POLDIR/50-hot.conf
pb policy check
expect_rc policy-valid 0

# --- the named e1000e: seized by the rule ---------------------------------------
hotplug_add hp-named-appears "e1000e,bus=hp1,id=hp95a" $HP1
hp1_stub() { [ "$(sysfs_driver $HP1)" = vfio-pci ]; }
wait_for hp-named-on-vfio 30 hp1_stub
check hp-named-queue-settles udevadm settle --timeout=30
expect_eq hp-named-still-on-vfio vfio-pci "$(sysfs_driver $HP1)"
expect_eq hp-named-override vfio-pci "$(pci_override $HP1)"
expect_eq hp-named-no-netdev "" "$(pci_netdevs $HP1)"
pb status
expect_match hp-named-origin-udev "$HP1 .*origin udev" "$PB_OUT"
expect_eq hp-named-one-record 1 "$(printf '%s\n' "$PB_OUT" | grep -c "$HP1")"

# --- the e1000 the policy does not name: left alone -----------------------------
hotplug_add hp-other-appears "e1000,bus=hp2,id=hp95b" $HP2
hp2_native() { [ "$(sysfs_driver $HP2)" = e1000 ]; }
wait_for hp-other-on-e1000 30 hp2_native
check hp-other-queue-settles udevadm settle --timeout=30
expect_eq hp-other-still-e1000 e1000 "$(sysfs_driver $HP2)"
check_fails hp-other-no-record test -e /run/pcibind/devices/$HP2
pb status
check_fails hp-other-not-in-status grep -q "$HP2" /tmp/tl-pb.out

# --- what udevd did: the events, and one pcibind run per device -------------------
kill $monpid 2>/dev/null
wait $monpid 2>/dev/null
# "ACTION DRIVER" of each processed event of a device, in order.
mon_events()
{
	awk -v dp="$1" '/^UDEV /{a = ""; d = ""; p = ""; next}
		/^ACTION=/{a = substr($0, 8)} /^DEVPATH=/{p = substr($0, 9)}
		/^DRIVER=/{d = substr($0, 8)}
		/^$/{ if (p ~ dp"$" && a != "") printf "%s%s%s;", a, d == "" ? "" : ":", d; a = ""; p = ""; d = "" }
		END { if (p ~ dp"$" && a != "") printf "%s%s%s;", a, d == "" ? "" : ":", d }' $MON
}
ev1=$(mon_events "/$HP1")
ev2=$(mon_events "/$HP2")
# e1000e is loaded: it usually binds the new function before udevd runs the
# rule, and pcibind unbinds it for vfio-pci (add, bind, unbind, bind); if the
# rule runs first, vfio-pci is the only driver it ever had.
expect_match hp-named-events '^add;(bind:e1000e;unbind;)?bind:vfio-pci;$' "$ev1"
expect_match hp-other-events '^add;bind:e1000;$' "$ev2"
if [ -n "$jcursor" ]; then
	journalctl -q -o cat --after-cursor="$jcursor" -u systemd-udevd >$JRN 2>&1
else
	journalctl -q -o cat -u systemd-udevd >$JRN 2>&1
fi
send_file 95-udevd-debug.log $JRN
send_file 95-udev-monitor.log $MON
# The debug log saw the bind/unbind events (else "one run" proves nothing)...
check udevd-logged-hp-named-bind grep -Eq "^$HP1: .*ACTION=bind" $JRN
check udevd-logged-hp-named-unbind grep -Eq "^$HP1: .*ACTION=unbind" $JRN
# ...and ran pcibind once per device, successfully.
expect_eq hp-named-one-pcibind-run 1 \
	"$(grep -E "^$HP1: Running command .*/usr/sbin/pcibind" $JRN | grep -c .)"
expect_eq hp-other-one-pcibind-run 1 \
	"$(grep -E "^$HP2: Running command .*/usr/sbin/pcibind" $JRN | grep -c .)"
expect_eq pcibind-runs-succeeded 2 \
	"$(grep -E "^($HP1|$HP2): Process '/usr/sbin/pcibind.*' succeeded" $JRN | grep -c .)"
check_fails no-pcibind-failure grep -Eq "Process '/usr/sbin/pcibind.*' failed" $JRN
# What pcibind printed, as udevd logged it (the rule passes no -v).
check hp-named-pcibind-said-seized grep -Eq "^$HP1: '/usr/sbin/pcibind[^']*'\(out\) '$HP1: .*-> vfio-pci'" $JRN

# --- clean up ------------------------------------------------------------------
rm -f $POLDIR/50-hot.conf
rmdir $POLDIR 2>/dev/null
[ "$created_etc" = 1 ] && rmdir /etc/pcibind 2>/dev/null
check udevd-log-level-back udevadm control --log-level=err
pb release $HP1
expect_rc hp-named-released 0
expect_eq hp-named-back-e1000e e1000e "$(sysfs_driver $HP1)"
check_fails hp-named-record-gone test -e /run/pcibind/devices/$HP1
hotplug_del hp-named-removed hp95a $HP1
hotplug_del hp-other-removed hp95b $HP2
check final-queue-settles udevadm settle --timeout=30
