# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian
# make bench, in the Debian guest: the e1000e (01:00.0) to vfio-pci and back,
# N times with pcibind (plan, journal, every step checked by re-reading
# sysfs, release with reset and libkmod) and N times with the bare writes a
# shell script would make for the same change, the same reset included
# (override, unbind, bind; back: reset, override, unbind, bind, clear).
# The floor: the same writes from rebind-floor (tests/vm/guest/rebind-floor.c),
# a bare C program run once per change as pcibind is, libc only.
# Times from /proc/uptime (10 ms), alternating blocks. Then where pcibind's
# time goes: the cost of a process start (pcibind --version), and the
# stage points of PCIBIND_TRACE over traced cycles, per command, and the time
# before each command's first write (BENCHPREWRITE).

E=0000:01:00.0
N=10
up() { cut -d' ' -f1 /proc/uptime | tr -d .; }   # centiseconds

if ! have_pcibind; then
	skip bench "pcibind not in the image"
	return 0
fi
modprobe vfio-pci
raw_cycle()
{
	echo vfio-pci >/sys/bus/pci/devices/$E/driver_override
	echo $E >/sys/bus/pci/drivers/e1000e/unbind
	echo $E >/sys/bus/pci/drivers/vfio-pci/bind
	echo 1 >/sys/bus/pci/devices/$E/reset
	echo e1000e >/sys/bus/pci/devices/$E/driver_override
	echo $E >/sys/bus/pci/drivers/vfio-pci/unbind
	echo $E >/sys/bus/pci/drivers/e1000e/bind
	echo >/sys/bus/pci/devices/$E/driver_override
}
pb_cycle()
{
	"$PCIBIND" seize --driver vfio-pci $E >/dev/null 2>&1 &&
		"$PCIBIND" release $E >/dev/null 2>&1
}
floor_cycle()
{
	rebind-floor seize $E vfio-pci && rebind-floor release $E e1000e
}
raw_cycle; pb_cycle; floor_cycle    # warm-up: modules loaded, caches warm
pb_cs=0 raw_cs=0 floor_cs=0
for round in 1 2 3; do
	t0=$(up); i=0; while [ $i -lt $N ]; do pb_cycle || fail bench-pb "cycle failed"; i=$((i + 1)); done
	t1=$(up); i=0; while [ $i -lt $N ]; do raw_cycle; i=$((i + 1)); done
	t2=$(up); i=0; while [ $i -lt $N ]; do floor_cycle || fail bench-floor "cycle failed"; i=$((i + 1)); done
	t3=$(up)
	pb_cs=$((pb_cs + t1 - t0)); raw_cs=$((raw_cs + t2 - t1)); floor_cs=$((floor_cs + t3 - t2))
done
cycles=$((3 * N))
expect_eq bench-back-on-e1000e e1000e "$(sysfs_driver $E)"
echo "BENCH cycles=$cycles pcibind_ms_per_cycle=$((pb_cs * 10 / cycles)) raw_ms_per_cycle=$((raw_cs * 10 / cycles)) ratio_x100=$((pb_cs * 100 / (raw_cs > 0 ? raw_cs : 1))) floor_ms_per_cycle=$((floor_cs * 10 / cycles)) floor_x100=$((floor_cs * 100 / (raw_cs > 0 ? raw_cs : 1))) pb_floor_x100=$((pb_cs * 100 / (floor_cs > 0 ? floor_cs : 1)))"

# A process start: pcibind --version (dynamic linking, libc, exit) and, for scale, true.
M=40
t0=$(up); i=0; while [ $i -lt $M ]; do "$PCIBIND" --version >/dev/null; i=$((i + 1)); done
t1=$(up); i=0; while [ $i -lt $M ]; do /bin/true; i=$((i + 1)); done
t2=$(up); i=0; while [ $i -lt $M ]; do rebind-floor 2>/dev/null; i=$((i + 1)); done
t3=$(up)
echo "BENCHSTART pcibind_version_ms_x10=$(((t1 - t0) * 100 / M)) true_ms_x10=$(((t2 - t1) * 100 / M)) floor_start_ms_x10=$(((t3 - t2) * 100 / M))"

# Where a cycle goes: T traced cycles, the mean time before each stage point.
T=5
rm -f /tmp/tr.seize /tmp/tr.release
i=0
while [ $i -lt $T ]; do
	PCIBIND_TRACE=1 "$PCIBIND" seize --driver vfio-pci $E >/dev/null 2>>/tmp/tr.seize
	PCIBIND_TRACE=1 "$PCIBIND" release $E >/dev/null 2>>/tmp/tr.release
	i=$((i + 1))
done
for op in seize release; do
	grep '^pcibind: trace:' /tmp/tr.$op | awk -v op=$op -v T=$T '{
		d = $5; sub(/^\+/, "", d)
		p = $7; for (i = 8; i <= NF; i++) p = p " " $i
		if (!(p in sum)) order[n++] = p
		sum[p] += d
	} END { for (i = 0; i < n; i++) printf "BENCHTRACE %s %.3f %s\n", op, sum[order[i]] / T, order[i] }'
	# The time before the first write (issue 23), per traced run: the time
	# since main() of the last point before the first sysfs write or module load.
	grep '^pcibind: trace:' /tmp/tr.$op | awk -v op=$op '
		$7 == "main" { if (runs && !seen) bad++; runs++; seen = 0; last = $3 }
		!seen && ($7 == "write" || $7 == "load-module") { seen = 1; v[runs] = last; s += last }
		!seen { last = $3 }
		END {
			if (runs && !seen) bad++
			min = max = v[1]
			for (i = 1; i <= runs; i++) { if (v[i] < min) min = v[i]; if (v[i] > max) max = v[i] }
			printf "BENCHPREWRITE op=%s runs=%d no_write=%d mean_ms=%.1f min_ms=%.1f max_ms=%.1f\n",
				op, runs, bad + 0, runs ? s / runs : 0, min, max
		}'
done
expect_eq bench-traced-back-on-e1000e e1000e "$(sysfs_driver $E)"
