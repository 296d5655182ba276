# SPDX-License-Identifier: LGPL-2.1-or-later
# Guest-side test library, sourced by every scenario (busybox sh).
#
# Each check prints exactly one line on stdout:
#   PASS <scenario>/<name>
#   FAIL <scenario>/<name>: <reason>
#   SKIP <scenario>/<name>: <reason>
# and tl_end prints "SUMMARY <n> passed <m> failed <k> skipped (<scenario>)".
#
#   check NAME CMD...            CMD exits 0
#   check_fails NAME CMD...      CMD exits non-zero
#   expect_eq NAME WANT GOT      strings are equal
#   expect_match NAME ERE GOT    GOT matches the extended regex
#   wait_for NAME SECS CMD...    CMD succeeds within SECS (polled every 0.1 s)
#   pass NAME / fail NAME REASON / skip NAME REASON
#   host_cmd HMP-COMMAND         ask the host to run a QEMU monitor command
#                                (e.g. "device_add e1000e,bus=hp1,id=hp0");
#                                returns at once, wait for the effect with wait_for
#   hotplug_add NAME DEVICE-ARGS BDF
#                                host: "device_add DEVICE-ARGS"; check that BDF
#                                appears in sysfs within 30 s (one PASS/FAIL)
#   hotplug_del NAME QEMU-ID BDF host: "device_del QEMU-ID"; check BDF goes away
#   send_file NAME PATH          copy a guest file to the host: it lands in
#                                build/vm/runs/RUN/files/NAME (base64 between
#                                FILE-BEGIN/FILE-END lines, sha256-checked)
#   sysfs_driver BDF             driver name of a function, or "none"
#   sysfs_id BDF                 "vendor:device" of a function, e.g. 8086:10d3
#   dma_check NAME BDF-A BDF-B   the NICs at BDF-A and BDF-B (on QEMU's internal
#                                hub) each go to a network namespace of their own,
#                                get 10.99.0.1/.2, and A pings B 3 times: PASS
#                                only if every ping is answered and A's tx_packets
#                                grew (proves the device's DMA and interrupts work)
#   dma_fails NAME BDF-A BDF-B   the same, PASS only if both NICs have a netdev
#                                and no ping is answered (a NIC without a netdev
#                                proves nothing about DMA: FAIL)
#
# Busybox sh runs its own applets before $PATH, so the real tools are wrapped
# here: modprobe & co. are kmod's, lspci is pciutils'.

# In the dracut guest our tools come in an overlay: /vmtest/bin, /vmtest/lib.
if [ -d /vmtest/bin ]; then
	PATH=/vmtest/bin:$PATH
	LD_LIBRARY_PATH=/vmtest/lib
	export PATH LD_LIBRARY_PATH
	VMTEST_BIN=/vmtest/bin
else
	VMTEST_BIN=/usr/bin
fi
LSPCI=$VMTEST_BIN/lspci
# shellcheck disable=SC2034 # used by the scenarios
PCIBIND=${PCIBIND:-$VMTEST_BIN/pcibind}
# shellcheck disable=SC2034
FIXTURE_TOOL=$VMTEST_BIN/fixture-tool

modprobe() { /sbin/modprobe "$@"; }
insmod() { /sbin/insmod "$@"; }
rmmod() { /sbin/rmmod "$@"; }
lsmod() { /sbin/lsmod "$@"; }
modinfo() { /sbin/modinfo "$@"; }
lspci() { "$LSPCI" "$@"; }
setpci() { "$VMTEST_BIN/setpci" "$@"; }

# shellcheck disable=SC2034
KIND=${VMTEST_KIND:-$(cat /vmtest/kind 2>/dev/null || echo unknown)}
# shellcheck disable=SC2034
KVER=${VMTEST_KVER:-$(uname -r)}
TL_NAME=unnamed
TL_PASS=0
TL_FAIL=0
TL_SKIP=0
TL_HOSTSEQ=0

# One line, at most 300 characters: newlines shown as "\n".
tl_oneline()
{
	printf '%s\n' "$*" | awk 'NR > 1 { printf "\\n" } { printf "%s", $0 }' | cut -c1-300
}

tl_begin() { TL_NAME=$1; }

tl_end()
{
	echo "SUMMARY $TL_PASS passed $TL_FAIL failed $TL_SKIP skipped ($TL_NAME)"
}

pass()
{
	TL_PASS=$((TL_PASS + 1))
	echo "PASS $TL_NAME/$1"
}

fail()
{
	TL_FAIL=$((TL_FAIL + 1))
	echo "FAIL $TL_NAME/$1: $(tl_oneline "$2")"
}

skip()
{
	TL_SKIP=$((TL_SKIP + 1))
	echo "SKIP $TL_NAME/$1: $(tl_oneline "$2")"
}

