#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Boot one QEMU guest, run scenarios inside it and judge the result.
#
#   run-guest.sh --kind debian|xen|dracut|xendracut|initramfs|systemd [--scenario FILE]... [--name NAME]
#                [--timeout SECS] [--append ARGS] [--extra FILE]... [--quiet]
#                [--dracut-image FILE]
#
# Without --scenario, every tests/vm/scenarios/*.sh whose "# vm-kinds:" line
# names the kind is run. Files go to build/vm/runs/NAME/: console.log (serial
# 0: kernel/Xen console), results.log (serial 1: the scenarios' lines),
# host.log (monitor commands), qemu.log (QEMU's stderr), qmp.sock.
#
# Prints one line per check ("PASS kind:scenario/check", "FAIL ...: reason"),
# then "== NAME: X checks passed, Y failed, Z skipped, T s", and writes
# "X Y Z" to build/vm/runs/NAME/counts. Exit status 0 only if nothing failed.
# The guest fails if any check FAILs, a scenario has no SUMMARY or aborted,
# the guest did not reach VMTEST DONE or did not power off in time, or the
# console shows a kernel crash (Oops, BUG:, panic, list corruption, general
# protection fault, RCU stall). On failure the logs' tails are printed.
#
# --dracut-image FILE (dracut, xendracut): boot FILE instead of
# build-dracut.sh's image (the Qubes side-by-side test's images).
#
# A scenario with a "# vm-noiommu" line boots without the IOMMU: no
# intel-iommu device and no intel_iommu=on (the Debian kernel enables VT-d by
# itself when QEMU's DMAR table is there), on its own like "# vm-append:".
#
# VM_PRINT_CMD=1 prints the QEMU command line (also in build/vm/runs/NAME/qemu.cmd)
# and the guest's timeout, and exits: no image is built and no guest boots (to compare command lines).
#
# Hot-plug: a scenario line "VMCTL ID HMP-COMMAND" on the result channel makes
# this script run HMP-COMMAND through QMP (human-monitor-command) at once.
set -eu

. "$(dirname "$0")/lib/host.sh"

kind=
name=
timeout=
append=
quiet=0
dracut_image=
scenarios=()
extras=()
while [ $# -gt 0 ]; do
	case $1 in
	--kind) kind=$2; shift 2 ;;
	--name) name=$2; shift 2 ;;
	--scenario) scenarios+=("$2"); shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--extra) extras+=("$2"); shift 2 ;;
	--quiet) quiet=1; shift ;;
	--dracut-image) dracut_image=$2; shift 2 ;;
	*) die "run-guest.sh: unknown argument '$1'" ;;
	esac
done
case $kind in
debian|xen|dracut|xendracut|initramfs|systemd) ;;
*) die "run-guest.sh: --kind debian|xen|dracut|xendracut|initramfs|systemd is required" ;;
esac
name=${name:-$kind}

# Default scenarios: those that declare this kind. A scenario with a
# "# vm-append: ARGS" line needs ARGS on the guest's kernel command line, so
# it gets a boot of its own (check-vm.sh runs it with --scenario).
if [ ${#scenarios[@]} -eq 0 ]; then
	for s in "$VM_DIR"/scenarios/*.sh; do
		grep -q '^# vm-append:' "$s" && continue
		grep -q '^# vm-noiommu' "$s" && continue
		if sed -n 's/^# vm-kinds://p' "$s" | grep -qw -- "$kind"; then
			scenarios+=("$s")
		fi
	done
fi
[ ${#scenarios[@]} -gt 0 ] || die "no scenario for kind $kind"
iommu_arg=intel_iommu=on
# "# vm-machine: gpu-sriov" (in any scenario of the boot) adds the GPU-shaped
# slot and the SR-IOV NVMe PF (see the machine below); "# vm-needs: qemu"
# (a QEMU inside the guest, build-initramfs.sh) gives the guest 2 GB.
gpu_sriov=0
guest_qemu=0
if vm_machine_of "${scenarios[@]}" | grep -qx gpu-sriov; then gpu_sriov=1; fi
if grep -qx '# vm-needs: qemu' "${scenarios[@]}"; then guest_qemu=1; fi
for s in "${scenarios[@]}"; do
	a=$(sed -n 's/^# vm-append: *//p' "$s")
	[ -z "$a" ] || append="$append $a"
	if grep -q '^# vm-noiommu' "$s"; then iommu_arg=; fi
done
# A scenario that needs longer (a Xen domU under TCG) says "# vm-timeout: SECS".
if [ -z "$timeout" ]; then
	for s in "${scenarios[@]}"; do
		t=$(sed -n 's/^# vm-timeout: *\([0-9]*\).*/\1/p' "$s")
		[ -z "$t" ] || [ "$t" -le "${timeout:-0}" ] || timeout=$t
	done
fi

KVER=$(vm_kver)
vm_pick_accel
run=$VM_BUILD/runs/$name
rm -rf "$run"
mkdir -p "$run"
t0=$(vm_now)

# --- the guest image ------------------------------------------------------
sargs=()
for s in "${scenarios[@]}"; do sargs+=(--scenario "$s"); done
for e in ${extras[@]+"${extras[@]}"}; do sargs+=(--extra "$e"); done
if [ "${VM_PRINT_CMD:-0}" = 1 ]; then
	# The command line names the image, it does not read it: nothing is built.
	case $kind in
	debian|xen) initrd=$run/initrd.cpio.gz ;;
	*) initrd=$run/initrd.img ;;
	esac
