#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Concurrency campaign: 8 build/pcibind-fake processes doing seize, release,
# status and recover on the same devices of one fixture copy (laptop, made
# ready with tests/engine/prep.sh), plus a simulated udev storm (list, show,
# reads of sysfs and the journal), for SECS seconds. Then:
#  - every command was done (exit 0) or cleanly refused: exit 1 with the
#    lock message, or 3/4 with a reason; never a crash (exit >= 128, or a
#    sanitizer report) and nothing else;
#  - no torn journal: 'pcibind status' exits 0, every record in
#    state/devices and the transaction (if any) read back field by field,
#    no temporary file left behind;
#  - no lost record: every function on a stub that was not at the start has
#    a record naming that stub; every record's function is on the stub it
#    names, unless recorded stranded.
# Prints "concurrency: N commands, N done, N refused (lock), N refused
# (reason), C crashed, T torn, L lost" and "N passed, M failed".
# Usage: concurrency.sh [SECS]   (BUILD, default build; WORKERS, default 8)
set -u
BUILD=${BUILD:-build}
secs=${1:-20}
workers=${WORKERS:-8}
fake=$BUILD/pcibind-fake
src=$BUILD/fixtures/laptop
export PCIBIND_FORBID_REAL_SYSFS=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
work=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

[ -x "$fake" ] && [ -d "$src/sys" ] || { echo "concurrency: needs $fake and $src (make $fake fixtures)"; exit 2; }
cp -a "$src/sys" "$work/sys"
sh tests/engine/prep.sh "$work/sys" "$src/fixture.aliases"
mkdir -p "$work/state/devices" "$work/logs"
chmod 700 "$work/state" "$work/state/devices"

pb() {
	"$fake" --sysfs-root "$work/sys" --modules-dir "$src/modules" \
		--pci-ids tests/fixtures/pci.ids --state-dir "$work/state" --probe-timeout 200 \
		--policy-dir policy.d --proc-root tests/fixtures/proc/none "$@"
}

stubs="vfio-pci pciback pci-stub"
on_driver() { # on_driver BDF: the driver's name, "" if unbound
	l=$(readlink "$work/sys/bus/pci/devices/$1/driver" 2>/dev/null) || { echo ""; return; }
	echo "${l##*/}"
}
# Functions on a stub before anything ran (e.g. 02:00.0 on pciback): no record needed.
for d in "$work"/sys/bus/pci/devices/*; do
	b=${d##*/}
	case " $stubs " in *" $(on_driver "$b") "*) echo "$b" ;; esac
done >"$work/stub-at-start"

cat >"$work/commands" <<'EOC'
seize --driver vfio-pci --group -o no-strict-reset 00:1f.6
seize --driver pci-stub 00:1f.6
release 00:1f.6
seize --driver pciback --all-functions 00:1d.0
release --all-functions -o no-strict-reset 00:1d.7
seize --driver vfio-pci 04:00.0
release 04:00.0
release 02:00.0
seize --driver pciback 02:00.0
status
--json status
recover
EOC
ncmd=$(wc -l <"$work/commands")
end=$(($(date +%s) + secs))

# One worker: random commands until the time is up; one log line per
# command: "EXIT<TAB>COMMAND<TAB>MESSAGE" (the first line of stderr).
worker() { # worker ID
	i=0
	seed=$1
	while [ "$(date +%s)" -lt "$end" ]; do
		i=$((i + 1))
		seed=$(((seed * 1103515245 + 12345) % 2147483648))
		line=$(sed -n "$((seed / 65536 % ncmd + 1))p" "$work/commands")
		# Short lock waits make some commands give up: a clean refusal.
		tmo=$(((seed / 7) % 2 == 0 ? 150 : 3000))
		# shellcheck disable=SC2086 # the command is split on blanks
		pb --lock-timeout "$tmo" $line >/dev/null 2>"$work/logs/err.$1.$i"
		st=$?
		msg=$(head -n 1 "$work/logs/err.$1.$i")
		if grep -q -E 'Sanitizer|runtime error:' "$work/logs/err.$1.$i"; then
			st=$((st + 1000)) # a sanitizer report is a crash, whatever the exit
			cp "$work/logs/err.$1.$i" "$work/logs/crash.$1.$i"
		fi
		rm -f "$work/logs/err.$1.$i"
		printf '%s\t%s\t%s\n' "$st" "$line" "$msg" >>"$work/logs/cmd.$1"
	done
}