check()
{
	_n=$1
	shift
	if _out=$("$@" 2>&1); then
		pass "$_n"
	else
		fail "$_n" "'$*' exited $?: $(printf '%s' "$_out" | tail -n 3)"
	fi
}

check_fails()
{
	_n=$1
	shift
	if _out=$("$@" 2>&1); then
		fail "$_n" "'$*' succeeded but should fail: $(printf '%s' "$_out" | tail -n 3)"
	else
		pass "$_n"
	fi
}

expect_eq()
{
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "want '$2', got '$3'"
	fi
}

expect_match()
{
	if printf '%s\n' "$3" | grep -qE -- "$2"; then
		pass "$1"
	else
		fail "$1" "'$3' does not match /$2/"
	fi
}

# Poll CMD every 0.1 s for up to SECS seconds. Returns CMD's last status
# (no PASS/FAIL line); see wait_for for the checking variant.
tl_poll()
{
	_secs=$1
	shift
	_tries=$((_secs * 10))
	while [ "$_tries" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_tries=$((_tries - 1))
	done
	"$@" >/dev/null 2>&1
}

wait_for()
{
	_wn=$1
	_ws=$2
	shift 2
	if tl_poll "$_ws" "$@"; then
		pass "$_wn"
	else
		fail "$_wn" "'$*' still failing after ${_ws}s"
	fi
}

# Ask the host to run one QEMU monitor (HMP) command. The host watches the
# result channel for this marker line, runs the command through QMP and logs
# it; the guest learns of the effect through sysfs (see wait_for).
host_cmd()
{
	TL_HOSTSEQ=$((TL_HOSTSEQ + 1))
	echo "VMCTL $TL_NAME-$TL_HOSTSEQ $*"
}

hotplug_add()
{
	host_cmd "device_add $2"
	wait_for "$1" 30 test -e "/sys/bus/pci/devices/$3"
}

# PCIe native hot-unplug is the attention button: the guest's pciehp waits
# 5 s before it removes the device.
hotplug_del()
{
	host_cmd "device_del $2"
	wait_for "$1" 30 test ! -e "/sys/bus/pci/devices/$3"
}

send_file()
{
	echo "FILE-BEGIN $1 $(wc -c <"$2")"
	base64 <"$2"
	echo "FILE-END $1 $(sha256sum <"$2" | cut -d' ' -f1)"
}

sysfs_driver()
{
	_l=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null) || {
		echo none
		return
	}
	basename "$_l"
}

sysfs_id()
{
	_v=$(cat "/sys/bus/pci/devices/$1/vendor" 2>/dev/null)
	_d=$(cat "/sys/bus/pci/devices/$1/device" 2>/dev/null)
	echo "${_v#0x}:${_d#0x}"
}

# True if the machine has the optional part WORD ("# vm-machine: WORD" in a
# scenario of this boot), e.g. gpu-sriov.
vm_machine_has() { grep -qx "$1" /vmtest/machine 2>/dev/null; }

# True if the guest is a Xen dom0.
is_xen() { [ "$(cat /sys/hypervisor/type 2>/dev/null)" = xen ]; }

# True if the pcibind binary is in the image (it may not be built yet).
have_pcibind() { [ -x "$PCIBIND" ]; }

# own_state: a fresh state directory $S of the scenario's own (its records and
# transactions do not meet another scenario's), and pbs, pb with it.
own_state()
{
	rm -rf "$S"
	mkdir -m 700 "$S"
}
pbs() { pb --state-dir "$S" "$@"; }

# ---- helpers for the seize/release scenarios (7x, 8x) ------------------------
#
#   pb ARGS...                   run pcibind: stdout in $PB_OUT, stderr in
#                                $PB_ERR, exit status in $PB_RC (no PASS/FAIL)
#   expect_rc NAME WANT          $PB_RC is WANT (the reason shows stderr)
#   pci_netdevs BDF              the function's network interfaces, or ""
#   pci_override BDF             its driver_override ("(null)" when clear)
#   pci_snapshot FILE            "BDF DRIVER OVERRIDE" of every function
#   uevent_watch_start FILE      log "ACTION DEVNAME SUBSYSTEM DRIVER" of every
#                                uevent to FILE (a second busybox listener)
#   uevent_watch_stop FILE [PLAN]
#                                let the events settle (all of PLAN's), stop
#   plan_events PLAN             the bind/unbind writes of a --dry-run plan,
#                                as "unbind BDF" / "bind BDF DRIVER" lines
#   seen_events FILE             the same from a uevent_watch log (pci only)
#   check_plan_effects NAME PLAN EVENTS
#                                the real run did what the --dry-run PLAN said:
#                                the same unbind/bind events in the same order,
#                                each device's last driver_override write reads
#                                back, every load-module is loaded, new_slot/
#                                remove_slot/permissive show in pciback's lists