else
	case $kind in
	debian|xen)
		"$VM_DIR/build-initramfs.sh" --kind "$kind" --out "$run/initrd.cpio.gz" "${sargs[@]}"
		initrd=$run/initrd.cpio.gz
		;;
	dracut|xendracut)
		# The cached dracut image, plus an overlay cpio with the scenarios and
		# tools: the kernel unpacks concatenated archives in order.
		img=${dracut_image:-$("$VM_DIR/build-dracut.sh")}
		"$VM_DIR/build-initramfs.sh" --kind dracut --overlay --out "$run/overlay.cpio.gz" "${sargs[@]}"
		cat "$img" "$run/overlay.cpio.gz" >"$run/initrd.img"
		initrd=$run/initrd.img
		;;
	initramfs)
		# The cached image of the real mkinitramfs (initramfs-tools) with the
		# .deb's hook, plus the same kind of overlay (build-mkinitramfs.sh).
		img=$("$VM_DIR/build-mkinitramfs.sh")
		"$VM_DIR/build-initramfs.sh" --kind initramfs --overlay --out "$run/overlay.cpio.gz" "${sargs[@]}"
		cat "$img" "$run/overlay.cpio.gz" >"$run/initrd.img"
		initrd=$run/initrd.img
		;;
	systemd)
		# A root of the host's systemd and the .deb's pcibind (build-systemd-root.sh,
		# units enabled per "# vm-systemd-enable:"), plus the same overlay.
		img=$("$VM_DIR/build-systemd-root.sh" "${sargs[@]}")
		"$VM_DIR/build-initramfs.sh" --kind systemd --overlay --out "$run/overlay.cpio.gz" "${sargs[@]}"
		cat "$img" "$run/overlay.cpio.gz" >"$run/initrd.img"
		initrd=$run/initrd.img
		;;
	esac
fi
t_build=$(vm_elapsed "$t0")

# --- the machine ------------------------------------------------------------
# q35 with an IOMMU; e1000e and xhci behind root ports (01:00.0, 02:00.0),
# legacy e1000 at 00:04.0, the ICH9 EHCI + 3 UHCI slot at 00:1d, and two
# empty root ports (00:05.0 -> bus 03, 00:06.0 -> bus 04) for hot-plug,
# and a root port (00:07.0 -> bus 05) with a conventional PCI bridge
# (pcie-pci-bridge, 05:00.0 -> bus 06) and two e1000 behind it (06:01.0,
# 06:02.0): one IOMMU group (a PCIe-to-PCI bridge hides their requester IDs).
# The e1000e and the e1000 sit on one QEMU-internal hub (hubid 0), with
# nothing else on it, so a ping between them proves DMA (testlib's
# vt_dma_check); nothing leaves QEMU.
# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
devices=(
	-device intel-iommu,intremap=on
	-device pcie-root-port,id=rp1,bus=pcie.0,addr=02.0,chassis=1,port=1
	-netdev hubport,id=hub0p0,hubid=0
	-device e1000e,bus=rp1,addr=00.0,id=nic0,netdev=hub0p0
	-device pcie-root-port,id=rp2,bus=pcie.0,addr=03.0,chassis=2,port=2
	-device qemu-xhci,bus=rp2,addr=00.0,id=xhci0
	-netdev hubport,id=hub0p1,hubid=0
	-device e1000,bus=pcie.0,addr=04.0,id=nic1,netdev=hub0p1
	-device ich9-usb-ehci1,bus=pcie.0,addr=1d.7,multifunction=on,id=ehci
	-device ich9-usb-uhci1,bus=pcie.0,addr=1d.0,multifunction=on,masterbus=ehci.0,firstport=0
	-device ich9-usb-uhci2,bus=pcie.0,addr=1d.1,multifunction=on,masterbus=ehci.0,firstport=2
	-device ich9-usb-uhci3,bus=pcie.0,addr=1d.2,multifunction=on,masterbus=ehci.0,firstport=4
	-device pcie-root-port,id=hp1,bus=pcie.0,addr=05.0,chassis=3,port=3,hotplug=on
	-device pcie-root-port,id=hp2,bus=pcie.0,addr=06.0,chassis=4,port=4,hotplug=on
	-device pcie-root-port,id=rp3,bus=pcie.0,addr=07.0,chassis=5,port=5
	-device pcie-pci-bridge,id=pbr,bus=rp3,addr=00.0
	-device e1000,bus=pbr,addr=01.0,id=nic2
	-device e1000,bus=pbr,addr=02.0,id=nic3
)
if [ -z "$iommu_arg" ]; then
	devices=("${devices[@]:2}") # drop "-device intel-iommu,intremap=on"