# The udev storm: what udev rules and monitoring tools do meanwhile.
storm() { # storm ID
	while [ "$(date +%s)" -lt "$end" ]; do
		for a in "list" "show 00:1f.6" "--json list" "show 00:1d.0" "list usb"; do
			# shellcheck disable=SC2086
			pb $a >/dev/null 2>"$work/logs/serr.$1"
			st=$?
			if grep -q -E 'Sanitizer|runtime error:' "$work/logs/serr.$1"; then
				st=$((st + 1000)); cp "$work/logs/serr.$1" "$work/logs/crash.storm.$1.$st"
			fi
			printf '%s\tstorm %s\t%s\n' "$st" "$a" "$(head -n 1 "$work/logs/serr.$1")" >>"$work/logs/storm.$1"
		done
		for d in "$work"/sys/bus/pci/devices/*; do
			cat "$d/driver_override" "$d/vendor" >/dev/null 2>&1
			readlink "$d/driver" >/dev/null 2>&1
		done
		cat "$work"/state/devices/* "$work/state/txn" >/dev/null 2>&1
	done
}

k=1
while [ "$k" -le "$workers" ]; do worker "$k" & k=$((k + 1)); done
storm 1 &
storm 2 &
wait

# Classify every command.
cat "$work"/logs/cmd.* >"$work/all" 2>/dev/null
cat "$work"/logs/storm.* >"$work/storm" 2>/dev/null
total=0 done_=0 lock=0 reason=0 crashed=0 other=0
while IFS='	' read -r st cmd msg; do
	total=$((total + 1))
	if [ "$st" -eq 0 ]; then done_=$((done_ + 1))
	elif [ "$st" -ge 128 ]; then crashed=$((crashed + 1)); echo "CRASH (exit $st): $cmd: $msg"
	elif [ "$st" -eq 1 ] && printf '%s' "$msg" | grep -q -E 'another pcibind holds .*/lock|cannot open and lock the state directory .*(Resource temporarily unavailable|Operation would block)'; then
		lock=$((lock + 1))
	elif { [ "$st" -eq 3 ] || [ "$st" -eq 4 ]; } && [ -n "$msg" ]; then reason=$((reason + 1))
	else other=$((other + 1)); echo "UNEXPECTED (exit $st): $cmd: $msg"
	fi
done <"$work/all"
sn=0 scrash=0 sother=0
while IFS='	' read -r st cmd msg; do
	sn=$((sn + 1))
	if [ "$st" -ge 128 ]; then scrash=$((scrash + 1)); echo "CRASH (exit $st): $cmd: $msg"
	elif [ "$st" -ne 0 ]; then sother=$((sother + 1)); echo "UNEXPECTED (exit $st): $cmd: $msg"
	fi
done <"$work/storm"
crashed=$((crashed + scrash))
for c in "$work"/logs/crash.*; do [ -f "$c" ] && { echo "== $c"; head -n 20 "$c"; }; done
[ "$crashed" -eq 0 ] && ok || bad "$crashed commands crashed"
[ "$other" -eq 0 ] && [ "$sother" -eq 0 ] && ok || bad "$((other + sother)) commands neither done nor cleanly refused"
[ "$done_" -gt 0 ] && ok || bad "no command was done"

# No torn journal.
torn=0
pb status >"$work/status" 2>&1 || { torn=$((torn + 1)); echo "TORN: status exits $?:"; head -n 5 "$work/status"; }
grep -q -i -E 'corrupt|cannot read' "$work/status" && { torn=$((torn + 1)); echo "TORN: status says:"; grep -i -E 'corrupt|cannot read' "$work/status"; }
check_record() { # check_record FILE [SECTION-MODE]: every key once, every value well-formed
	# No interval expressions: mawk does not know them.
	awk -v file="$1" '
		/^#/ || /^$/ { next }
		{ k = substr($0, 1, index($0, "=") - 1); v = substr($0, index($0, "=") + 1); seen[k]++ }
		k == "bdf" && v !~ /^[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]*:[0-9a-f][0-9a-f]:[01][0-9a-f]\.[0-7]$/ { bad = bad " bdf" }
		k == "id" && v !~ /^[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f][0-9a-f][0-9a-f]$/ { bad = bad " id" }
		k ~ /^(slot_listed|permissive|stranded)$/ && v !~ /^[01]$/ { bad = bad " " k }
		k == "since" && v !~ /^-?[0-9]+$/ { bad = bad " since" }
		k == "origin" && v !~ /^(cli|boot|udev|)$/ { bad = bad " origin" }
		k ~ /^(driver|module|override|stub)$/ && v !~ /^[!-~]*$/ { bad = bad " " k }
		END {
			n = split("bdf id driver module override slot_listed permissive stub origin since stranded", keys, " ")
			for (i = 1; i <= n; i++) if (seen[keys[i]] != 1) bad = bad " " keys[i] "(x" seen[keys[i]] + 0 ")"
			if (bad != "") { print file ":" bad; exit 1 }
		}' "$1"
}
for r in "$work"/state/devices/*; do
	[ -f "$r" ] || continue
	if [ "$(head -n 1 "$r")" != "# pcibind device record v1" ] || ! check_record "$r" ||
		[ "$(sed -n 's/^bdf=//p' "$r")" != "${r##*/}" ]; then
		torn=$((torn + 1)); echo "TORN record ${r##*/}:"; sed 's/^/  /' "$r"
	fi
