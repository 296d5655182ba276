#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# make demo-xen: boot the Xen dom0 guest with its toolstack and a PV domU
# (scenario 85-xen-domu-return) and print its transcript: the NIC given to
# the domU, release refused while the domU runs, and after xl destroy the
# release that takes it out of Xen's quarantine, with a DMA check. Never
# touches this machine's devices.
set -eu
cd "$(dirname "$0")/../.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
t0=$(date +%s)
if ! tests/vm/run-guest.sh --kind xen --scenario tests/vm/scenarios/85-xen-domu-return.sh \
	--name demo-xen >"$out" 2>&1; then
	cat "$out"
	echo "demo-xen: the guest run failed (see above)" >&2
	exit 1
fi
sed -n 's/^DEMO \{0,1\}//p' "${BUILD:-build}/vm/runs/demo-xen/results.txt"
echo
grep -E '^== ' "$out" || true
echo "demo-xen: $(grep -c '^PASS ' "$out") checks passed in $(($(date +%s) - t0)) s"