fi
# gpu-sriov: two more root ports after the others, so buses 01..06 stay:
# * 00:08.0 -> bus 07, a GPU-shaped slot: bochs-display at 07:00.0
#   (multifunction, class 0380, bochs-drm, /dev/dri/card0) and its HD-audio
#   function ich9-intel-hda at 07:00.1 (snd_hda_intel, /dev/snd/*) with a
#   codec on a silent audio backend; one IOMMU group, one bus;
# * 00:09.0 -> bus 08, an NVMe PF at 08:00.0 in an NVMe subsystem with
#   SR-IOV (sriov_max_vfs=2: "echo 2 > sriov_numvfs" makes 08:00.1 and
#   08:00.2) and one 64 MB namespace (nvme0n1) on a sparse file of the run.
#   QEMU insists on max_ioqpairs - sriov_vq_flexible >= 2.
if [ "$gpu_sriov" = 1 ]; then
	truncate -s 64M "$run/nvme0n1.img"
	# shellcheck disable=SC2054
	devices+=(
		-device pcie-root-port,id=rp4,bus=pcie.0,addr=08.0,chassis=6,port=6
		-device bochs-display,bus=rp4,addr=00.0,multifunction=on,id=gpu0
		-device ich9-intel-hda,bus=rp4,addr=00.1,id=hda0
		-audiodev none,id=snd0
		-device hda-duplex,bus=hda0.0,audiodev=snd0
		-device pcie-root-port,id=rp5,bus=pcie.0,addr=09.0,chassis=7,port=7
		-drive "if=none,id=nvm0,format=raw,file=$run/nvme0n1.img"
		-device nvme-subsys,id=nvmsub0,nqn=pcibind-vmtest
		-device nvme,bus=rp5,addr=00.0,id=nvme0,serial=pf0,subsys=nvmsub0,sriov_max_vfs=2,sriov_vq_flexible=8,sriov_vi_flexible=4,max_ioqpairs=12,msix_qsize=8
		-device nvme-ns,bus=nvme0,drive=nvm0,nsid=1
	)
fi
mem_debian=1024
[ "$guest_qemu" = 1 ] && mem_debian=2048
# shellcheck disable=SC2054,SC2206 # $VM_ACCEL is a word list
common=(
	$VM_ACCEL -M q35,kernel-irqchip=split -smp 2
	-nodefaults -display none -no-reboot -no-user-config
	-serial "file:$run/console.log" -serial "file:$run/results.log"
	-qmp "unix:$run/qmp.sock,server=on,wait=off"
)
# no_timer_check: on a loaded host a TCG guest can miss the IO-APIC timer
# check and panic ("timer doesn't work through Interrupt-remapped IO-APIC").
kargs="panic=-1 oops=panic softlockup_panic=1 no_timer_check $iommu_arg loglevel=5 $append"
# dracut's own command line (dracut and xendracut): run the scenarios, never
# look for a root, power off instead of a shell.
rd_args="root=LABEL=noroot rd.vmtest=1 rd.emergency=poweroff rd.shell=0 systemd.show_status=0 rd.udev.log_level=3"
case $kind in
debian|dracut|initramfs|systemd)
	# The Debian kernel and the kind's initrd: debian's /init, dracut's,
	# initramfs-tools' (tests/vm/initramfs/vmtest, init-premount, runs the
	# scenarios and powers off before it looks for a root) or systemd as
	# PID 1 (/init) in a real-root boot (vmtest.service runs the scenarios
	# once udev settled, and powers off).
	case $kind in
	debian) mem=$mem_debian kind_args= ;;
	dracut) mem=1536 kind_args=" $rd_args" ;;
	initramfs) mem=1024 kind_args=" rd.vmtest=1" ;;
	systemd) mem=1024 kind_args=" systemd.show_status=1" ;;
	esac
	cmd=(qemu-system-x86_64 "${common[@]}" -cpu "$(vm_guest_cpu linux)" -m "$mem" "${devices[@]}"
		-kernel "/boot/vmlinuz-$KVER" -initrd "$initrd"
		-append "console=ttyS0,115200 $kargs$kind_args")
	if [ "$kind" = systemd ]; then timeout=${timeout:-300}; fi
	;;
