#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# run.sh: the benchmarks of issue 7 (make bench). Every figure is a ratio
# against a peer measured in the same run: the two commands alternate
# (bench/abtime), RUNS rounds after one warm-up round, medians.
#
#  1. the big machine: how long fixture-tool spec and materialize take;
#  2. pcibind list and pcibind --json list vs lspci -nnk, same tree, same
#     pci.ids (target: pcibind <= 0.5 x lspci);
#  3. pcibind boot --dry-run (rd.qubes.hide_all_usb) vs Qubes' shell loop
#     (bench/qubes-pciback.sh) on a copy of the tree (target: >= 10x faster),
#     and vs its floor, bench/floor.c boot (issue 23: <= 2x), with both
#     commands' syscall counts.
#     One probe run first: if pcibind takes longer than BENCH_BOOT_CAP
#     seconds, the big tree is not timed again and the same comparison runs
#     on smaller machines instead, to show how the time grows;
#  3a. seize --dry-run with a fake /proc of 2,000 processes x 50 fds
#     (bench/mkproc.c) against none (target: <= 1.5x);
#  4. strace -c -f of pcibind list: syscalls per listed function, fork/exec
#     count, and the attributes read for one function.
#
# Env (bench.mk sets them): BUILD PCIBIND FIXTURE_TOOL BENCH_TREE BENCH_N
# BENCH_RUNS BENCH_TMP BENCH_PCI_IDS; BENCH_BOOT_CAP (seconds, default 60),
# BENCH_SCALE_NS (default "256 512 1024"). Writes $BUILD/bench/results.md.
set -eu

BUILD=${BUILD:-build}
PCIBIND=${PCIBIND:-$BUILD/pcibind}
FIXTURE_TOOL=${FIXTURE_TOOL:-$BUILD/fixture-tool}
N=${BENCH_N:-4096}
TREE=${BENCH_TREE:-$BUILD/bench/tree-$N}
RUNS=${BENCH_RUNS:-7}
IDS=${BENCH_PCI_IDS:-tests/fixtures/pci.ids}
CAP=${BENCH_BOOT_CAP:-60}
SCALE_NS=${BENCH_SCALE_NS:-256 512 1024}
ABTIME=$BUILD/bench/abtime
OUT=$BUILD/bench/results.md
TOP=$(pwd)

