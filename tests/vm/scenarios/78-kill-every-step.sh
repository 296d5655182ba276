# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian
# Issue 19, kill -9 at every step, on the real kernel: a seize of the
# e1000e (01:00.0) to vfio-pci and its release, each stopped after step N
# (PCIBIND_TEST_STOP_AFTER_STEP, docs/HACKING.md) for every N of the plan
# and killed there with SIGKILL. Then, alternately, the next unrelated
# command (a real seize of the xhci at 02:00.0 to pci-stub, and its
# release) or `pcibind recover` must put the e1000e back where the killed
# command found it, on a driver, with the journal clean: no transaction,
# and the e1000e's record as before the killed command (none after a
# killed seize; seized to vfio-pci, native e1000e, origin cli after a
# killed release). After the last case of each, the e1000e's DMA works
# on e1000e (15-dma-check's ping over QEMU's hub to the e1000 at 00:04.0).
# Last, issue 19's "one gate" for the undo: a pending seize whose device a
# VFIO user (vfio-hold) has opened since is not undone by the next command
# nor by recover until the holder is gone.
# Uses its own --state-dir.

E=0000:01:00.0
X=0000:02:00.0
PEER=0000:00:04.0
S=/tmp/pb78

if ! have_pcibind; then
	skip pcibind "pcibind not in the image"
	return 0
fi

own_state
modprobe vfio-pci # so that no plan has a load-module step: the same steps every time

# stopped PID: the process is in state T (stopped by the hook's SIGSTOP).
stopped() { grep -q '^State:.*T' "/proc/$1/status" 2>/dev/null; }

# run_stopped K ARGS...: run pcibind ARGS with the hook at step K in the
# background, wait until it stops; sets KPID and KERR (its stderr file).
run_stopped()
{
	_k=$1
	shift
	KERR=/tmp/78-hook.err
	PCIBIND_TEST_STOP_AFTER_STEP=$_k "$PCIBIND" --state-dir $S "$@" >/tmp/78-hook.out 2>$KERR &
	KPID=$!
	tl_poll 30 stopped $KPID
}

# kill_case OP K: OP (seize|release) of the e1000e stopped after step K,
# killed, then the next command or recover; checks what must hold after.
kill_case()
{
	_op=$1
	_k=$2
	_c=$_op-step$_k
	if [ "$_op" = seize ]; then
		run_stopped "$_k" seize --driver vfio-pci $E
	else
		run_stopped "$_k" release $E
	fi
	if stopped $KPID; then
		pass "$_c-stopped"
	else
		fail "$_c-stopped" "pcibind did not stop after step $_k: $(cat $KERR)"
	fi
	expect_match "$_c-hook-said" "^pcibind: stopped after step $_k\$" "$(cat $KERR)"
	pbs status --json
	expect_eq "$_c-txn-at-step" "$_op $_k" \
		"$(printf '%s' "$PB_OUT" | jq -r '.transaction | "\(.operation) \(.steps_done)"')"
	echo "INFO 78 $_c: stopped with $E on $(sysfs_driver $E), override $(pci_override $E)"
	kill -9 $KPID
	wait $KPID
	expect_eq "$_c-killed" 137 "$?"

	if [ $((_k % 2)) = 1 ]; then
		# The next command, about another device: a real change, and back.
		pbs seize --driver pci-stub $X
		expect_rc "$_c-next-seize-other" 0
		expect_eq "$_c-other-on-pci-stub" pci-stub "$(sysfs_driver $X)"
		echo "INFO 78 $_c next: $(tl_oneline "$PB_ERR")"
		pbs release $X
		expect_rc "$_c-next-release-other" 0
		expect_eq "$_c-other-back" xhci_hcd "$(sysfs_driver $X)"
	else
		pbs recover
		expect_rc "$_c-recover" 0
		echo "INFO 78 $_c recover: $(tl_oneline "$PB_ERR $PB_OUT")"
	fi

	pbs status --json
	expect_eq "$_c-no-txn" null "$(printf '%s' "$PB_OUT" | jq -c .transaction)"
	check_fails "$_c-no-txn-file" test -e $S/txn
	expect_eq "$_c-other-no-record" "" \
		"$(printf '%s' "$PB_OUT" | jq -r --arg a $X '.seized[] | select(.address == $a) | .address')"
	if [ "$_op" = seize ]; then
		# back as the seize found it: on e1000e, no override, no record
		expect_eq "$_c-on-e1000e" e1000e "$(sysfs_driver $E)"
		expect_eq "$_c-override-clear" "(null)" "$(pci_override $E)"
		expect_eq "$_c-no-record" 0 "$(printf '%s' "$PB_OUT" | jq '.seized | length')"
	else
		# back as the release found it: on vfio-pci, its record intact
		expect_eq "$_c-on-vfio" vfio-pci "$(sysfs_driver $E)"
		expect_eq "$_c-override-vfio" vfio-pci "$(pci_override $E)"
		expect_eq "$_c-record" "$E vfio-pci e1000e cli false" \
			"$(printf '%s' "$PB_OUT" | jq -r --arg a $E '.seized[] | select(.address == $a) | "\(.address) \(.stub_driver) \(.native_driver) \(.origin) \(.stranded)"')"
	fi
}