pb()
{
	"$PCIBIND" "$@" >/tmp/tl-pb.out 2>/tmp/tl-pb.err
	PB_RC=$?
	PB_OUT=$(cat /tmp/tl-pb.out)
	PB_ERR=$(cat /tmp/tl-pb.err)
	return 0
}

expect_rc()
{
	if [ "$PB_RC" = "$2" ]; then
		pass "$1"
	else
		fail "$1" "exit $PB_RC, want $2: $PB_ERR $PB_OUT"
	fi
}

pci_netdevs() { ls "/sys/bus/pci/devices/$1/net" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }

pci_override() { cat "/sys/bus/pci/devices/$1/driver_override" 2>&1; }

pci_snapshot()
{
	for _d in /sys/bus/pci/devices/*; do
		_b=${_d##*/}
		echo "$_b $(sysfs_driver "$_b") $(pci_override "$_b")"
	done >"$1"
}

TL_UEV_PID=
uevent_watch_start()
{
	: >"$1"
	cat >/tmp/tl-uevent-log <<EOT
#!/bin/sh
echo "\${ACTION:-?} \${DEVPATH##*/} \${SUBSYSTEM:-?} \${DRIVER:-}" >>$1
EOT
	chmod 755 /tmp/tl-uevent-log
	uevent /tmp/tl-uevent-log &
	TL_UEV_PID=$!
	# Ready once it logs a harmless event of our own (mem/null "change").
	_tries=50
	while [ $_tries -gt 0 ]; do
		echo change >/sys/class/mem/null/uevent 2>/dev/null
		sleep 0.2
		grep -q '^change null mem' "$1" && break
		_tries=$((_tries - 1))
	done
}

# uevent_watch_stop FILE [PLAN]: with PLAN, first wait (up to 10 s) until
# FILE has as many bind/unbind events as PLAN has such writes; then until
# FILE stops growing (a loaded TCG guest runs the helper late).
uevent_watch_stop()
{
	if [ -n "${2:-}" ]; then
		_want=$(plan_events "$2" | wc -l)
		_tries=100
		while [ "$(seen_events "$1" | wc -l)" -lt "$_want" ] && [ $_tries -gt 0 ]; do
			sleep 0.1
			_tries=$((_tries - 1))
		done
	fi
	_size=-1
	_tries=50
	while [ "$(wc -c <"$1")" != "$_size" ] && [ $_tries -gt 0 ]; do
		_size=$(wc -c <"$1")
		sleep 0.4
		_tries=$((_tries - 1))
	done
	[ -n "$TL_UEV_PID" ] && kill "$TL_UEV_PID" 2>/dev/null
	wait "$TL_UEV_PID" 2>/dev/null
	TL_UEV_PID=
}

plan_events()
{
	sed -n 's|^ *[0-9]*  write bus/pci/drivers/[^/]*/unbind "\([^"]*\)".*|unbind \1|p
s|^ *[0-9]*  write bus/pci/drivers/\([^/]*\)/bind "\([^"]*\)".*|bind \2 \1|p' "$1"
}

seen_events()
{
	awk '$3 == "pci" && $1 == "unbind" { print $1, $2 }
	     $3 == "pci" && $1 == "bind" { print $1, $2, $4 }' "$1"
}

check_plan_effects()
{
	_cn=$1
	if [ -z "$(plan_events "$2")" ]; then
		fail "$_cn-event-order" "the plan has no bind/unbind write: $(cat "$2")"
	else
		expect_eq "$_cn-event-order" "$(plan_events "$2" | tr '\n' ';')" \
			"$(seen_events "$3" | tr '\n' ';')"
	fi
	_bad=
	# The last driver_override write of each device is what it reads now.
	for _bdf in $(sed -n 's|^ *[0-9]*  write bus/pci/devices/\([^/]*\)/driver_override .*|\1|p' "$2" | sort -u); do
		_v=$(sed -n "s|^ *[0-9]*  write bus/pci/devices/$_bdf/driver_override \"\(.*\)\"  #.*|\1|p" "$2" | tail -n 1)
		[ "$_v" = '\n' ] && _v='(null)'
		[ "$(pci_override "$_bdf")" = "$_v" ] || _bad="$_bad $_bdf:override=$(pci_override "$_bdf"),want=$_v"
	done
	for _m in $(sed -n 's|^ *[0-9]*  load-module \([^ ]*\) .*|\1|p' "$2"); do
		grep -q "^$_m " /proc/modules || _bad="$_bad module-$_m-not-loaded"
	done
	for _bdf in $(sed -n 's|^ *[0-9]*  write bus/pci/drivers/pciback/new_slot "\(.*\)".*|\1|p' "$2"); do
		grep -qix "$_bdf" /sys/bus/pci/drivers/pciback/slots || _bad="$_bad $_bdf-not-in-slots"
	done
	for _bdf in $(sed -n 's|^ *[0-9]*  write bus/pci/drivers/pciback/remove_slot "\(.*\)".*|\1|p' "$2"); do
		grep -qix "$_bdf" /sys/bus/pci/drivers/pciback/slots && _bad="$_bad $_bdf-still-in-slots"
	done
	for _bdf in $(sed -n 's|^ *[0-9]*  write bus/pci/drivers/pciback/permissive "\(.*\)".*|\1|p' "$2"); do
		grep -qix "$_bdf" /sys/bus/pci/drivers/pciback/permissive || _bad="$_bad $_bdf-not-permissive"
	done
	if [ -z "$_bad" ]; then
		pass "$_cn-writes-took-effect"
	else
		fail "$_cn-writes-took-effect" "$_bad"
	fi
}