case $PCIBIND in /*) ;; *) PCIBIND=$TOP/$PCIBIND ;; esac
[ -d "${BENCH_TMP:-/dev/shm}" ] && [ -w "${BENCH_TMP:-/dev/shm}" ] || BENCH_TMP=$BUILD/bench
W=$(mktemp -d "${BENCH_TMP:-/dev/shm}/pcibind-bench.XXXXXX")
cleanup() { rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
secs() { echo "$1 $2" | awk '{printf "%.2f", $2 - $1}'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

: > "$OUT.tmp"
row() { printf '%s\n' "$*" | tee -a "$OUT.tmp"; }
note() { printf '%s\n' "$*" >&2; }

# Materialize TREE_DIR's fixture.tree into DEST (on tmpfs: a sysfs lives in memory).
materialize() {
	"$FIXTURE_TOOL" materialize "$1/fixture.tree" "$2"
}

# pcibind's options for machine DIR materialized at SYS [with the journal in STATE].
pb() {
	echo "$PCIBIND --sysfs-root $2 --modules-dir $TOP/$1/modules --pci-ids $IDS" \
		"--policy-dir $TOP/policy.d --proc-root $TOP/tests/fixtures/proc/none" \
		"--state-dir ${3:-$W/state}"
}

# A journal in STATE with a record for each function SYS's pciback lists (for status).
mkjournal() {
	mkdir -m 0700 "$1" "$1/devices"
	tr -s ' \n' '\n\n' < "$2/bus/pci/drivers/pciback/slots" | while read -r b; do
		[ -n "$b" ] || continue
		id=$(sed -n 's/^PCI_ID=//p' "$2/bus/pci/devices/$b/uevent" | tr 'A-F' 'a-f')
		printf '# pcibind device record v1\nbdf=%s\nid=%s\ndriver=iavf\nmodule=iavf\noverride=\n%s\n' \
			"$b" "$id" 'slot_listed=0' > "$1/devices/$b"
		printf 'permissive=0\nstub=pciback\norigin=boot\nsince=1700000000\nstranded=0\n' \
			>> "$1/devices/$b"
	done
}
LSPCI_K="lspci -A linux-sysfs -i $IDS -nnk -O sysfs.path="

mkdir -m 0700 "$W/state"
echo "rd.qubes.hide_all_usb" > "$W/cmdline"

# ---- 1. the machine ------------------------------------------------------
t0=$(now)
materialize "$TREE" "$W/sys"
t1=$(now)
cp -a "$W/sys" "$W/shell-sys"
S="$W/sys"
PB=$(pb "$TREE" "$S")
NDEV=$(ls "$S/bus/pci/devices" | wc -l)
NSEL=$($PB list network usb | wc -l)
NSLOTS=$(tr -d '\n' < "$S/bus/pci/drivers/pciback/slots" | wc -c)
NSLOTS=$((NSLOTS / 12))
note "== machine: $NDEV functions, $NSEL network+USB, $(wc -l < "$TREE/fixture.tree") tree entries"

row "## pcibind benchmarks ($(date -u +%Y-%m-%d), $(uname -m), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
row ""
row "Machine: bench/gen-spec.sh $N: $NDEV PCI functions ($NSEL network or USB, $NSLOTS in pciback/slots)," \
	"$(wc -l < "$TREE/fixture.tree") tree entries; pci.ids: $IDS; trees on $(df -T "$W" | awk 'NR==2{print $2}')." \
	"Ratios are the median of per-round ratios over $RUNS alternating rounds (after 1 warm-up round)."
row ""
row "| what | pcibind | peer | ratio (median, min..max) | target | met | floor (bench/floor.c vs the same peer) |"
row "|---|---|---|---|---|---|---|"
row "| fixture-tool spec / materialize, $NDEV functions | $(cat "$TREE/spec-seconds") s / $(secs "$t0" "$t1") s | | | | | |"

# ---- 2. list vs lspci ----------------------------------------------------
# Compare: ratio label, pcibind command, peer label, peer command, target, sense
# (le|ge), and the floor's command (bench/floor.c), timed against the same peer
# when the target is missed. Sets RSS_A / RSS_B (peak RSS, KiB) of the last run.
compare() {
	label=$1 a=$2 blabel=$3 b=$4 target=$5 sense=$6 floor=${7:-}
	note "== $label: $RUNS rounds"
	res=$("$ABTIME" "$RUNS" 1 pcibind "$a" peer "$b")
	note "$res"
	wa=$(echo "$res" | sed -n 1p | field wall_ms)
	wb=$(echo "$res" | sed -n 2p | field wall_ms)
	ca=$(echo "$res" | sed -n 1p | field cpu_ms)
	cb=$(echo "$res" | sed -n 2p | field cpu_ms)
	RSS_A=$(echo "$res" | sed -n 1p | field rss_kb)
	RSS_B=$(echo "$res" | sed -n 2p | field rss_kb)
	r=$(echo "$res" | sed -n 3p | sed -n 's/.*wall=\([0-9.]*\)(\([0-9.]*\)\.\.\([0-9.]*\)).*/\1 \2 \3/p')
	set -- $r
	pratio=$1
	if [ "$sense" = le ]; then
		met=$(awk -v r="$1" -v t="$target" 'BEGIN{print (r <= t) ? "yes" : "**no**"}')
		shown="$1 ($2..$3)"
		tshown="<= $target"
	else
		# "x faster": peer/pcibind
		met=$(awk -v r="$1" -v t="$target" 'BEGIN{print (1 / r >= t) ? "yes" : "**no**"}')
		shown=$(xfaster "$1" "$2" "$3")
		tshown=">= ${target}x faster"
	fi
	fl=""
	if [ "$met" != yes ] && [ -n "$floor" ]; then
		note "== floor of $label: $RUNS rounds"
		fres=$("$ABTIME" "$RUNS" 1 floor "$floor" peer "$b")
		note "$fres"
		fw=$(echo "$fres" | sed -n 1p | field wall_ms)
		set -- $(echo "$fres" | sed -n 3p | sed -n 's/.*wall=\([0-9.]*\)(\([0-9.]*\)\.\.\([0-9.]*\)).*/\1 \2 \3/p')
		if [ "$sense" = le ]; then
			fl="floor $1 ($2..$3), $fw ms"
		else
			fl="floor $(xfaster "$1" "$2" "$3"), $fw ms"
		fi
		fl="$fl; pcibind = $(awk -v p="$pratio" -v f="$1" 'BEGIN{printf "%.2f", p / f}') x the floor"
	fi
	row "| $label vs $blabel | $wa ms (cpu $ca) | $wb ms (cpu $cb) | $shown | $tshown | $met | $fl |"
}
xfaster() {
	awk -v m="$1" -v lo="$2" -v hi="$3" 'BEGIN {
		if (m <= 1) printf "%.1fx faster (%.1f..%.1f)", 1 / m, 1 / hi, 1 / lo
		else printf "%.1fx slower (%.1f..%.1f)", m, lo, hi }'
}
mb() { awk -v k="$1" 'BEGIN{printf "%.1f MB", k / 1024}'; }