# plan_steps ARGS...: N, the number of steps of pcibind ARGS --dry-run.
plan_steps()
{
	pbs "$@" --dry-run
	n=$(printf '%s\n' "$PB_OUT" | grep -cE '^ *[0-9]+  ')
}

# ---- a seize, killed after each step -----------------------------------------
plan_steps seize --driver vfio-pci $E
echo "INFO 78 seize plan: $(tl_oneline "$PB_OUT")"
if [ "$n" -ge 3 ]; then pass seize-plan-has-steps; else fail seize-plan-has-steps "$n steps: $PB_OUT"; fi
k=1
while [ $k -le "$n" ]; do
	kill_case seize $k
	k=$((k + 1))
done
wait_for seize-netdev-back 20 sh -c "ls /sys/bus/pci/devices/$E/net"
dma_check seize-dma-after "$E" "$PEER"

# ---- a release, killed after each step ----------------------------------------
pbs seize --driver vfio-pci $E
expect_rc seize-for-release 0
plan_steps release $E
echo "INFO 78 release plan: $(tl_oneline "$PB_OUT")"
if [ "$n" -ge 3 ]; then pass release-plan-has-steps; else fail release-plan-has-steps "$n steps: $PB_OUT"; fi
k=1
while [ $k -le "$n" ]; do
	kill_case release $k
	k=$((k + 1))
done
pbs release $E
expect_rc release-at-last 0
expect_eq release-at-last-e1000e e1000e "$(sysfs_driver $E)"
pbs status --json
expect_eq release-at-last-journal-empty "0 null" \
	"$(printf '%s' "$PB_OUT" | jq -c '"\(.seized | length) \(.transaction)"' | tr -d '"')"
wait_for release-netdev-back 20 sh -c "ls /sys/bus/pci/devices/$E/net"
dma_check release-dma-after "$E" "$PEER"

# ---- the undo goes through the gate too ----------------------------------------
# A seize killed after its last step leaves the e1000e on vfio-pci with the
# transaction pending; then a VM stand-in (vfio-hold) opens its group. The
# next unrelated command must not undo it from under the holder: it leaves
# the transaction pending and says why (naming the holder); recover
# reports the same and does not succeed; once the holder is gone, recover
# undoes it.
plan_steps seize --driver vfio-pci $E
run_stopped "$n" seize --driver vfio-pci $E
kill -9 $KPID
wait $KPID
expect_eq gate-killed-on-vfio vfio-pci "$(sysfs_driver $E)"
G=$(basename "$(readlink /sys/bus/pci/devices/$E/iommu_group)")
vfio-hold "$G" 90 >/tmp/78-hold.out 2>&1 &
HOLD=$!
wait_for gate-hold-started 10 grep -q viable /tmp/78-hold.out
pbs seize --driver pci-stub $X
echo "INFO 78 gate next: exit $PB_RC: $(tl_oneline "$PB_ERR")"
expect_eq gate-next-left-it vfio-pci "$(sysfs_driver $E)"
expect_match gate-next-names-holder "pid $HOLD \\(vfio-hold\\)" "$PB_ERR"
[ "$(sysfs_driver $X)" = pci-stub ] && pbs release $X
expect_eq gate-other-back xhci_hcd "$(sysfs_driver $X)"
pbs recover
echo "INFO 78 gate recover: exit $PB_RC: $(tl_oneline "$PB_ERR $PB_OUT")"
check gate-recover-not-success test "$PB_RC" != 0
expect_match gate-recover-names-holder "pid $HOLD \\(vfio-hold\\)" "$PB_ERR $PB_OUT"
expect_eq gate-recover-left-it vfio-pci "$(sysfs_driver $E)"
pbs status --json
expect_eq gate-still-pending seize "$(printf '%s' "$PB_OUT" | jq -r '.transaction.operation')"
kill $HOLD 2>/dev/null
wait $HOLD 2>/dev/null
pbs recover
expect_rc gate-recover-after-holder 0
expect_eq gate-back-e1000e e1000e "$(sysfs_driver $E)"
pbs status --json
expect_eq gate-journal-clean "0 null" \
	"$(printf '%s' "$PB_OUT" | jq -c '"\(.seized | length) \(.transaction)"' | tr -d '"')"
wait_for gate-netdev-back 20 sh -c "ls /sys/bus/pci/devices/$E/net"
dma_check gate-dma-after "$E" "$PEER"
rm -rf $S