# The --dry-run text plan and the --dry-run --json plan list the same steps.
# Usage: check_plan_json NAME TEXTPLAN JSONPLAN
check_plan_json()
{
	expect_eq "$1" \
		"$(sed -n 's|^ *[0-9]*  write \([^ ]*\) "\(.*\)"  #.*|write \1 \2|p; s|^ *[0-9]*  load-module \([^ ]*\) .*|load-module \1|p; s|^ *[0-9]*  xen-deassign DOMID_IO \([^ ]*\) .*|xen-deassign \1|p' "$2")" \
		"$(jq -r '.steps[] | if .op == "write" then "write \(.path) \(.value | gsub("\n"; "\\n"))" elif .op == "xen-deassign" then "xen-deassign \(.address)" else "load-module \(.module)" end' "$3" 2>&1)"
}

# The netdev of a PCI function ("" if none).
netdev_of()
{
	ls "/sys/bus/pci/devices/$1/net" 2>/dev/null | head -n 1
}

# Run a ping between two NICs in their own network namespaces; prints
# "RECEIVED TX_BEFORE TX_AFTER" and puts the netdevs back in the initial
# namespace. Returns 1 if either NIC has no netdev.
dma_ping()
{
	local a b ip recv tx0 tx1 i
	ip=$VMTEST_BIN/ip-full
	a=$(netdev_of "$1")
	b=$(netdev_of "$2")
	[ -n "$a" ] && [ -n "$b" ] || return 1
	"$ip" netns add dmaA 2>/dev/null
	"$ip" netns add dmaB 2>/dev/null
	"$ip" link set "$a" netns dmaA
	"$ip" link set "$b" netns dmaB
	"$ip" -n dmaA addr add 10.99.0.1/24 dev "$a"
	"$ip" -n dmaB addr add 10.99.0.2/24 dev "$b"
	"$ip" -n dmaA link set "$a" up
	"$ip" -n dmaB link set "$b" up
	i=0
	while [ $i -lt 50 ]; do
		[ "$("$ip" netns exec dmaA cat "/sys/class/net/$a/carrier" 2>/dev/null)" = 1 ] &&
			[ "$("$ip" netns exec dmaB cat "/sys/class/net/$b/carrier" 2>/dev/null)" = 1 ] && break
		sleep 0.2
		i=$((i + 1))
	done
	tx0=$("$ip" netns exec dmaA cat "/sys/class/net/$a/statistics/tx_packets" 2>/dev/null)
	recv=$("$ip" netns exec dmaA ping -c 3 -W 2 10.99.0.2 2>&1 |
		sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
	tx1=$("$ip" netns exec dmaA cat "/sys/class/net/$a/statistics/tx_packets" 2>/dev/null)
	"$ip" -n dmaA link set "$a" netns 1 2>/dev/null
	"$ip" -n dmaB link set "$b" netns 1 2>/dev/null
	"$ip" netns del dmaA 2>/dev/null
	"$ip" netns del dmaB 2>/dev/null
	echo "${recv:-0} ${tx0:-0} ${tx1:-0}"
}

dma_check()
{
	local name=$1 out
	if ! out=$(dma_ping "$2" "$3"); then
		fail "$name" "no netdev on $2 ($(sysfs_driver "$2")) or $3 ($(sysfs_driver "$3"))"
		return
	fi
	set -- $out
	if [ "$1" = 3 ] && [ "$3" -gt "$2" ]; then
		pass "$name"
	else
		fail "$name" "ping $1/3 answered, tx_packets $2 -> $3"
	fi
}

dma_fails()
{
	local name=$1 out
	if ! out=$(dma_ping "$2" "$3"); then
		fail "$name" "no netdev on $2 ($(sysfs_driver "$2")) or $3 ($(sysfs_driver "$3")): nothing to test DMA with"
		return
	fi
	set -- $out
	if [ "$1" = 0 ]; then
		pass "$name"
	else
		fail "$name" "ping $1/3 answered: DMA works, but the test expected it not to"
	fi
}