FLOOR=$BUILD/bench/floor
case $FLOOR in /*) ;; *) FLOOR=$TOP/$FLOOR ;; esac
compare "\`pcibind list\`" "$PB list" "\`lspci -nnk\`" "${LSPCI_K}$S/bus/pci" 0.35 le \
	"$FLOOR list $S $IDS"
LIST_RSS=$RSS_A LSPCI_RSS=$RSS_B
compare "\`pcibind --json list\`" "$PB --json list" "\`lspci -nnk\`" "${LSPCI_K}$S/bus/pci" 0.40 le \
	"$FLOOR list $S $IDS"
JSON_RSS=$RSS_A
row "| peak RSS of \`pcibind list\` / \`--json list\` vs \`lspci -nnk\` (wait4 ru_maxrss, median) | $(mb "$LIST_RSS") / $(mb "$JSON_RSS") | $(mb "$LSPCI_RSS") | $(awk -v a="$LIST_RSS" -v b="$LSPCI_RSS" 'BEGIN{printf "%.2f", a / b}') / $(awk -v a="$JSON_RSS" -v b="$LSPCI_RSS" 'BEGIN{printf "%.2f", a / b}') | <= lspci's | $(awk -v a="$LIST_RSS" -v j="$JSON_RSS" -v b="$LSPCI_RSS" 'BEGIN{print (a <= b && j <= b) ? "yes" : "**no**"}') | |"

# ---- 3. boot-time seize planning vs Qubes' shell loop --------------------
BOOT="boot --dry-run --cmdline $W/cmdline --kmsg /dev/null"
note "== boot: one probe run of pcibind $BOOT (cap ${CAP}s)"
t0=$(now)
rc=0
timeout "$CAP" $PB $BOOT > "$W/boot.out" 2> "$W/boot.err" || rc=$?
t1=$(now)
if [ "$rc" = 0 ]; then
	compare "\`pcibind boot --dry-run\` (rd.qubes.hide_all_usb)" "$PB $BOOT" \
		"Qubes' lspci+awk+write loop" "sh $TOP/bench/qubes-pciback.sh $W/shell-sys $IDS" 10 ge \
		"$FLOOR boot $S"
	# Issue 23: boot near its floor, timed against the floor itself.
	compare "\`pcibind boot --dry-run\` (rd.qubes.hide_all_usb)" "$PB $BOOT" \
		"its floor (\`bench/floor.c boot\`)" "$FLOOR boot $S" 2.0 le
	if command -v strace > /dev/null; then
		scount() { # scount CMD...: all syscalls of one run of CMD
			strace -c -f -o "$W/strace-b" "$@" > /dev/null 2>&1 || true
			awk '$NF == "total" {print $4}' "$W/strace-b"
		}
		sp=$(scount $PB $BOOT)
		sf=$(scount "$FLOOR" boot "$S")
		row "| syscalls of one \`pcibind boot --dry-run\` vs its floor ($NDEV functions) | $sp | $sf | $(awk -v a="$sp" -v b="$sf" 'BEGIN{printf "%.2f", a / b}') | (what the 2x target needs) | | |"
	fi
else
	t2=$(now)
	sh bench/qubes-pciback.sh "$W/shell-sys" "$IDS"
	t3=$(now)
	row "| \`pcibind boot --dry-run\` (rd.qubes.hide_all_usb), $NDEV functions | > ${CAP} s (stopped; exit $rc) | $(secs "$t2" "$t3") s (1 run) | > $(awk -v a="$CAP" -v b="$(secs "$t2" "$t3")" 'BEGIN{printf "%.0f", a / b}')x slower | >= 10x faster | **no** | |"
	# How the time grows: the same comparison on smaller machines.
	for n in $SCALE_NS; do
		d=$BUILD/bench/tree-$n
		[ -f "$d/.stamp" ] || FIXTURE_TOOL=$FIXTURE_TOOL sh bench/mktree.sh "$n" "$d" > /dev/null
		rm -rf "$W/s$n" "$W/c$n"
		materialize "$d" "$W/s$n"
		cp -a "$W/s$n" "$W/c$n"
		nd=$(ls "$W/s$n/bus/pci/devices" | wc -l)
		r3=$(( RUNS < 3 ? RUNS : 3 ))
		RUNS_SAVE=$RUNS RUNS=$r3
		compare "\`pcibind boot --dry-run\`, $nd functions" "$(pb "$d" "$W/s$n") $BOOT" \
			"Qubes' loop" "sh $TOP/bench/qubes-pciback.sh $W/c$n $IDS" 10 ge
		RUNS=$RUNS_SAVE
		rm -rf "$W/s$n" "$W/c$n"
	done
fi

# ---- 3a. who holds a device: seize --dry-run with a busy /proc -------------
# A fake /proc of BENCH_PROCS processes x BENCH_FDS fds (bench/mkproc.c, as
# mktree.sh makes the tree) against an empty one, same command, same tree.
# The xHCI controller 0000:00:14.0 gets root hubs, a USB device and a hidraw
# node (what a real one has): its seize reads /proc once. A NIC has no device
# node: its seize reads no /proc at all.
NPROC=${BENCH_PROCS:-2000} NFD=${BENCH_FDS:-50}
MKPROC=$BUILD/bench/mkproc
case $MKPROC in /*) ;; *) MKPROC=$TOP/$MKPROC ;; esac
"$MKPROC" "$W/proc" "$NPROC" "$NFD"
mkdir "$W/noproc"
X=$S/bus/pci/devices/0000:00:14.0
mknode() { # mknode REL MAJ:MIN DEVNAME
	mkdir -p "$X/$1"
	echo "$2" > "$X/$1/dev"
	printf 'MAJOR=%s\nMINOR=%s\nDEVNAME=%s\n' "${2%%:*}" "${2##*:}" "$3" > "$X/$1/uevent"
}
mknode usb1 189:0 bus/usb/001/001
mknode usb1/1-1 189:1 bus/usb/001/002
mknode usb1/1-1/1-1:1.0/0003:046D:C52B.0001/hidraw/hidraw0 241:0 hidraw0
mknode usb2 189:128 bus/usb/002/001
NIC=$($PB list network | awk 'NR == 1 { print $1 }')
PBP=$(echo "$PB" | sed "s|--proc-root [^ ]*|--proc-root $W/proc|")
PBN=$(echo "$PB" | sed "s|--proc-root [^ ]*|--proc-root $W/noproc|")
compare "\`pcibind seize --dry-run\` of the xHCI (4 device nodes), /proc of $NPROC processes x $NFD fds" \
	"$PBP seize --driver pci-stub --dry-run 0000:00:14.0" "the same without processes" \
	"$PBN seize --driver pci-stub --dry-run 0000:00:14.0" 1.5 le "$FLOOR proc $W/proc"
compare "\`pcibind seize --dry-run\` of a NIC ($NIC, no device node), /proc of $NPROC processes x $NFD fds" \
	"$PBP seize --driver pci-stub --dry-run $NIC" "the same without processes" \
	"$PBN seize --driver pci-stub --dry-run $NIC" 1.5 le
rm -rf "$W/proc" "$W/noproc"

# ---- 3b. growth: the same commands on a machine four times as big ---------
# Each command alternates between the big and the $N machine (abtime): the
# ratio is time(big) / time(N). Linear is BIG/N functions; the target allows 10% more.
BIG=${BENCH_N_BIG:-16384}
if [ "$BIG" -gt 0 ]; then
	BT=$BUILD/bench/tree-$BIG
	[ -f "$BT/.stamp" ] || FIXTURE_TOOL=$FIXTURE_TOOL sh bench/mktree.sh "$BIG" "$BT" > /dev/null
	rm -rf "$W/shell-sys"	# only the boot comparison needed it
	note "== the $BIG machine"
	t2=$(now)
	materialize "$BT" "$W/big"
	t3=$(now)
	NBIG=$(ls "$W/big/bus/pci/devices" | wc -l)
	mkjournal "$W/st-small" "$S"
	mkjournal "$W/st-big" "$W/big"
	NJ=$(ls "$W/st-small/devices" | wc -l) NJBIG=$(ls "$W/st-big/devices" | wc -l)
	lin=$(awk -v a="$NBIG" -v b="$NDEV" 'BEGIN{printf "%.2f", a / b}')
	gt=$(awk -v l="$lin" 'BEGIN{printf "%.1f", l * 1.1}')
	row "| fixture-tool spec / materialize, $NBIG functions | $(cat "$BT/spec-seconds") s / $(secs "$t2" "$t3") s | | | | | |"
	growth() { # growth LABEL CMD (run on both machines)
		res=$("$ABTIME" "$RUNS" 1 big "$(pb "$BT" "$W/big" "$W/st-big") $2" \
			small "$(pb "$TREE" "$S" "$W/st-small") $2")
		note "$res"
		wbig=$(echo "$res" | sed -n 1p | field wall_ms)
		wsm=$(echo "$res" | sed -n 2p | field wall_ms)
		set -- "$1" $(echo "$res" | sed -n 3p | sed -n 's/.*wall=\([0-9.]*\)(\([0-9.]*\)\.\.\([0-9.]*\)).*/\1 \2 \3/p')
		row "| growth of $1: $NBIG / $NDEV functions | $wbig ms | $wsm ms | $2 ($3..$4) | <= $gt (linear: $lin) | $(awk -v r="$2" -v t="$gt" 'BEGIN{print (r <= t) ? "yes" : "**no**"}') | |"
	}
	growth "\`pcibind list\`" "list"
	growth "\`pcibind boot --dry-run\`" "$BOOT"
	growth "\`pcibind status\` ($NJBIG / $NJ records)" "status"
	rm -rf "$W/big"
