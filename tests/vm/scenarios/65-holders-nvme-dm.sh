# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian
# vm-machine: gpu-sriov
# Issue 20 on the real kernel, the NVMe at 08:00.0 (its namespace is the
# only disk below it):
#  * an unmounted device-mapper target on the namespace (`dmsetup create`
#    linear, as an LVM volume or a LUKS mapping is): `seize --driver
#    vfio-pci` must refuse (exit 3) naming the dm device (dm-N), nothing
#    moved;
#  * the namespace held open raw by a process (a VM using it as a disk):
#    refused, naming the pid and its command;
#  * with neither, the same seize moves it and a release brings it back
#    (so the refusals above are about the holders, nothing else).

N=0000:08:00.0

if ! have_pcibind; then
	skip pcibind "pcibind not in the image"
	return 0
fi
modprobe vfio-pci
modprobe dm_mod

# The namespace's block device. With native NVMe multipath (the Debian
# kernel's default, and this controller is in an NVMe subsystem) it is not
# below the PCI function: the function has the controller nvme0 and a hidden
# path device nvme0c0n1 without a node; the disk nvme0n1 hangs below the
# virtual nvme-subsystem that holds the controller. Without multipath it is
# below the controller.
nvme_namespace()
{
	_ctrl=$(ls /sys/bus/pci/devices/$N/nvme 2>/dev/null | head -n 1)
	[ -n "$_ctrl" ] || return 0
	for _s in /sys/class/nvme-subsystem/*; do
		[ -e "$_s/$_ctrl" ] || continue
		ls "$_s" | grep -E '^nvme[0-9]+n1$' | head -n 1
		return 0
	done
	ls "/sys/bus/pci/devices/$N/nvme/$_ctrl" | grep -E '^nvme[0-9]+n1$' | head -n 1
}
ns_present() { [ -n "$(nvme_namespace)" ]; }
ns=$(nvme_namespace)
echo "INFO 65 namespace $ns: $(readlink /sys/block/$ns 2>&1)"
expect_match namespace '^nvme[0-9]+n1$' "$ns"
wait_for namespace-node 10 test -b "/dev/$ns"

# ---- a dm target on it, not mounted ----------------------------------------------
size=$(cat "/sys/block/$ns/size")
# No udev in this guest: dmsetup makes the node itself (--noudevsync).
check dm-create sh -c "echo '0 $size linear /dev/$ns 0' | dmsetup create --noudevsync pb65"
dm=$(ls "/sys/block/$ns/holders" 2>/dev/null | head -n 1)
expect_match dm-holds-namespace '^dm-[0-9]+$' "$dm"
check_fails dm-not-mounted grep -q "^/dev/mapper/pb65 \\|^/dev/$dm " /proc/mounts

pb seize --driver vfio-pci ${N#0000:}
echo "INFO 65 dm seize: exit $PB_RC: $(tl_oneline "$PB_ERR")"
expect_rc dm-seize-refused 3
expect_match dm-seize-names-dm "$dm([^0-9]|\$)" "$PB_ERR"
expect_eq dm-nvme-stays nvme "$(sysfs_driver $N)"
expect_eq dm-override-untouched "(null)" "$(pci_override $N)"
check dm-still-there test -e "/sys/block/$ns/holders/$dm"
check dm-remove dmsetup remove --noudevsync pb65
if [ "$(sysfs_driver $N)" != nvme ]; then
	# main before issue 20: it took the disk from under the dm target.
	pb release ${N#0000:}
fi
wait_for namespace-back 20 ns_present
ns=$(nvme_namespace)
check_fails dm-gone sh -c "ls /sys/block/$ns/holders/* 2>/dev/null | grep -q ."

# ---- held open raw -----------------------------------------------------------
wait_for namespace-node-again 10 test -b "/dev/$ns"
sleep 120 3<"/dev/$ns" &
P=$!
holds() { ls -l "/proc/$1/fd/" 2>/dev/null | grep -q " -> $2\$"; }
wait_for raw-held 10 holds $P "/dev/$ns"
c=$(cat /proc/$P/comm)
pb seize --driver vfio-pci ${N#0000:}
echo "INFO 65 raw seize: exit $PB_RC: $(tl_oneline "$PB_ERR")"
expect_rc raw-seize-refused 3
expect_match raw-seize-names-pid "pid $P \\($c\\)" "$PB_ERR"
expect_match raw-seize-names-node "$ns" "$PB_ERR"
expect_eq raw-nvme-stays nvme "$(sysfs_driver $N)"
check raw-holder-alive kill -0 $P
kill $P 2>/dev/null
wait $P 2>/dev/null
[ "$(sysfs_driver $N)" = nvme ] || pb release ${N#0000:}

# ---- nobody holds it: it moves and comes back ---------------------------------
pb seize --driver vfio-pci ${N#0000:}
expect_rc free-seize 0
expect_eq free-on-vfio vfio-pci "$(sysfs_driver $N)"
pb release ${N#0000:}
expect_rc free-release 0
expect_eq free-back-nvme nvme "$(sysfs_driver $N)"
wait_for free-namespace-back 20 ns_present
pb status --json
expect_eq free-journal-empty "0 null" \
	"$(printf '%s' "$PB_OUT" | jq -c '"\(.seized | length) \(.transaction)"' | tr -d '"')"
