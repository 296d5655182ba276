# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: debian xen dracut
# "pcibind --json list" agrees with "lspci -nnk -D" on every function:
# address, class, vendor:device and the bound driver.
# tests/cli/oracle.sh (copied to /vmtest/oracle.sh when present) does the
# same comparison on the host side; it is run too when it is there.

if ! have_pcibind; then
	skip list-oracle "pcibind not in the image (build it with make)"
	return 0
fi

# "ADDRESS CLASS VENDOR:DEVICE DRIVER" per function, from lspci -nnk -D.
lspci -nnk -D | awk '
	function flush() { if (addr != "") print addr, cls, vd, drv }
	/^[0-9a-f]/ {
		flush()
		addr = $1; drv = "none"; cls = "?"; vd = "?"
		if (match($0, /\[[0-9a-f][0-9a-f][0-9a-f][0-9a-f]\]:/)) cls = substr($0, RSTART + 1, 4)
		rest = substr($0, RSTART + RLENGTH)
		if (match(rest, /\[[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f][0-9a-f][0-9a-f]\]/))
			vd = substr(rest, RSTART + 1, 9)
		next
	}
	/^\tKernel driver in use: / { drv = $5 }
	END { flush() }' | sort >/tmp/oracle.lspci

if ! "$PCIBIND" --json list >/tmp/oracle.json 2>/tmp/oracle.err; then
	fail list-json "pcibind --json list failed: $(cat /tmp/oracle.err)"
	return 0
fi
pass list-json
jq -r '.devices[] | "\(.address) \(.class) \(.vendor_id):\(.device_id) \(.driver // "none")"' \
	/tmp/oracle.json | sort >/tmp/oracle.pcibind

expect_eq function-count "$(wc -l </tmp/oracle.lspci)" "$(wc -l </tmp/oracle.pcibind)"
expect_eq sysfs-count "$(ls /sys/bus/pci/devices | wc -l)" "$(wc -l </tmp/oracle.pcibind)"
while read -r addr rest; do
	expect_eq "fn-$addr" "$addr $rest" "$(grep "^$addr " /tmp/oracle.pcibind)"
done </tmp/oracle.lspci

# Text output lists the same functions.
expect_eq list-text-count "$(wc -l </tmp/oracle.lspci)" \
	"$("$PCIBIND" list | grep -c '[0-9a-f][0-9a-f]\.[0-7]')"

if [ -f /vmtest/oracle.sh ]; then
	run_oracle() { PCIBIND_CMD=$PCIBIND LSPCI_CMD=$LSPCI sh /vmtest/oracle.sh --live; }
	check cli-oracle run_oracle
fi