done
if [ -e "$work/state/txn" ]; then
	# Left by nobody (no command was killed): still, it must read back.
	echo "note: a transaction is left"
	awk '/^\[(before|record)\]$/ { f = FILENAME "." ++n; next } f { print > f }' "$work/state/txn"
	[ "$(head -n 1 "$work/state/txn")" = "# pcibind transaction v1" ] || { torn=$((torn + 1)); echo "TORN txn header"; }
	for s in "$work"/state/txn.*; do
		[ -f "$s" ] && { check_record "$s" || torn=$((torn + 1)); }
	done
fi
leftover=$(find "$work/state" -name '.*.tmp' | wc -l)
[ "$leftover" -eq 0 ] || { torn=$((torn + leftover)); echo "TORN: $leftover temporary files left"; }
[ "$torn" -eq 0 ] && ok || bad "$torn torn journal files"

# No lost record.
lost=0
for d in "$work"/sys/bus/pci/devices/*; do
	b=${d##*/}
	drv=$(on_driver "$b")
	case " $stubs " in *" $drv "*) ;; *) continue ;; esac
	grep -qx "$b" "$work/stub-at-start" && continue
	r=$work/state/devices/$b
	if [ ! -f "$r" ]; then
		lost=$((lost + 1)); echo "LOST: $b is on $drv with no record"
	elif [ "$(sed -n 's/^stub=//p' "$r")" != "$drv" ] && [ "$(sed -n 's/^stranded=//p' "$r")" != 1 ]; then
		lost=$((lost + 1)); echo "LOST: $b is on $drv, its record says $(sed -n 's/^stub=//p' "$r")"
	fi
done
for r in "$work"/state/devices/*; do
	[ -f "$r" ] || continue
	b=${r##*/}
	[ "$(sed -n 's/^stranded=//p' "$r")" = 1 ] && continue
	drv=$(on_driver "$b") want=$(sed -n 's/^stub=//p' "$r")
	[ "$drv" = "$want" ] || { lost=$((lost + 1)); echo "LOST: record of $b says $want, it is on '${drv:-nothing}'"; }
done
[ "$lost" -eq 0 ] && ok || bad "$lost lost records"

echo "udev storm: $sn reads, $scrash crashed, $sother failed"
echo "concurrency: $total commands, $done_ done, $lock refused (lock), $reason refused (reason), $crashed crashed, $torn torn, $lost lost"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