fi

# ---- 4. syscalls per listed function -------------------------------------
if command -v strace > /dev/null; then
	note "== strace -c -f $PB list"
	strace -c -f -o "$W/strace-c" $PB list > /dev/null
	# The lines of strace -c: % seconds usecs calls [errors] syscall
	calls() { awk -v s="$1" 'BEGIN { c = 0 } $NF == s { c = $4 } END { print c }' "$W/strace-c"; }
	per() { awk -v c="${1:-0}" -v n="$NDEV" 'BEGIN{printf "%.2f", c / n}'; }
	# sysfs.c opens with openat2() (RESOLVE_BENEATH), other files with openat()
	opens=$(( $(calls openat) + $(calls openat2) ))
	openerr=$(awk '($NF == "openat" || $NF == "openat2") && NF == 6 { e += $5 } END { print e + 0 }' "$W/strace-c")
	reads=$(( $(calls read) + 0 ))
	closes=$(( $(calls close) + 0 ))
	links=$(( $(calls readlinkat) + $(calls readlink) ))
	stats=$(( $(calls newfstatat) + $(calls statx) ))
	dents=$(( $(calls getdents64) + 0 ))
	execs=$(( $(calls execve) - 1 ))
	forks=$(( $(calls clone) + $(calls clone3) + $(calls fork) \
		+ $(calls vfork) ))
	total=$(awk '$NF == "total" {print $4}' "$W/strace-c")
	row "| syscalls per listed function (\`pcibind list\`, $NDEV functions) | openat $(per $opens) (${openerr:-0} failed in all), read $(per $reads), close $(per $closes), readlink $(per $links), stat $(per $stats), getdents $(per $dents); all syscalls $(per "$total") | | | ~1 open/read/close per attribute needed | see below | |"
	row "| fork / exec by \`pcibind list\` | $forks / $execs | | | 0 / 0 | $([ "$forks" = 0 ] && [ "$execs" = 0 ] && echo yes || echo '**no**') | |"

	# What it touches for one function: the first EHCI (of a companion slot).
	one=$($PB --json list -d ::0c03:20 | sed -n 's/.*"address": "\([^"]*\)".*/\1/p' | head -n 1)
	strace -f -e trace=openat,openat2,readlinkat,newfstatat,statx,close -o "$W/strace-one" $PB list > /dev/null
	row ""
	row "What \`pcibind list\` asks sysfs about one function ($one; from strace; a count is how many times; ENOENT marks a miss):"
	row ""
	# The device's directory is opened once (O_PATH) and its attributes are
	# read relative to that fd until it is closed: follow the fd.
	awk -v one="$one" '{
		sc = $2; sub(/\(.*/, "", sc)
		fd = $2; sub(/^[a-z0-9_]*\(/, "", fd); sub(/[,)].*/, "", fd)
		if (sc == "close") { if (fd == cur) cur = ""; next }
		if (!match($0, /"[^"]*"/)) next
		path = substr($0, RSTART + 1, RLENGTH - 2)
		ret = $NF
		if (cur != "" && fd == cur) attr = path
		else if ((i = index(path, "/" one)) > 0 &&
		    (substr(path, i + 1 + length(one), 1) == "/" ||
		     i + length(one) == length(path))) {
			# bus/pci/devices/BDF or devices/pci0000:00/.../BDF (where its link leads)
			attr = substr(path, i + length("/" one) + 1)
			if (attr == "") {
				attr = "(the device directory)"
				if (ret ~ /^[0-9]+$/ && sc == "openat2") cur = ret
			}
		} else if (path == one) attr = "(the device link)"
		else next
		k = attr (sc == "openat" || sc == "openat2" ? "" : " [" sc "]")
		n[k]++
		if ($0 ~ /= -1 ENOENT/) e[k] = " ENOENT"
	} END { for (k in n) printf "%s%s%s\n", k, (n[k] > 1 ? " x" n[k] : ""), e[k] }' "$W/strace-one" |
		sort | tr '\n' ';' | sed 's/;$//; s/;/; /g' | tee -a "$OUT.tmp"
	echo | tee -a "$OUT.tmp"
fi

mv "$OUT.tmp" "$OUT"
note "== table in $OUT"