xen|xendracut)
	# Xen via QEMU's multiboot loader: -kernel must be the gunzipped xen,
	# the dom0 kernel (with its command line) and the initrd are modules.
	# xendracut is the Xen dom0 of "xen" booting the dracut image of
	# "dracut" (pcibind's dracut module on Xen: scenarios 9* with
	# "# vm-kinds: xendracut").
	xen=$(vm_xen_kernel)
	# QEMU splits -initrd at commas: ",," is a comma of the command line
	# (xen passes its arguments as they are); our paths have none.
	case "$initrd$KVER" in *,*) die "comma in $initrd" ;; esac
	dom0_args=$kargs
	[ "$kind" = xen ] || dom0_args="${kargs//,/,,} $rd_args"
	cmd=(qemu-system-x86_64 "${common[@]}" -cpu "$(vm_guest_cpu xen)" -m 2048 "${devices[@]}"
		-kernel "$xen"
		-append "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M loglvl=all guest_loglvl=all console_timestamps=boot"
		-initrd "/boot/vmlinuz-$KVER console=hvc0 earlyprintk=xen $dom0_args,$initrd")
	;;
esac
timeout=${timeout:-600}
printf '%q ' "${cmd[@]}" >"$run/qemu.cmd"
echo >>"$run/qemu.cmd"
if [ "${VM_PRINT_CMD:-0}" = 1 ]; then
	cat "$run/qemu.cmd"
	echo "# timeout ${timeout}s"
	exit 0
fi

# Run one HMP command through QMP (the monitor socket), log the answer.
qmp_hmp()
{
	local line=$1 req
	req=$(jq -cn --arg c "$line" '{execute: "human-monitor-command", arguments: {"command-line": $c}}')
	{
		printf '{"execute":"qmp_capabilities"}\n%s\n' "$req"
		sleep 0.5
	} | socat -t 2 - "UNIX-CONNECT:$run/qmp.sock" 2>&1
}

# --- boot and serve monitor requests until QEMU exits -------------------------
# One guest at a time on this machine (2 cores): every run-guest.sh, from any
# work tree, waits for the others' guests here (VM_LOCK to move it).
exec 8>"${VM_LOCK:-/tmp/pcibind-qemu.lock}"
flock 8
: >"$run/host.log"
: >"$run/results.log"
t1=$(vm_now)
timeout -k 5 "$timeout" "${cmd[@]}" >"$run/qemu.log" 2>&1 &
qpid=$!
# A background job ignores ^C: stop the guest if we are interrupted.
trap 'kill "$qpid" 2>/dev/null' EXIT
trap 'kill "$qpid" 2>/dev/null; exit 130' INT TERM
served=0
while kill -0 "$qpid" 2>/dev/null; do
	mapfile -t reqs < <(tr -d '\r' <"$run/results.log" | grep '^VMCTL ' || true)
	while [ "$served" -lt ${#reqs[@]} ]; do
		req=${reqs[$served]}
		served=$((served + 1))
		# shellcheck disable=SC2086 # split "VMCTL ID COMMAND..."
		set -- $req
		id=$2
		line=${req#VMCTL "$id" }
		{
			echo "[$(vm_elapsed "$t1") s] $id: $line"
			qmp_hmp "$line" || echo "qmp failed: $?"
		} >>"$run/host.log" 2>&1
		[ "$quiet" = 1 ] || log "$name: monitor: $line"
	done
	sleep 0.2
done
qrc=0
wait "$qpid" || qrc=$?
trap - EXIT INT TERM
t_boot=$(vm_elapsed "$t1")

# --- judge ------------------------------------------------------------------
npass=0
nfail=0
nskip=0
problems=()
tr -d '\r' <"$run/results.log" >"$run/results.txt"
tr -d '\r' <"$run/console.log" >"$run/console.txt"

# Per-check lines, with the guest name in front.
while IFS= read -r l; do
	case $l in
	"PASS "*) npass=$((npass + 1)); echo "PASS $name:${l#PASS }" ;;
	"SKIP "*) nskip=$((nskip + 1)); echo "SKIP $name:${l#SKIP }" ;;
	"FAIL "*) nfail=$((nfail + 1)); echo "FAIL $name:${l#FAIL }" ;;
	esac
done <"$run/results.txt"

# Each scenario must have run to its SUMMARY, and the SUMMARY must agree
# with the lines we saw (a lost or garbled line shows up here).
for s in "${scenarios[@]}"; do
	sn=$(basename "$s" .sh)
	summ=$(grep -E "^SUMMARY [0-9]+ passed [0-9]+ failed [0-9]+ skipped \($sn\)\$" "$run/results.txt" || true)
	if [ -z "$summ" ]; then
		problems+=("scenario $sn: no SUMMARY line (it did not run to its end)")
		continue
	fi
	# shellcheck disable=SC2086 # split "SUMMARY P passed F failed ..."
	set -- $summ
	got_p=$(grep -c "^PASS $sn/" "$run/results.txt" || true)
	got_f=$(grep -c "^FAIL $sn/" "$run/results.txt" || true)
	if [ "$2" != "$got_p" ] || [ "$4" != "$got_f" ]; then
		problems+=("scenario $sn: SUMMARY says $2 passed $4 failed, the log has $got_p PASS and $got_f FAIL lines")
	fi
done
while IFS= read -r l; do
	problems+=("$l")
done < <(grep '^ABORT ' "$run/results.txt" || true)
grep -q '^VMTEST DONE' "$run/results.txt" ||
	problems+=("the guest never reported VMTEST DONE")
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	problems+=("the guest did not power off within ${timeout}s (killed)")
elif [ "$qrc" != 0 ]; then
	problems+=("QEMU exited with status $qrc: $(tail -n 2 "$run/qemu.log" | tr '\n' ' ')")
fi
crash=$(grep -hE 'Oops|BUG:|Kernel panic|kernel BUG at|list_add corruption|list_del corruption|general protection fault|RCU stall|rcu_sched detected stall|rcu_preempt detected stall|self-detected stall|Domain 0 crashed|FATAL PAGE FAULT|Xen BUG' \
	"$run/console.txt" "$run/results.txt" | head -n 3 || true)
[ -z "$crash" ] || problems+=("kernel crash on the console: $(printf '%s' "$crash" | tr '\n' '|')")

# Files sent with send_file: decode each into $run/files/NAME, check its hash.
mkdir -p "$run/files"
while read -r fname fsize; do
	case $fname in */*|.*|"") problems+=("send_file: bad name '$fname'"); continue ;; esac
	sed -n "/^FILE-BEGIN $fname /,/^FILE-END $fname /p" "$run/results.txt" | sed '1d;$d' \
		| base64 -d >"$run/files/$fname" 2>/dev/null || true
	want=$(sed -n "s/^FILE-END $fname \([0-9a-f]*\)\$/\1/p" "$run/results.txt")
	got=$(sha256sum <"$run/files/$fname" | cut -d' ' -f1)
	if [ -z "$want" ] || [ "$want" != "$got" ]; then
		problems+=("send_file $fname: transfer damaged (sha256 ${got:0:12}, want ${want:0:12}; $fsize bytes sent)")
		rm -f "$run/files/$fname"
	fi
done < <(sed -n 's/^FILE-BEGIN \([^ ]*\) \([0-9]*\)$/\1 \2/p' "$run/results.txt")

for p in ${problems[@]+"${problems[@]}"}; do
	nfail=$((nfail + 1))
	echo "FAIL $name:harness: $p"
done

echo "$npass $nfail $nskip" >"$run/counts"
echo "== $name ($kind, $([ "$VM_KVM" = 1 ] && echo kvm || echo tcg)): $npass checks passed, $nfail failed, $nskip skipped; build ${t_build}s, boot+tests ${t_boot}s, total $(vm_elapsed "$t0")s"
if [ "$nfail" -gt 0 ]; then
	echo "---- $name: last 40 lines of the console ($run/console.txt) ----"
	tail -n 40 "$run/console.txt"
	echo "---- $name: last 20 lines of the results ($run/results.txt) ----"
	tail -n 20 "$run/results.txt"
	[ -s "$run/host.log" ] && { echo "---- $name: monitor ($run/host.log) ----"; tail -n 20 "$run/host.log"; }
	echo "---- end of $name ----"
	exit 1
fi
exit 0
